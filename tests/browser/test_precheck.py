"""An applicant on a phone reads the notice, consents, answers the pre-check and sees
which programmes may fit — in Spanish and Haitian Creole, with JavaScript on and off."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page

from tests.browser.conftest import SCREENSHOTS, Demo, assert_accessible

pytestmark = pytest.mark.browser

ANSWERS = {
    "nationalities": ("select", "VEN"),
    "current_country": ("select", "COL"),
    "present_in_current_country_since": ("date", "2021-08-15"),
    "status_in_current_country": ("radio", "regular"),
    "date_of_birth": ("date", "1989-11-02"),
    "fear_of_persecution": ("radio", "yes"),
    "permanent_status_in_another_country": ("radio", "no"),
}


def _shot(page: Page, name: str) -> None:
    if SCREENSHOTS is not None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(("lang", "javascript"), [("es", True), ("ht", False)])
def test_pre_check_journey(browser: Browser, demo: Demo, lang: str, javascript: bool) -> None:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, java_script_enabled=javascript
    )
    page = context.new_page()
    page.goto(f"{demo.url}/col?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    _shot(page, f"applicant-landing-{lang}")
    page.locator("a.button").click()
    page.wait_for_url("**/col/privacy")
    assert page.locator("h2").count() >= 5
    _shot(page, f"applicant-privacy-{lang}")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url("**/col/check**")
    for step in range(25):
        if "/check/result" in page.url:
            break
        fact = page.locator("input[name=fact]").get_attribute("value")
        if step < 4:
            _shot(page, f"applicant-question-{step + 1}-{lang}")
        kind, value = ANSWERS.get(fact or "", ("skip", ""))
        if kind == "select":
            page.select_option("#value", value)
        elif kind == "date":
            page.fill("#value", value)
        elif kind == "radio":
            page.check(f"input[name=value][value={value}]")
        action = "skip" if kind == "skip" else "answer"
        page.locator(f"button[name=action][value={action}]").click()
        page.wait_for_load_state()
    assert "/check/result" in page.url
    assert page.locator("section.result-eligible h3").count() >= 1
    _shot(page, f"applicant-result-{lang}")
    context.close()


def test_a_wrong_date_is_explained_next_to_the_field(browser: Browser, demo: Demo) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{demo.url}/col/privacy?lang=es")
    page.locator("form.stack button[type=submit]").click()
    page.select_option("#value", "VEN")
    page.locator("button[name=action][value=answer]").click()
    page.select_option("#value", "COL")
    page.locator("button[name=action][value=answer]").click()
    page.locator("button[name=action][value=answer]").click()  # no date given
    error = page.locator("#answer-error")
    assert error.is_visible()
    assert page.locator("fieldset").first.get_attribute("aria-describedby") == "answer-error"
    _shot(page, "applicant-error-es")
    context.close()


def _fill_person(page: Page, person: dict[str, str]) -> None:
    for field in ("given_names", "first_surname", "second_surname", "date_of_birth"):
        if person.get(field):
            page.fill(f"#{field}", person[field])
    page.check(f"input[name=sex][value={person['sex']}]")
    page.select_option("#nationality", person["nationality"])


def _passport_photo(path: Path) -> Path:
    """A JPEG carrying a GPS position, as a phone camera writes it."""
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (4.0, 36.0, 0.0)})
    Image.new("RGB", (300, 200), "navy").save(path, format="JPEG", exif=exif.tobytes())
    return path


@pytest.mark.parametrize(("lang", "javascript"), [("es", True), ("ht", True), ("ht", False)])
def test_a_household_of_four_registers_and_checks_its_status(
    browser: Browser, demo: Demo, lang: str, javascript: bool, tmp_path: Path
) -> None:
    """The whole journey on a phone: notice, consent, pre-check, a household of four
    with a passport photo, the reference and code, the status page, and the
    verification page telling a real message from a scammer's. With JavaScript on,
    axe-core checks every page."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, java_script_enabled=javascript
    )
    page = context.new_page()

    def step(name: str) -> None:
        _shot(page, f"journey-{name}-{lang}{'' if javascript else '-nojs'}")
        if javascript:
            assert_accessible(page, f"{name} ({lang})")

    page.goto(f"{demo.url}/col?lang={lang}")
    step("landing")
    page.locator("a.button").click()
    step("privacy")
    page.locator("form.stack button[type=submit]").click()
    for number in range(25):
        if "/check/result" in page.url:
            break
        if number < 2:
            step(f"question-{number + 1}")
        fact = page.locator("input[name=fact]").get_attribute("value")
        kind, value = ANSWERS.get(fact or "", ("skip", ""))
        if kind == "select":
            page.select_option("#value", value)
        elif kind == "date":
            page.fill("#value", value)
        elif kind == "radio":
            page.check(f"input[name=value][value={value}]")
        page.locator(f"button[name=action][value={'skip' if kind == 'skip' else 'answer'}]").click()
    step("result")
    page.locator("a.button[href$='/register']").click()
    step("register-principal")
    _fill_person(page, {"given_names": "Génesis", "first_surname": "Peña",
                        "second_surname": "Rojas", "date_of_birth": "1989-11-02",
                        "sex": "female", "nationality": "VEN"})  # fmt: skip
    page.select_option("#document_type", "passport")
    page.fill("#document_number", "134 567 890")
    page.select_option("#document_country", "VEN")
    page.set_input_files("#document_file", str(_passport_photo(tmp_path / "pasaporte.jpg")))
    if page.locator("#office").count():  # Colombia has two offices in the demo
        page.select_option("#office", index=1)
    page.fill("#phone", "310 555 0123")
    page.check("input[name=channel][value=sms]")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url("**/register/members")
    for person in (
        {"relationship": "spouse", "given_names": "Jean Carlos", "first_surname": "Rojas",
         "date_of_birth": "1987-01-20", "sex": "male", "nationality": "VEN"},
        {"relationship": "child", "given_names": "Valentina", "first_surname": "Rojas",
         "second_surname": "Peña", "date_of_birth": "2014-06-01", "sex": "female",
         "nationality": "COL"},
        {"relationship": "child", "given_names": "Yeferson", "first_surname": "Rojas",
         "second_surname": "Peña", "date_of_birth": "2018-03-15", "sex": "male",
         "nationality": "COL"},
    ):  # fmt: skip
        page.select_option("#relationship", person["relationship"])
        _fill_person(page, person)
        page.locator("form.stack button[type=submit]").click()
    assert page.locator("ul.members li").count() == 3
    step("register-members")
    page.locator("a.button[href$='/register/review']").click()
    step("register-review")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url("**/register/done")
    reference = page.locator("strong.code").inner_text()
    code = page.locator("p.code strong").inner_text()
    step("register-done")
    page.goto(f"{demo.url}/status")
    step("status-sign-in")
    page.fill("#reference", reference)
    page.fill("#access_code", code)
    page.fill("#date_of_birth", "1989-11-02")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url("**/status/case")
    assert reference in page.locator("h1").inner_text()
    step("status")
    # The confirmation SMS (never with the access code) carries a check code.
    sms = next(
        json.loads(line) for line in reversed(demo.sms_outbox.read_text().splitlines())
        if reference in line
    )  # fmt: skip
    assert code not in sms["body"]
    real = re.findall(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b", sms["body"].replace(reference, ""))[-1]
    page.goto(f"{demo.url}/verify")
    page.fill("#reference", reference)
    page.fill("#code", "QQQQ-7777")  # what a scammer made up
    page.locator("form.stack button[type=submit]").click()
    assert page.locator("section.verdict-fake").is_visible()
    step("verify-fake")
    page.fill("#code", real)
    page.locator("form.stack button[type=submit]").click()
    assert page.locator("section.verdict-genuine").is_visible()
    step("verify-genuine")
    context.close()
