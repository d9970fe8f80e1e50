"""Household and household member entities."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm import relationship as orm_relationship

from movilidad.applicants.models import Applicant
from movilidad.db.base import Base, str_enum
from movilidad.db.types import UTCDateTime
from movilidad.kernel.clock import utcnow
from movilidad.kernel.errors import DomainError


class Relationship(StrEnum):
    """A member's relationship to the principal applicant."""

    SPOUSE = "spouse"
    COMMON_LAW_PARTNER = "common_law_partner"
    CHILD = "child"
    STEPCHILD = "stepchild"
    GRANDCHILD = "grandchild"
    PARENT = "parent"
    OTHER = "other"


_PARTNERS = frozenset({Relationship.SPOUSE, Relationship.COMMON_LAW_PARTNER})


class HouseholdMember(Base):
    __tablename__ = "household_members"
    __table_args__ = (UniqueConstraint("household_id", "applicant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"), index=True)
    relationship: Mapped[Relationship] = mapped_column(str_enum(Relationship, "relationship"))

    applicant: Mapped[Applicant] = orm_relationship(lazy="joined")


class Household(Base):
    """The people who apply together: one principal applicant and their members."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    principal_applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"), index=True)
    #: Answers to the eligibility questionnaire, keyed by fact name (see
    #: ``catalogue/facts.yaml``); a fact not answered is absent (unknown).
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    principal: Mapped[Applicant] = orm_relationship(lazy="joined")
    members: Mapped[list[HouseholdMember]] = orm_relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=HouseholdMember.id
    )

    @classmethod
    def form(cls, principal: Applicant) -> Household:
        """Start a household around its principal applicant."""
        return cls(principal=principal, answers={})

    def add_member(self, applicant: Applicant, relationship: Relationship) -> HouseholdMember:
        """Add a member. Raises :class:`DomainError` if the person is already in the
        household (or is the principal) or if a second spouse/partner is added."""
        if applicant is self.principal or any(m.applicant is applicant for m in self.members):
            raise DomainError("this person is already in the household")
        if relationship in _PARTNERS and any(m.relationship in _PARTNERS for m in self.members):
            raise DomainError("a household has at most one spouse or partner")
        member = HouseholdMember(applicant=applicant, relationship=relationship)
        self.members.append(member)
        return member

    @property
    def size(self) -> int:
        """Number of people, principal included."""
        return 1 + len(self.members)
