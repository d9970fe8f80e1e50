"""The intake check and the review decisions, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from movilidad.audit.models import AuditEvent
from movilidad.cases.models import Case, CaseStatus, CloseReason
from movilidad.cases.services import open_case
from movilidad.db.uow import UnitOfWork
from movilidad.households.models import Household, Relationship
from movilidad.identity import intake, keys
from movilidad.identity.model import load_model
from movilidad.identity.models import IdentityKey, MatchCandidate, MatchSource, MatchStatus
from movilidad.identity.repository import candidates_of_case, get_candidate, open_candidates
from movilidad.identity.review import (
    DecisionRefused,
    decide_different_people,
    decide_same_person,
    undo_decision,
)
from movilidad.staff.actor import ScopeSet
from movilidad.staff.models import StaffUser
from tests.factories import make_applicant, make_document, make_office

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def make_staff_user(username: str) -> StaffUser:
    return StaffUser(username=username, full_name=username, email=f"{username}@example.org",
                     password_hash="-")  # fmt: skip


def _register(uow: UnitOfWork, office: object, **person: object) -> Case:
    principal = make_applicant(**person)
    case = open_case(uow, household=Household.form(principal), office=office)  # type: ignore[arg-type]
    uow.session.flush()
    return case


@pytest.fixture
def office(uow: UnitOfWork) -> object:
    made = make_office(code="t-intake")
    uow.session.add(made)
    uow.session.flush()
    return made


def _first(uow: UnitOfWork, office: object) -> Case:
    first = _register(
        uow, office, given_names="María José", first_surname="Pérez", second_surname="Gómez",
        date_of_birth=date(1990, 5, 14), nationalities=["VEN"], phone_e164="+573105550199",
    )  # fmt: skip
    intake.check_case(uow, first, load_model(), NOW)
    return first


def test_a_re_registration_with_a_dropped_second_surname_is_found(
    uow: UnitOfWork, office: object
) -> None:
    first = _first(uow, office)
    again = _register(
        uow, office, given_names="Maria", first_surname="Perez", second_surname=None,
        date_of_birth=date(1990, 5, 14), nationalities=["VEN"],
    )  # fmt: skip
    found = intake.check_case(uow, again, load_model(), NOW)
    assert len(found) == 1
    pair = found[0]
    assert {pair.case_id, pair.other_case_id} == {first.id, again.id}
    assert pair.applicant_id < pair.other_applicant_id
    assert pair.source is MatchSource.INTAKE
    assert pair.status is MatchStatus.OPEN
    assert pair.band in ("likely_duplicate", "needs_review")
    assert pair.match_weight > 0
    labels = {part["comparison"]: part for part in pair.comparisons}
    assert labels["date_of_birth"]["weight"] > 0
    # Stored keys are blind indexes, never the values themselves.
    stored = uow.session.scalars(
        select(IdentityKey.key).where(IdentityKey.applicant_id == pair.applicant_id)
    ).all()
    assert stored
    assert all(len(k) == keys.KEY_CHARS and "perez" not in k for k in stored)


def test_different_people_are_not_flagged(uow: UnitOfWork, office: object) -> None:
    _first(uow, office)
    other = _register(
        uow, office, given_names="Jean Robert", first_surname="Pierre", second_surname=None,
        date_of_birth=date(1975, 1, 2), nationalities=["HTI"],
    )  # fmt: skip
    assert intake.check_case(uow, other, load_model(), NOW) == []


def test_members_of_one_household_are_never_a_pair(uow: UnitOfWork, office: object) -> None:
    principal = make_applicant(given_names="Ana", first_surname="Rojas", second_surname="Díaz",
                               date_of_birth=date(1990, 1, 1))  # fmt: skip
    household = Household.form(principal)
    household.add_member(
        make_applicant(given_names="Ana", first_surname="Rojas", second_surname="Díaz",
                       date_of_birth=date(2015, 1, 1)),
        Relationship.CHILD,
    )  # fmt: skip
    case = open_case(uow, household=household, office=office)  # type: ignore[arg-type]
    uow.session.flush()
    assert intake.check_case(uow, case, load_model(), NOW) == []


def _pair(uow: UnitOfWork, office: object) -> tuple[Case, Case, MatchCandidate]:
    first = _first(uow, office)
    again = _register(
        uow, office, given_names="María José", first_surname="Pérez", second_surname="Gómez",
        date_of_birth=date(1990, 5, 14), nationalities=["VEN"], phone_e164="+573105550199",
    )  # fmt: skip
    again.household.principal.documents.append(make_document(number="V-12.345.678"))
    uow.session.flush()
    [pair] = intake.check_case(uow, again, load_model(), NOW)
    assert pair.band == "likely_duplicate"
    return first, again, pair


def test_same_person_closes_the_other_case_and_undo_reopens_it(
    uow: UnitOfWork, office: object
) -> None:
    first, again, pair = _pair(uow, office)
    staff = make_staff_user(username="t.reviewer")
    uow.session.add(staff)
    uow.session.flush()
    decide_same_person(uow, pair, keep_case_id=first.id, staff_id=staff.id, now=NOW)
    assert pair.status is MatchStatus.SAME_PERSON
    assert pair.kept_case_id == first.id
    assert again.status is CaseStatus.CLOSED
    assert again.close_reason is CloseReason.DUPLICATE
    assert first.status is CaseStatus.SUBMITTED
    with pytest.raises(DecisionRefused):
        decide_different_people(uow, pair, staff_id=staff.id, now=NOW)
    # A re-check does not bring a decided pair back.
    assert intake.check_case(uow, again, load_model(), NOW) == []
    undo_decision(uow, pair, staff_id=staff.id, now=NOW)
    assert pair.status is MatchStatus.OPEN
    assert again.status is CaseStatus.SUBMITTED
    assert again.close_reason is None
    actions = set(uow.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "match_candidate")
    ))  # fmt: skip
    assert actions == {"identity.match.same_person", "identity.match.undo"}


def test_keeping_a_case_outside_the_pair_is_refused(uow: UnitOfWork, office: object) -> None:
    _, _, pair = _pair(uow, office)
    with pytest.raises(DecisionRefused) as refused:
        decide_same_person(uow, pair, keep_case_id=-1, staff_id=1, now=NOW)
    assert refused.value.reason == "keep"


def test_different_people_stay_apart_until_their_data_changes(
    uow: UnitOfWork, office: object
) -> None:
    _, again, pair = _pair(uow, office)
    staff = make_staff_user(username="t.reviewer2")
    uow.session.add(staff)
    uow.session.flush()
    decide_different_people(uow, pair, staff_id=staff.id, now=NOW)
    assert intake.check_case(uow, again, load_model(), NOW) == []
    again.household.principal.given_names = "María Josefa"
    uow.session.flush()
    [back] = intake.check_case(uow, again, load_model(), NOW)
    assert back.id == pair.id
    assert back.status is MatchStatus.OPEN


def test_staff_see_a_pair_only_when_both_cases_are_in_scope(
    uow: UnitOfWork, office: object
) -> None:
    elsewhere = make_office(code="t-intake-2")
    uow.session.add(elsewhere)
    uow.session.flush()
    _first(uow, office)
    again = _register(
        uow, elsewhere, given_names="María José", first_surname="Pérez", second_surname="Gómez",
        date_of_birth=date(1990, 5, 14), nationalities=["VEN"],
    )  # fmt: skip
    [pair] = intake.check_case(uow, again, load_model(), NOW)
    here_only = ScopeSet(office_ids=frozenset({office.id}))  # type: ignore[attr-defined]
    both = ScopeSet(office_ids=frozenset({office.id, elsewhere.id}))  # type: ignore[attr-defined]
    assert get_candidate(uow.session, here_only, pair.id) is None
    assert list(open_candidates(uow.session, here_only)) == []
    assert list(candidates_of_case(uow.session, here_only, again.id)) == []
    assert get_candidate(uow.session, both, pair.id) is pair
    assert list(open_candidates(uow.session, both)) == [pair]
    count = uow.session.scalar(select(func.count()).select_from(MatchCandidate))
    assert count == 1


def test_an_open_pair_that_no_longer_holds_is_removed(uow: UnitOfWork, office: object) -> None:
    _, again, pair = _pair(uow, office)
    principal = again.household.principal
    principal.given_names = "Jean Robert"
    principal.first_surname = "Pierre"
    principal.second_surname = None
    principal.date_of_birth = date(1975, 1, 2)
    principal.phone = None
    principal.documents.clear()
    uow.session.flush()
    assert intake.check_case(uow, again, load_model(), NOW) == []
    assert uow.session.scalar(select(func.count()).select_from(MatchCandidate)) == 0
    assert pair not in uow.session


def test_reindexing_rebuilds_the_keys_the_check_finds_people_by(
    uow: UnitOfWork, office: object
) -> None:
    first = _first(uow, office)
    uow.session.execute(IdentityKey.__table__.delete())
    again = _register(
        uow, office, given_names="Maria", first_surname="Perez", second_surname=None,
        date_of_birth=date(1990, 5, 14), nationalities=["VEN"],
    )  # fmt: skip
    assert intake.reindex_all(uow) >= 2
    stored = set(uow.session.scalars(select(IdentityKey.applicant_id)))
    assert first.household.principal_applicant_id in stored
    [pair] = intake.check_case(uow, again, load_model(), NOW)
    assert first.id in {pair.case_id, pair.other_case_id}
