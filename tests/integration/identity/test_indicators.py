"""Fraud indicators: shared phones, e-mails and networks; impossible national ids."""

from __future__ import annotations

from datetime import date

import pytest

from movilidad.applicants.models import DocumentType
from movilidad.cases.models import Case
from movilidad.cases.services import open_case
from movilidad.db.uow import UnitOfWork
from movilidad.households.models import Household
from movilidad.identity.indicators import (
    document_is_invalid,
    indicators,
    network_index,
)
from movilidad.offices.models import Office
from movilidad.staff.actor import ScopeSet
from tests.factories import make_applicant, make_document, make_office


def _case(uow: UnitOfWork, office: Office, n: int, **person: object) -> Case:
    applicant = make_applicant(given_names=f"Persona{n}", first_surname=f"Apellido{n}",
                               date_of_birth=date(1980, 1, 1 + n), **person)  # fmt: skip
    case = open_case(uow, household=Household.form(applicant), office=office)
    uow.session.flush()
    return case


@pytest.fixture
def offices(uow: UnitOfWork) -> tuple[Office, Office]:
    here, there = make_office(code="t-ind-1"), make_office(code="t-ind-2")
    uow.session.add_all([here, there])
    uow.session.flush()
    return here, there


def test_a_phone_and_a_network_shared_by_three_households_are_reported(
    uow: UnitOfWork, offices: tuple[Office, Office]
) -> None:
    here, _ = offices
    shared = [_case(uow, here, n, phone_e164="+573105550100") for n in range(3)]
    for case in shared:
        case.submission_network = network_index("203.0.113.7")
    _case(uow, here, 5, phone_e164="+573105550101")  # a phone of its own
    two = [_case(uow, here, 6 + n, email="same@example.org") for n in range(2)]  # only two
    for case in two:
        case.submission_network = network_index("2001:db8:1:2::5")
    uow.session.flush()
    found = indicators(uow, ScopeSet(office_ids=frozenset({here.id})))
    kinds = {(t.kind, t.households) for t in found.shared}
    assert kinds == {("phone", 3), ("network", 3)}
    for trace in found.shared:
        assert sorted(trace.cases) == sorted(c.reference for c in shared)


def test_a_trace_reaching_into_another_office_is_not_shown_to_this_office(
    uow: UnitOfWork, offices: tuple[Office, Office]
) -> None:
    here, there = offices
    for n in range(2):
        _case(uow, here, n, phone_e164="+573105550100")
    _case(uow, there, 3, phone_e164="+573105550100")
    assert indicators(uow, ScopeSet(office_ids=frozenset({here.id}))).shared == []
    both = indicators(uow, ScopeSet(office_ids=frozenset({here.id, there.id})))
    assert [(t.kind, t.households) for t in both.shared] == [("phone", 3)]


def test_ipv6_addresses_of_one_network_are_one_trace(uow: UnitOfWork) -> None:
    assert network_index("2001:db8:1:2::5") == network_index("2001:db8:1:2:ffff::1")
    assert network_index("2001:db8:1:3::5") != network_index("2001:db8:1:2::5")
    assert network_index("not an address") is None
    assert network_index(None) is None


def test_national_ids_are_judged_only_where_a_check_exists(
    uow: UnitOfWork, offices: tuple[Office, Office]
) -> None:
    assert not document_is_invalid("national_id", "ECU", "1710034065")
    assert document_is_invalid("national_id", "ECU", "1710034066")  # check digit
    assert document_is_invalid("national_id", "BRA", "390.533.447-00")
    assert not document_is_invalid("national_id", "VEN", "V-1")  # no published check
    assert not document_is_invalid("passport", "ECU", "x")
    here, _ = offices
    good = _case(uow, here, 1)
    good.household.principal.documents.append(
        make_document(type=DocumentType.NATIONAL_ID, issuing_country="ECU", number="1710034065")
    )
    bad = _case(uow, here, 2)
    bad.household.principal.documents.append(
        make_document(type=DocumentType.NATIONAL_ID, issuing_country="ECU", number="1710034066")
    )
    uow.session.flush()
    found = indicators(uow, ScopeSet(office_ids=frozenset({here.id})))
    assert [(d.case_reference, d.issuing_country) for d in found.invalid_documents] == [
        (bad.reference, "ECU")
    ]
