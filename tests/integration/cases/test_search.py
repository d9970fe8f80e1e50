"""Finding a case by a name as people type it, a document number or a phone."""

from __future__ import annotations

from datetime import date

import pytest

from movilidad.applicants.models import search_key
from movilidad.cases.repository import CaseFilters, CaseRepository
from movilidad.cases.services import open_case
from movilidad.db.uow import UnitOfWork
from movilidad.households.models import Household, Relationship
from movilidad.staff.actor import ScopeSet
from tests.factories import make_applicant, make_document, make_office


@pytest.fixture
def cases(uow: UnitOfWork) -> dict[str, str]:
    here = make_office(code="t-search")
    there = make_office(code="t-elsewhere")
    uow.session.add_all([here, there])
    uow.session.flush()
    principal = make_applicant(
        given_names="María José", first_surname="Pérez", second_surname="Gómez",
        phone_e164="+573105550199",
    )  # fmt: skip
    principal.documents.append(make_document(number="V-12.345.678"))
    household = Household.form(principal)
    household.add_member(
        make_applicant(given_names="Jean-Baptiste", first_surname="D'Haïti", second_surname=None,
                       date_of_birth=date(2012, 4, 4)),
        Relationship.CHILD,
    )  # fmt: skip
    mine = open_case(uow, household=household, office=here)
    other = open_case(
        uow,
        household=Household.form(make_applicant(given_names="María", first_surname="Pérez")),
        office=there,
    )
    uow.session.flush()
    return {"mine": mine.reference, "other": other.reference, "office": str(here.id)}


def _found(uow: UnitOfWork, cases: dict[str, str], text: str) -> set[str]:
    scope = ScopeSet(office_ids=frozenset({int(cases["office"])}))
    page = CaseRepository(uow.session).list_cases_in_scope(scope, CaseFilters(search=text))
    return {c.reference for c in page.cases}


@pytest.mark.parametrize(
    "typed",
    ["maria perez", "MARÍA JOSÉ PÉREZ GÓMEZ", "Perez Gomez", "jose", "jean baptiste",
     "d'haiti", "V12345678", "v-12 345 678", "+57 310 555 0199", "573105550199"],
)  # fmt: skip
def test_search_finds_the_household_as_people_type(
    uow: UnitOfWork, cases: dict[str, str], typed: str
) -> None:
    assert _found(uow, cases, typed) == {cases["mine"]}


@pytest.mark.parametrize("typed", ["maria lopez", "V12345679", "+57 310 555 0198", "%", "_"])
def test_search_does_not_match_others_or_wildcards(
    uow: UnitOfWork, cases: dict[str, str], typed: str
) -> None:
    assert _found(uow, cases, typed) == set()


def test_search_key_folds_accents_case_and_marks() -> None:
    assert search_key("  María-José  D'Ávila ") == "maria jose d avila"
    assert search_key("Ñandú") == "nandu"
