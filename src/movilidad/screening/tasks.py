"""Jobs of the screening context."""

from __future__ import annotations

from movilidad.jobs.queue import JobContext
from movilidad.jobs.registry import job
from movilidad.kernel.clock import today_utc
from movilidad.pathways.catalogue import load_catalogue
from movilidad.screening.services import rescreen_open_cases, rescreen_reason, sync_catalogue


@job(
    "screening.rescreen_open_cases",
    retries=3,
    retry_delay=60,
    retry_backoff=2,
    schedule="15 5 * * *",  # every day at 05:15 UTC, before the offices open
)
def rescreen_job(ctx: JobContext, force: bool = False) -> int | None:
    """Load the catalogue and store new versions; when a version was added or a
    programme opened or closed since the last re-screening (or ``force``), re-screen
    every open case as of today (UTC) in one transaction.

    Returns the number of outcomes that changed, or None when nothing needed doing.
    """
    catalogue = load_catalogue(ctx.settings.catalogue_dir)
    today = today_utc()
    with ctx.unit_of_work() as uow:
        added = sync_catalogue(uow, catalogue)
        reason = rescreen_reason(uow, catalogue, today, bool(added), force)
        if reason is None:
            uow.commit()
            return None
        report = rescreen_open_cases(uow, catalogue, as_of=today, reason=reason)
        uow.commit()
    return len(report.changes)
