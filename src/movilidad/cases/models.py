"""Case and CaseEvent entities, and the case status machine.

Statuses follow the Safe Mobility journey (``shared`` reference, section a.1):
registration → desk pre-screening → interview → referral to a pathway → decision
by the destination → travel; or closure with a reason code (UNHCR's "No Show /
Cannot be Contacted" among them).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from movilidad.cases.errors import ReasonRequired, TransitionNotAllowed
from movilidad.db.base import Base, str_enum
from movilidad.db.types import EncryptedJSON, EncryptedText, UTCDateTime
from movilidad.households.models import Household
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.clock import utcnow
from movilidad.kernel.references import format_reference
from movilidad.offices.models import Office


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"
    PRE_SCREENED = "pre_screened"
    INTERVIEW_SCHEDULED = "interview_scheduled"
    INTERVIEWED = "interviewed"
    REFERRED = "referred"
    DECISION_RECEIVED = "decision_received"
    TRAVELLED = "travelled"
    CLOSED = "closed"


class CloseReason(StrEnum):
    NOT_ELIGIBLE = "not_eligible"
    WITHDRAWN = "withdrawn"
    NO_SHOW_CANNOT_BE_CONTACTED = "no_show_cannot_be_contacted"
    PROGRAMME_TERMINATED = "programme_terminated"
    DUPLICATE = "duplicate"
    DECISION_NEGATIVE = "decision_negative"


TERMINAL: Final = frozenset({CaseStatus.TRAVELLED, CaseStatus.CLOSED})

#: Forward moves of the status machine; closing is allowed from any open status.
TRANSITIONS: Final[dict[CaseStatus, frozenset[CaseStatus]]] = {
    CaseStatus.SUBMITTED: frozenset({CaseStatus.PRE_SCREENED}),
    CaseStatus.PRE_SCREENED: frozenset({CaseStatus.INTERVIEW_SCHEDULED}),
    # A missed or moved interview puts the case back in the queue.
    CaseStatus.INTERVIEW_SCHEDULED: frozenset({CaseStatus.INTERVIEWED, CaseStatus.PRE_SCREENED}),
    CaseStatus.INTERVIEWED: frozenset({CaseStatus.REFERRED}),
    CaseStatus.REFERRED: frozenset({CaseStatus.DECISION_RECEIVED}),
    CaseStatus.DECISION_RECEIVED: frozenset({CaseStatus.TRAVELLED}),
    CaseStatus.TRAVELLED: frozenset(),
    CaseStatus.CLOSED: frozenset(),
}


def allowed_next(status: CaseStatus) -> frozenset[CaseStatus]:
    """Statuses reachable in one step from ``status``."""
    if status in TERMINAL:
        return frozenset()
    return TRANSITIONS[status] | {CaseStatus.CLOSED}


class SpecificNeed(StrEnum):
    """Specific needs that give a case priority. A simplified subset of UNHCR's
    specific-needs categories (proGres "specific needs codes"): serious medical
    condition, disability, unaccompanied or separated child, single caregiver, older
    person at risk, survivor of violence or torture, pregnancy."""

    SERIOUS_MEDICAL_CONDITION = "serious_medical_condition"
    DISABILITY = "disability"
    UNACCOMPANIED_OR_SEPARATED_CHILD = "unaccompanied_or_separated_child"
    SINGLE_CAREGIVER = "single_caregiver"
    OLDER_PERSON_AT_RISK = "older_person_at_risk"
    SURVIVOR_OF_VIOLENCE = "survivor_of_violence"
    PREGNANCY = "pregnancy"


class CaseEvent(Base):
    """One status change of a case: who, when, from, to, why. Never updated."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[CaseStatus | None] = mapped_column(str_enum(CaseStatus, "from_status"))
    to_status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus, "to_status"))
    close_reason: Mapped[CloseReason | None] = mapped_column(str_enum(CloseReason, "close_reason"))
    #: The pathway a case is referred to (with ``to_status`` = referred).
    pathway_id: Mapped[str | None] = mapped_column(String(64))
    actor_kind: Mapped[ActorKind] = mapped_column(str_enum(ActorKind, "actor_kind"))
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseMessage(Base):
    """A message from the office to the household, shown on the applicant's status
    page. The text is encrypted at rest; the notification that announces it carries
    no part of it."""

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    body: Mapped[str] = mapped_column(EncryptedText)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Case(Base):
    """One household's application at one office.

    ``reference`` is the canonical 9-symbol code (see
    :mod:`movilidad.kernel.references`); :attr:`display_reference` groups it for
    people.
    """

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(9), unique=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    status: Mapped[CaseStatus] = mapped_column(
        str_enum(CaseStatus, "case_status"), default=CaseStatus.SUBMITTED, index=True
    )
    close_reason: Mapped[CloseReason | None] = mapped_column(str_enum(CloseReason, "close_reason"))
    referred_pathway_id: Mapped[str | None] = mapped_column(String(64))
    #: The caseworker who has taken the case (None: in the office's common queue).
    assigned_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    #: True when a specific need gives the case priority (filterable); which needs, is
    #: kept encrypted in ``specific_needs``.
    vulnerable: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false"), index=True
    )
    #: :class:`SpecificNeed` codes, encrypted at rest (they are special-category data).
    specific_needs: Mapped[list[str] | None] = mapped_column(EncryptedJSON)
    #: argon2id hash of the applicant's access code (the code itself is never stored).
    access_code_hash: Mapped[str | None] = mapped_column(String(255))
    #: Blind index of the network address the registration was submitted from (see
    #: :func:`movilidad.identity.indicators.network_index`); None when not known.
    submission_network: Mapped[str | None] = mapped_column(String(64), index=True)
    #: Optimistic lock: bumped on every change; a change based on an older version fails.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    household: Mapped[Household] = relationship(lazy="joined")
    office: Mapped[Office] = relationship(lazy="joined")
    events: Mapped[list[CaseEvent]] = relationship(
        cascade="all, delete-orphan", order_by=CaseEvent.id, lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @property
    def display_reference(self) -> str:
        return format_reference(self.reference)

    @classmethod
    def open(
        cls,
        *,
        reference: str,
        household: Household,
        office: Office,
        actor_kind: ActorKind = ActorKind.APPLICANT,
        actor_staff_id: int | None = None,
        now: datetime | None = None,
    ) -> Case:
        """A new case in status ``submitted`` with its first event."""
        at = now or utcnow()
        case = cls(
            reference=reference,
            household=household,
            office=office,
            status=CaseStatus.SUBMITTED,
            created_at=at,
            updated_at=at,
        )
        case.events.append(
            CaseEvent(
                from_status=None,
                to_status=CaseStatus.SUBMITTED,
                actor_kind=actor_kind,
                actor_staff_id=actor_staff_id,
                occurred_at=at,
            )
        )
        return case

    def transition_to(
        self,
        new_status: CaseStatus,
        *,
        actor_kind: ActorKind,
        actor_staff_id: int | None = None,
        close_reason: CloseReason | None = None,
        pathway_id: str | None = None,
        note: str = "",
        now: datetime | None = None,
    ) -> CaseEvent:
        """Move the case one step and record the event.

        Raises :class:`TransitionNotAllowed` for a move the machine does not allow, and
        :class:`ReasonRequired` when closing without a reason code or referring without
        a pathway.
        """
        if new_status not in allowed_next(self.status):
            raise TransitionNotAllowed(f"{self.status} → {new_status} is not allowed")
        if new_status is CaseStatus.CLOSED and close_reason is None:
            raise ReasonRequired("closing a case needs a reason code")
        if new_status is not CaseStatus.CLOSED and close_reason is not None:
            raise TransitionNotAllowed("a reason code is only given when closing")
        if new_status is CaseStatus.REFERRED and not pathway_id:
            raise ReasonRequired("a referral names the pathway")
        if new_status is not CaseStatus.REFERRED and pathway_id:
            raise TransitionNotAllowed("a pathway is only given when referring")
        at = now or utcnow()
        event = CaseEvent(
            from_status=self.status,
            to_status=new_status,
            close_reason=close_reason,
            pathway_id=pathway_id,
            actor_kind=actor_kind,
            actor_staff_id=actor_staff_id,
            note=note,
            occurred_at=at,
        )
        self.events.append(event)
        self.status = new_status
        self.close_reason = close_reason
        if pathway_id:
            self.referred_pathway_id = pathway_id
        self.updated_at = at
        return event

    def reopen(
        self,
        status: CaseStatus,
        *,
        actor_staff_id: int,
        note: str = "",
        now: datetime | None = None,
    ) -> CaseEvent:
        """Undo a closing: put a closed case back in ``status``, the open status it had,
        and record the event (a supervisor undoing a duplicate decision). Raises
        :class:`TransitionNotAllowed` when the case is not closed or ``status`` is not an
        open status."""
        if self.status is not CaseStatus.CLOSED:
            raise TransitionNotAllowed("only a closed case can be reopened")
        if status in TERMINAL:
            raise TransitionNotAllowed(f"a case cannot be reopened as {status}")
        at = now or utcnow()
        event = CaseEvent(
            from_status=self.status,
            to_status=status,
            actor_kind=ActorKind.STAFF,
            actor_staff_id=actor_staff_id,
            note=note,
            occurred_at=at,
        )
        self.events.append(event)
        self.status = status
        self.close_reason = None
        self.updated_at = at
        return event
