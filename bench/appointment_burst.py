"""Benchmark: a burst of interview requests against the real HTTP server, then the
allocation run and a fairness test of its lottery (issue #6).

Targets, on SQLite and on PostgreSQL, on a 2-core machine: 20,000 distinct households
each post the form of ``POST /status/appointment/request`` once to uvicorn on loopback
(at most ``--concurrency`` requests at a time, a hard overall timeout): the burst ends in
under 60 s with zero 5xx responses, every household answered and exactly one waiting
request per household in the database (200 households send their form twice at once
with the same idempotency key: it must stay one request). Then the window is closed and
``run_allocation`` shares 1,000 seats among the requests in under 10 s, with no seat
held twice, no slot over capacity, no household holding two, exactly
min(seats, requests) offers and a ``replay`` that matches. Last, chi-square tests over
deciles (p ≥ 0.001 each): the households the run served, by request order and by
request time; and the lottery's own seats over 200 more draws (``allocate`` on the
run's frozen inputs with other seeds), by request order, request time and registration
time.

Setup, not timed: a fresh database (a SQLite file in a temporary folder, or a database
of its own on the PostgreSQL server, dropped at the end), the migrations, one office in
request-window mode (30 % of the seats to the longest waiting, one priority group), its
slots, the households (principal with a phone, some with partner and children; cases
submitted or pre-screened, registered over 14 months, six nationalities) written in
batches through the models, and an open window. The server is uvicorn serving
``movilidad.web.app:create_app`` (what ``movilidad serve`` runs) with 2 worker
processes by default, its JSON request log kept to report the time in the app.
The client is a small asyncio HTTP/1.1 client in this process. Each household opens its
own connection, as 20,000 phones would (``--keep-alive`` reuses 256 connections
instead: they are all accepted in the first milliseconds, and how they fall between
the server processes then stays fixed for the whole burst — measured from one worker
taking all of them, 40–72 s on SQLite from run to run). A request whose connection
broke is sent again with the same key, and counted.

Run (PostgreSQL as ``scripts/ensure-postgres.sh`` starts it; the script needs a role
that may create databases):

    .venv/bin/python bench/appointment_burst.py [--database sqlite|postgresql|both]
        [--households 20000] [--seats 1000] [--concurrency 256] [--workers N]
        [--keep-alive] [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

``--app module:factory`` serves another application factory, to measure a patch
without touching ``src/``. Exits 1 naming every target missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe
from sqlalchemy import Select, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from movilidad.applicants.models import Applicant, Sex
from movilidad.appointments import allocation
from movilidad.appointments.models import (
    HOLDING,
    Appointment,
    AppointmentRequest,
    AppointmentStatus,
    BookingMode,
    InterviewMode,
    RequestStatus,
    RequestWindow,
    Slot,
)
from movilidad.appointments.windows import (
    close_window_now,
    open_window,
    replay,
    run_allocation,
    set_policy,
)
from movilidad.cases.models import Case, CaseStatus, SpecificNeed
from movilidad.config import generate_data_key, load_settings
from movilidad.db import migrate
from movilidad.db.engine import make_engine, make_session_factory
from movilidad.db.uow import UnitOfWork
from movilidad.households.models import Household, Relationship
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.clock import utcnow
from movilidad.kernel.crypto import configure_cipher
from movilidad.kernel.references import new_reference
from movilidad.offices.models import Office
from movilidad.registration.status import session_token
from movilidad.web.applicant.appointments import STATUS_COOKIE
from movilidad.web.security import CSRF_COOKIE, CSRF_FIELD

PATH = "/status/appointment/request"
TIME_ZONE = "America/Bogota"
NATIONALITIES = (("VEN", 55), ("COL", 10), ("HTI", 12), ("CUB", 10), ("NIC", 8), ("ECU", 5))
PRIORITY = SpecificNeed.SERIOUS_MEDICAL_CONDITION.value
FIRST_REGISTRATION = datetime(2023, 10, 18, 13, tzinfo=UTC)
REGISTRATION_DAYS = 420
BURST_TARGET_S = 60.0
ALLOCATION_TARGET_S = 10.0
ALPHA = 0.001  # each chi-square test; five tests: a false alarm in about 0.5 % of runs
MAX_ATTEMPTS = 3  # a request whose connection failed is sent again with the same key


# Setup ---------------------------------------------------------------------------------


@dataclass
class Database:
    kind: str
    url: str
    version: str


class DatabaseUnavailable(Exception):
    """The PostgreSQL server cannot be reached (the message says where and why)."""


@contextlib.contextmanager
def fresh_database(kind: str, folder: Path, postgres_url: str) -> Iterator[Database]:
    """A new empty database: a SQLite file in ``folder``, or a database of its own on
    the PostgreSQL server of ``postgres_url``, dropped at the end."""
    if kind == "sqlite":
        yield Database(kind, f"sqlite:///{folder / 'movilidad.sqlite3'}", sqlite3.sqlite_version)
        return
    import psycopg

    base = make_url(postgres_url)
    name = f"movilidad_bench_{os.getpid()}"
    dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as admin:
            version = str(admin.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        where = base.render_as_string(hide_password=True)
        raise DatabaseUnavailable(f"{where}: {str(exc).strip().splitlines()[0]}") from None
    try:
        yield Database(kind, base.set(database=name).render_as_string(hide_password=False), version)
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Seeded:
    office_id: int
    window_id: int
    case_ids: list[int]
    seats: int
    slots: int
    priority_cases: int
    seconds: float


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def _applicant(
    rng: random.Random, nationality: str, born_years_ago: tuple[int, int], at: datetime,
    phone: bool,
) -> Applicant:  # fmt: skip
    days = rng.randint(born_years_ago[0] * 365 + 1, born_years_ago[1] * 365 + 300)
    person = Applicant.register(
        given_names=rng.choice(("María José", "Luis", "Yohana", "Jean", "Ana", "Wilmer")),
        first_surname=rng.choice(("Pérez", "Rodríguez", "Joseph", "García", "Méndez")),
        second_surname=rng.choice(("Rojas", "Pierre", "López", None)),
        date_of_birth=(at - timedelta(days=days)).date(),
        sex=rng.choice((Sex.FEMALE, Sex.MALE)),
        nationalities=[nationality],
        country_of_birth=nationality,
        current_country="COL",
        preferred_language="ht" if nationality == "HTI" and rng.random() < 0.6 else "es",
        phone_e164=f"+573{rng.randint(0, 2)}{rng.randint(10_000_000, 99_999_999)}"
        if phone
        else None,
        today=at.date(),
    )
    person.created_at = person.updated_at = at
    return person


def seed(url: str, households: int, seats: int, capacity: int, rng: random.Random) -> Seeded:
    """The office, its policy and slots, ``households`` households with open cases, and
    an open request window. Households are written through the models (validation,
    encrypted phone numbers, blind indexes, case events) in batches of 1,000."""
    started = time.perf_counter()
    engine = make_engine(url)
    factory = make_session_factory(engine)
    now = utcnow()
    with UnitOfWork(factory) as uow:
        office = Office.open(
            code="bench-bog", name="Oficina de Movilidad Segura Bogotá (bench)",
            country="COL", city="Bogotá", time_zone=TIME_ZONE, languages=["es", "en", "ht"],
        )  # fmt: skip
        uow.session.add(office)
        uow.session.flush()
        set_policy(uow, office, mode=BookingMode.REQUEST_WINDOW, longest_waiting_percent=30,
                   priority_groups=(PRIORITY,))  # fmt: skip
        # Weekday slots from 08:00 to 16:00 local, every 30 minutes, from the third day.
        tz = ZoneInfo(TIME_ZONE)
        day = now.astimezone(tz).date() + timedelta(days=3)
        slots: list[Slot] = []
        left = seats
        while left > 0:
            if day.weekday() < 5:
                for n in range(16):
                    if left <= 0:
                        break
                    local = datetime.combine(day, clock_time(8), tz) + timedelta(minutes=30 * n)
                    starts = local.astimezone(UTC)
                    slots.append(Slot(
                        office_id=office.id, starts_at=starts,
                        ends_at=starts + timedelta(minutes=30), capacity=min(capacity, left),
                        mode=InterviewMode.IN_PERSON, languages=["es", "ht"],
                    ))  # fmt: skip
                    left -= capacity
            day += timedelta(days=1)
        uow.session.add_all(slots)
        uow.commit()
        office_id = office.id
        slots_first = slots[0].starts_at.astimezone(tz).date()
        slots_last = slots[-1].starts_at.astimezone(tz).date()

    references: set[str] = set()
    priority_cases = 0
    for first in range(0, households, 1000):
        with UnitOfWork(factory) as uow:
            at_office = uow.session.get(Office, office_id)
            assert at_office is not None
            for _ in range(min(1000, households - first)):
                at = FIRST_REGISTRATION + timedelta(
                    days=rng.randrange(REGISTRATION_DAYS), minutes=rng.randrange(600)
                )
                nationality = _weighted(rng, NATIONALITIES)
                household = Household.form(_applicant(rng, nationality, (18, 62), at, True))
                household.created_at = at
                roll = rng.random()
                if roll < 0.4:
                    household.add_member(
                        _applicant(rng, nationality, (18, 60), at, False), Relationship.SPOUSE
                    )
                if roll < 0.7:
                    for _ in range(rng.choice((0, 1, 1, 2))):
                        household.add_member(
                            _applicant(rng, nationality, (0, 17), at, False), Relationship.CHILD
                        )
                reference = new_reference()
                while reference in references:
                    reference = new_reference()
                references.add(reference)
                case = Case.open(reference=reference, household=household, office=at_office, now=at)
                if rng.random() < 0.35:
                    case.transition_to(
                        CaseStatus.PRE_SCREENED, actor_kind=ActorKind.STAFF,
                        now=min(at + timedelta(days=rng.randint(2, 40)), now),
                    )  # fmt: skip
                if rng.random() < 0.015:
                    case.specific_needs = [PRIORITY]
                    case.vulnerable = True
                    priority_cases += 1
                uow.session.add(case)
            uow.commit()

    with UnitOfWork(factory) as uow:
        at_office = uow.session.get(Office, office_id)
        assert at_office is not None
        window = open_window(
            uow, at_office, opens_at=now - timedelta(minutes=5), closes_at=now + timedelta(hours=6),
            slots_first=slots_first, slots_last=slots_last,
        )  # fmt: skip
        uow.commit()
        window_id = window.id
        case_ids = list(uow.session.scalars(select(Case.id).order_by(Case.id)))
    engine.dispose()
    return Seeded(office_id, window_id, case_ids, seats, len(slots), priority_cases,
                  time.perf_counter() - started)  # fmt: skip


# The server ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path


def start_server(env: dict[str, str], workers: int, folder: Path, app: str) -> Server:
    """uvicorn serving the application factory ``app`` (by default
    ``movilidad.web.app:create_app``, what ``movilidad serve`` runs) with its settings
    from the environment and its JSON request log to a file; waits for /healthz."""
    port = _free_port()
    log = folder / "server.log"
    command = [
        sys.executable, "-m", "uvicorn", app, "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--no-access-log", "--log-level", "warning", "--timeout-graceful-shutdown", "10",
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, env=env, cwd=folder, stdout=sink, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    server = Server(process, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the server exited ({process.returncode}): {log.read_text()[-2000:]}"
            )
        with (
            contextlib.suppress(OSError, ValueError, IndexError),
            socket.create_connection(("127.0.0.1", port), timeout=2) as probe,
        ):
            probe.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            if probe.recv(64).split()[1] == b"200":
                return server
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError("the server did not answer /healthz within 60 s")


def stop_server(server: Server) -> None:
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the group this script started
            process.wait()


def server_durations(log: Path) -> list[float]:
    """Server-side durations (ms) of the request route, from the JSON request log."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if '"request"' not in line or PATH not in line:
            continue
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if entry.get("event") == "request" and entry.get("route") == PATH:
                found.append(float(entry["duration_ms"]))
    return found


