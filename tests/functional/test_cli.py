"""The command line as an operator uses it: real processes, real exit codes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import TEST_DATA_KEY


def run_cli(
    *args: str, env: dict[str, str] | None = None, stdin: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MOVILIDAD_")}
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "movilidad", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=base,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def _one_clear_line(result: subprocess.CompletedProcess[str], setting: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert setting in lines[0]


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"MOVILIDAD_DATABASE_URL": "oracle://scott@tiger/db"}, "MOVILIDAD_DATABASE_URL"),
        ({"MOVILIDAD_DATABASE_URL": "not a url at all"}, "MOVILIDAD_DATABASE_URL"),
        (
            {"MOVILIDAD_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
            "MOVILIDAD_DATABASE_URL",
        ),
        ({"MOVILIDAD_ENV": "production"}, "MOVILIDAD_SECRET_KEY"),
        ({"MOVILIDAD_ENV": "staging"}, "MOVILIDAD_ENV"),
        ({"MOVILIDAD_DEFAULT_LANGUAGE": "de"}, "MOVILIDAD_DEFAULT_LANGUAGE"),
        ({"MOVILIDAD_DATA_ENCRYPTION_KEY": "abc"}, "MOVILIDAD_DATA_ENCRYPTION_KEY"),
    ],
)
def test_bad_configuration_stops_start_up_with_one_line(
    tmp_path: Path, env: dict[str, str], setting: str
) -> None:
    for command in (["serve", "--port", "8599"], ["db", "upgrade"]):
        result = run_cli(*command, env={"MOVILIDAD_DATA_DIR": str(tmp_path), **env})
        _one_clear_line(result, setting)


def test_upgrade_then_check_on_the_test_database(tmp_path: Path, database_url: str) -> None:
    env = {"MOVILIDAD_DATABASE_URL": database_url, "MOVILIDAD_DATA_DIR": str(tmp_path)}
    assert run_cli("db", "upgrade", env=env).returncode == 0
    result = run_cli("db", "check", env=env)
    assert result.returncode == 0, result.stderr
    assert "match" in result.stdout


def test_users_create_reads_the_password_from_stdin(tmp_path: Path) -> None:
    env = {
        "MOVILIDAD_DATA_DIR": str(tmp_path),
        "MOVILIDAD_DATA_ENCRYPTION_KEY": TEST_DATA_KEY,
    }
    assert run_cli("db", "upgrade", env=env).returncode == 0
    args = [
        "users", "create", "--username", "lucia.admin", "--full-name", "Lucía Admin",
        "--email", "lucia@agency.example", "--role", "administrator", "--password-stdin",
    ]  # fmt: skip
    created = run_cli(*args, env=env, stdin="a long enough passphrase\n")
    assert created.returncode == 0, created.stderr
    assert "Created lucia.admin" in created.stdout
    again = run_cli(*args, env=env, stdin="a long enough passphrase\n")
    assert again.returncode == 1
    assert "taken" in again.stderr
    assert "Traceback" not in again.stderr
    weak = run_cli(*[a if a != "lucia.admin" else "other" for a in args], env=env, stdin="x\n")
    assert weak.returncode == 1
    assert "12 characters" in weak.stderr


def test_worker_refuses_the_immediate_backend(tmp_path: Path) -> None:
    result = run_cli("worker", env={"MOVILIDAD_DATA_DIR": str(tmp_path)})
    _one_clear_line(result, "MOVILIDAD_JOBS_BACKEND")


def test_worker_runs_on_the_sqlite_queue_until_interrupted(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVILIDAD_")}
    env.update({"MOVILIDAD_DATA_DIR": str(tmp_path), "MOVILIDAD_JOBS_BACKEND": "sqlite"})
    assert run_cli("db", "upgrade", env=env).returncode == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "movilidad", "worker", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    started = threading.Event()
    lines: list[str] = []

    def watch() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if "consumer started" in line.lower():
                started.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        assert started.wait(timeout=30), "".join(lines)
        assert (tmp_path / "jobs.sqlite3").exists()
        assert process.poll() is None  # running, waiting for jobs
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        watcher.join(timeout=5)
        stderr = "".join(lines)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()
    assert process.returncode == 0, stderr


def test_demo_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("demo", "--port", str(port), "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert f"127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_jobs_failures_lists_an_empty_table(tmp_path: Path) -> None:
    env = {"MOVILIDAD_DATA_DIR": str(tmp_path)}
    assert run_cli("db", "upgrade", env=env).returncode == 0
    result = run_cli("jobs", "failures", env=env)
    assert result.returncode == 0
    assert "Failed job attempts (0)" in result.stdout


def test_keys_rotate_moves_the_data_to_a_new_key_file(tmp_path: Path) -> None:
    env = {"MOVILIDAD_DATA_DIR": str(tmp_path)}
    assert run_cli("db", "upgrade", env=env).returncode == 0
    created = run_cli(
        "users", "create", "--username", "ana", "--full-name", "Ana", "--email", "a@t.example",
        "--role", "administrator", "--password-stdin", env=env,
        stdin="a long enough passphrase\n",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    key_file = tmp_path / "data_encryption_key"
    before = key_file.read_text()
    rotated = run_cli("keys", "rotate", env=env)
    assert rotated.returncode == 0, rotated.stderr
    assert "identity_keys (rebuilt)" in rotated.stdout
    assert key_file.read_text() != before
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert not (tmp_path / "data_encryption_key.new").exists()
    assert run_cli("audit", "verify", env=env).returncode == 0
    from_env = {**env, "MOVILIDAD_DATA_ENCRYPTION_KEY": key_file.read_text().strip()}
    with_env_key = run_cli("keys", "rotate", env=from_env)
    assert with_env_key.returncode == 2
    assert "--output" in with_env_key.stderr


def test_appointments_publish_needs_a_known_office_and_a_real_date(tmp_path: Path) -> None:
    env = {"MOVILIDAD_DATA_DIR": str(tmp_path)}
    assert run_cli("db", "upgrade", env=env).returncode == 0
    unknown = run_cli("appointments", "publish", "--office", "nowhere", env=env)
    assert unknown.returncode == 2
    assert "no office 'nowhere'" in unknown.stderr
    bad_date = run_cli("appointments", "publish", "--office", "x", "--start", "2026-02-30",
                       env=env)  # fmt: skip
    assert bad_date.returncode == 2
    assert "--start" in bad_date.stderr


def test_appointments_replay_confirms_a_run_and_catches_a_changed_one(tmp_path: Path) -> None:
    from datetime import UTC, date, datetime, timedelta

    from movilidad.appointments.models import AllocationRun, BookingMode, InterviewMode, Slot
    from movilidad.appointments.windows import (
        open_window,
        request_appointment,
        run_allocation,
        set_policy,
    )
    from movilidad.cases.services import open_case
    from movilidad.config import load_settings
    from movilidad.db.engine import make_engine, make_session_factory
    from movilidad.db.uow import UnitOfWork
    from movilidad.households.models import Household
    from tests.factories import make_applicant, make_office

    env = {"MOVILIDAD_DATA_DIR": str(tmp_path), "MOVILIDAD_DATA_ENCRYPTION_KEY": TEST_DATA_KEY}
    assert run_cli("db", "upgrade", env=env).returncode == 0
    url = load_settings(data_dir=tmp_path, data_encryption_key=TEST_DATA_KEY).effective_database_url
    engine = make_engine(url)
    opens = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            office = make_office(code="t-cli", country="COL", time_zone="America/Bogota")
            uow.session.add(office)
            uow.session.flush()
            set_policy(uow, office, mode=BookingMode.REQUEST_WINDOW)
            uow.session.add_all(
                Slot(office_id=office.id, starts_at=opens + timedelta(days=6, minutes=30 * n),
                     ends_at=opens + timedelta(days=6, minutes=30 * n + 30), capacity=2,
                     mode=InterviewMode.IN_PERSON, languages=["es"])
                for n in range(3)
            )  # fmt: skip
            window = open_window(
                uow, office, opens_at=opens, closes_at=opens + timedelta(days=1),
                slots_first=date(2026, 12, 7), slots_last=date(2026, 12, 8),
            )  # fmt: skip
            for n in range(10):
                case = open_case(uow, household=Household.form(make_applicant()), office=office)
                uow.session.flush()
                request_appointment(uow, case, key=f"k{n}", now=opens + timedelta(minutes=n))
            run = run_allocation(uow, None, window, opens + timedelta(days=1))
            uow.commit()
            run_id = run.id
        same = run_cli("appointments", "replay", str(run_id), env=env)
        assert same.returncode == 0, same.stderr
        assert "replays to the same result (6 offers)" in same.stdout
        with UnitOfWork(make_session_factory(engine)) as uow:
            stored = uow.session.get(AllocationRun, run_id)
            assert stored is not None
            stored.result = list(reversed(stored.result))  # someone edits the record
            uow.commit()
        changed = run_cli("appointments", "replay", str(run_id), env=env)
        assert changed.returncode == 1
        assert "result         DIFFERENT" in changed.stdout
        missing = run_cli("appointments", "replay", "999", env=env)
        assert missing.returncode == 1
        assert "no allocation run 999" in missing.stderr
    finally:
        engine.dispose()


def test_dedupe_run_stores_the_pairs_and_leaves_them_alone_the_second_time(
    tmp_path: Path,
) -> None:
    import json
    from datetime import date

    from movilidad.cases.services import open_case
    from movilidad.config import load_settings
    from movilidad.db.engine import make_engine, make_session_factory
    from movilidad.db.uow import UnitOfWork
    from movilidad.households.models import Household
    from tests.factories import make_applicant, make_office

    env = {"MOVILIDAD_DATA_DIR": str(tmp_path), "MOVILIDAD_DATA_ENCRYPTION_KEY": TEST_DATA_KEY}
    assert run_cli("db", "upgrade", env=env).returncode == 0
    url = load_settings(data_dir=tmp_path, data_encryption_key=TEST_DATA_KEY).effective_database_url
    engine = make_engine(url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            office = make_office(code="t-dedupe")
            uow.session.add(office)
            for given, second in (("Yorgelis", "Quintero"), ("Yorgelis Maria", None)):
                person = make_applicant(
                    given_names=given, first_surname="Añez", second_surname=second,
                    date_of_birth=date(1990, 5, 4),
                )  # fmt: skip
                open_case(uow, household=Household.form(person), office=office)
            uow.commit()
    finally:
        engine.dispose()
    reindexed = run_cli("dedupe", "reindex", env=env)
    assert reindexed.returncode == 0, reindexed.stderr
    assert "2 people" in reindexed.stdout
    first = run_cli("dedupe", "run", env=env)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["records"] == 2
    assert report["written"] == 1
    again = json.loads(run_cli("dedupe", "run", env=env).stdout)
    assert again["written"] == 0
    assert again["unchanged"] == 1
    too_few = run_cli("dedupe", "train", "--from-registry", "--output",
                      str(tmp_path / "model.json"), env=env)  # fmt: skip
    assert too_few.returncode == 1
    assert "the registry holds 2 people; training needs at least 1000" in too_few.stdout
    assert not (tmp_path / "model.json").exists()
