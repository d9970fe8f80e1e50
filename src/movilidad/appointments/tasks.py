"""Jobs of the appointments context."""

from __future__ import annotations

from movilidad.appointments.booking import release_expired
from movilidad.jobs.queue import JobContext
from movilidad.jobs.registry import job
from movilidad.kernel.clock import utcnow


@job("appointments.release_expired", retries=3, retry_delay=30, schedule="*/5 * * * *")
def release_expired_job(ctx: JobContext) -> int:
    """Every 5 minutes: give back the seats of offers not confirmed by their deadline.
    Returns how many seats were released."""
    with ctx.unit_of_work() as uow:
        released = release_expired(uow, utcnow())
        uow.commit()
    return released
