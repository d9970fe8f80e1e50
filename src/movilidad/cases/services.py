"""Use cases for cases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm.exc import StaleDataError

from movilidad.audit.services import record_event
from movilidad.cases.errors import CaseChanged, TransitionNotAllowed
from movilidad.cases.models import Case, CaseStatus, CloseReason, SpecificNeed
from movilidad.cases.policies import can_transition
from movilidad.cases.repository import CaseRepository
from movilidad.db.uow import UnitOfWork
from movilidad.households.models import Household
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.errors import MovilidadError
from movilidad.kernel.permissions import Permission
from movilidad.kernel.references import new_reference
from movilidad.offices.models import Office

_MAX_REFERENCE_ATTEMPTS = 8


def allocate_reference(uow: UnitOfWork) -> str:
    """A fresh case reference not yet used. With 31⁸ possible values a collision is
    rare; after 8 in a row something is wrong and ``MovilidadError`` is raised. The
    unique constraint on ``cases.reference`` remains the final guard."""
    repo = CaseRepository(uow.session)
    for _ in range(_MAX_REFERENCE_ATTEMPTS):
        reference = new_reference()
        if not repo.reference_exists(reference):
            return reference
    raise MovilidadError("could not allocate a unique case reference")


def open_case(
    uow: UnitOfWork,
    *,
    household: Household,
    office: Office,
    actor_kind: ActorKind = ActorKind.APPLICANT,
    actor_staff_id: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Open the case of ``household`` at ``office`` in status ``submitted``."""
    case = Case.open(
        reference=allocate_reference(uow),
        household=household,
        office=office,
        actor_kind=actor_kind,
        actor_staff_id=actor_staff_id,
        now=now,
    )
    uow.session.add(case)
    uow.session.flush()
    return case


MAX_NOTE_CHARS = 4000


def transition_case(
    uow: UnitOfWork,
    case: Case,
    *,
    new_status: CaseStatus,
    expected_version: int,
    actor_staff_id: int,
    actor_permissions: frozenset[Permission],
    close_reason: CloseReason | None = None,
    pathway_id: str | None = None,
    note: str = "",
    request_id: str | None = None,
) -> None:
    """Move ``case`` to ``new_status`` on behalf of a staff member, with the audit event.

    ``expected_version`` is the case version the person saw; if the case changed since,
    :class:`CaseChanged` is raised and nothing is written. A move the actor's role may
    not make (:mod:`movilidad.cases.policies`) raises ``TransitionNotAllowed``, as do the machine's
    :class:`~movilidad.cases.errors.TransitionNotAllowed` / ``ReasonRequired`` too.
    """
    if case.version != expected_version:
        raise CaseChanged("the case was changed by someone else")
    if not can_transition(actor_permissions, new_status, close_reason):
        raise TransitionNotAllowed("this move is a supervisor's decision")
    previous = case.status
    case.transition_to(
        new_status,
        actor_kind=ActorKind.STAFF,
        actor_staff_id=actor_staff_id,
        close_reason=close_reason,
        pathway_id=pathway_id,
        note=note.strip()[:MAX_NOTE_CHARS],
    )
    record_event(
        uow.session,
        action="case.transition",
        object_type="case",
        object_id=case.id,
        actor_kind=ActorKind.STAFF,
        actor_staff_id=actor_staff_id,
        office_id=case.office_id,
        request_id=request_id,
        detail={
            "from": str(previous),
            "to": str(new_status),
            "reason": str(close_reason) if close_reason else None,
            "pathway": pathway_id,
        },
    )
    try:
        uow.session.flush()
    except StaleDataError:
        raise CaseChanged("the case was changed by someone else") from None


def assign_case(uow: UnitOfWork, case: Case, *, staff_id: int | None, actor_staff_id: int) -> None:
    """Take the case (``staff_id`` = the actor) or return it to the common queue (None).
    Recorded in the audit trail."""
    case.assigned_staff_id = staff_id
    case.version += 1
    record_event(
        uow.session, action="case.assign", object_type="case", object_id=case.id,
        actor_kind=ActorKind.STAFF, actor_staff_id=actor_staff_id, office_id=case.office_id,
        detail={"assigned_staff_id": staff_id},
    )  # fmt: skip


def set_specific_needs(
    uow: UnitOfWork, case: Case, needs: list[SpecificNeed], *, actor_staff_id: int
) -> None:
    """Record the household's specific needs (replacing earlier ones); any need marks
    the case ``vulnerable`` for the queue's priority filter. The audit event holds the
    count only (the needs themselves are special-category data)."""
    case.specific_needs = sorted({need.value for need in needs})
    case.vulnerable = bool(needs)
    case.version += 1
    record_event(
        uow.session, action="case.specific_needs", object_type="case", object_id=case.id,
        actor_kind=ActorKind.STAFF, actor_staff_id=actor_staff_id, office_id=case.office_id,
        detail={"count": len(set(needs))},
    )  # fmt: skip
