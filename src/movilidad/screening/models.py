"""Screening and ScreeningOutcome: the history of a case's screenings. Never updated:
each re-screening adds a new Screening with one outcome per pathway."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from movilidad.db.base import Base, str_enum
from movilidad.db.types import UTCDateTime
from movilidad.kernel.clock import utcnow
from movilidad.pathways.models import PathwayVersionRecord
from movilidad.screening.engine import Outcome


class ScreeningReason(StrEnum):
    REGISTRATION = "registration"  # the applicant submitted or changed answers
    CATALOGUE_CHANGE = "catalogue_change"  # a version was added or a programme closed
    SCHEDULED = "scheduled"  # a periodic re-screening (dates move on)
    STAFF_REQUEST = "staff_request"


class ScreeningOutcome(Base):
    """One pathway's outcome in one screening. ``criteria`` is a list of
    ``{"id", "status", "missing_facts"}``; explanations come from the stored version.
    ``previous_outcome`` is the same pathway's outcome in the case's previous screening
    (None for the first), so changes can be listed without re-reading history."""

    __tablename__ = "screening_outcomes"
    __table_args__ = (Index("ix_screening_outcomes_pathway_outcome", "pathway_id", "outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    screening_id: Mapped[int] = mapped_column(
        ForeignKey("screenings.id", ondelete="CASCADE"), index=True
    )
    pathway_id: Mapped[str] = mapped_column(String(64))
    pathway_version_id: Mapped[int | None] = mapped_column(ForeignKey("pathway_versions.id"))
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome, "outcome"))
    previous_outcome: Mapped[Outcome | None] = mapped_column(str_enum(Outcome, "previous_outcome"))
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    pathway_version: Mapped[PathwayVersionRecord | None] = relationship(lazy="joined")

    @property
    def changed(self) -> bool:
        return self.previous_outcome is not None and self.previous_outcome != self.outcome


class Screening(Base):
    """One screening of a case's household on a date (``as_of``, a calendar date)."""

    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    screened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    reason: Mapped[ScreeningReason] = mapped_column(str_enum(ScreeningReason, "reason"))
    catalogue_digest: Mapped[str] = mapped_column(String(64))

    outcomes: Mapped[list[ScreeningOutcome]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=ScreeningOutcome.pathway_id
    )


class RescreenRun(Base):
    """One re-screening of the open caseload: when, as of which date, why, how many
    cases, how many outcomes changed. The changed outcomes themselves are the
    :class:`ScreeningOutcome` rows of that run whose ``previous_outcome`` differs."""

    __tablename__ = "rescreen_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[ScreeningReason] = mapped_column(str_enum(ScreeningReason, "reason"))
    catalogue_digest: Mapped[str] = mapped_column(String(64))
    cases_screened: Mapped[int] = mapped_column(Integer)
    outcomes_changed: Mapped[int] = mapped_column(Integer)
