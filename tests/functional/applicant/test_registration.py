"""Registering a household after the pre-check: one person per form, a review, an
idempotent submission with a reference and an access code shown once."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from movilidad.cases.models import Case
from movilidad.consent.models import ConsentRecord
from movilidad.registration.services import verify_access_code
from movilidad.screening.models import Screening
from tests.functional.applicant.test_precheck import _answer_all, _consent

PRINCIPAL = {
    "given_names": "Yorgelis", "first_surname": "Añez", "second_surname": "Quintero",
    "date_of_birth": "1990-05-04", "sex": "female", "nationality": "VEN",
    "phone": "310 555 0199", "email": "", "channel": "sms",
}  # fmt: skip
ANSWERS = {
    "nationalities": ["VEN"], "current_country": "COL",
    "present_in_current_country_since": "2022-03-01", "status_in_current_country": "regular",
}  # fmt: skip


def _ready_to_register(client: TestClient) -> None:
    _consent(client, "en")
    _answer_all(client, ANSWERS)


def _post(client: TestClient, path: str, data: dict[str, str]) -> object:
    client.get(path)
    return client.post(path, data={"csrf_token": client.cookies["csrf"], **data},
                       follow_redirects=False)  # fmt: skip


def test_a_household_of_four_registers_and_gets_a_reference_and_code(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    _ready_to_register(client)
    assert "/col/register" in client.get("/col/check/result").text
    response = _post(client, "/col/register", PRINCIPAL)
    assert response.status_code == 303  # type: ignore[attr-defined]
    for person in (
        {"relationship": "spouse", "given_names": "Wilmer", "first_surname": "Colmenares",
         "date_of_birth": "1988-02-01", "sex": "male", "nationality": "VEN"},
        {"relationship": "child", "given_names": "Sofía", "first_surname": "Colmenares",
         "second_surname": "Añez", "date_of_birth": "2015-09-09", "sex": "female",
         "nationality": "COL"},
        {"relationship": "parent", "given_names": "Rosa Elena", "first_surname": "Quintero",
         "date_of_birth": "1960-03-03", "sex": "female", "nationality": "VEN"},
    ):  # fmt: skip
        added = _post(client, "/col/register/members", person)
        assert added.status_code == 303, added.text  # type: ignore[attr-defined]
    review = client.get("/col/register/review")
    assert "Rosa Elena" in html.unescape(review.text)
    first = _post(client, "/col/register/review", {})
    again = client.post(  # a double click: the same form sent again
        "/col/register/review",
        data={"csrf_token": client.cookies["csrf"]},
        follow_redirects=False,
    )
    assert first.headers["location"] == again.headers["location"] == "/col/register/done"  # type: ignore[attr-defined]
    done = client.get("/col/register/done").text
    code = re.search(r'<p class="code">\s*<strong>([A-Z0-9-]+)</strong>', done)
    assert code, done
    assert "access code" in client.get("/col/register/done").text.lower()
    assert code.group(1) not in client.get("/col/register/done").text  # shown only once
    with session_factory() as session:
        cases = session.scalars(select(Case)).all()
        assert len(cases) == 1
        case = cases[0]
        assert case.household.size == 4
        assert verify_access_code(case.access_code_hash, code.group(1).lower())
        assert case.household.answers["status_in_current_country"] == "regular"
        consent = session.scalars(select(ConsentRecord)).one()
        assert consent.household_id == case.household_id
        assert session.scalar(select(func.count()).select_from(Screening)) == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"given_names": ""}, "given_names", "Fill in this field"),
        ({"given_names": "x" * 10_000}, "given_names", "too long"),
        ({"given_names": "<script>alert(1)</script>"}, "given_names", "special characters"),
        ({"date_of_birth": "2099-01-01"}, "date_of_birth", "future"),
        ({"date_of_birth": "1990-02-30"}, "date_of_birth", "real date"),
        ({"nationality": "XXX"}, "nationality", "country"),
        ({"phone": "12"}, "phone", "does not exist"),
        ({"phone": "", "email": ""}, "phone", "phone number or an e-mail"),
        ({"channel": "email"}, "channel", "how we should contact"),
        ({"sex": "unknown"}, "sex", "Choose an answer"),
    ],
)
def test_bad_details_get_a_message_next_to_the_field(
    client: TestClient, changes: dict[str, str], field: str, message: str
) -> None:
    _ready_to_register(client)
    response = _post(client, "/col/register", {**PRINCIPAL, **changes})
    assert response.status_code == 400  # type: ignore[attr-defined]
    text = html.unescape(response.text)  # type: ignore[attr-defined]
    assert f'id="{field}-error"' in text
    assert message in text
    assert "<script>alert(1)</script>" not in response.text  # type: ignore[attr-defined]


def test_a_child_older_than_the_applicant_is_refused(client: TestClient) -> None:
    _ready_to_register(client)
    _post(client, "/col/register", PRINCIPAL)
    response = _post(client, "/col/register/members", {
        "relationship": "child", "given_names": "Ana", "date_of_birth": "1980-01-01",
        "sex": "female", "nationality": "VEN"})  # fmt: skip
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "cannot be older" in response.text  # type: ignore[attr-defined]


def test_no_registration_before_consent_or_when_the_office_cannot_help(
    client: TestClient,
) -> None:
    assert client.get("/col/register", follow_redirects=False).headers["location"] == (
        "/col/privacy"
    )
    _consent(client, "en")
    _answer_all(client, {"nationalities": ["COL"]})  # Colombians could not apply here
    response = client.get("/col/register", follow_redirects=False)
    assert response.headers["location"] == "/col/check/result"


def test_registration_status_and_verification_pages_weigh_under_60_kb(
    client: TestClient,
) -> None:
    """HTML + CSS of each page, uncompressed; no script, font or other host."""
    css = len(client.get("/static/site.css").content)
    _ready_to_register(client)
    pages = ["/col/register"]
    assert _post(client, "/col/register", PRINCIPAL).status_code == 303  # type: ignore[attr-defined]
    pages += ["/col/register/members", "/col/register/review"]
    for path in pages:
        page = client.get(path)
        assert page.status_code == 200, path
        assert len(page.content) + css < 60_000, (path, len(page.content) + css)
        assert "<script" not in page.text
        assert "://" not in page.text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    _post(client, "/col/register/review", {})
    for path in ("/col/register/done", "/status", "/verify",
                 "/verify?reference=AAA-BBB-CCC&code=AAAA-BBBB"):  # fmt: skip
        page = client.get(path)
        assert page.status_code == 200, path
        assert len(page.content) + css < 60_000, (path, len(page.content) + css)
        assert "<script" not in page.text
        assert "://" not in page.text


@pytest.mark.parametrize(
    ("person", "field", "message"),
    [
        ({"relationship": "spouse", "date_of_birth": "2021-01-01"}, "date_of_birth",
         "cannot be a child"),
        ({"relationship": "child", "date_of_birth": "1990-07-04"}, "date_of_birth",
         "much younger"),
        ({"relationship": "parent", "date_of_birth": "1995-01-01"}, "date_of_birth",
         "cannot be younger"),
    ],
)  # fmt: skip
def test_implausible_ages_in_the_household_are_questioned(
    client: TestClient, person: dict[str, str], field: str, message: str
) -> None:
    _ready_to_register(client)
    _post(client, "/col/register", PRINCIPAL)
    base = {"given_names": "Ana", "first_surname": "Añez", "sex": "female", "nationality": "VEN"}
    response = _post(client, "/col/register/members", {**base, **person})
    assert response.status_code == 400  # type: ignore[attr-defined]
    page = html.unescape(response.text)  # type: ignore[attr-defined]
    assert f'id="{field}-error"' in page
    assert message in page
    assert 'class="error-summary"' in page
    assert f'href="#{field}"' in page


def test_a_landline_cannot_be_the_sms_channel_and_00_is_an_international_prefix(
    client: TestClient,
) -> None:
    _ready_to_register(client)
    landline = _post(client, "/col/register", {**PRINCIPAL, "phone": "601 123 4567"})
    assert landline.status_code == 400  # type: ignore[attr-defined]
    assert "cannot receive text messages" in landline.text  # type: ignore[attr-defined]
    garbage = _post(client, "/col/register", {**PRINCIPAL, "phone": "3001234567@"})
    assert garbage.status_code == 400  # type: ignore[attr-defined]
    prefixed = _post(client, "/col/register", {**PRINCIPAL, "phone": "0058 412 123 4567"})
    assert prefixed.status_code == 303  # type: ignore[attr-defined]
    review = client.get("/col/register/review").text
    assert "+584121234567" in review


def test_the_next_household_on_the_same_phone_starts_afresh(
    client: TestClient,
) -> None:
    _ready_to_register(client)
    _post(client, "/col/register", PRINCIPAL)
    _post(client, "/col/register/review", {})
    done = client.get("/col/register/done").text
    assert "/col/privacy" in done
    _consent(client, "en")  # the next person agrees to the notice
    question = client.get("/col/check", follow_redirects=True)
    assert "Yorgelis" not in question.text
    assert client.get("/col/register", follow_redirects=False).status_code in (200, 303)
    first = client.get("/col/check", follow_redirects=False)
    assert first.headers["location"].endswith("?q=nationalities")  # asked from the start


def test_a_country_with_two_offices_asks_which_is_nearest(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    from movilidad.db.uow import UnitOfWork
    from tests.factories import make_office

    with UnitOfWork(session_factory) as uow:
        uow.session.add(
            make_office(code="t-cal", country="COL", city="Cali", time_zone="America/Bogota")
        )
        uow.commit()
    _ready_to_register(client)
    missing = _post(client, "/col/register", PRINCIPAL)
    assert missing.status_code == 400  # type: ignore[attr-defined]
    assert 'id="office-error"' in missing.text  # type: ignore[attr-defined]
    assert _post(client, "/col/register", {**PRINCIPAL, "office": "t-cal"}).status_code == 303  # type: ignore[attr-defined]
    _post(client, "/col/register/review", {})
    with session_factory() as session:
        case = session.scalars(select(Case)).one()
        assert case.office.city == "Cali"


def test_a_second_registration_of_the_same_person_is_flagged_for_staff_only(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    from movilidad.identity.models import MatchCandidate

    _ready_to_register(client)
    _post(client, "/col/register", PRINCIPAL)
    _post(client, "/col/register/review", {})
    first_done = client.get("/col/register/done").text
    # The same person again, from another phone, leaving out the second surname and the
    # accent, as after a dropped connection.
    _ready_to_register(client)
    again = {**PRINCIPAL, "given_names": "Yorgelis", "first_surname": "Anez",
             "second_surname": "", "phone": "310 555 0123"}  # fmt: skip
    assert _post(client, "/col/register", again).status_code == 303  # type: ignore[attr-defined]
    _post(client, "/col/register/review", {})
    second_done = client.get("/col/register/done").text
    # The applicant is told nothing about the earlier registration.
    strip = re.compile(r"<strong>[A-Z0-9-]+</strong>|[A-Z0-9]{3,4}-[A-Z0-9]{3,4}(-[A-Z0-9]+)?")
    assert strip.sub("", first_done) == strip.sub("", second_done)
    with session_factory() as session:
        cases = session.scalars(select(Case).order_by(Case.id)).all()
        assert len(cases) == 2
        pair = session.scalars(select(MatchCandidate)).one()
        assert {pair.case_id, pair.other_case_id} == {cases[0].id, cases[1].id}
        assert pair.match_weight > 0
