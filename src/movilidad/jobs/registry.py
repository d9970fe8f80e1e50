"""Declaring jobs.

A job is a function ``job_body(ctx: JobContext, *args)`` decorated with :func:`job`.
Arguments must be JSON-like values (ids, codes), never personal data: they are stored
in the queue in clear. The body opens its own unit of work with ``ctx.unit_of_work()``
and commits it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

JobBody = Callable[..., Any]


@dataclass(frozen=True)
class JobSpec:
    name: str
    body: JobBody
    retries: int
    retry_delay: float  # seconds before the first retry
    retry_backoff: float  # each later delay is multiplied by this
    schedule: str | None = None  # crontab "minute hour day month weekday", UTC


_REGISTRY: dict[str, JobSpec] = {}

#: Modules whose import registers the product's jobs (each context's ``tasks``).
JOB_MODULES: tuple[str, ...] = (
    "movilidad.screening.tasks",
    "movilidad.precheck.tasks",
    "movilidad.notifications.tasks",
    "movilidad.appointments.tasks",
)


def job(
    name: str,
    *,
    retries: int = 5,
    retry_delay: float = 10.0,
    retry_backoff: float = 2.0,
    schedule: str | None = None,
) -> Callable[[JobBody], JobBody]:
    """Register ``body`` as the job ``name``; retried ``retries`` times with exponential
    back-off (10 s, 20 s, 40 s… by default). With ``schedule`` (crontab fields
    ``"minute hour day month weekday"`` in UTC) workers also run it periodically,
    without arguments."""
    if schedule is not None and len(schedule.split()) != 5:
        raise ValueError(f"job {name!r}: a schedule has five crontab fields")

    def register(body: JobBody) -> JobBody:
        if name in _REGISTRY and _REGISTRY[name].body is not body:
            raise ValueError(f"job {name!r} is declared twice")
        _REGISTRY[name] = JobSpec(name, body, retries, retry_delay, retry_backoff, schedule)
        return body

    return register


def registered_jobs() -> dict[str, JobSpec]:
    """All declared jobs by name (after importing :data:`JOB_MODULES`)."""
    import importlib

    for module in JOB_MODULES:
        importlib.import_module(module)
    return dict(_REGISTRY)
