"""The pre-check through its forms: consent first, one question per page, a result in
plain words; bad input gets a message next to the field and never a 500."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from movilidad.consent.models import ConsentRecord
from tests.functional.staff.helpers import hidden_fields

FACT = re.compile(r'name="fact" value="([a-z_0-9]+)"')


def _consent(client: TestClient, lang: str = "es") -> None:
    page = client.get(f"/col/privacy?lang={lang}")
    assert page.status_code == 200
    response = client.post("/col/privacy", data=hidden_fields(page.text), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/col/check"


def test_each_question_has_its_own_address_for_the_back_button(client: TestClient) -> None:
    _consent(client, "en")
    first = client.get("/col/check", follow_redirects=False)
    assert first.headers["location"] == "/col/check?q=nationalities"
    page = client.get(first.headers["location"])
    client.post("/col/check", data={**hidden_fields(page.text), "value": "VEN", "action": "answer"})
    assert client.get("/col/check", follow_redirects=False).headers["location"] == (
        "/col/check?q=current_country"
    )
    back = client.get("/col/check?q=nationalities")  # the Back button
    assert 'value="VEN" selected' in back.text.replace("\n", " ") or "selected" in back.text
    not_yet = client.get("/col/check?q=date_of_birth", follow_redirects=False)
    assert not_yet.headers["location"] == "/col/check?q=current_country"  # no skipping ahead


def test_agreeing_again_keeps_the_answers(client: TestClient) -> None:
    _consent(client, "en")
    page = client.get("/col/check")
    client.post("/col/check", data={**hidden_fields(page.text), "value": "VEN", "action": "answer"})
    again = client.get("/col/privacy")
    client.post("/col/privacy", data=hidden_fields(again.text))
    assert (
        client.get("/col/check", follow_redirects=False)
        .headers["location"]
        .endswith("q=current_country")
    )


def test_a_non_ascii_csrf_token_is_a_403_not_a_500(client: TestClient) -> None:
    _consent(client, "en")
    page = client.get("/col/check")
    data = {**hidden_fields(page.text), "csrf_token": "ñandú", "value": "VEN"}
    assert client.post("/col/check", data=data).status_code == 403


def _form_for(fact: str, value: Any) -> dict[str, str]:
    if isinstance(value, bool):
        return {"value": "yes" if value else "no"}
    if isinstance(value, list):
        return {"value": value[0], **({"value2": value[1]} if len(value) > 1 else {})}
    return {"value": value}


def _answer_all(client: TestClient, answers: dict[str, Any]) -> list[str]:
    asked: list[str] = []
    for _ in range(40):
        page = client.get("/col/check")
        if page.url.path == "/col/check/result":
            return asked
        fact = FACT.search(page.text)
        assert fact, page.text
        name = fact.group(1)
        asked.append(name)
        fields = hidden_fields(page.text)
        if name in answers:
            data = {**fields, **_form_for(name, answers[name]), "action": "answer"}
        else:
            data = {**fields, "action": "skip"}
        response = client.post("/col/check", data=data, follow_redirects=False)
        assert response.status_code == 303, (name, response.text[-500:])
    pytest.fail("the questionnaire did not end")


def test_landing_explains_the_office_and_that_it_is_free(client: TestClient) -> None:
    page = client.get("/col?lang=ht")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Tunja" in text
    assert "gratis" in text
    assert client.get("/zzz").status_code == 404
    assert client.get("/per").status_code == 404  # no office there


def test_no_question_before_consent(client: TestClient) -> None:
    response = client.get("/col/check", follow_redirects=False)
    assert response.headers["location"] == "/col/privacy"


def test_consent_is_recorded_with_version_language_and_time(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    _consent(client, "ht")
    with session_factory() as session:
        record = session.scalars(select(ConsentRecord)).one()
    assert (record.country, record.language) == ("COL", "ht")
    assert record.notice_version
    assert record.given_at is not None


def test_an_eligible_venezuelan_learns_which_programmes_fit(client: TestClient) -> None:
    _consent(client)
    asked = _answer_all(
        client,
        {
            "nationalities": ["VEN"], "current_country": "COL",
            "present_in_current_country_since": "2022-03-01",
            "status_in_current_country": "regular", "date_of_birth": "1990-05-04",
            "fear_of_persecution": True, "permanent_status_in_another_country": False,
        },
    )  # fmt: skip
    assert asked[:4] == [
        "nationalities",
        "current_country",
        "present_in_current_country_since",
        "status_in_current_country",
    ]
    result = html.unescape(client.get("/col/check/result?lang=es").text)
    assert "Oficina de Movilidad Segura, Colombia" in result
    fits = (
        result.split("Programas para los que")[1] if "Programas para los que" in result else result
    )
    assert "Colombia" in fits


def test_a_colombian_is_told_politely_the_office_cannot_take_the_case(client: TestClient) -> None:
    _consent(client)
    asked = _answer_all(client, {"nationalities": ["COL"]})
    assert asked == ["nationalities"]
    result = client.get("/col/check/result").text
    assert 'class="notice"' in result


@pytest.mark.parametrize(
    ("fact", "form", "message"),
    [
        ("nationalities", {"value": "ZZZ"}, "Choose a country"),
        ("nationalities", {"value": "<script>alert(1)</script>"}, "Choose a country"),
        ("nationalities", {}, "Choose a country"),
    ],
)
def test_bad_answers_get_a_message_next_to_the_field(
    client: TestClient, fact: str, form: dict[str, str], message: str
) -> None:
    _consent(client, "en")
    page = client.get("/col/check")
    response = client.post(
        "/col/check", data={**hidden_fields(page.text), **form, "action": "answer"}
    )
    assert response.status_code == 400
    assert message in html.unescape(response.text)
    assert "<script>alert(1)</script>" not in response.text
    assert 'aria-describedby="answer-error"' in response.text


def test_impossible_and_future_dates_are_refused(client: TestClient) -> None:
    _consent(client, "en")
    _answer_all_until(client, "present_in_current_country_since",
                      {"nationalities": ["VEN"], "current_country": "COL"})  # fmt: skip
    page = client.get("/col/check")
    for value, message in (
        ("2023-02-30", "real date"),
        ("2099-01-01", "future"),
        ("", "real date"),
    ):
        response = client.post(
            "/col/check", data={**hidden_fields(page.text), "value": value, "action": "answer"}
        )
        assert response.status_code == 400, value
        assert message in response.text


def _answer_all_until(client: TestClient, stop: str, answers: dict[str, Any]) -> None:
    for _ in range(10):
        page = client.get("/col/check")
        name = FACT.search(page.text)
        assert name
        if name.group(1) == stop:
            return
        data = {**hidden_fields(page.text), **_form_for(name.group(1), answers[name.group(1)])}
        client.post("/col/check", data={**data, "action": "answer"})
    pytest.fail(f"never asked {stop}")


def test_an_answer_can_be_changed(client: TestClient) -> None:
    _consent(client, "en")
    _answer_all(client, {"nationalities": ["COL"]})
    page = client.get("/col/check?q=nationalities")
    assert FACT.search(page.text).group(1) == "nationalities"  # type: ignore[union-attr]
    client.post("/col/check", data={**hidden_fields(page.text), "value": "VEN", "action": "answer"})
    assert FACT.search(client.get("/col/check").text).group(1) == "current_country"  # type: ignore[union-attr]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(
        st.sampled_from(["fact", "value", "value2", "choice", "action", "country_0",
                         "relationship_0", "status_0", "csrf_token"]),
        st.text(max_size=60),
        max_size=8,
    )
)  # fmt: skip
def test_random_form_posts_never_cause_a_server_error(
    client: TestClient, form: dict[str, str]
) -> None:
    _consent(client, "ht")
    csrf = hidden_fields(client.get("/col/check").text)["csrf_token"]
    response = client.post("/col/check", data={**form, "csrf_token": csrf})
    assert response.status_code in (200, 303, 400), response.status_code


def test_applicant_pages_weigh_under_60_kb_with_no_external_host(client: TestClient) -> None:
    """HTML + CSS of each page, uncompressed (there is no script and no web font)."""
    css = len(client.get("/static/site.css").content)
    _consent(client, "ht")
    for path in ("/", "/col", "/col/privacy", "/col/check", "/col/check/result"):
        page = client.get(path)
        assert len(page.content) + css < 60_000, (path, len(page.content) + css)
        assert "<script" not in page.text
        assert "https://" not in page.text
        assert "http://" not in page.text
