"""PrecheckSession: one applicant's questionnaire in progress, kept server-side so a
dropped connection loses nothing. The browser holds a random token; only its hash
is stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from movilidad.consent.models import ConsentRecord
from movilidad.db.base import Base
from movilidad.db.types import EncryptedJSON, UTCDateTime
from movilidad.kernel.clock import utcnow


class PrecheckSession(Base):
    __tablename__ = "precheck_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    country: Mapped[str] = mapped_column(String(3))
    consent_id: Mapped[int] = mapped_column(ForeignKey("consent_records.id"))
    #: Answers keyed by fact name (validated); a fact answered "I do not know" is
    #: listed in ``skipped`` instead, so it is not asked again.
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    skipped: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Registration in progress: {"principal": {...}, "members": [{...}], ...}; each
    #: page saves here, so a dropped connection loses nothing. Encrypted at rest.
    registration: Mapped[dict[str, Any]] = mapped_column(
        EncryptedJSON, default=dict, server_default="{}"
    )
    #: The case created by submitting (a second submission returns the same case).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    #: The access code, kept only until the page that shows it once has been sent.
    pending_access_code: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    consent: Mapped[ConsentRecord] = relationship(lazy="joined")
