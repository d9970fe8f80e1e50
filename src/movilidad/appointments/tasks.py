"""Jobs of the appointments context: release unconfirmed offers, run the allocation
of closed request windows, and queue reminders."""

from __future__ import annotations

import logging
from typing import Any

from movilidad.appointments.booking import queue_reminders, release_expired
from movilidad.appointments.windows import due_windows, run_allocation
from movilidad.db.uow import UnitOfWork
from movilidad.jobs.queue import JobContext
from movilidad.jobs.registry import job
from movilidad.kernel.clock import utcnow
from movilidad.notifications.services import SEND_JOB
from movilidad.notifications.tasks import send_job

log = logging.getLogger(__name__)


class _AfterCommit:
    """Collects the notifications a job queues, to send them once it committed."""

    def __init__(self) -> None:
        self.notification_ids: list[int] = []

    def send_after_commit(self, uow: UnitOfWork, name: str, *args: Any) -> None:
        if name == SEND_JOB:
            self.notification_ids.append(int(args[0]))

    def send(self, ctx: JobContext) -> None:
        for notification_id in self.notification_ids:
            try:
                send_job(ctx, notification_id)
            except Exception as exc:  # recorded on the row; the sweeping job retries
                log.warning("notification %s not sent: %s", notification_id,
                            type(exc).__name__)  # fmt: skip


@job("appointments.release_expired", retries=3, retry_delay=30, schedule="*/5 * * * *")
def release_expired_job(ctx: JobContext) -> int:
    """Every 5 minutes: give back the seats of offers not confirmed by their deadline.
    Returns how many seats were released."""
    with ctx.unit_of_work() as uow:
        released = release_expired(uow, utcnow())
        uow.commit()
    return released


@job("appointments.allocate_due", retries=3, retry_delay=60, schedule="* * * * *")
def allocate_due_job(ctx: JobContext) -> int:
    """Every minute: make the allocation run of each request window that has closed,
    one window per transaction, then send the offers. Returns how many runs."""
    with ctx.unit_of_work() as uow:
        due = [window.id for window in due_windows(uow, utcnow())]
    made = 0
    for window_id in due:
        outbox = _AfterCommit()
        with ctx.unit_of_work() as uow:
            window = next((w for w in due_windows(uow, utcnow()) if w.id == window_id), None)
            if window is None:
                continue  # made meanwhile by staff
            run_allocation(uow, outbox, window, utcnow())
            uow.commit()
        outbox.send(ctx)
        made += 1
    return made


@job("appointments.remind", retries=3, retry_delay=60, schedule="*/15 * * * *")
def remind_job(ctx: JobContext) -> int:
    """Every 15 minutes: queue and send the reminders due (48 h and 3 h before)."""
    outbox = _AfterCommit()
    with ctx.unit_of_work() as uow:
        queued = queue_reminders(uow, outbox, utcnow())
        uow.commit()
    outbox.send(ctx)
    return queued
