from __future__ import annotations

import html
from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from movilidad.audit.models import AuditEvent
from movilidad.kernel.clock import utcnow
from movilidad.staff.models import StaffSession, StaffUser
from tests.functional.staff.helpers import PASSWORD, build_world, hidden_fields, sign_in


@pytest.fixture
def world(session_factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    return build_world(session_factory)


def _user(factory: sessionmaker[Session], username: str) -> StaffUser:
    with factory() as session:
        return session.scalars(select(StaffUser).where(StaffUser.username == username)).one()


def test_first_sign_in_enrols_totp_then_asks_for_codes(
    client: TestClient, world: object, session_factory: sessionmaker[Session]
) -> None:
    secret = sign_in(client, "cw.bog")
    assert secret is not None
    assert client.get("/staff/cases").status_code == 200
    assert _user(session_factory, "cw.bog").totp_secret == secret
    client.post("/staff/sign-out", data=hidden_fields(client.get("/staff/cases").text))
    assert client.get("/staff/cases", follow_redirects=False).status_code == 303

    fields = hidden_fields(client.get("/staff/sign-in").text)
    client.post("/staff/sign-in", data={**fields, "username": "cw.bog", "password": PASSWORD})
    page = client.get("/staff/two-factor")
    assert "secret" not in hidden_fields(page.text)  # no new enrolment
    used = pyotp.TOTP(secret).now()
    refused = client.post("/staff/two-factor", data={**hidden_fields(page.text), "code": used})
    assert refused.status_code == 400  # the enrolment code cannot be used again
    later = pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30))
    accepted = client.post(
        "/staff/two-factor",
        data={**hidden_fields(page.text), "code": later},
        follow_redirects=False,
    )
    assert accepted.status_code == 303


def test_a_password_alone_does_not_open_the_workspace(client: TestClient, world: object) -> None:
    fields = hidden_fields(client.get("/staff/sign-in").text)
    client.post("/staff/sign-in", data={**fields, "username": "cw.bog", "password": PASSWORD})
    response = client.get("/staff/cases", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/sign-in")


def test_wrong_password_gives_one_message_for_every_failure(
    client: TestClient, world: object
) -> None:
    fields = hidden_fields(client.get("/staff/sign-in?lang=es").text)
    wrong = client.post("/staff/sign-in", data={**fields, "username": "cw.bog", "password": "nope"})
    unknown = client.post("/staff/sign-in", data={**fields, "username": "ghost", "password": "x"})
    assert wrong.status_code == unknown.status_code == 400
    message = "Nombre de usuario o contraseña incorrectos"
    assert message in html.unescape(wrong.text)
    assert message in html.unescape(unknown.text)


def test_repeated_failures_lock_the_account_with_back_off(
    client: TestClient, world: object, session_factory: sessionmaker[Session]
) -> None:
    fields = hidden_fields(client.get("/staff/sign-in").text)
    for _ in range(5):
        client.post("/staff/sign-in", data={**fields, "username": "cw.lim", "password": "bad"})
    user = _user(session_factory, "cw.lim")
    assert user.locked_until is not None
    assert user.locked_until > utcnow()
    locked = client.post(
        "/staff/sign-in", data={**fields, "username": "cw.lim", "password": PASSWORD}
    )
    assert locked.status_code == 400  # even the right password waits
    with session_factory() as session:
        failures = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "staff.sign_in_failed")
        ).all()
    assert len(failures) == 6


def test_a_form_without_the_csrf_token_is_refused(client: TestClient, world: object) -> None:
    client.get("/staff/sign-in")
    response = client.post(
        "/staff/sign-in",
        data={"username": "cw.bog", "password": PASSWORD, "csrf_token": "forged"},
    )
    assert response.status_code == 403


def test_an_idle_session_expires(
    client: TestClient, world: object, session_factory: sessionmaker[Session], app: object
) -> None:
    sign_in(client, "cw.bog")
    with session_factory() as session:
        for row in session.scalars(select(StaffSession)):
            row.last_seen_at = utcnow() - timedelta(hours=2)
        session.commit()
    response = client.get("/staff/cases", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/sign-in?next=/staff/cases"


def test_analyst_needs_no_second_factor_but_sees_no_cases(
    client: TestClient, world: object
) -> None:
    assert sign_in(client, "analyst") is None
    assert client.get("/staff/cases").status_code == 404


def test_next_cannot_leave_the_workspace(client: TestClient, world: object) -> None:
    fields = hidden_fields(client.get("/staff/sign-in").text)
    response = client.post(
        "/staff/sign-in",
        data={**fields, "username": "analyst", "password": PASSWORD,
              "next": "https://evil.example/steal"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.headers["location"] == "/staff/cases"


def test_session_cookie_flags(client: TestClient, world: object) -> None:
    fields = hidden_fields(client.get("/staff/sign-in").text)
    response = client.post(
        "/staff/sign-in",
        data={**fields, "username": "cw.bog", "password": PASSWORD},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/staff" in cookie
