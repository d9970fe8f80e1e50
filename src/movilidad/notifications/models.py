"""Notification (one message to one household on one channel) and VerificationCode.

A notification row is written in the same transaction as the change it announces, so
an acknowledged change always has its message; a background job sends it after the
commit and records the outcome. The text is composed at sending time from ``kind``
and the case, in ``language``; the address is read then from the principal
applicant (encrypted at rest), so no personal data is copied here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from movilidad.cases.models import Case
from movilidad.db.base import Base, str_enum
from movilidad.db.types import EncryptedText, UTCDateTime
from movilidad.kernel.clock import utcnow


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class NotificationKind(StrEnum):
    REGISTRATION_RECEIVED = "registration_received"
    OFFICE_MESSAGE = "office_message"
    CASE_CLOSED = "case_closed"
    APPOINTMENT_OFFERED = "appointment_offered"
    APPOINTMENT_CONFIRMED = "appointment_confirmed"
    APPOINTMENT_REMINDER = "appointment_reminder"
    APPOINTMENT_CHANGED = "appointment_changed"
    APPOINTMENT_CANCELLED = "appointment_cancelled"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # no retry left, or no address for the channel


class VerificationPurpose(StrEnum):
    MESSAGE = "message"
    APPOINTMENT_SLIP = "appointment_slip"


class VerificationCode(Base):
    """A code printed in one message or on one slip. ``code`` is encrypted (it is put
    in the message text); ``code_index`` (blind index) finds it again."""

    __tablename__ = "verification_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[VerificationPurpose] = mapped_column(
        str_enum(VerificationPurpose, "verification_purpose")
    )
    code: Mapped[str] = mapped_column(EncryptedText)
    code_index: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: After this instant the code no longer vouches for anything (None: no end).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set when what it vouched for was withdrawn (an appointment cancelled…).
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: One notification per event: a retried transaction cannot send it twice.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    #: A :class:`NotificationKind` value (plain text: kinds are added without a migration).
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "notification_channel"))
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[NotificationStatus] = mapped_column(
        str_enum(NotificationStatus, "notification_status"), default=NotificationStatus.PENDING,
        index=True,
    )  # fmt: skip
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Exception type of the last failed attempt (never the message or the address).
    last_error: Mapped[str | None] = mapped_column(String(200))
    verification_id: Mapped[int | None] = mapped_column(ForeignKey("verification_codes.id"))
    #: Values the text needs besides the reference, none of them secret: for an
    #: appointment ``starts_at`` (ISO 8601 UTC), ``time_zone`` (IANA), ``place``, and
    #: ``deadline`` (ISO 8601 UTC) for an offer.
    params: Mapped[dict[str, str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()
    verification: Mapped[VerificationCode | None] = relationship()
