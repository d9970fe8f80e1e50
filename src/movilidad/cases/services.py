"""Use cases for cases."""

from __future__ import annotations

from datetime import datetime

from movilidad.cases.models import Case
from movilidad.cases.repository import CaseRepository
from movilidad.db.uow import UnitOfWork
from movilidad.households.models import Household
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.errors import MovilidadError
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
