"""Random data posted to every applicant form: refused or accepted, never a server
error. Text includes control characters, HTML, SQL and very long values."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.functional.applicant.test_registration import (
    PRINCIPAL,
    _post,
    _ready_to_register,
)
from tests.functional.staff.helpers import hidden_fields

NASTY = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["<script>alert(1)</script>", "'; DROP TABLE cases; --", "\x00\x1b[2J",
                     "x" * 10_000, "2024-02-30", "9999-12-31", "+0000000", "ZZZ", "-1",
                     "１２３", "😀" * 50]),
)  # fmt: skip
PERSON_FIELDS = ["given_names", "first_surname", "second_surname", "date_of_birth", "sex",
                 "nationality", "relationship", "phone", "email", "channel", "document_type",
                 "document_number", "document_country", "document_file_kept",
                 "document_file_remove", "remove"]  # fmt: skip
FAST = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FAST
@given(st.dictionaries(st.sampled_from(PERSON_FIELDS), NASTY, max_size=10),
       st.binary(max_size=300))  # fmt: skip
def test_random_people_and_files_never_cause_a_server_error(
    client: TestClient, form: dict[str, str], upload: bytes
) -> None:
    client.cookies.clear()
    _ready_to_register(client)
    principal = {**PRINCIPAL, **form}
    csrf = client.cookies["csrf"]
    response = client.post("/col/register", data={**principal, "csrf_token": csrf},
                           files={"document_file": ("x.jpg", upload, "image/jpeg")},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code in (303, 400), response.status_code
    _post(client, "/col/register", PRINCIPAL)
    member = client.post("/col/register/members", data={**form, "csrf_token": csrf},
                         follow_redirects=False)  # fmt: skip
    assert member.status_code in (303, 400), member.status_code
    review = client.get("/col/register/review")
    assert review.status_code == 200
    assert "<script>alert(1)</script>" not in review.text


SIGN_IN_FIELDS = ["reference", "access_code", "date_of_birth", "code", "lang", "csrf_token"]


@FAST
@given(st.dictionaries(st.sampled_from(SIGN_IN_FIELDS), NASTY, max_size=6))
def test_random_status_and_verification_input_never_causes_a_server_error(
    client: TestClient, form: dict[str, str]
) -> None:
    client.cookies.clear()
    csrf = hidden_fields(client.get("/status").text)["csrf_token"]
    signed = client.post("/status", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert signed.status_code in (400, 429), signed.status_code
    checked = client.get("/verify", params=form)
    assert checked.status_code in (200, 400, 429), checked.status_code
