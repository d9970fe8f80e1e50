"""Two caseworkers in different offices and a supervisor work a case in Chromium:
from submission to referral (with consent and a package) and closure."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import Authenticator, Demo, screenshot, staff_sign_in

pytestmark = pytest.mark.browser


def _move(page, status: str) -> None:  # type: ignore[no-untyped-def]
    page.select_option("#to_status", status)
    page.locator("form[action$='/transition'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#transition-error").count() == 0, status


def test_a_case_goes_from_submission_to_referral_and_closure(
    browser: Browser, demo: Demo, authenticator: Authenticator
) -> None:
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    staff_sign_in(page, demo, authenticator, "caseworker.bog")
    page.goto(f"{demo.url}/staff/cases?status=submitted&lang=es")
    page.locator("tbody tr a").first.click()
    page.wait_for_url("**/staff/cases/*")
    reference = page.locator("h1 code").inner_text()
    for status in ("pre_screened", "interview_scheduled", "interviewed"):
        _move(page, status)
    page.select_option("#recipient_id", "rsc-latam")
    page.locator("form[action$='/consents'] button[type=submit]").click()
    page.wait_for_load_state()
    page.select_option("#target", "rsc-latam|us-usrap")
    page.locator("form[action$='/referrals'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#referral-error").count() == 0
    assert page.locator("a[href$='/package.pdf']").count() == 1
    screenshot(page, "workflow-referred")
    with page.expect_download() as download:
        page.locator("a[href$='/package.pdf']").click()
    assert download.value.suggested_filename.endswith(".pdf")
    desk.close()

    # A caseworker of another office cannot even tell the case exists.
    other = browser.new_context(viewport={"width": 360, "height": 740})
    page = other.new_page()
    staff_sign_in(page, demo, authenticator, "caseworker.gua")
    response = page.goto(f"{demo.url}/staff/cases/{reference}")
    assert response is not None
    assert response.status == 404
    other.close()

    # The supervisor records the destination's decision and closes the case.
    office = browser.new_context(viewport={"width": 1280, "height": 900})
    page = office.new_page()
    staff_sign_in(page, demo, authenticator, "supervisor.col")
    page.goto(f"{demo.url}/staff/cases/{reference}?lang=es")
    _move(page, "decision_received")
    page.select_option("#to_status", "closed")
    page.select_option("#close_reason", "decision_negative")
    page.fill("#note", "La decisión fue negativa.")
    page.locator("form[action$='/transition'] button[type=submit]").click()
    page.wait_for_load_state()
    assert re.search(r"Cerrado|Closed", page.locator("dl.facts").inner_text())
    screenshot(page, "workflow-closed")
    page.goto(f"{demo.url}/staff/audit?case={reference}")
    trail = page.locator("table").inner_text()
    assert "referral.create" in trail
    assert "case.transition" in trail
    office.close()