def server_errors(log: Path) -> Counter[str]:
    """The errors in the server's log, by exception and message."""
    found: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            if "Error" in line or "Exception" in line:
                found[line.strip()[:200]] += 1
            continue
        if not isinstance(entry, dict) or entry.get("level") != "error":
            continue
        lines = str(entry.get("exception", "")).splitlines()
        raised = [text for text in lines if text[:1].isalpha() and ":" in text]  # "X: message"
        found[f"{entry.get('event')}: {(raised or [''])[-1][:200]}"] += 1
    return found


# The burst -----------------------------------------------------------------------------


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # seconds, one per response
    statuses: Counter[int] = field(default_factory=Counter)
    done: Counter[str] = field(default_factory=Counter)
    answered: set[int] = field(default_factory=set)  # case ids with a non-5xx answer
    retries: int = 0  # same request (same key) sent again after a failed connection
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timed_out: bool = False


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, message: bytes
) -> tuple[int, dict[str, str]]:
    writer.write(message)
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed by the server")
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers


def build_requests(
    secret: bytes, port: int, jobs: list[tuple[int, str]], close: bool
) -> list[tuple[int, bytes]]:
    """One form post per (case id, idempotency key): the household's signed status
    cookie, a CSRF cookie and the same token in the form (double submit). ``close``:
    ask the server to close the connection after the answer."""
    built = []
    for case_id, key in jobs:
        csrf = secrets.token_urlsafe(32)
        body = f"{CSRF_FIELD}={csrf}&key={key}".encode()
        head = (
            f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Cookie: {STATUS_COOKIE}={session_token(secret, case_id)}; {CSRF_COOKIE}={csrf}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nAccept-Language: es\r\n"
            f"{'Connection: close' if close else 'Connection: keep-alive'}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        built.append((case_id, head.encode() + body))
    return built


async def burst(
    port: int, requests: list[tuple[int, bytes]], concurrency: int, timeout: float
) -> Outcome:
    """Send every request once (again only after a broken connection: the same bytes,
    so the same key), at most ``concurrency`` at a time, each worker on one connection
    until the server closes it."""
    outcome = Outcome()
    position = 0

    async def worker() -> None:
        nonlocal position
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while position < len(requests):
            case_id, message = requests[position]
            position += 1
            for attempt in range(MAX_ATTEMPTS):
                started = time.perf_counter()
                try:
                    if connection is None:
                        connection = await asyncio.open_connection("127.0.0.1", port)
                    status, headers = await asyncio.wait_for(
                        _exchange(*connection, message), timeout=30
                    )
                except (OSError, ConnectionError, asyncio.IncompleteReadError, TimeoutError,
                        ValueError, IndexError) as exc:  # fmt: skip
                    if connection is not None:
                        connection[1].close()
                        connection = None
                    if attempt + 1 == MAX_ATTEMPTS:
                        outcome.failures.append(f"case {case_id}: {type(exc).__name__} {exc}")
                    else:
                        outcome.retries += 1
                    continue
                outcome.latencies.append(time.perf_counter() - started)
                outcome.statuses[status] += 1
                location = headers.get("location", "")
                outcome.done[location.partition("done=")[2].partition("#")[0] or location] += 1
                if status < 500:
                    outcome.answered.add(case_id)
                if headers.get("connection", "").lower() == "close":
                    connection[1].close()
                    connection = None
                break
        if connection is not None:
            connection[1].close()

    started = time.perf_counter()
    tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=timeout)
    except TimeoutError:
        outcome.timed_out = True
    outcome.seconds = time.perf_counter() - started
    return outcome


