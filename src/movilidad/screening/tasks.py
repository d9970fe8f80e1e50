"""Jobs of the screening context."""

from __future__ import annotations

from movilidad.jobs.queue import JobContext
from movilidad.jobs.registry import job
from movilidad.kernel.clock import today_utc
from movilidad.pathways.catalogue import load_catalogue
from movilidad.screening.models import ScreeningReason
from movilidad.screening.services import rescreen_open_cases, sync_catalogue


@job("screening.rescreen_open_cases", retries=3, retry_delay=60, retry_backoff=2)
def rescreen_job(ctx: JobContext, reason: str = ScreeningReason.CATALOGUE_CHANGE.value) -> int:
    """Load the catalogue, store new versions, re-screen every open case as of today
    (UTC) in one transaction. Returns the number of outcomes that changed."""
    catalogue = load_catalogue(ctx.settings.catalogue_dir)
    with ctx.unit_of_work() as uow:
        sync_catalogue(uow, catalogue)
        report = rescreen_open_cases(
            uow, catalogue, as_of=today_utc(), reason=ScreeningReason(reason)
        )
        uow.commit()
    return len(report.changes)
