from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from movilidad.config import JobsBackend, Settings
from movilidad.db.uow import UnitOfWork
from movilidad.jobs.models import JobFailure
from movilidad.jobs.queue import JobContext, JobQueue
from movilidad.jobs.registry import job
from movilidad.offices.repository import OfficeRepository
from tests.factories import make_office

seen: list[str] = []


@job("tests.note_office", retries=2, retry_delay=1, retry_backoff=2)
def note_office(ctx: JobContext, office_code: str) -> None:
    with ctx.unit_of_work() as uow:
        office = OfficeRepository(uow.session).get_office_by_code(office_code)
        seen.append(office.city if office else "missing")
        uow.commit()


@job("tests.always_fails", retries=2, retry_delay=30, retry_backoff=2)
def always_fails(ctx: JobContext) -> None:
    raise RuntimeError("planned failure")


@pytest.fixture(autouse=True)
def _clear() -> None:
    seen.clear()


def _queue(settings: Settings, factory: sessionmaker[Session], backend: JobsBackend) -> JobQueue:
    return JobQueue(settings.model_copy(update={"jobs_backend": backend}), factory)


def test_a_job_queued_in_a_request_runs_after_commit_and_sees_the_data(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    queue = _queue(settings, session_factory, JobsBackend.IMMEDIATE)
    with UnitOfWork(session_factory) as uow:
        uow.session.add(make_office(code="test-jobs", city="Tacna"))
        queue.send_after_commit(uow, "tests.note_office", "test-jobs")
        assert seen == []
        uow.commit()
    assert seen == ["Tacna"]


def test_a_rolled_back_request_sends_nothing(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    queue = _queue(settings, session_factory, JobsBackend.IMMEDIATE)
    with UnitOfWork(session_factory) as uow:
        uow.session.add(make_office(code="test-jobs-2"))
        queue.send_after_commit(uow, "tests.note_office", "test-jobs-2")
    assert seen == []


def test_unknown_job_names_are_refused(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    queue = _queue(settings, session_factory, JobsBackend.IMMEDIATE)
    with UnitOfWork(session_factory) as uow, pytest.raises(KeyError):
        queue.send_after_commit(uow, "tests.no_such_job")


def test_sqlite_queue_holds_jobs_for_a_worker(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    queue = _queue(settings, session_factory, JobsBackend.SQLITE)
    with UnitOfWork(session_factory) as uow:
        uow.session.add(make_office(code="test-jobs-3", city="Puno"))
        uow.commit()
    queue.send("tests.note_office", "test-jobs-3")
    assert Path(settings.data_dir / "jobs.sqlite3").exists()
    assert seen == []  # nothing runs until a worker takes it
    assert queue.huey.pending_count() == 1
    queue.huey.execute(queue.huey.dequeue())
    assert seen == ["Puno"]


def test_failures_are_recorded_and_retried_with_back_off(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    queue = _queue(settings, session_factory, JobsBackend.SQLITE)
    queue.send("tests.always_fails")
    started = time.time()
    queue.huey.execute(queue.huey.dequeue())
    (retry,) = queue.huey.scheduled()
    first_delay = retry.eta.timestamp() - started
    assert 25 <= first_delay <= 35  # about retry_delay (30 s)
    delays = [retry.retry_delay]
    while queue.huey.scheduled():
        (due,) = queue.huey.read_schedule(queue.huey.scheduled()[0].eta)
        queue.huey.execute(due, timestamp=due.eta)
        delays.append(due.retry_delay)
    # the first retry waited 30 s (above); each later wait doubles (retry_backoff=2)
    assert delays[:2] == [60, 120]

    with session_factory() as session:
        failures = session.scalars(
            select(JobFailure).where(JobFailure.job_name == "tests.always_fails")
        ).all()
    assert [f.retries_left for f in failures] == [2, 1, 0]
    assert [f.final for f in failures] == [False, False, True]
    assert all("RuntimeError: planned failure" in f.error for f in failures)