# Checks --------------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def chi2_sf(statistic: float, df: int) -> float:
    """P(X ≥ statistic) for X ~ chi-square(df): the regularized upper incomplete gamma
    Q(df/2, statistic/2), by its series below a + 1 and its continued fraction above."""
    a, x = df / 2, statistic / 2
    if x <= 0:
        return 1.0
    front = math.exp(-x + a * math.log(x) - math.lgamma(a))
    if x < a + 1:
        term = total = 1 / a
        n = a
        while abs(term) > abs(total) * 1e-16:
            n += 1
            term *= x / n
            total += term
        return max(0.0, 1 - front * total)
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = 1 / (d if abs(d) > tiny else tiny)
        c = b + an / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        if abs(d * c - 1) < 1e-16:
            break
    return front * h


@dataclass
class ChiSquare:
    name: str
    observed: list[float]
    expected: list[float]

    @property
    def cells(self) -> list[tuple[float, float]]:
        return [(o, e) for o, e in zip(self.observed, self.expected, strict=True) if e > 0]

    @property
    def statistic(self) -> float:
        return sum((o - e) ** 2 / e for o, e in self.cells)

    @property
    def df(self) -> int:
        return max(1, len(self.cells) - 1)

    @property
    def p(self) -> float:
        return chi2_sf(self.statistic, self.df)

    @property
    def worst(self) -> float:
        """Largest relative deviation of a decile from its expected count."""
        return max((abs(o - e) / e for o, e in self.cells), default=0.0)


