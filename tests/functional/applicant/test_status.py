"""The applicant signs in with reference, access code and date of birth; guessing is
limited; nobody else's case can be reached."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from tests.functional.applicant.test_registration import PRINCIPAL, _post, _ready_to_register


def _register(client: TestClient) -> tuple[str, str]:
    _ready_to_register(client)
    _post(client, "/col/register", PRINCIPAL)
    _post(client, "/col/register/review", {})
    done = client.get("/col/register/done").text
    reference = re.search(r'<strong class="code">([A-Z0-9-]+)</strong>', done)
    code = re.search(r'<p class="code">\s*<strong>([A-Z0-9-]+)</strong>', done)
    assert reference, done
    assert code, done
    return reference.group(1), code.group(1)


def _sign_in(client: TestClient, reference: str, code: str, born: str) -> object:
    client.get("/status")
    return client.post(
        "/status",
        data={"csrf_token": client.cookies["csrf"], "reference": reference,
              "access_code": code, "date_of_birth": born},
        follow_redirects=False,
    )  # fmt: skip


def test_the_applicant_sees_status_and_reasons(client: TestClient) -> None:
    reference, code = _register(client)
    response = _sign_in(client, reference.lower().replace("-", " "), code.lower(), "1990-05-04")
    assert response.headers["location"] == "/status/case"  # type: ignore[attr-defined]
    page = html.unescape(client.get("/status/case?lang=es").text)
    assert reference in page
    assert "Yorgelis" in page
    assert "Oficina de Movilidad Segura, Colombia" in page
    assert "Costa Rica" not in page  # other countries' offices are not shown


def test_a_wrong_detail_gets_one_message_and_guessing_is_stopped(client: TestClient) -> None:
    reference, code = _register(client)
    for born in ("1990-05-05", "1990-05-04"):
        wrong = _sign_in(client, reference, "AAAA-BBBB-CCCC", born)
        assert wrong.status_code == 400  # type: ignore[attr-defined]
    assert _sign_in(client, reference, code, "1991-01-01").status_code == 400  # type: ignore[attr-defined]
    for _ in range(2):
        _sign_in(client, reference, "nope", "1990-05-04")
    blocked = _sign_in(client, reference, code, "1990-05-04")  # even the right code waits
    assert blocked.status_code == 429  # type: ignore[attr-defined]
    assert "15" in blocked.text  # type: ignore[attr-defined]


def test_without_signing_in_there_is_nothing_to_see(client: TestClient) -> None:
    assert client.get("/status/case", follow_redirects=False).headers["location"] == "/status"
    client.cookies.set("case_status", "1.9999999999.forged", path="/status")
    assert client.get("/status/case", follow_redirects=False).headers["location"] == "/status"
