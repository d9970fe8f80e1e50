from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

EXPECTED_H1 = {
    "es": "Oficina de Movilidad Segura",
    "en": "Safe Mobility Office",
    "fr": "Bureau de mobilité sûre",
    "ht": "Biwo Migrasyon San Danje",
    "pt": "Escritório de Mobilidade Segura",
}


def test_home_page_changes_language_through_the_switcher(browser: Browser, demo_url: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="es-CO")
    page = context.new_page()
    page.goto(demo_url + "/")
    assert page.locator("h1").inner_text() == EXPECTED_H1["es"]
    seen = {"es": page.locator("main").inner_text()}
    for lang, name in [("en", "English"), ("fr", "Français"), ("ht", "Kreyòl ayisyen"),
                       ("pt", "Português"), ("es", "Español")]:  # fmt: skip
        page.get_by_role("link", name=name, exact=True).click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("h1").inner_text() == EXPECTED_H1[lang]
        seen[lang] = page.locator("main").inner_text()
        if SCREENSHOTS is not None:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"home-{lang}.png"), full_page=True)
    assert len(set(seen.values())) == 5  # every language shows different text
    context.close()


def test_the_language_choice_survives_a_new_visit(browser: Browser, demo_url: str) -> None:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(demo_url + "/?lang=ht")
    page.goto(demo_url + "/")
    assert page.locator("h1").inner_text() == EXPECTED_H1["ht"]
    context.close()


def test_the_page_is_usable_without_css(browser: Browser, demo_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.route("**/*.css", lambda route: route.abort())
    page.goto(demo_url + "/?lang=pt")
    assert page.locator("h1").inner_text() == EXPECTED_H1["pt"]
    assert page.get_by_role("link", name="Kreyòl ayisyen").is_visible()
    context.close()
