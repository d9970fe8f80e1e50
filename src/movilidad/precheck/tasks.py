"""Jobs of the pre-check context."""

from __future__ import annotations

from movilidad.jobs.queue import JobContext
from movilidad.jobs.registry import job
from movilidad.kernel.clock import utcnow
from movilidad.precheck.services import purge_abandoned


@job("precheck.purge_abandoned", retries=3, retry_delay=60, schedule="40 4 * * *")
def purge_job(ctx: JobContext) -> int:
    """Every day at 04:40 UTC: delete pre-checks abandoned for 7 days (see
    :func:`~movilidad.precheck.services.purge_abandoned`). Returns the count."""
    with ctx.unit_of_work() as uow:
        count = purge_abandoned(uow, utcnow())
        uow.commit()
    return count
