"""Queueing notifications with their verification codes, sending them, and checking a
code on the public verification page.

Delivery is at least once: the row is committed with the change it announces, the
``notifications.send`` job runs after the commit, and ``notifications.resend_pending``
picks up any row whose job was lost (a crash between commit and queue).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

from sqlalchemy import select

from movilidad.audit.services import record_event
from movilidad.cases.models import Case, CaseMessage
from movilidad.config import Settings
from movilidad.db.uow import UnitOfWork
from movilidad.i18n import Catalogues
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.clock import utcnow
from movilidad.kernel.crypto import get_cipher
from movilidad.kernel.errors import InvalidReference
from movilidad.kernel.references import ALPHABET, normalize_reference
from movilidad.notifications.messages import compose
from movilidad.notifications.models import (
    Channel,
    Notification,
    NotificationKind,
    NotificationStatus,
    VerificationCode,
    VerificationPurpose,
)
from movilidad.notifications.senders import EmailSender, SmsSender

CODE_LENGTH: Final = 8  # 31**8 ≈ 8.5e11 codes
CODE_INDEX: Final = "verification-code"
SEND_JOB: Final = "notifications.send"
MAX_ATTEMPTS: Final = 8
#: A pending notification older than this is sent again by the sweeping job.
STALE_AFTER: Final = timedelta(minutes=10)


class JobSender(Protocol):
    def send_after_commit(self, uow: UnitOfWork, name: str, *args: Any) -> None: ...


def normalize_code(text: str) -> str:
    """A code as compared: upper case, symbols of the reference alphabet only."""
    return "".join(ch for ch in text.upper() if ch.isalnum())[: CODE_LENGTH * 2]


def issue_code(
    uow: UnitOfWork,
    case: Case,
    purpose: VerificationPurpose,
    *,
    expires_at: datetime | None = None,
) -> tuple[VerificationCode, str]:
    """Create a verification code for ``case``. Returns the row and the code as printed
    (``ABCD-EFGH``). ``expires_at``: aware UTC, or None for no end."""
    cipher = get_cipher()
    while True:
        raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        index = cipher.blind_index(CODE_INDEX, raw)
        if (
            uow.session.scalar(
                select(VerificationCode.id).where(VerificationCode.code_index == index)
            )
            is None
        ):
            break
    shown = f"{raw[:4]}-{raw[4:]}"
    row = VerificationCode(case=case, purpose=purpose, code=shown, code_index=index,
                           expires_at=expires_at)  # fmt: skip
    uow.session.add(row)
    return row, shown


def _channel(case: Case) -> Channel | None:
    principal = case.household.principal
    chosen = principal.contact_channel
    if chosen == Channel.EMAIL.value and principal.email:
        return Channel.EMAIL
    if chosen == Channel.SMS.value and principal.phone:
        return Channel.SMS
    if principal.phone:
        return Channel.SMS
    if principal.email:
        return Channel.EMAIL
    return None


def queue_notification(
    uow: UnitOfWork,
    jobs: JobSender | None,
    case: Case,
    kind: NotificationKind,
    *,
    key: str,
    params: dict[str, str] | None = None,
) -> Notification | None:
    """Record a notification of ``kind`` to the household of ``case`` on the channel
    its principal applicant chose, with a fresh verification code, and queue its
    sending after the commit (``jobs`` None: only the sweeping job will send it).

    ``key`` identifies the event (e.g. ``registration:<case id>``): a second call with
    the same key returns the first notification. ``params``: values the text needs
    (see :func:`~movilidad.notifications.messages.compose`), never a secret. Returns
    None when the household gave no phone or e-mail.
    """
    existing = uow.session.scalar(select(Notification).where(Notification.idempotency_key == key))
    if existing is not None:
        return existing
    channel = _channel(case)
    if channel is None:
        return None
    code, _shown = issue_code(uow, case, VerificationPurpose.MESSAGE)
    notification = Notification(
        idempotency_key=key, case=case, kind=kind.value, channel=channel,
        language=case.household.principal.preferred_language, verification=code,
        status=NotificationStatus.PENDING, attempts=0, params=params,
    )  # fmt: skip
    uow.session.add(notification)
    uow.session.flush()
    if jobs is not None:
        jobs.send_after_commit(uow, SEND_JOB, notification.id)
    return notification


MAX_MESSAGE: Final = 2000


def send_office_message(
    uow: UnitOfWork, jobs: JobSender | None, case: Case, *, author_staff_id: int, body: str
) -> CaseMessage:
    """Leave ``body`` (1–:data:`MAX_MESSAGE` characters, stored encrypted) for the
    household on its status page, and tell them on their channel that a message is
    waiting (the notification does not carry the text). Raises ``ValueError`` for an
    empty or too long text."""
    text = body.strip()
    if not text or len(text) > MAX_MESSAGE:
        raise ValueError("the message is empty or too long")
    message = CaseMessage(case_id=case.id, author_staff_id=author_staff_id, body=text)
    uow.session.add(message)
    uow.session.flush()
    record_event(
        uow.session, action="case.message", object_type="case", object_id=case.id,
        actor_kind=ActorKind.STAFF, actor_staff_id=author_staff_id, office_id=case.office_id,
        detail={"message": message.id, "characters": len(text)},
    )  # fmt: skip
    queue_notification(
        uow, jobs, case, NotificationKind.OFFICE_MESSAGE, key=f"message:{message.id}"
    )
    return message


def messages_of_case(uow: UnitOfWork, case_id: int) -> list[CaseMessage]:
    """The office's messages to a household, newest first."""
    return list(
        uow.session.scalars(
            select(CaseMessage).where(CaseMessage.case_id == case_id)
            .order_by(CaseMessage.sent_at.desc(), CaseMessage.id.desc())
        )
    )  # fmt: skip


