"""ConsentRecord: an applicant agreed to a version of the privacy notice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from movilidad.db.base import Base
from movilidad.db.types import UTCDateTime
from movilidad.households.models import Household
from movilidad.kernel.clock import utcnow


class ConsentRecord(Base):
    """Who agreed (later: which household), to which notice version, when, in which
    language, for which office country. Never updated; a withdrawal is a new record."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_version: Mapped[str] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(3))
    language: Mapped[str] = mapped_column(String(8))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)

    household: Mapped[Household | None] = relationship()
