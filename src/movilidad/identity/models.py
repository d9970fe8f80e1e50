"""Stored identity resolution: blocking keys of registered people and the pairs found.

``identity_keys`` holds, per applicant, the blind-indexed blocking keys of
:mod:`movilidad.identity.keys` (primary key: key, applicant), so the intake check finds
the people in a new registration's blocks with index lookups.

``match_candidates`` holds each pair of applicants that scored at or above the review
threshold, once per pair (the lower applicant id first), with the match weight (bits),
the part of each comparison and a digest of the compared values. A pair decided
*different people* is not suggested again while that digest stays the same.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from movilidad.applicants.models import Applicant
from movilidad.cases.models import Case, CaseStatus
from movilidad.db.base import Base, str_enum
from movilidad.db.types import UTCDateTime
from movilidad.kernel.clock import utcnow


class IdentityKey(Base):
    """One blocking key (32 hex characters of a blind index) of one applicant."""

    __tablename__ = "identity_keys"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    applicant_id: Mapped[int] = mapped_column(
        ForeignKey("applicants.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class MatchStatus(StrEnum):
    OPEN = "open"
    SAME_PERSON = "same_person"
    DIFFERENT_PEOPLE = "different_people"


class MatchSource(StrEnum):
    INTAKE = "intake"
    BATCH = "batch"


class MatchCandidate(Base):
    """A pair of applicants that may be one person.

    ``applicant_id`` < ``other_applicant_id``; ``case_id`` / ``other_case_id`` are their
    cases when the pair was scored. ``match_weight`` is in bits (log2 of the Bayes
    factor, the prior included), ``match_probability`` 0–1, ``band``
    ``likely_duplicate`` or ``needs_review``; ``comparisons`` lists, per comparison,
    ``{"comparison", "level", "label", "weight", "tf_adjustment"}`` (weights in bits);
    ``values_digest`` is the SHA-256 of the two feature rows compared.

    A *same person* decision names the case kept and the case closed as duplicate (and
    the status it had, so a supervisor can undo the decision)."""

    __tablename__ = "match_candidates"
    __table_args__ = (
        UniqueConstraint("applicant_id", "other_applicant_id", name="uq_match_pair"),
        CheckConstraint("applicant_id < other_applicant_id", name="match_pair_order"),
        Index("ix_match_candidates_status_weight", "status", "match_weight"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id", ondelete="CASCADE"))
    other_applicant_id: Mapped[int] = mapped_column(
        ForeignKey("applicants.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    other_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    match_weight: Mapped[float] = mapped_column(Float)
    match_probability: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(20))
    comparisons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    values_digest: Mapped[str] = mapped_column(String(64))
    source: Mapped[MatchSource] = mapped_column(str_enum(MatchSource, "match_source"))
    status: Mapped[MatchStatus] = mapped_column(
        str_enum(MatchStatus, "match_status"), default=MatchStatus.OPEN
    )
    #: The batch run's cluster (Splink's cluster id: a record id), when the pair is in
    #: one of two or more records at the likely-duplicate threshold; None from intake.
    cluster: Mapped[str | None] = mapped_column(String(40), index=True)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    kept_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    closed_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    closed_case_status: Mapped[CaseStatus | None] = mapped_column(
        str_enum(CaseStatus, "match_closed_case_status")
    )

    applicant: Mapped[Applicant] = relationship(foreign_keys=[applicant_id], lazy="joined")
    other_applicant: Mapped[Applicant] = relationship(
        foreign_keys=[other_applicant_id], lazy="joined"
    )
    case: Mapped[Case] = relationship(foreign_keys=[case_id], lazy="joined")
    other_case: Mapped[Case] = relationship(foreign_keys=[other_case_id], lazy="joined")
