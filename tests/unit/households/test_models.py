from __future__ import annotations

from datetime import date

import pytest

from movilidad.households.models import Household, Relationship
from movilidad.kernel.errors import DomainError
from tests.factories import make_applicant


def test_household_counts_the_principal_and_members() -> None:
    household = Household.form(make_applicant())
    household.add_member(make_applicant(given_names="Wayra"), Relationship.SPOUSE)
    household.add_member(
        make_applicant(given_names="Killa", date_of_birth=date(2019, 5, 5)), Relationship.CHILD
    )
    assert household.size == 3


def test_only_one_spouse_or_partner() -> None:
    household = Household.form(make_applicant())
    household.add_member(make_applicant(given_names="Wayra"), Relationship.SPOUSE)
    with pytest.raises(DomainError, match="at most one spouse"):
        household.add_member(make_applicant(given_names="Amaru"), Relationship.COMMON_LAW_PARTNER)


def test_the_same_person_cannot_be_added_twice() -> None:
    principal = make_applicant()
    household = Household.form(principal)
    with pytest.raises(DomainError, match="already"):
        household.add_member(principal, Relationship.OTHER)
    child = make_applicant(given_names="Killa")
    household.add_member(child, Relationship.CHILD)
    with pytest.raises(DomainError, match="already"):
        household.add_member(child, Relationship.STEPCHILD)
