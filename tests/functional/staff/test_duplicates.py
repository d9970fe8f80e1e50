"""Staff review suspected duplicate registrations through the forms: opening a case
runs the intake check, the queue lists the pair, the review page compares the two
records, and the decisions (same person, different people, undo) change the cases;
nobody outside both cases' office sees the pair; no input gives a 500."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from movilidad.applicants.models import DocumentType, IdentityDocument
from movilidad.audit.models import AuditEvent
from movilidad.cases.models import Case, CaseStatus, CloseReason
from movilidad.cases.services import open_case
from movilidad.db.uow import UnitOfWork
from movilidad.households.models import Household
from movilidad.identity.models import MatchCandidate, MatchStatus
from movilidad.offices.models import Office
from tests.factories import make_applicant
from tests.functional.staff.helpers import World, build_world, hidden_fields, sign_in


def sign_in_english(client: TestClient, username: str) -> None:
    """Sign in and keep English as the page language (the pages are checked in English)."""
    sign_in(client, username)
    client.get("/staff/sign-in", params={"lang": "en"})


def register(
    factory: sessionmaker[Session], office_id: int, document: str | None, **person: object
) -> Case:
    """A new registration (one person) at the office, as the applicant form makes it."""
    with UnitOfWork(factory) as uow:
        office = uow.session.get(Office, office_id)
        assert office is not None
        principal = make_applicant(**person)
        if document:
            principal.documents.append(IdentityDocument.record(
                type=DocumentType.PASSPORT, number=document, issuing_country="VEN"
            ))  # fmt: skip
        household = Household.form(principal)
        household.answers = {"status_in_current_country": "regular"}
        case = open_case(uow, household=household, office=office)
        uow.commit()
        return case


@dataclass
class Pair:
    world: World
    first: Case
    again: Case
    candidate_id: int


def registered_twice(client: TestClient, factory: sessionmaker[Session]) -> Pair:
    """Dayana registers again at Tunja (accents, a dropped second surname, another
    given-name spelling; same date of birth and passport), and a caseworker opens both
    cases: the second opening finds the first registration."""
    world = build_world(factory)
    again = register(
        factory, world.bogota.id, "p dayana 1", given_names="Dayanna",
        first_surname="Quíspe", second_surname=None, nationalities=["VEN"],
        date_of_birth=date(1992, 3, 3),
    )  # fmt: skip
    sign_in_english(client, "cw.bog")
    assert client.get(f"/staff/cases/{world.case_bogota.display_reference}").status_code == 200
    page = client.get(f"/staff/cases/{again.display_reference}")
    assert page.status_code == 200
    with factory() as session:
        candidate = session.scalars(select(MatchCandidate)).one()
        assert {candidate.case_id, candidate.other_case_id} == {world.case_bogota.id, again.id}
        candidate_id = candidate.id
    return Pair(world, world.case_bogota, again, candidate_id)


def _csrf(client: TestClient, path: str) -> dict[str, str]:
    return {"csrf_token": hidden_fields(client.get(path).text)["csrf_token"]}


def _post(client: TestClient, pair: Pair, action: str, **data: str) -> str:
    """Post a decision form of the pair's page; returns the redirect target."""
    page = f"/staff/duplicates/{pair.candidate_id}"
    response = client.post(f"{page}/{action}", data={**_csrf(client, page), **data},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(f"{page}?")
    return location


def _status(factory: sessionmaker[Session], case_id: int) -> tuple[CaseStatus, object]:
    with factory() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.status, case.close_reason


def _audit(factory: sessionmaker[Session], action: str) -> list[AuditEvent]:
    with factory() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_opening_a_case_finds_the_earlier_registration_and_the_queue_lists_it(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    pair = registered_twice(client, session_factory)
    first, again = pair.first.display_reference, pair.again.display_reference
    case_page = client.get(f"/staff/cases/{again}").text
    assert "Possible duplicates" in case_page
    assert first in case_page
    assert f"/staff/duplicates/{pair.candidate_id}" in case_page
    queue = client.get("/staff/duplicates")
    assert queue.status_code == 200
    assert first in queue.text
    assert again in queue.text
    assert "Likely duplicate" in queue.text
    assert pair.world.case_lima.display_reference not in queue.text
    assert first not in client.get("/staff/duplicates", params={"band": "needs_review"}).text
    assert again in client.get("/staff/duplicates", params={"band": "likely_duplicate"}).text
    flagged = client.get("/staff/cases", params={"flag": "duplicate"}).text
    assert first in flagged
    assert again in flagged
    assert "Possible duplicate" in flagged
    listed = _audit(session_factory, "identity.match.list")
    assert listed
    assert listed[0].detail["count"] == 1
    # Opening the case again scores the pair again; it stays one pair, found when it was.
    with session_factory() as session:
        found = session.scalars(select(MatchCandidate.found_at)).one()
    client.get(f"/staff/cases/{first}")
    with session_factory() as session:
        assert session.scalars(select(MatchCandidate.found_at)).all() == [found]


def test_the_review_page_compares_the_records_and_explains_the_weight(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    pair = registered_twice(client, session_factory)
    page = client.get(f"/staff/duplicates/{pair.candidate_id}")
    assert page.status_code == 200
    text = page.text
    assert pair.first.display_reference in text
    assert pair.again.display_reference in text
    assert "Dayana" in text
    assert "Dayanna" in text
    # Accents and case do not count; a dropped surname is missing; the given names differ.
    assert 'class="match-agree"' in text
    assert 'class="match-disagree"' in text
    assert 'class="match-missing"' in text
    for marker in ("Agree", "Disagree", "Missing"):
        assert marker in text
    assert "Positive bits are evidence that the two records are the same person" in text
    assert "Starting point" in text
    assert "Identity document number" in text
    assert "Same person" in text
    assert "Different people" in text
    assert "Undo decision" not in text
    [viewed] = _audit(session_factory, "identity.match.view")
    assert viewed.object_id == str(pair.candidate_id)
    assert viewed.detail["cases"] == sorted(viewed.detail["cases"])
    assert "Dayana" not in json.dumps(viewed.detail)
    assert "P-DAYANA" not in json.dumps(viewed.detail)


def test_same_person_closes_the_other_case_as_a_duplicate(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    pair = registered_twice(client, session_factory)
    refused = _post(client, pair, "same")  # no case chosen
    assert "error=keep" in refused
    assert "Choose which of the two cases to keep." in client.get(refused).text
    done = _post(client, pair, "same", keep_case_id=str(pair.first.id))
    assert "done=same" in done
    page = client.get(done).text
    assert "The other case is closed as a duplicate." in page
    assert "Undo decision" not in page  # a caseworker cannot undo
    assert _status(session_factory, pair.again.id) == (CaseStatus.CLOSED, CloseReason.DUPLICATE)
    assert _status(session_factory, pair.first.id)[0] is CaseStatus.SUBMITTED
    case_page = client.get(f"/staff/cases/{pair.again.display_reference}").text
    assert "Closed" in case_page
    assert "Duplicate" in case_page
    assert f"duplicate of {pair.first.reference}" in case_page
    assert pair.again.display_reference not in client.get("/staff/duplicates").text
    twice = _post(client, pair, "same", keep_case_id=str(pair.first.id))
    assert "error=decided" in twice
    assert "This pair has already been decided." in client.get(twice).text
    [decided] = _audit(session_factory, "identity.match.same_person")
    assert decided.detail["closed"] == pair.again.id


def test_different_people_leave_the_queue_and_are_not_suggested_again(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    pair = registered_twice(client, session_factory)
    done = _post(client, pair, "different")
    assert "done=different" in done
    assert "Recorded as different people." in client.get(done).text
    assert pair.again.display_reference not in client.get("/staff/duplicates").text
    # Opening the cases again runs the intake check again: the pair stays decided.
    client.get(f"/staff/cases/{pair.again.display_reference}")
    client.get(f"/staff/cases/{pair.first.display_reference}")
    assert pair.again.display_reference not in client.get("/staff/duplicates").text
    case_page = client.get(f"/staff/cases/{pair.again.display_reference}").text
    assert "Possible duplicates" not in case_page
    with session_factory() as session:
        candidate = session.get(MatchCandidate, pair.candidate_id)
        assert candidate is not None
        assert candidate.status is MatchStatus.DIFFERENT_PEOPLE
    assert _status(session_factory, pair.again.id)[0] is CaseStatus.SUBMITTED
    assert (
        pair.again.display_reference
        not in client.get("/staff/cases", params={"flag": "duplicate"}).text
    )


def test_a_supervisor_undoes_a_decision_and_the_closed_case_reopens(
    app: FastAPI, client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    pair = registered_twice(client, session_factory)
    _post(client, pair, "same", keep_case_id=str(pair.again.id))
    assert _status(session_factory, pair.first.id) == (CaseStatus.CLOSED, CloseReason.DUPLICATE)
    page = f"/staff/duplicates/{pair.candidate_id}"
    csrf = _csrf(client, page)
    assert client.post(f"{page}/undo", data=csrf).status_code == 404  # a caseworker
    with TestClient(app, raise_server_exceptions=False) as supervisor:
        sign_in_english(supervisor, "sup.col")
        decided = supervisor.get(page).text
        assert "Same person" in decided
        assert "Cw.Bog" in decided  # who decided
        assert "Undo decision" in decided
        undone = supervisor.post(f"{page}/undo", data=_csrf(supervisor, page),
                                 follow_redirects=False)  # fmt: skip
        assert undone.status_code == 303
        assert "done=undone" in undone.headers["location"]
        assert "back in the queue" in supervisor.get(undone.headers["location"]).text
        assert _status(session_factory, pair.first.id) == (CaseStatus.SUBMITTED, None)
        assert pair.first.display_reference in supervisor.get("/staff/duplicates").text
        again = supervisor.post(f"{page}/undo", data=_csrf(supervisor, page),
                                follow_redirects=False)  # fmt: skip
        assert "error=not_decided" in again.headers["location"]
    assert len(_audit(session_factory, "identity.match.undo")) == 1


def test_staff_of_another_office_cannot_see_or_decide_the_pair(
    app: FastAPI, client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    pair = registered_twice(client, session_factory)
    page = f"/staff/duplicates/{pair.candidate_id}"
    with TestClient(app, raise_server_exceptions=False) as other:
        sign_in_english(other, "cw.lim")
        assert other.get(page).status_code == 404
        queue = other.get("/staff/duplicates")
        assert queue.status_code == 200
        assert pair.first.display_reference not in queue.text
        csrf = _csrf(other, "/staff/duplicates")
        for action, data in (("same", {"keep_case_id": str(pair.first.id)}), ("different", {})):
            assert other.post(f"{page}/{action}", data={**csrf, **data}).status_code == 404
    with TestClient(app, raise_server_exceptions=False) as liaison:
        sign_in_english(liaison, "liaison")
        assert liaison.get(page).status_code == 404
        assert liaison.get("/staff/duplicates").status_code == 404
    with session_factory() as session:
        candidate = session.get(MatchCandidate, pair.candidate_id)
        assert candidate is not None
        assert candidate.status is MatchStatus.OPEN


def test_odd_ids_and_values_give_plain_error_pages_never_500(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    pair = registered_twice(client, session_factory)
    for raw in ("abc", "0", "-1", "1.5", "99999999999999999999", str(2**31), "１２", "%00",
                "1%20OR%201=1", str(pair.candidate_id + 1000)):  # fmt: skip
        response = client.get(f"/staff/duplicates/{raw}")
        assert response.status_code == 404, raw
        csrf = _csrf(client, "/staff/duplicates")
        for action in ("same", "different"):
            posted = client.post(f"/staff/duplicates/{raw}/{action}",
                                 data={**csrf, "keep_case_id": "1"})  # fmt: skip
            assert posted.status_code == 404, (raw, action)
    for keep in ("abc", "", " ", "-5", "99999999999999999999", str(pair.world.case_lima.id),
                 "1e3", "x" * 19, "\u0661"):  # fmt: skip
        location = _post(client, pair, "same", keep_case_id=keep)
        assert "error=keep" in location, keep
    csrf = _csrf(client, "/staff/duplicates")
    too_long = client.post(f"/staff/duplicates/{pair.candidate_id}/same",
                           data={**csrf, "keep_case_id": "1" * 50})  # fmt: skip
    assert too_long.status_code == 400
    for params in ({"band": "<script>"}, {"band": "x" * 500}, {"done": "<b>", "error": "zz"}):
        response = client.get(f"/staff/duplicates/{pair.candidate_id}", params=params)
        assert response.status_code in (200, 400), params
        assert "<script>" not in response.text
        assert "<b>" not in response.text
    queue = client.get("/staff/duplicates", params={"band": "<script>"})
    assert queue.status_code == 200
    assert pair.first.display_reference in queue.text
    assert _status(session_factory, pair.again.id)[0] is CaseStatus.SUBMITTED
    no_csrf = client.post(f"/staff/duplicates/{pair.candidate_id}/different")
    assert no_csrf.status_code == 403
