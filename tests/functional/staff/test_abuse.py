"""Attacks on sign-in and the workspace that must fail."""

from __future__ import annotations

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from movilidad.kernel.clock import utcnow
from movilidad.staff.models import StaffUser
from tests.functional.staff.helpers import PASSWORD, build_world, hidden_fields, sign_in


@pytest.fixture
def world(session_factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    return build_world(session_factory)


def _password_only(client: TestClient, username: str) -> dict[str, str]:
    fields = hidden_fields(client.get("/staff/sign-in").text)
    client.post("/staff/sign-in", data={**fields, "username": username, "password": PASSWORD})
    return hidden_fields(client.get("/staff/two-factor").text)


def _locked(factory: sessionmaker[Session], username: str) -> bool:
    with factory() as session:
        user = session.scalars(select(StaffUser).where(StaffUser.username == username)).one()
        return user.locked_until is not None and user.locked_until > utcnow()


def test_guessing_codes_locks_even_if_the_password_is_given_again(
    app: object, world: object, session_factory: sessionmaker[Session]
) -> None:
    with TestClient(app) as first:  # type: ignore[arg-type]
        secret = sign_in(first, "cw.bog")
    assert secret is not None
    for _ in range(3):
        with TestClient(app) as attacker:  # type: ignore[arg-type]
            fields = _password_only(attacker, "cw.bog")
            for _ in range(2):
                attacker.post("/staff/two-factor", data={**fields, "code": "000000"})
    assert _locked(session_factory, "cw.bog")
    with TestClient(app) as attacker:  # type: ignore[arg-type]
        fields = hidden_fields(attacker.get("/staff/sign-in").text)
        response = attacker.post(
            "/staff/sign-in", data={**fields, "username": "cw.bog", "password": PASSWORD}
        )
        assert response.status_code == 400  # locked: even the right password waits


def test_parallel_half_signed_in_sessions_share_the_lock(
    app: object, world: object, session_factory: sessionmaker[Session]
) -> None:
    with TestClient(app) as first:  # type: ignore[arg-type]
        secret = sign_in(first, "cw.lim")
    assert secret is not None
    clients = [TestClient(app) for _ in range(7)]  # type: ignore[arg-type]
    forms = [_password_only(c, "cw.lim") for c in clients]
    for client, fields in zip(clients[:6], forms[:6], strict=True):
        client.post("/staff/two-factor", data={**fields, "code": "000000"})
    last = clients[6].post(
        "/staff/two-factor",
        data={**forms[6], "code": pyotp.TOTP(secret).now()},
        follow_redirects=False,
    )
    assert last.headers["location"].startswith("/staff/sign-in")
    assert clients[6].get("/staff/cases", follow_redirects=False).status_code == 303
    for client in clients:
        client.close()


@pytest.mark.parametrize(
    ("secret", "code"),
    [("1" * 32, "123456"), ("é" * 32, "123456"), ("A" * 31 + "8", "123456"),
     ("", "１２３４５６"), ("", "12 34 56 78 90")],
)  # fmt: skip
def test_odd_enrolment_input_is_a_400_not_a_500(
    client: TestClient, world: object, secret: str, code: str
) -> None:
    fields = _password_only(client, "mgr.bog")
    data = {**fields, "code": code, **({"secret": secret} if secret else {})}
    assert client.post("/staff/two-factor", data=data).status_code == 400


def test_the_session_token_changes_after_the_second_factor(
    app: object, client: TestClient, world: object
) -> None:
    _password_only(client, "sup.col")
    before = client.cookies.get("staff_session")
    page = client.get("/staff/two-factor")
    fields = hidden_fields(page.text)
    client.post("/staff/two-factor", data={**fields, "code": pyotp.TOTP(fields["secret"]).now()})
    after = client.cookies.get("staff_session")
    assert before
    assert after
    assert before != after
    with TestClient(app) as stolen:  # type: ignore[arg-type]
        response = stolen.get(
            "/staff/cases", headers={"Cookie": f"staff_session={before}"}, follow_redirects=False
        )
    assert response.status_code == 303


def test_a_form_from_another_site_is_refused(client: TestClient, world: object) -> None:
    fields = hidden_fields(client.get("/staff/sign-in").text)
    response = client.post(
        "/staff/sign-in",
        data={**fields, "username": "cw.bog", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


def test_a_half_signed_in_session_can_sign_out(client: TestClient, world: object) -> None:
    fields = _password_only(client, "cw.bog")
    response = client.post("/staff/sign-out", data=fields, follow_redirects=False)
    assert response.headers["location"] == "/staff/sign-in"
    assert client.get("/staff/two-factor", follow_redirects=False).status_code == 303


def test_no_redirect_echoes_the_host_header(client: TestClient, world: object) -> None:
    response = client.get("/staff/cases/", headers={"Host": "evil.example"}, follow_redirects=False)
    assert "evil.example" not in response.headers.get("location", "")


def test_language_links_stay_on_this_site(client: TestClient) -> None:
    page = client.get("//evil.example")
    assert 'href="//' not in page.text


@pytest.mark.parametrize(
    "target",
    ["/staff/..//evil.example", "//evil.example", "/staff/%2e%2e//evil.example",
     "https://evil.example/staff/", "/staff/\\\\evil.example"],
)  # fmt: skip
def test_next_never_leaves_the_workspace(client: TestClient, world: object, target: str) -> None:
    fields = hidden_fields(client.get("/staff/sign-in").text)
    response = client.post(
        "/staff/sign-in",
        data={**fields, "username": "analyst", "password": PASSWORD, "next": target},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/staff/cases"


def test_filters_survive_the_trip_through_sign_in(client: TestClient, world: object) -> None:
    response = client.get("/staff/cases?status=all&office=t-bog", follow_redirects=False)
    location = response.headers["location"]
    assert "office" in location
    assert "status" in location


def test_nul_characters_anywhere_are_refused_never_a_server_error(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    """PostgreSQL cannot store NUL in text: every form and query must still answer."""
    world = build_world(session_factory)
    csrf = hidden_fields(client.get("/staff/sign-in").text)["csrf_token"]
    signed = client.post("/staff/sign-in", data={"csrf_token": csrf, "username": "cw\x00.bog",
                                                 "password": "x\x00"})  # fmt: skip
    assert signed.status_code == 400
    sign_in(client, "cw.bog")
    for query in ("search=a%00b", "status=%00", "office=%00", "nationality=%00",
                  "reference=%00", "page=%00"):  # fmt: skip
        assert client.get(f"/staff/cases?{query}").status_code in (200, 400), query
    reference = world.case_bogota.display_reference
    page = client.get(f"/staff/cases/{reference}")
    fields = hidden_fields(page.text)
    moved = client.post(f"/staff/cases/{reference}/transition",
                        data={**fields, "to_status": "pre_screened", "note": "a\x00b"})  # fmt: skip
    assert moved.status_code in (200, 303, 400)
    body = {"csrf_token": fields["csrf_token"], "body": "hola\x00"}
    message = client.post(f"/staff/cases/{reference}/messages", data=body)
    assert message.status_code in (200, 303, 400)
    assert client.get(f"/staff/cases/{reference}%00").status_code == 404
    assert client.get("/verify?reference=%00&code=%00").status_code == 200


def test_unicode_digits_in_ids_are_a_404(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    world = build_world(session_factory)
    reference = world.case_bogota.display_reference
    sign_in(client, "cw.bog")
    assert client.get(f"/staff/cases/{reference}/documents/%C2%B2").status_code == 404
    csrf = hidden_fields(client.get(f"/staff/cases/{reference}").text)["csrf_token"]
    withdrawn = client.post(f"/staff/cases/{reference}/consents/%C2%B2/withdraw",
                            data={"csrf_token": csrf})  # fmt: skip
    assert withdrawn.status_code == 404
    assert client.get("/staff/audit?case=x&before=%C2%B2").status_code == 404  # cw: no audit


def test_a_lockout_ends_the_sessions_already_open(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    build_world(session_factory)
    sign_in(client, "cw.bog")
    page = client.get("/staff/confirm")
    fields = hidden_fields(page.text)
    for _ in range(6):
        client.post("/staff/confirm", data={**fields, "password": "wrong", "code": "000000"})
    locked = client.get("/staff/cases", follow_redirects=False)
    assert locked.status_code == 303
    assert locked.headers["location"].startswith("/staff/sign-in")
