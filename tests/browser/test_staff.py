"""A caseworker signs in with a password and an authenticator code, finds a case and
reads its screening results, on a phone-sized screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import SCREENSHOTS, Authenticator, Demo

pytestmark = pytest.mark.browser


def _shot(page: Page, name: str) -> None:
    if SCREENSHOTS is not None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["es", "ht"])
def test_caseworker_signs_in_with_totp_and_reads_a_case(
    browser: Browser, demo: Demo, authenticator: Authenticator, lang: str
) -> None:
    username = "caseworker.bog" if lang == "es" else "caseworker.cal"
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{demo.url}/staff/cases?lang={lang}")
    assert "/staff/sign-in" in page.url  # not signed in yet
    page.fill("#username", username)
    page.fill("#password", demo.password(username))
    _shot(page, f"staff-sign-in-{lang}")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url("**/staff/two-factor**")
    secret = page.locator("input[name=secret]").get_attribute("value")
    assert secret
    assert page.locator("img[src^='data:image/svg+xml']").is_visible()
    _shot(page, f"staff-two-factor-{lang}")
    authenticator.secrets[username] = secret
    page.fill("#code", authenticator.code(username))
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url("**/staff/cases**")
    rows = page.locator("tbody tr")
    assert rows.count() > 0
    _shot(page, f"staff-cases-{lang}")
    rows.first.locator("a").click()
    page.wait_for_url("**/staff/cases/*")
    assert page.locator("h2").count() >= 4
    assert page.locator("details.screening").count() >= 1
    _shot(page, f"staff-case-{lang}")
    page.get_by_role("button", name=page.locator("form.account button").inner_text()).click()
    page.wait_for_url("**/staff/sign-in**")
    page.goto(f"{demo.url}/staff/cases")
    assert "/staff/sign-in" in page.url  # signed out for good
    context.close()