@dataclass(frozen=True)
class Senders:
    email: EmailSender
    sms: SmsSender


def deliver(
    uow: UnitOfWork,
    notification_id: int,
    *,
    catalogues: Catalogues,
    settings: Settings,
    senders: Senders,
) -> NotificationStatus | None:
    """Send one pending notification and record the outcome in ``uow`` (the caller
    commits). Returns the new status, or None when there was nothing to send (already
    sent or failed, or unknown id). A delivery error is recorded (``attempts``,
    ``last_error``) and raised again so the job is retried; after
    :data:`MAX_ATTEMPTS` the notification is marked failed.
    """
    notification = uow.session.get(Notification, notification_id, with_for_update=True)
    if notification is None or notification.status is not NotificationStatus.PENDING:
        return None
    case = notification.case
    principal = case.household.principal
    code = notification.verification.code if notification.verification else ""
    text = compose(
        catalogues, kind=notification.kind, language=notification.language,
        reference=case.display_reference, verification_code=code, base_url=settings.base_url,
        params=notification.params,
    )  # fmt: skip
    notification.attempts += 1
    try:
        if notification.channel is Channel.EMAIL and principal.email:
            senders.email.send_email(
                principal.email, text.subject, text.body, notification.language
            )
        elif notification.channel is Channel.SMS and principal.phone:
            senders.sms.send_sms(principal.phone, text.body)
        else:
            notification.status = NotificationStatus.FAILED
            notification.last_error = "no address for the channel"
            return notification.status
    except Exception as exc:
        notification.last_error = type(exc).__name__[:200]
        if notification.attempts >= MAX_ATTEMPTS:
            notification.status = NotificationStatus.FAILED
            return notification.status
        raise
    notification.status = NotificationStatus.SENT
    notification.sent_at = utcnow()
    notification.last_error = None
    return notification.status


def stale_pending(uow: UnitOfWork, now: datetime) -> list[int]:
    """Ids of notifications still pending :data:`STALE_AFTER` after they were created."""
    return list(
        uow.session.scalars(
            select(Notification.id).where(
                Notification.status == NotificationStatus.PENDING,
                Notification.created_at < now - STALE_AFTER,
            ).order_by(Notification.id).limit(500)
        )
    )  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    """What the public verification page may say: nothing about any person.

    ``state``: ``current`` (genuine and valid), ``withdrawn`` (genuine, but what it
    announced was cancelled or replaced), ``expired`` (genuine, past its end) or
    ``unknown`` (we did not issue it — the same answer for a wrong reference and a
    wrong code).
    """

    state: str
    purpose: VerificationPurpose | None = None
    issued_at: datetime | None = None
    office_city: str | None = None
    office_country: str | None = None


def check_code(uow: UnitOfWork, reference: str, code: str, now: datetime) -> Verdict:
    """Check a reference and code from a message or appointment slip (as typed)."""
    try:
        canonical = normalize_reference(reference)
    except InvalidReference:
        return Verdict("unknown")
    normalized = normalize_code(code)
    if len(normalized) != CODE_LENGTH:
        return Verdict("unknown")
    found = uow.session.scalar(
        select(VerificationCode).where(
            VerificationCode.code_index == get_cipher().blind_index(CODE_INDEX, normalized)
        )
    )
    if found is None or found.case.reference != canonical:
        return Verdict("unknown")
    office = found.case.office
    state = "current"
    if found.revoked_at is not None:
        state = "withdrawn"
    elif found.expires_at is not None and found.expires_at < now:
        state = "expired"
    return Verdict(state, found.purpose, found.issued_at, office.city, office.country)
