"""The intake check in the browser, on the demo server: a woman registers in Bogotá;
later, on another phone, she registers again without her second surname and without
accents. Nothing on her pages says so. The office manager finds the pair in the review
queue, sees the two records side by side (the second surname missing, the date of
birth agreeing), decides "same person" (the second case is closed as a duplicate), and
undoes it (the case is open again)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    Authenticator,
    Demo,
    assert_accessible,
    screenshot,
    staff_sign_in,
)
from tests.browser.test_precheck import ANSWERS, _fill_person

pytestmark = pytest.mark.browser

OFFICE = "col-bog"
PHONE = {"width": 360, "height": 740}


def _register(page: Page, demo: Demo, person: dict[str, str], email: str) -> str:
    """Register a household of one in Bogotá, in Spanish, by e-mail; returns the
    reference as shown."""
    page.goto(f"{demo.url}/col/privacy?lang=es")
    page.locator("form.stack button[type=submit]").click()
    for _ in range(25):
        if "/check/result" in page.url:
            break
        fact = page.locator("input[name=fact]").get_attribute("value")
        kind, value = ANSWERS.get(fact or "", ("skip", ""))
        if kind == "select":
            page.select_option("#value", value)
        elif kind == "date":
            page.fill("#value", value)
        elif kind == "radio":
            page.check(f"input[name=value][value={value}]")
        page.locator(f"button[name=action][value={'skip' if kind == 'skip' else 'answer'}]").click()
    page.locator("a.button[href$='/register']").click()
    _fill_person(page, person)
    page.select_option("#office", OFFICE)
    page.fill("#email", email)
    page.check("input[name=channel][value=email]")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url("**/register/members")
    page.locator("a.button[href$='/register/review']").click()
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url("**/register/done")
    return page.locator("strong.code").inner_text().strip()


def test_a_re_registration_without_the_second_surname_is_flagged_and_resolved(
    browser: Browser, demo: Demo, authenticator: Authenticator
) -> None:
    first_phone = browser.new_context(viewport=PHONE).new_page()
    first = _register(first_phone, demo, {
        "given_names": "María José", "first_surname": "Pérez", "second_surname": "Gómez",
        "date_of_birth": "1990-05-14", "sex": "female", "nationality": "VEN",
    }, "maria.perez@example.org")  # fmt: skip
    second_phone = browser.new_context(viewport=PHONE).new_page()
    second = _register(second_phone, demo, {
        "given_names": "Maria", "first_surname": "Perez", "second_surname": "",
        "date_of_birth": "1990-05-14", "sex": "female", "nationality": "VEN",
    }, "mjperez@example.org")  # fmt: skip
    assert first != second
    done = second_phone.locator("main").inner_text().lower()
    assert "duplic" not in done
    assert first.lower() not in done

    staff = browser.new_context().new_page()
    staff_sign_in(staff, demo, authenticator, "manager.bog")
    staff.goto(f"{demo.url}/staff/duplicates?lang=en")
    row = staff.locator("tbody tr", has_text=first).filter(has_text=second)
    expect(row).to_have_count(1)
    assert_accessible(staff, "duplicate queue")
    screenshot(staff, "duplicates-queue")
    row.locator("a[href*='/staff/duplicates/']").first.click()
    staff.wait_for_url("**/staff/duplicates/*")
    expect(staff.locator("h1")).to_contain_text("Possible duplicate")
    second_surname = staff.locator("table.comparison tbody tr", has_text="Second surname")
    expect(second_surname).to_contain_text("Missing")
    expect(staff.locator("table.comparison tbody tr", has_text="Date of birth")).to_contain_text(
        "Agree"
    )
    assert_accessible(staff, "duplicate detail")
    screenshot(staff, "duplicates-detail")

    staff.locator("label.option", has_text=f"Keep {first}").locator("input").check()
    staff.get_by_role("button", name="Same person").click()
    expect(staff.locator("p.notice")).to_be_visible()
    expect(staff.locator("dl.facts")).to_contain_text("closed as a duplicate")
    staff.goto(f"{demo.url}/staff/cases/{second}?lang=en")
    expect(staff.locator("main")).to_contain_text("Duplicate")

    staff.go_back()
    staff.reload()
    staff.get_by_role("button", name="Undo decision").click()
    expect(staff.locator("p.notice")).to_be_visible()
    expect(staff.get_by_role("button", name="Same person")).to_be_visible()
    staff.goto(f"{demo.url}/staff/cases/{second}?lang=en")
    expect(staff.locator("main")).to_contain_text("Possible duplicates")
