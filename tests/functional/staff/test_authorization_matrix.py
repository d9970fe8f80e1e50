"""Every route × every role × a case in and out of the role's scope, generated from the
route table. The proof that no role sees another office's cases, and that every route
declares who may call it."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from movilidad.cases.models import Case
from movilidad.cases.services import open_case
from movilidad.db.uow import UnitOfWork
from movilidad.households.models import Household
from movilidad.identity.models import MatchCandidate, MatchSource
from movilidad.kernel.clock import utcnow
from movilidad.kernel.permissions import ROLE_PERMISSIONS, Permission, RoleName
from movilidad.offices.models import Office
from movilidad.web.security import PUBLIC, STAFF_SIGNED_IN, route_table
from tests.factories import make_applicant
from tests.functional.staff.helpers import World, build_world, hidden_fields, sign_in

USERS = {
    "cw.bog": (RoleName.CASEWORKER, "bogota"),
    "cw.lim": (RoleName.CASEWORKER, "lima"),
    "sup.col": (RoleName.SUPERVISOR, "bogota"),  # country scope: Colombia
    "mgr.bog": (RoleName.OFFICE_MANAGER, "bogota"),
    "liaison": (RoleName.PARTNER_LIAISON, "bogota"),  # receives Bogotá's referral only
    "analyst": (RoleName.DATA_ANALYST, None),
    "admin": (RoleName.ADMINISTRATOR, None),
}


PARAMETERS = ("{reference}", "{referral_id}", "{window_id}", "{candidate_id}")


def add_candidates(factory: sessionmaker[Session], world: World) -> dict[int, int]:
    """Case id → the id of an open match candidate pairing that case with a second
    registration of the same person at the same office (stored as the intake check
    would store it)."""
    found: dict[int, int] = {}
    with UnitOfWork(factory) as uow:
        for case in (world.case_bogota, world.case_lima):
            office = uow.session.get(Office, case.office_id)
            mine = uow.session.get(Case, case.id)
            assert office is not None
            assert mine is not None
            # The same person registered again: opening a case re-scores its open
            # pairs and removes those that no longer hold, so the pair must be real.
            first = mine.household.principal
            again = make_applicant(given_names=first.given_names, nationalities=["VEN"],
                                   date_of_birth=first.date_of_birth)  # fmt: skip
            other = open_case(uow, household=Household.form(again), office=office)
            uow.session.flush()
            candidate = MatchCandidate(
                applicant_id=mine.household.principal_applicant_id,
                other_applicant_id=other.household.principal_applicant_id,
                case_id=mine.id, other_case_id=other.id, match_weight=12.5,
                match_probability=0.9998, band="likely_duplicate", comparisons=[],
                values_digest="0" * 64, source=MatchSource.INTAKE, found_at=utcnow(),
            )  # fmt: skip
            uow.session.add(candidate)
            uow.session.flush()
            found[case.id] = candidate.id
        uow.commit()
    return found


def test_every_route_declares_who_may_call_it(app: FastAPI) -> None:
    routes = route_table(app)
    assert {"/", "/healthz", "/staff/cases", "/staff/cases/{reference}"} <= {r.path for r in routes}
    assert [r.path for r in routes if r.requirement is None] == []


def _expected(
    requirement: object, role: RoleName, in_scope: bool, has_param: bool, path: str
) -> int:
    if requirement == PUBLIC:
        return 200  # or a redirect into the flow, see below
    if requirement == STAFF_SIGNED_IN:
        return 303 if path == "/staff" else 200  # the home page sends each role onwards
    assert isinstance(requirement, Permission)
    if requirement not in ROLE_PERMISSIONS[role]:
        return 404
    return 200 if in_scope or not has_param else 404


@pytest.mark.parametrize("username", sorted(USERS))
def test_authorization_matrix(
    app: FastAPI, session_factory: sessionmaker[Session], username: str
) -> None:
    world: World = build_world(session_factory)
    candidates = add_candidates(session_factory, world)
    cases = {"bogota": world.case_bogota, "lima": world.case_lima}
    role, home = USERS[username]
    checked = 0
    with TestClient(app, raise_server_exceptions=False) as client:
        sign_in(client, username)
        for route in route_table(app):
            if "GET" not in route.methods or route.path.startswith("/staff/two-factor"):
                continue
            requirement = route.requirement
            has_param = any(name in route.path for name in PARAMETERS)
            for where, case in cases.items():
                in_scope = where == home
                path = route.path.replace("{reference}", case.display_reference)
                path = path.replace("{country}", "col")
                path = path.replace("{file_id}", str(world.scans[case.id]))
                path = path.replace("{referral_id}", str(world.referrals[case.id]))
                path = path.replace("{window_id}", str(world.windows[case.id]))
                path = path.replace("{candidate_id}", str(candidates[case.id]))
                response = client.get(path, follow_redirects=False)
                expected = _expected(requirement, role, in_scope, has_param, route.path)
                if requirement == PUBLIC and response.status_code == 303:
                    expected = 303  # a public step that sends the visitor elsewhere first
                assert response.status_code == expected, (username, path, response.status_code)
                if route.path == "/staff/cases" and expected == 200:
                    listed = case.display_reference in response.text
                    assert listed is in_scope, (username, where, "list disagrees with scope")
                checked += 1
        csrf = hidden_fields(client.get("/staff/sign-in").text)["csrf_token"]
        for route in route_table(app):
            if "POST" not in route.methods or not isinstance(route.requirement, Permission):
                continue
            for where, case in cases.items():
                in_scope = where == home
                path = route.path.replace("{reference}", case.display_reference)
                path = path.replace("{consent_id}", str(world.consents[case.id]))
                path = path.replace("{window_id}", str(world.windows[case.id]))
                path = path.replace("{candidate_id}", str(candidates[case.id]))
                response = client.post(path, data={"csrf_token": csrf}, follow_redirects=False)
                has_param = any(name in route.path for name in PARAMETERS)
                allowed = route.requirement in ROLE_PERMISSIONS[role] and (
                    in_scope or not has_param
                )
                # allowed: the empty form is refused (400), or a form with nothing to
                # fill is done (303); anyone else cannot tell the case exists (404).
                expected = {400, 303} if allowed else {404}
                assert response.status_code in expected, (username, "POST", path)
                checked += 1
    assert checked >= 8


def test_signed_out_visitors_are_sent_to_sign_in(
    app: FastAPI, session_factory: sessionmaker[Session]
) -> None:
    world = build_world(session_factory)
    candidates = add_candidates(session_factory, world)
    with TestClient(app) as client:
        for route in route_table(app):
            requirement = route.requirement
            if "GET" not in route.methods or requirement == PUBLIC:
                continue
            path = route.path.replace("{reference}", world.case_bogota.display_reference)
            path = path.replace("{country}", "col")
            path = path.replace("{file_id}", str(world.scans[world.case_bogota.id]))
            path = path.replace("{referral_id}", str(world.referrals[world.case_bogota.id]))
            path = path.replace("{candidate_id}", str(candidates[world.case_bogota.id]))
            response = client.get(path, follow_redirects=False)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/staff/sign-in?next=")


def test_a_tampered_reference_is_a_404_like_any_other(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    build_world(session_factory)
    sign_in(client, "sup.col")
    for reference in ("../../etc/passwd", "ZZZ-ZZZ-ZZZ", "x" * 500, "%00", "' OR 1=1 --"):
        assert client.get(f"/staff/cases/{reference}").status_code == 404