def _decile_counts(
    ordered: list[int], pool: set[int] | None, served: set[int], totals: list[float],
    expected: list[float],
) -> None:  # fmt: skip
    """Add this draw's served count per decile of ``ordered`` (restricted to ``pool``)
    to ``totals``, and what a fair draw would give to ``expected``."""
    members = ordered if pool is None else [r for r in ordered if r in pool]
    n = len(members)
    if not n:
        return
    hits = [0] * 10
    sizes = [0] * 10
    for position, request_id in enumerate(members):
        decile = position * 10 // n
        sizes[decile] += 1
        if request_id in served:
            hits[decile] += 1
    drawn = sum(hits)
    for d in range(10):
        totals[d] += hits[d]
        expected[d] += drawn * sizes[d] / n


def lottery_fairness(
    inputs: allocation.Inputs,
    placements: list[allocation.Placement],
    requested_at: dict[int, datetime],
    runs: int,
    rng: random.Random,
) -> tuple[list[ChiSquare], float]:
    """Chi-square tests (deciles, 9 degrees of freedom) that who is served does not
    depend on when or in which order the requests came.

    The run itself (every rule, one draw): served households by decile of request
    order and of request time. The longest-waiting and priority rules do not depend on
    arrival, so these must be even too. Then ``allocate`` again on the frozen inputs
    with ``runs`` fresh seeds: the lottery's own placements by decile of request
    order, request time and registration time, among the requests the earlier rules
    left to it (the rules decided by registration time or group are fixed, so only
    the lottery's part is a fresh draw each time)."""
    started = time.perf_counter()
    ids = [c.request_id for c in inputs.candidates]
    registered = {c.request_id: c.registered_at for c in inputs.candidates}
    orders = {
        "request order (id)": sorted(ids),
        "request time": sorted(ids, key=lambda r: (requested_at[r], r)),
        "registration time": sorted(ids, key=lambda r: (registered[r], r)),
    }
    tests = []
    served = {p.request_id for p in placements}
    for name in ("request order (id)", "request time"):
        observed, expected = [0.0] * 10, [0.0] * 10
        _decile_counts(orders[name], None, served, observed, expected)
        tests.append(ChiSquare(f"the run, all served, by {name}", observed, expected))
    totals = {name: ([0.0] * 10, [0.0] * 10) for name in orders}
    everyone = set(ids)
    for _ in range(runs):
        again = allocation.allocate(inputs, rng.randbytes(32).hex())
        lottery = {p.request_id for p in again if p.rule == allocation.LOTTERY}
        pool = everyone - {p.request_id for p in again if p.rule != allocation.LOTTERY}
        for name, ordered in orders.items():
            _decile_counts(ordered, pool, lottery, *totals[name])
    for name, (observed, expected) in totals.items():
        tests.append(ChiSquare(f"{runs} lotteries, lottery seats, by {name}", observed, expected))
    return tests, time.perf_counter() - started


