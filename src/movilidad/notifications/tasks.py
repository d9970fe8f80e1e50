"""Jobs of the notifications context: send one notification; sweep up lost ones."""

from __future__ import annotations

import logging

from movilidad.i18n import load_catalogues
from movilidad.jobs.queue import JobContext
from movilidad.jobs.registry import job
from movilidad.kernel.clock import utcnow
from movilidad.notifications.models import NotificationStatus
from movilidad.notifications.senders import email_sender, sms_sender
from movilidad.notifications.services import SEND_JOB, Senders, deliver, stale_pending

log = logging.getLogger(__name__)


@job(SEND_JOB, retries=6, retry_delay=30, retry_backoff=2)
def send_job(ctx: JobContext, notification_id: int) -> str | None:
    """Send notification ``notification_id``; retried 6 times (30 s, 60 s, … 16 min).
    Returns the new status value, or None when it had already been handled."""
    catalogues = load_catalogues(ctx.settings.locale_dir)
    senders = Senders(email_sender(ctx.settings), sms_sender(ctx.settings))
    with ctx.unit_of_work() as uow:
        try:
            status = deliver(uow, notification_id, catalogues=catalogues, settings=ctx.settings,
                             senders=senders)  # fmt: skip
        except Exception:
            uow.commit()  # keep the attempt count and the error type
            raise
        uow.commit()
    return status.value if isinstance(status, NotificationStatus) else None


@job("notifications.resend_pending", retries=0, schedule="*/10 * * * *")
def resend_job(ctx: JobContext) -> int:
    """Every 10 minutes: try again every notification pending for over 10 minutes
    (its job was lost or is still being retried). Returns how many were tried."""
    with ctx.unit_of_work() as uow:
        pending = stale_pending(uow, utcnow())
    tried = 0
    for notification_id in pending:
        try:
            send_job(ctx, notification_id)
        except Exception as exc:  # recorded on the row; the next sweep tries again
            log.warning("notification %s not sent: %s", notification_id, type(exc).__name__)
        tried += 1
    return tried
