"""The job queue: builds a huey instance for the configured backend and sends jobs.

* ``immediate``: the job runs in the calling process right after the commit that
  queued it (development, tests, a single-process demo).
* ``sqlite``: jobs go to ``<data_dir>/jobs.sqlite3``; ``movilidad worker`` runs them.
* ``redis``: jobs go to Redis at ``MOVILIDAD_REDIS_URL``; run one or more workers.

Every failed attempt is recorded in the ``job_failures`` table (``movilidad jobs
failures`` lists them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab, signals
from sqlalchemy.orm import Session, sessionmaker

from movilidad.config import JobsBackend, Settings
from movilidad.db.uow import UnitOfWork
from movilidad.jobs.models import JobFailure
from movilidad.jobs.registry import JobSpec, registered_jobs

log = logging.getLogger(__name__)

_MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class JobContext:
    """What a job body receives: settings and a way to open a unit of work."""

    settings: Settings
    session_factory: sessionmaker[Session]

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)


def _make_huey(settings: Settings) -> Huey:
    if settings.jobs_backend is JobsBackend.SQLITE:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(
            name="movilidad", filename=str(settings.data_dir / "jobs.sqlite3"), results=False
        )
    if settings.jobs_backend is JobsBackend.REDIS:
        return RedisHuey(name="movilidad", url=settings.redis_url, results=False)
    return MemoryHuey(name="movilidad", immediate=True, results=False)


class JobQueue:
    """Sends registered jobs to the configured backend."""

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session]) -> None:
        self.context = JobContext(settings, session_factory)
        self.huey = _make_huey(settings)
        self._tasks: dict[str, Any] = {}
        for spec in registered_jobs().values():
            self._tasks[spec.name] = self._register(spec)
        self.huey.signal(signals.SIGNAL_ERROR)(self._record_failure)

    def _register(self, spec: JobSpec) -> Any:
        context = self.context

        def run(*args: Any) -> Any:
            return spec.body(context, *args)

        run.__name__ = spec.name.replace(".", "_")
        if spec.schedule is not None:
            minute, hour, day, month, weekday = spec.schedule.split()
            self.huey.periodic_task(
                crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=weekday),
                retries=spec.retries,
                retry_delay=spec.retry_delay,
                name=f"{spec.name}.periodic",
            )(lambda: spec.body(context))
        return self.huey.task(
            retries=spec.retries,
            retry_delay=spec.retry_delay,
            retry_backoff=spec.retry_backoff,
            name=spec.name,
        )(run)

    def _record_failure(self, _signal: str, task: Any, exc: BaseException | None = None) -> None:
        error = f"{type(exc).__name__}: {exc}" if exc is not None else "unknown error"
        try:
            with self.context.unit_of_work() as uow:
                uow.session.add(
                    JobFailure(
                        task_id=str(task.id),
                        job_name=str(task.name),
                        error=error[:_MAX_ERROR_CHARS],
                        retries_left=int(task.retries),
                        final=int(task.retries) == 0,
                    )
                )
                uow.commit()
        except Exception:  # the failure log must never break the worker
            log.exception("could not record the failure of job %s", task.name)

    @property
    def job_names(self) -> list[str]:
        return sorted(self._tasks)

    def send(self, name: str, *args: Any) -> None:
        """Queue job ``name`` now (or run it, in immediate mode). Raises ``KeyError``
        for an unknown job."""
        self._tasks[name](*args)

    def send_after_commit(self, uow: UnitOfWork, name: str, *args: Any) -> None:
        """Queue job ``name`` once ``uow`` commits; nothing is sent if it rolls back."""
        if name not in self._tasks:
            raise KeyError(name)
        uow.after_commit(lambda: self.send(name, *args))

    def run_worker(self, workers: int = 2) -> None:
        """Run a huey consumer in this process until interrupted (SIGINT/SIGTERM)."""
        consumer = self.huey.create_consumer(workers=workers, worker_type="thread")
        try:
            consumer.run()
        except KeyboardInterrupt:  # interrupted before huey installed its handlers
            log.info("worker stopped before it started")
