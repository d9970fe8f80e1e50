"""The ``movilidad`` command line (Typer).

Every command loads the settings first; a configuration problem ends the command
with one line naming the setting and exit code 2, never a traceback.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable
from contextlib import nullcontext
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from movilidad.config import JobsBackend, Settings, load_settings
from movilidad.db import migrate
from movilidad.db.engine import check_connection, make_engine, make_session_factory
from movilidad.db.uow import UnitOfWork
from movilidad.kernel.crypto import configure_cipher
from movilidad.kernel.errors import ConfigError, DomainError
from movilidad.kernel.permissions import RoleName
from movilidad.logs import configure_logging

app = typer.Typer(
    help="Movilidad: run a Safe Mobility Office.", no_args_is_help=True, rich_markup_mode="markdown"
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
jobs_app = typer.Typer(help="Background jobs.", no_args_is_help=True)
keys_app = typer.Typer(help="Encryption keys.", no_args_is_help=True)
appointments_app = typer.Typer(help="Office calendars and interview slots.", no_args_is_help=True)
pathways_app = typer.Typer(help="The pathway catalogue.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(pathways_app, name="pathways")
screening_app = typer.Typer(help="Screening of cases.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(screening_app, name="screening")
app.add_typer(users_app, name="users")
app.add_typer(jobs_app, name="jobs")
app.add_typer(keys_app, name="keys")
app.add_typer(appointments_app, name="appointments")
dedupe_app = typer.Typer(help="Identity resolution: people registered twice.", no_args_is_help=True)
app.add_typer(dedupe_app, name="dedupe")

console = Console()
err = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


class StartupError(Exception):
    """A problem found before serving, already phrased for the operator."""


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]Error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def friendly_errors(func: F) -> F:
    """Turn configuration and start-up errors into one clear line and exit code 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            raise _fail(f"configuration: {exc}") from None
        except StartupError as exc:
            raise _fail(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def _connect(settings: Settings) -> None:
    """Check the database answers; raise :class:`StartupError` naming the setting."""
    try:
        engine = make_engine(settings.effective_database_url)
    except (ArgumentError, ValueError) as exc:
        raise StartupError(f"MOVILIDAD_DATABASE_URL: {exc}") from None
    try:
        check_connection(engine)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
        raise StartupError(
            f"MOVILIDAD_DATABASE_URL: cannot connect to the database ({reason})"
        ) from None
    finally:
        engine.dispose()


def _require_schema(settings: Settings) -> None:
    """Connect and make sure the migrations were applied (else one clear line)."""
    _connect(settings)
    if not migrate.is_current(settings.effective_database_url):
        raise StartupError(
            "the database is not at the newest migration; run `movilidad db upgrade` first"
        )


def _upgrade(settings: Settings) -> None:
    _connect(settings)
    try:
        migrate.upgrade(settings.effective_database_url)
    except SQLAlchemyError as exc:
        raise StartupError(f"database migration failed: {exc}") from None


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise StartupError(
                f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port"
            ) from None


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from movilidad.web.app import create_app

    configure_logging(settings.log_level)
    _check_port(host, port)
    web_app = create_app(settings)
    uvicorn.run(
        web_app, host=host, port=port, log_config=None, access_log=False,
        # X-Forwarded-For is believed only from the configured reverse proxies, so
        # nobody can dodge the per-address limits by sending the header themselves.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
    )  # fmt: skip


HostOption = Annotated[str, typer.Option(help="Address to listen on.")]
PortOption = Annotated[int, typer.Option(min=1, max=65535, help="TCP port to listen on.")]


@app.command()
@friendly_errors
def serve(host: HostOption = "127.0.0.1", port: PortOption = 8000) -> None:
    """Serve the web application (migrate first with `movilidad db upgrade`)."""
    settings = load_settings()
    _require_schema(settings)
    _serve(settings, host, port)


@app.command()
@friendly_errors
def demo(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    data_dir: Annotated[
        Path, typer.Option(help="Folder for the demo's SQLite database, keys and files.")
    ] = Path("var"),
    households: Annotated[
        int, typer.Option(min=1, max=100_000, help="Households to invent.")
    ] = 130,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed gives the same data.")
    ] = 2023,
    screening_date: Annotated[
        str,
        typer.Option(
            help="Judge eligibility as of this date (YYYY-MM-DD, or 'today'). The real "
            "programmes closed in 2025, so by default the demo pretends it is mid-2024."
        ),
    ] = "2024-06-01",
) -> None:
    """Run a demonstration office on an embedded SQLite database under DATA_DIR.

    Migrates, loads the pathway catalogue when present, seeds five offices, staff
    accounts and synthetic households (first run only), prints the address and the demo
    logins (new passwords on every start), then serves.
    """
    from movilidad.seed.demo import seed_demo

    _check_port(host, port)
    data_dir = data_dir.resolve()
    database = data_dir / "movilidad.sqlite3"
    settings = load_settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{database}",
        jobs_backend=JobsBackend.IMMEDIATE,
        base_url=f"http://{host}:{port}",
        screening_date=None if screening_date == "today" else screening_date,
    )
    configure_cipher(settings.data_key_bytes())
    with console.status("Migrating the database…"):
        _upgrade(settings)
    catalogue = None
    if settings.catalogue_dir.is_dir() and any(settings.catalogue_dir.glob("*.yaml")):
        from movilidad.pathways.catalogue import CatalogueInvalid, load_catalogue

        try:
            catalogue = load_catalogue(settings.catalogue_dir)
        except CatalogueInvalid as exc:
            raise StartupError(
                f"the pathway catalogue in {settings.catalogue_dir} has {len(exc.problems)} "
                "problem(s); run `movilidad pathways check`"
            ) from None

    engine = make_engine(settings.effective_database_url)
    with (
        UnitOfWork(make_session_factory(engine)) as uow,
        Progress(
            TextColumn("Seeding demo households"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task("seed", total=households)
        report = seed_demo(
            uow,
            households=households,
            rng_seed=seed,
            progress=lambda n: progress.advance(task, n),
            catalogue=catalogue,
            screening_date=settings.screening_date,
        )
    engine.dispose()

    console.print(f"[bold]Movilidad demo[/] — data in {data_dir}")
    if report.created:
        console.print(
            f"Seeded {report.offices} offices, {report.households} households "
            f"({report.applicants} applicants)."
        )
    else:
        console.print(f"Using the existing demo data ({report.offices} offices).")
    if catalogue is None:
        console.print(f"No pathway catalogue in {settings.catalogue_dir}: cases are not screened.")
    else:
        console.print(
            f"Pathway catalogue: {len(catalogue.pathways)} pathways "
            f"({report.pathway_versions_added} new versions stored); "
            f"{report.cases_rescreened} open cases screened as of "
            f"{settings.screening_day().isoformat()}, "
            f"{report.outcomes_changed} outcomes changed since registration."
        )
    console.print(f"Interview slots: {report.slots_published} published for the next four weeks.")
    if report.window_office:
        console.print(
            f"Office {report.window_office} shares its interviews by request window "
            "(one is open); the others book directly. Draw records: /draws"
        )
    table = Table(title="Demo logins (new passwords each start)")
    for column in ("username", "password", "role", "scope"):
        table.add_column(column)
    for login in report.logins:
        table.add_row(login.username, login.password, str(login.role), login.scope)
    console.print(table)
    console.print(f"Open [bold]http://{host}:{port}/[/] — press Ctrl+C to stop.", highlight=False)
    sys.stdout.flush()
    _serve(settings, host, port)


@db_app.command("upgrade")
@friendly_errors
def db_upgrade() -> None:
    """Apply every migration to the configured database."""
    settings = load_settings()
    _upgrade(settings)
    console.print("Database is at the newest revision.")


@db_app.command("check")
@friendly_errors
def db_check() -> None:
    """Fail (exit 1) when the models and the migrations disagree."""
    settings = load_settings()
    _connect(settings)
    try:
        migrate.check(settings.effective_database_url)
    except migrate.SchemaDrift as exc:
        raise _fail(f"models and migrations differ: {exc}", code=1) from None
    console.print("Models and migrations match.")


@users_app.command("create")
@friendly_errors
def users_create(
    username: Annotated[str, typer.Option(help="Sign-in name: lower-case letters, digits, . _ -")],
    full_name: Annotated[str, typer.Option(help="The person's name.")],
    email: Annotated[str, typer.Option(help="Work e-mail address.")],
    role: Annotated[RoleName, typer.Option(help="The role to grant.")],
    office: Annotated[str | None, typer.Option(help="Limit to this office code.")] = None,
    country: Annotated[str | None, typer.Option(help="Limit to this country (alpha-3).")] = None,
    language: Annotated[str, typer.Option(help="Preferred language (ISO 639-1).")] = "es",
    organisation: Annotated[
        str | None,
        typer.Option(help="Partner liaisons: the recipient id of their organisation."),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a staff account. Without --office or --country the role covers all offices."""
    from movilidad.staff.services import create_staff_user

    settings = load_settings()
    _require_schema(settings)
    configure_cipher(settings.data_key_bytes())
    if organisation is not None:
        from movilidad.referrals.recipients import load_recipients

        if load_recipients(settings.notices_dir).get(organisation) is None:
            raise _fail(f"--organisation: no recipient {organisation!r} in recipients.yaml")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = make_engine(settings.effective_database_url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            user = create_staff_user(
                uow,
                username=username,
                full_name=full_name,
                email=email,
                password=password,
                role=role,
                office_code=office,
                country=country.upper() if country else None,
                preferred_language=language,
                organisation=organisation,
            )
            uow.commit()
    except DomainError as exc:
        raise _fail(str(exc), code=1) from None
    finally:
        engine.dispose()
    console.print(f"Created {user.username} ({role}).")


@app.command()
@friendly_errors
def worker(
    workers: Annotated[int, typer.Option(min=1, max=32, help="Worker threads.")] = 2,
) -> None:
    """Run background jobs from the queue (MOVILIDAD_JOBS_BACKEND sqlite or redis)."""
    from movilidad.jobs.queue import JobQueue

    settings = load_settings()
    if settings.jobs_backend is JobsBackend.IMMEDIATE:
        raise StartupError(
            "MOVILIDAD_JOBS_BACKEND is 'immediate': jobs run inside the web process; "
            "set it to 'sqlite' or 'redis' to use a worker"
        )
    _require_schema(settings)
    configure_logging(settings.log_level)
    configure_cipher(settings.data_key_bytes())
    engine = make_engine(settings.effective_database_url)
    JobQueue(settings, make_session_factory(engine)).run_worker(workers=workers)


@jobs_app.command("failures")
@friendly_errors
def jobs_failures(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 50,
) -> None:
    """List failed job attempts, newest first."""
    from movilidad.jobs.models import JobFailure

    settings = load_settings()
    _require_schema(settings)
    engine = make_engine(settings.effective_database_url)
    with UnitOfWork(make_session_factory(engine)) as uow:
        rows = uow.session.scalars(
            select(JobFailure).order_by(JobFailure.failed_at.desc()).limit(limit)
        ).all()
    engine.dispose()
    table = Table(title=f"Failed job attempts ({len(rows)})")
    for column in ("failed at (UTC)", "job", "task id", "retries left", "error"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.failed_at.isoformat(timespec="seconds"),
            row.job_name,
            row.task_id,
            "final" if row.final else str(row.retries_left),
            row.error,
        )
    console.print(table)


@pathways_app.command("check")
@friendly_errors
def pathways_check(
    directory: Annotated[
        Path | None, typer.Argument(help="Catalogue folder (default: MOVILIDAD_CATALOGUE_DIR).")
    ] = None,
) -> None:
    """Validate every catalogue file; list each problem as FILE:LINE: REASON, exit 1."""
    from movilidad.pathways.catalogue import check_catalogue

    folder = directory or load_settings(with_secrets=False).catalogue_dir
    catalogue, problems = check_catalogue(folder)
    for problem in problems:
        err.print(str(problem), highlight=False, markup=False, soft_wrap=True)
    if catalogue is None:
        raise _fail(f"{len(problems)} problem(s) in {folder}", code=1)
    versions = sum(len(p.versions) for p in catalogue.pathways.values())
    criteria = sum(len(v.criteria) for p in catalogue.pathways.values() for v in p.versions)
    console.print(
        f"{len(catalogue.pathways)} pathways, {versions} versions, {criteria} criteria, "
        f"{len(catalogue.facts.facts)} facts: OK"
    )


@app.command()
@friendly_errors
def screen(
    file: Annotated[
        str, typer.Argument(help="JSON file with one household's facts, or - for stdin.")
    ],
    as_of: Annotated[str, typer.Option("--as-of", help="Screening date, YYYY-MM-DD.")],
    lang: Annotated[str, typer.Option("--lang", help="Language of the explanations.")] = "es",
) -> None:
    """Screen one household against every pathway on a date; print the results as JSON.

    Invalid JSON, facts, date or language: every problem is listed on stderr, exit 2.
    """
    import json

    from movilidad.kernel.dates import is_iso_date, parse_iso_date
    from movilidad.kernel.languages import SUPPORTED_LANGUAGES
    from movilidad.pathways.catalogue import CatalogueInvalid, load_catalogue
    from movilidad.pathways.facts import InvalidFacts, printable, validate_facts
    from movilidad.screening.engine import Screener

    problems: list[str] = []
    day = parse_iso_date(as_of) if is_iso_date(as_of) else None
    if day is None:
        problems.append(f"--as-of: {printable(as_of)!r} is not a date written YYYY-MM-DD")
    if lang not in SUPPORTED_LANGUAGES:
        problems.append(
            f"--lang: {printable(lang)!r} is not one of {', '.join(SUPPORTED_LANGUAGES)}"
        )
    raw: Any = None
    parsed = False
    try:
        if file == "-":
            if sys.stdin is None:
                raise OSError("standard input is closed")
            data = sys.stdin.buffer.read()
        else:
            data = Path(file).read_bytes()
        raw = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
        parsed = True
    except OSError as exc:
        problems.append(f"cannot read {file}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        problems.append(f"{file}: not UTF-8 text")
    except json.JSONDecodeError as exc:
        problems.append(f"{file}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
    except RecursionError:
        problems.append(f"{file}: the JSON is nested too deeply")
    except ValueError as exc:  # duplicate keys, numbers too long
        problems.append(f"{file}: {printable(str(exc))}")
    try:
        catalogue = load_catalogue(load_settings(with_secrets=False).catalogue_dir)
    except CatalogueInvalid as exc:
        raise _fail(
            f"the catalogue is invalid ({len(exc.problems)} problems); "
            "run `movilidad pathways check`"
        ) from None
    facts: dict[str, Any] = {}
    if parsed:
        try:
            facts = validate_facts(catalogue.facts, raw)
        except InvalidFacts as exc:
            problems.extend(f"{file}: {problem}" for problem in exc.problems)
    if problems or day is None:
        for problem in problems:
            err.print(problem, highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(2)
    result = Screener(catalogue).screen(facts, day, lang)
    try:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n")
        sys.stdout.flush()
    except OSError as exc:
        raise _fail(f"cannot write the result: {exc.strerror or exc}", code=1) from None


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice")
        result[key] = value
    return result


@screening_app.command("rescreen")
@friendly_errors
def screening_rescreen(
    force: Annotated[
        bool, typer.Option("--force", help="Re-screen even if nothing changed.")
    ] = False,
) -> None:
    """Store new catalogue versions and re-screen every open case as of today, if a
    version was added or a programme opened or closed since the last time (or --force).
    Workers also run this every day at 05:15 UTC."""
    from movilidad.jobs.queue import JobContext
    from movilidad.pathways.catalogue import CatalogueInvalid
    from movilidad.screening.tasks import rescreen_job

    settings = load_settings()
    _require_schema(settings)
    configure_cipher(settings.data_key_bytes())
    engine = make_engine(settings.effective_database_url)
    try:
        changed = rescreen_job(JobContext(settings, make_session_factory(engine)), force)
    except CatalogueInvalid as exc:
        raise _fail(
            f"the catalogue has {len(exc.problems)} problem(s); run `movilidad pathways check`"
        ) from None
    finally:
        engine.dispose()
    if changed is None:
        console.print("Nothing changed since the last re-screening; no case was re-screened.")
    else:
        console.print(f"Open cases re-screened; {changed} outcomes changed.")


@audit_app.command("verify")
@friendly_errors
def audit_verify() -> None:
    """Check the audit trail's hash chain: exit 1 naming the first altered, removed or
    reordered event."""
    from movilidad.audit.chain import verify_chain

    settings = load_settings()
    _require_schema(settings)
    engine = make_engine(settings.effective_database_url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            report = verify_chain(uow.session)
    finally:
        engine.dispose()
    if not report.ok:
        raise _fail(f"audit trail broken: {report.reason}", code=1)
    console.print(f"{report.events} audit events: {report.reason}.")


@appointments_app.command("publish")
@friendly_errors
def appointments_publish(
    office: Annotated[str, typer.Option(help="Office code, e.g. col-bog.")],
    days: Annotated[int, typer.Option(min=1, max=366, help="How many days ahead.")] = 28,
    start: Annotated[
        str | None, typer.Option(help="First local date (YYYY-MM-DD); default today.")
    ] = None,
) -> None:
    """Publish the office's interview slots from its opening hours (idempotent)."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from movilidad.appointments.services import publish_slots
    from movilidad.kernel.dates import is_iso_date, parse_iso_date
    from movilidad.offices.repository import OfficeRepository

    settings = load_settings()
    _require_schema(settings)
    if start is not None and not is_iso_date(start):
        raise _fail("--start: use a date like 2026-12-01")
    engine = make_engine(settings.effective_database_url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            found = OfficeRepository(uow.session).get_office_by_code(office)
            if found is None:
                raise _fail(f"--office: no office {office!r}")
            first = (
                parse_iso_date(start) if start
                else datetime.now(ZoneInfo(found.time_zone)).date()
            )  # fmt: skip
            made = publish_slots(uow, found, first, first + timedelta(days=days - 1))
            uow.commit()
    finally:
        engine.dispose()
    console.print(f"{made} new slots at {office} from {first.isoformat()} ({days} days).")


@appointments_app.command("replay")
@friendly_errors
def appointments_replay(
    run_id: Annotated[int, typer.Argument(help="The allocation run's number.", min=1)],
) -> None:
    """Recompute a past allocation run from its stored inputs and seed, and confirm it
    gives the same result: the seed matches the hash published before the window
    closed, the inputs their digest, the result the one recorded, and the offers made
    the result. Exit code 0 when all hold, 1 otherwise."""
    from movilidad.appointments.windows import replay

    settings = load_settings()
    _require_schema(settings)
    configure_cipher(settings.data_key_bytes())
    engine = make_engine(settings.effective_database_url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            checked = replay(uow, run_id)
    finally:
        engine.dispose()
    if checked is None:
        raise _fail(f"no allocation run {run_id}", code=1)
    for name, passed in checked.checks.items():
        console.print(f"{name:14} {'same' if passed else 'DIFFERENT'}")
    if not checked.same:
        raise _fail(f"run {run_id} does NOT replay to the same result", code=1)
    console.print(f"Run {run_id} replays to the same result ({checked.placements} offers).")


@appointments_app.command("run")
@friendly_errors
def appointments_run(
    window: Annotated[int, typer.Option(help="The request window's number.", min=1)],
) -> None:
    """Make the allocation run of a closed request window now (the scheduled job makes
    it within a minute of closing). The offers are sent by the job queue."""
    from movilidad.appointments.models import RequestWindow
    from movilidad.appointments.windows import RunRefused, run_allocation
    from movilidad.jobs.queue import JobQueue
    from movilidad.kernel.clock import utcnow

    settings = load_settings()
    _require_schema(settings)
    configure_cipher(settings.data_key_bytes())
    engine = make_engine(settings.effective_database_url)
    try:
        factory = make_session_factory(engine)
        with UnitOfWork(factory) as uow:
            found = uow.session.get(RequestWindow, window)
            if found is None:
                raise _fail(f"--window: no request window {window}")
            try:
                run = run_allocation(uow, JobQueue(settings, factory), found, utcnow())
            except RunRefused as refused:
                raise _fail(f"--window {window}: {refused.reason.replace('_', ' ')}") from None
            uow.commit()
            console.print(
                f"Run {run.id}: {run.report['allocated']} offers for {run.report['requests']} "
                f"requests and {run.report['seats']} places. Seed {run.seed}."
            )
    finally:
        engine.dispose()


@keys_app.command("rotate")
@friendly_errors
def keys_rotate(
    output: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the new key (mode 0600). Required when the key "
            "comes from MOVILIDAD_DATA_ENCRYPTION_KEY."
        ),
    ] = None,
) -> None:
    """Re-encrypt every encrypted field, and recompute every blind index, under a new
    data-encryption key, in one transaction. Stop the web app and workers first;
    start them again with the new key."""
    import os

    from movilidad.config import _DATA_KEY_FILE, _decode_data_key, generate_data_key
    from movilidad.db.rotation import rotate_data_key
    from movilidad.kernel.crypto import FieldCipher

    settings = load_settings()
    _require_schema(settings)
    key_file = settings.data_dir / _DATA_KEY_FILE
    from_file = key_file.exists() and os.environ.get("MOVILIDAD_DATA_ENCRYPTION_KEY") is None
    if output is None and not from_file:
        raise _fail("--output is required: the key comes from MOVILIDAD_DATA_ENCRYPTION_KEY")
    target = output or key_file.with_name(key_file.name + ".new")
    new_key = generate_data_key()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:  # written before the data moves: never lost
        handle.write(new_key + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    engine = make_engine(settings.effective_database_url)
    try:
        with engine.begin() as connection:
            report = rotate_data_key(
                connection, FieldCipher(settings.data_key_bytes()),
                FieldCipher(_decode_data_key(new_key)),
            )  # fmt: skip
    except Exception:
        if output is None:
            target.unlink(missing_ok=True)
        raise
    finally:
        engine.dispose()
    if output is None:
        os.replace(target, key_file)
    report.indexes["identity_keys (rebuilt)"] = _reindex_identity_keys(
        settings, _decode_data_key(new_key)
    )
    for label, count in sorted({**report.fields, **report.indexes}.items()):
        console.print(f"  {label}: {count}")
    where = f"written to {output}" if output else f"now in {key_file}"
    console.print(f"Every encrypted field now uses the new key ({where}). "
                  "Restart the web app and workers with it.")  # fmt: skip


def main() -> None:
    """Console-script entry point."""
    app()


class DedupeDataset(StrEnum):
    FEBRL3 = "febrl3"
    FEBRL4 = "febrl4"
    SYNTHETIC = "synthetic"


class DedupeFields(StrEnum):
    ALL = "all"
    NAMES_DOB = "names-dob"


class DedupeBackend(StrEnum):
    DUCKDB = "duckdb"
    SPARK = "spark"


@dedupe_app.command("evaluate")
@friendly_errors
def dedupe_evaluate(
    dataset: Annotated[DedupeDataset, typer.Option(help="febrl3, febrl4 or synthetic.")],
    fields: Annotated[
        DedupeFields, typer.Option(help="all, or names-dob (names and date of birth only).")
    ] = DedupeFields.ALL,
    size: Annotated[
        int, typer.Option(min=100, max=5_000_000, help="Records of the synthetic registry.")
    ] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic registry.")] = 1,
) -> None:
    """Train the linkage model on a dataset with known truth and print one JSON object:
    precision, recall, f1 (pairwise, match probability >= 0.5), seconds (training and
    prediction) and pairs_compared (after blocking); per nationality for synthetic."""
    import contextlib
    import io
    import json

    from movilidad.identity.evaluate import evaluate

    chatter = io.StringIO()
    with contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
        report = evaluate(dataset.value, fields.value, size=size, seed=seed)
    typer.echo(json.dumps(report))


@dedupe_app.command("synth")
@friendly_errors
def dedupe_synth(
    size: Annotated[int, typer.Option(min=1, max=10_000_000, help="Records to write.")],
    seed: Annotated[int, typer.Option(help="The same seed gives the same registry.")] = 1,
    output: Annotated[
        Path | None, typer.Option(help="CSV file to write (default: standard output).")
    ] = None,
) -> None:
    """Write a synthetic registry of Latin American and Haitian people with duplicates
    made by a documented error model (movilidad.identity.synth), as CSV with the
    ground truth in person_id."""
    import csv
    import dataclasses

    from movilidad.identity.synth import Record, generate

    columns = [f.name for f in dataclasses.fields(Record)]
    target = output.open("w", newline="", encoding="utf-8") if output else nullcontext(sys.stdout)
    with target as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for record in generate(size, seed):
            writer.writerow(dataclasses.astuple(record))
    if output:
        console.print(f"{size} records written to {output}.")


@dedupe_app.command("train")
@friendly_errors
def dedupe_train(
    output: Annotated[Path, typer.Option(help="Model file (JSON) to write.")],
    size: Annotated[
        int, typer.Option(min=1000, max=5_000_000, help="Records of the synthetic registry.")
    ] = 50_000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic registry.")] = 1,
    from_registry: Annotated[
        bool,
        typer.Option(
            "--from-registry",
            help="Train on the people registered in the database instead of a synthetic "
            "registry (at least 1,000; names shared by fewer than 10 people are left out "
            "of the file's frequency tables).",
        ),
    ] = False,
) -> None:
    """Train the registry's linkage model and write it as one JSON file
    (movilidad.identity.model). Set MOVILIDAD_IDENTITY_MODEL to the file for the intake
    check and `dedupe run` to use it."""
    import contextlib
    import io

    from movilidad.identity.model import (
        TooFewRecords,
        train_on_rows,
        train_registry_model,
        write_model,
    )

    chatter = io.StringIO()
    if from_registry:
        import movilidad.db.models  # noqa: F401 - every entity mapped
        from movilidad.identity.batch import registry_rows

        settings = load_settings()
        _require_schema(settings)
        configure_cipher(settings.data_key_bytes())
        engine = make_engine(settings.effective_database_url)
        try:
            with UnitOfWork(make_session_factory(engine)) as uow:
                rows = registry_rows(uow)
        finally:
            engine.dispose()
        try:
            with contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
                model = train_on_rows(rows)
        except TooFewRecords as exc:
            console.print(f"[red]Cannot train:[/red] {exc}.")
            raise typer.Exit(1) from None
        what = f"{len(rows)} registered people"
    else:
        with contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
            model = train_registry_model(size, seed)
        what = f"{size} synthetic records"
    write_model(model, output)
    console.print(f"Model trained on {what} written to {output}.")


@dedupe_app.command("run")
@friendly_errors
def dedupe_run(
    model: Annotated[
        Path | None,
        typer.Option(
            help="Model file (default: MOVILIDAD_IDENTITY_MODEL, else the model shipped "
            "with Movilidad)."
        ),
    ] = None,
    backend: Annotated[
        DedupeBackend,
        typer.Option(
            help="Where the scoring runs: duckdb (inside this command, the fastest on one "
            "machine) or spark (Apache Spark on this machine; needs Java 17 or later). "
            "Both find the same pairs and clusters."
        ),
    ] = DedupeBackend.DUCKDB,
) -> None:
    """Deduplicate the whole registry with Splink: score every blocked pair with the
    trained model, cluster, and store the pairs at or above the review threshold for
    staff review (unchanged pairs are left as they are). Prints one JSON object."""
    import contextlib
    import dataclasses
    import io
    import json

    import movilidad.db.models  # noqa: F401 - every entity mapped (the pairs name staff)
    from movilidad.identity.batch import Backend, run
    from movilidad.identity.model import DEFAULT_MODEL, read_model
    from movilidad.kernel.clock import utcnow

    where: Backend = "spark" if backend is DedupeBackend.SPARK else "duckdb"
    settings = load_settings()
    _require_schema(settings)
    configure_cipher(settings.data_key_bytes())
    loaded = read_model(model or settings.identity_model or DEFAULT_MODEL)
    engine = make_engine(settings.effective_database_url)
    chatter = io.StringIO()
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            with contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
                report = run(uow, loaded, utcnow(), where)
            uow.commit()
    finally:
        engine.dispose()
    typer.echo(json.dumps(dataclasses.asdict(report)))


def _reindex_identity_keys(settings: Settings, data_key: bytes) -> int:
    """Rebuild every applicant's stored blocking keys under ``data_key``; returns how
    many applicants were indexed."""
    import movilidad.db.models  # noqa: F401 - every entity mapped
    from movilidad.identity.intake import reindex_all

    configure_cipher(data_key)
    engine = make_engine(settings.effective_database_url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            count = reindex_all(uow)
            uow.commit()
    finally:
        engine.dispose()
    return count


@dedupe_app.command("reindex")
@friendly_errors
def dedupe_reindex() -> None:
    """Rebuild the stored blocking keys the check at registration looks people up by,
    for everyone registered (needed once after upgrading a database that has
    registrations; `keys rotate` does it itself)."""
    settings = load_settings()
    _require_schema(settings)
    count = _reindex_identity_keys(settings, settings.data_key_bytes())
    console.print(f"Blocking keys rebuilt for {count} people.")
