from __future__ import annotations

from movilidad.cases.models import CaseStatus, CloseReason
from movilidad.cases.repository import CaseRepository
from movilidad.cases.services import open_case
from movilidad.db.uow import UnitOfWork
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.references import is_valid
from tests.factories import make_household, make_office


def test_open_case_allocates_a_valid_reference_and_finds_it_again(uow: UnitOfWork) -> None:
    office = make_office()
    uow.session.add(office)
    case = open_case(uow, household=make_household(members=2), office=office)
    uow.commit()
    assert is_valid(case.reference)
    found = CaseRepository(uow.session).get_case_by_reference(case.reference)
    assert found is case
    assert found.household.size == 3


def test_counts_by_status_per_office(uow: UnitOfWork) -> None:
    here, there = make_office(), make_office()
    uow.session.add_all([here, there])
    first = open_case(uow, household=make_household(), office=here)
    open_case(uow, household=make_household(), office=here)
    open_case(uow, household=make_household(), office=there)
    first.transition_to(
        CaseStatus.CLOSED, actor_kind=ActorKind.STAFF, close_reason=CloseReason.DUPLICATE
    )
    uow.session.flush()
    counts = CaseRepository(uow.session).count_cases_by_status(office_id=here.id)
    assert counts == {CaseStatus.SUBMITTED: 1, CaseStatus.CLOSED: 1}
