"""ReferralConsent (the household's consent to one recipient) and Referral (a package
sent to one recipient for one pathway)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from movilidad.cases.models import Case
from movilidad.db.base import Base
from movilidad.db.types import EncryptedJSON, UTCDateTime
from movilidad.kernel.clock import utcnow


class ReferralConsent(Base):
    """Consent, given by the household (recorded by a caseworker at interview, against
    the privacy notice in force), to share its data with one recipient. Withdrawal
    sets ``withdrawn_at``; rows are never deleted."""

    __tablename__ = "referral_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[str] = mapped_column(String(64))
    notice_version: Mapped[str] = mapped_column(String(32))
    #: The household agreed, specifically, to share with the government of its own
    #: country (required when the recipient is that government).
    specific_government: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by_staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Referral(Base):
    """A referral package: what was sent to whom, for which pathway. ``package`` is the
    JSON sent (encrypted at rest); ``package_sha256`` proves later what it held."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[str] = mapped_column(String(64), index=True)
    pathway_id: Mapped[str] = mapped_column(String(64))
    pathway_version: Mapped[str] = mapped_column(String(32))
    consent_id: Mapped[int] = mapped_column(ForeignKey("referral_consents.id"))
    package: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    package_sha256: Mapped[str] = mapped_column(String(64))
    created_by_staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship()
