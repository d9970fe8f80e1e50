"""A caseworker books an interview for a household at the desk, finds it on the day's
agenda and checks the household in, in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import (
    Authenticator,
    Demo,
    assert_accessible,
    screenshot,
    staff_sign_in,
)

pytestmark = pytest.mark.browser


def test_staff_book_an_interview_and_check_the_household_in(
    browser: Browser, demo: Demo, authenticator: Authenticator
) -> None:
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    staff_sign_in(page, demo, authenticator, "manager.bog")  # test_staff enrols caseworkers
    page.goto(f"{demo.url}/staff/cases?lang=en")
    assert page.get_by_role("link", name="Interview agenda").count() == 1
    links = [link.get_attribute("href") or "" for link in page.locator("tbody tr a").all()]
    reference = ""
    for href in reversed(links):  # the newest cases: other journeys take the oldest
        page.goto(f"{demo.url}{href}")
        page.get_by_role("link", name="Interview", exact=True).click()
        page.wait_for_url("**/appointment")
        book = page.get_by_role("button", name="Book and confirm")
        if book.count():
            reference = page.locator("h1 code").inner_text()
            book.first.click()
            break
    assert reference, "no case without an appointment"
    page.wait_for_url("**/appointment?done=booked")
    assert "booked and confirmed" in page.locator("#outcome").inner_text()
    screenshot(page, "appointment-booked")

    page.get_by_role("link", name="See it in the agenda").click()
    page.wait_for_url("**/staff/agenda?**")
    row = page.locator("tbody tr", has=page.locator("code", has_text=reference))
    assert row.count() == 1
    assert "Confirmed" in row.inner_text()
    row.get_by_role("button", name="Check in").click()
    page.wait_for_url("**done=checked_in**")
    row = page.locator("tbody tr", has=page.locator("code", has_text=reference))
    assert "The household is checked in." in page.locator("#outcome").inner_text()
    assert row.get_by_role("button", name="Attended").count() == 1
    assert page.locator("#count-arrived").inner_text().strip() != "0"
    screenshot(page, "agenda")
    assert_accessible(page, "agenda")
    desk.close()