# One database --------------------------------------------------------------------------


class Targets:
    """Prints ``ok`` / ``MISSED`` after a figure and remembers what was missed."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.missed: list[str] = []

    def check(self, ok: bool, what: str) -> str:
        if not ok:
            self.missed.append(f"{self.kind}: {what}")
        return "ok" if ok else "MISSED"


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
    return total


def _machine_ticks() -> tuple[int, int]:
    """(all, idle) CPU ticks of the machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return sum(values), values[3] + values[4]


def _postgres_activity(database: Database) -> tuple[int, int, dict[int, float]]:
    """(sessions opened, transactions committed, CPU seconds of each live backend) of
    the bench database on PostgreSQL; zeros on SQLite."""
    if database.kind != "postgresql":
        return 0, 0, {}
    import psycopg

    dsn = make_url(database.url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        sessions, commits = connection.execute(
            "SELECT sessions, xact_commit FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()  # type: ignore[misc]
        pids = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return int(sessions), int(commits), {pid: _cpu_seconds(pid) for (pid,) in pids}


def run_burst(
    kind: str, args: argparse.Namespace, folder: Path, database: Database, seeded: Seeded,
    secrets_: tuple[str, str], rng: random.Random, targets: Targets,
) -> int:  # fmt: skip
    """Serve, send the burst, stop; print the figures. Returns the households answered."""
    secret_key, data_key = secrets_
    # Arrival order is random; a share of households sends its form twice at once.
    jobs = [(case_id, secrets.token_urlsafe(24)) for case_id in seeded.case_ids]
    rng.shuffle(jobs)
    twice = set(rng.sample(range(len(jobs)), min(args.double_submits, len(jobs))))
    sent = [job for i, job in enumerate(jobs) for _ in range(2 if i in twice else 1)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVILIDAD_")}
    env.update({
        "MOVILIDAD_DATA_DIR": str(folder), "MOVILIDAD_DATABASE_URL": database.url,
        "MOVILIDAD_SECRET_KEY": secret_key, "MOVILIDAD_DATA_ENCRYPTION_KEY": data_key,
        "MOVILIDAD_LOG_LEVEL": "INFO", "MOVILIDAD_JOBS_BACKEND": "immediate",
    })  # fmt: skip
    workers = args.workers or 2  # two processes: measured faster on both databases
    server = start_server(env, workers, folder, args.app)
    load = os.getloadavg()[0]
    try:
        requests = build_requests(secret_key.encode(), server.port, sent, not args.keep_alive)
        before = (_machine_ticks(), _cpu_seconds(server.process.pid), time.process_time())
        database_before = _postgres_activity(database)
        outcome = asyncio.run(burst(server.port, requests, args.concurrency, args.timeout))
        after = (_machine_ticks(), _cpu_seconds(server.process.pid), time.process_time())
        database_after = _postgres_activity(database)
    finally:
        stop_server(server)

    latencies = sorted(outcome.latencies)
    fives = sum(n for status, n in outcome.statuses.items() if status >= 500)
    households = len(seeded.case_ids)
    answered = len(outcome.answered)
    print(
        f"server: uvicorn {args.app}, {workers} worker(s), 127.0.0.1:{server.port}; client: "
        f"asyncio, {args.concurrency} at a time, "
        f"{'keep-alive connections' if args.keep_alive else 'a connection per household'}"
        f", hard timeout {args.timeout:.0f} s"
    )
    print(
        f"burst: {len(sent):,} requests from {households:,} households ({len(twice)} of them "
        f"send the same form twice at once), {outcome.retries} resent after a broken "
        f"connection, {len(outcome.failures)} never answered"
        + (" — HARD TIMEOUT REACHED" if outcome.timed_out else "")
    )
    fast = outcome.seconds < BURST_TARGET_S and not outcome.timed_out
    print(
        f"burst time: {outcome.seconds:.1f} s, {len(latencies) / outcome.seconds:,.0f} "
        f"responses/s (target < {BURST_TARGET_S:.0f} s: {targets.check(fast, 'burst time')})"
    )
    print(
        "latency seen by the client: "
        + ", ".join(f"p{q} {percentile(latencies, q / 100) * 1000:,.0f} ms" for q in (50, 95, 99))
        + f", max {(latencies[-1] if latencies else math.nan) * 1000:,.0f} ms"
    )
    in_app = sorted(server_durations(server.log))
    if in_app:
        print(
            "time in the app (its request log): "
            + ", ".join(f"p{q} {percentile(in_app, q / 100):,.1f} ms" for q in (50, 95, 99))
            + f"; {len(in_app):,} requests logged"
        )
    (total_0, idle_0), server_0, client_0 = before
    (total_1, idle_1), server_1, client_1 = after
    busy = (1 - (idle_1 - idle_0) / max(1, total_1 - total_0)) * (os.cpu_count() or 1)
    on_server = (server_1 - server_0) / outcome.seconds
    on_client = (client_1 - client_0) / outcome.seconds
    print(
        f"CPU during the burst: {busy:.2f} of {os.cpu_count()} cores busy — server "
        f"{on_server:.2f}, client {on_client:.2f}, the rest (database server, other "
        f"processes) {busy - on_server - on_client:.2f}; server CPU per response "
        f"{(server_1 - server_0) * 1000 / max(1, len(latencies)):.1f} ms; load average "
        f"before the burst {load:.1f}"
    )
    if database.kind == "postgresql":
        backends = sum(
            cpu - database_before[2].get(pid, 0.0) for pid, cpu in database_after[2].items()
        )
        print(
            f"PostgreSQL during the burst: {database_after[0] - database_before[0]:,} sessions "
            f"opened, {database_after[1] - database_before[1]:,} transactions committed, its "
            f"backends still connected at the end used {backends / outcome.seconds:.2f} cores"
        )
    print(
        "responses by status: "
        + ", ".join(f"{s}: {n:,}" for s, n in sorted(outcome.statuses.items()))
        + "; by outcome (?done=): "
        + ", ".join(f"{d or '-'}: {n:,}" for d, n in outcome.done.most_common())
    )
    print(f"5xx responses: {fives:,} (target 0: {targets.check(fives == 0, '5xx responses')})")
    print(
        f"households answered: {answered:,} of {households:,} "
        f"({targets.check(answered == households, 'every household answered')})"
    )
    for failure in outcome.failures[:5]:
        print(f"  not answered: {failure}")
    for line, n in server_errors(server.log).most_common(5):
        print(f"  server log, {n:,} times: {line}")
    return answered


def check_requests(factory: sessionmaker[Session], seeded: Seeded, targets: Targets) -> int:
    """One waiting request per household in the database. Returns how many wait."""
    households = len(seeded.case_ids)
    with UnitOfWork(factory) as uow:
        session = uow.session
        rows = session.scalar(select(func.count()).select_from(AppointmentRequest)) or 0
        waiting = session.scalar(
            select(func.count(AppointmentRequest.case_id.distinct())).where(
                AppointmentRequest.status == RequestStatus.WAITING,
                AppointmentRequest.window_id == seeded.window_id,
            )
        ) or 0  # fmt: skip
        repeated = session.scalar(
            select(func.count()).select_from(
                select(AppointmentRequest.case_id).group_by(AppointmentRequest.case_id)
                .having(func.count() > 1).subquery()
            )
        )  # fmt: skip
    ok = rows == waiting == households and not repeated
    print(
        f"requests in the database: {rows:,} rows, {waiting:,} households waiting, "
        f"{repeated} households with more than one (target {households:,} / {households:,} "
        f"/ 0: {targets.check(ok, 'one waiting request per household')})"
    )
    return waiting


def allocate_and_check(
    factory: sessionmaker[Session], seeded: Seeded, waiting: int, targets: Targets
) -> tuple[allocation.Inputs, list[allocation.Placement], dict[int, datetime]]:
    """Close the window, run the allocation (timed), check the offers and the replay.
    Returns the run's inputs and placements and each request's time."""
    with UnitOfWork(factory) as uow:
        started = time.perf_counter()
        window = uow.session.get(RequestWindow, seeded.window_id)
        assert window is not None
        now = utcnow()
        close_window_now(uow, window, now)
        run = run_allocation(uow, None, window, now)
        uow.commit()
        seconds = time.perf_counter() - started
        run_id, report = run.id, cast(dict[str, Any], run.report)
        inputs = allocation.Inputs.from_json(run.inputs)
        placements = [
            allocation.Placement(int(r["request"]), int(r["slot"]), int(r["seat"]), str(r["rule"]))
            for r in cast(list[dict[str, Any]], run.result)
        ]
    fast = seconds < ALLOCATION_TARGET_S
    print(
        f"allocation run: {seconds:.2f} s for {report['requests']:,} requests and "
        f"{report['seats']:,} seats, offers and their notifications included (target < "
        f"{ALLOCATION_TARGET_S:.0f} s: {targets.check(fast, 'allocation time')}); by rule: "
        + ", ".join(f"{rule} {n}" for rule, n in report["by_rule"].items())
    )
    with UnitOfWork(factory) as uow:
        session = uow.session
        holding = Appointment.status.in_(HOLDING)

        def count(query: Select[Any]) -> int:
            return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)

        offered = Appointment.status == AppointmentStatus.OFFERED
        offers = count(select(Appointment.id).where(Appointment.run_id == run_id, offered))
        seat_twice = count(
            select(Appointment.slot_id).where(holding)
            .group_by(Appointment.slot_id, Appointment.seat).having(func.count() > 1)
        )  # fmt: skip
        over_capacity = count(
            select(Appointment.slot_id).join(Slot).where(holding)
            .group_by(Appointment.slot_id, Slot.capacity).having(func.count() > Slot.capacity)
        )  # fmt: skip
        outside = count(select(Appointment.id).join(Slot).where(
            holding, (Appointment.seat < 0) | (Appointment.seat >= Slot.capacity)))  # fmt: skip
        case_twice = count(
            select(Appointment.case_id).where(holding).group_by(Appointment.case_id)
            .having(func.count() > 1)
        )  # fmt: skip
        mismatched = count(
            select(Appointment.id)
            .join(AppointmentRequest, AppointmentRequest.id == Appointment.request_id)
            .where(Appointment.run_id == run_id,
                   (AppointmentRequest.case_id != Appointment.case_id)
                   | (AppointmentRequest.status != RequestStatus.ALLOCATED))
        )  # fmt: skip
        replayed = replay(uow, run_id)
        requested_at: dict[int, datetime] = {
            request_id: at
            for request_id, at in session.execute(
                select(AppointmentRequest.id, AppointmentRequest.requested_at)
            )
        }
    want = min(seeded.seats, waiting)
    print(
        f"offers: {offers:,} (target min(seats, requests) = {want:,}: "
        f"{targets.check(offers == want, 'number of offers')})"
    )
    clean = seat_twice == over_capacity == outside == case_twice == mismatched == 0
    print(
        f"double booking: {seat_twice} seats held twice, {over_capacity} slots over "
        f"capacity, {outside} seats outside their slot, {case_twice} households holding "
        f"two, {mismatched} offers not matching their request (target 0: "
        f"{targets.check(clean, 'no double booking')})"
    )
    same = replayed is not None and replayed.same
    checks = replayed.checks if replayed is not None else "run not found"
    print(f"replay of run {run_id}: {checks} ({targets.check(same, 'replay matches')})")
    return inputs, placements, requested_at


def bench_database(kind: str, args: argparse.Namespace) -> list[str]:
    """Run the whole benchmark on one database; returns the targets missed."""
    targets = Targets(kind)
    rng = random.Random(args.rng_seed)
    with (
        tempfile.TemporaryDirectory(prefix="movilidad-burst-") as tmp,
        fresh_database(kind, Path(tmp), args.postgres_url) as database,
    ):
        folder = Path(tmp)
        secret_key, data_key = secrets.token_urlsafe(48), generate_data_key()
        configure_cipher(
            load_settings(data_dir=folder, database_url=database.url, secret_key=secret_key,
                          data_encryption_key=data_key).data_key_bytes()
        )  # fmt: skip
        print(f"\n== {kind} {database.version} ==")
        migrate.upgrade(database.url)
        seeded = seed(database.url, args.households, args.seats, args.capacity, rng)
        print(
            f"setup (not timed): {len(seeded.case_ids):,} households ({seeded.priority_cases} "
            f"in the priority group), {seeded.slots} slots = {seeded.seats:,} seats, an open "
            f"window; {seeded.seconds:.0f} s"
        )
        run_burst(kind, args, folder, database, seeded, (secret_key, data_key), rng, targets)
        engine = make_engine(database.url)
        try:
            factory = make_session_factory(engine)
            waiting = check_requests(factory, seeded, targets)
            inputs, placements, requested_at = allocate_and_check(factory, seeded, waiting, targets)
        finally:
            engine.dispose()
        tests, seconds = lottery_fairness(inputs, placements, requested_at, args.lottery_runs, rng)
        print(
            f"fairness (chi-square over deciles, alpha {ALPHA} each; the lottery repeated "
            f"with {args.lottery_runs} other seeds on the frozen inputs in {seconds:.1f} s):"
        )
        for test in tests:
            fair = test.p >= ALPHA
            print(
                f"  {test.name:<52} chi2 {test.statistic:6.2f}, df {test.df}, p {test.p:.3f}, "
                f"largest decile deviation {test.worst:5.1%} "
                f"({targets.check(fair, f'no bias, {test.name}')})"
            )
    return targets.missed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--seats", type=int, default=1000)
    parser.add_argument("--capacity", type=int, default=4, help="seats per slot")
    parser.add_argument("--concurrency", type=int, default=256, help="client connections")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="uvicorn worker processes (default 2)",
    )
    parser.add_argument(
        "--keep-alive", action="store_true",
        help="reuse connections (default: a new connection for every household)",
    )  # fmt: skip
    parser.add_argument("--timeout", type=float, default=300, help="hard limit of the burst (s)")
    parser.add_argument(
        "--app",
        default="movilidad.web.app:create_app",
        help="application factory to serve (to measure a patch)",
    )
    parser.add_argument(
        "--double-submits", type=int, default=200,
        help="households that send their form twice at once (same key)",
    )  # fmt: skip
    parser.add_argument("--lottery-runs", type=int, default=200)
    parser.add_argument("--rng-seed", type=int, default=6)
    parser.add_argument(
        "--postgres-url", default=os.environ.get(
            "MOVILIDAD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ), help="server to create (and drop) a scratch database on",
    )  # fmt: skip
    args = parser.parse_args()
    print(describe())
    print(
        f"target: {args.households:,} households request at once, {args.seats:,} seats; burst "
        f"< {BURST_TARGET_S:.0f} s, 0 5xx, all answered, one request each; allocation < "
        f"{ALLOCATION_TARGET_S:.0f} s, no double booking, replay matches; lottery unbiased"
    )
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    missed: list[str] = []
    for kind in kinds:
        try:
            missed += bench_database(kind, args)
        except DatabaseUnavailable as exc:
            print(f"\n== {kind} ==\ncannot reach PostgreSQL ({exc}); start it (scripts/"
                  "ensure-postgres.sh), pass --postgres-url, or run --database sqlite")  # fmt: skip
            missed.append(f"{kind}: not run (no server)")
    if missed:
        print("\ntargets missed: " + "; ".join(missed))
        sys.exit(1)
    print("\nall targets met")


if __name__ == "__main__":
    main()
