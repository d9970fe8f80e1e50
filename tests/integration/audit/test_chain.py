from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from movilidad.audit.chain import verify_chain
from movilidad.audit.services import record_event
from movilidad.db.uow import UnitOfWork
from movilidad.kernel.actors import ActorKind
from tests.conftest import TEST_DATA_KEY
from tests.functional.test_cli import run_cli


def _record(uow: UnitOfWork, n: int) -> None:
    for i in range(n):
        record_event(
            uow.session, action="case.view", object_type="case", object_id=100 + i,
            actor_kind=ActorKind.STAFF, detail={"purpose": "casework", "i": i},
        )  # fmt: skip
        uow.session.flush()
    uow.commit()


def test_events_form_an_intact_chain(uow: UnitOfWork) -> None:
    _record(uow, 5)
    report = verify_chain(uow.session)
    assert report.ok
    assert report.events >= 5


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("UPDATE audit_events SET detail = '{\"purpose\": \"curiosity\", \"i\": 2}' "
         "WHERE object_id = '102'", "altered"),
        ("UPDATE audit_events SET action = 'case.list' WHERE object_id = '103'", "altered"),
        ("DELETE FROM audit_events WHERE object_id = '102'", "missing or out of order"),
        ("DELETE FROM audit_events WHERE object_id = '104'", "removed"),
        ("UPDATE audit_events SET occurred_at = occurred_at WHERE object_id = '101'", None),
    ],
)  # fmt: skip
def test_tampering_is_detected_and_named(
    uow: UnitOfWork, connection: Connection, tamper: str, reason: str | None
) -> None:
    _record(uow, 5)
    first = connection.execute(
        text("SELECT MIN(sequence) FROM audit_events WHERE object_id = '100'")
    ).scalar_one()
    connection.execute(text(tamper))
    uow.session.expunge_all()
    report = verify_chain(uow.session)
    if reason is None:
        assert report.ok  # rewriting the same value changes nothing
        return
    assert not report.ok
    assert reason in report.reason
    assert report.first_bad_sequence is not None
    assert report.first_bad_sequence >= first


def test_reordering_is_detected(uow: UnitOfWork, connection: Connection) -> None:
    _record(uow, 4)
    connection.execute(text("UPDATE audit_events SET sequence = -1 WHERE object_id = '101'"))
    connection.execute(
        text("UPDATE audit_events SET sequence = sequence - 1 WHERE object_id = '102'")
    )
    connection.execute(
        text(
            "UPDATE audit_events SET sequence = (SELECT sequence + 1 FROM audit_events "
            "WHERE object_id = '102') WHERE object_id = '101'"
        )
    )
    uow.session.expunge_all()
    assert not verify_chain(uow.session).ok


def test_audit_verify_command_names_the_first_bad_event(tmp_path: Path) -> None:
    env = {"MOVILIDAD_DATA_DIR": str(tmp_path), "MOVILIDAD_DATA_ENCRYPTION_KEY": TEST_DATA_KEY}
    assert run_cli("db", "upgrade", env=env).returncode == 0
    for name in ("ana.one", "ana.two", "ana.three"):
        created = run_cli(
            "users", "create", "--username", name, "--full-name", name, "--email",
            f"{name}@agency.example", "--role", "caseworker", "--password-stdin",
            env=env, stdin="a long enough passphrase\n",
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
    assert run_cli("audit", "verify", env=env).returncode == 0
    import sqlite3

    with sqlite3.connect(tmp_path / "movilidad.sqlite3") as db:
        db.execute("UPDATE audit_events SET detail = '{}' WHERE sequence = 2")
    result = run_cli("audit", "verify", env=env)
    assert result.returncode == 1
    assert "event 2 was altered" in result.stderr


def test_concurrent_writers_never_fork_the_chain(engine: object) -> None:
    """Eight threads, each committing ten events in its own transaction, on the real
    database (committed, not rolled back): every sequence number is used once."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import select

    from movilidad.audit.models import AuditEvent
    from movilidad.db.engine import make_session_factory

    factory = make_session_factory(engine)  # type: ignore[arg-type]

    def writer(worker: int) -> None:
        for i in range(10):
            with UnitOfWork(factory) as unit:
                record_event(
                    unit.session, action="test.concurrent", object_type="test",
                    object_id=f"{worker}-{i}", actor_kind=ActorKind.SYSTEM,
                )  # fmt: skip
                unit.commit()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(writer, range(8)))
    with UnitOfWork(factory) as unit:
        report = verify_chain(unit.session)
        mine = unit.session.scalars(
            select(AuditEvent.sequence).where(AuditEvent.action == "test.concurrent")
        ).all()
    assert report.ok, report.reason
    assert len(mine) == len(set(mine)) == 80
