from __future__ import annotations

from datetime import date

import pytest
from babel.messages.pofile import read_po

from movilidad.config import PROJECT_ROOT
from movilidad.i18n import country_name, format_long_date, load_catalogues, parse_accept_language
from movilidad.kernel.languages import SUPPORTED_LANGUAGES

LOCALE = PROJECT_ROOT / "locale"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    with (LOCALE / "movilidad.pot").open("rb") as handle:
        template = {m.id for m in read_po(handle) if m.id}
    with (LOCALE / language / "LC_MESSAGES" / "movilidad.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert template <= translated, sorted(template - translated)


def test_catalogues_load_and_translate() -> None:
    catalogues = load_catalogues(LOCALE)
    assert catalogues.get("ht").gettext("Our offices") == "Biwo nou yo"
    assert catalogues.get("es").gettext("Our offices") == "Nuestras oficinas"
    assert catalogues.get("en").gettext("Our offices") == "Our offices"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-CA,fr;q=0.9,en;q=0.5", ["fr", "en"]),
        ("de-DE,de;q=0.9", []),
        ("en;q=0.2, pt-BR", ["pt", "en"]),
        ("ht;q=garbage,es", ["es"]),
        ("", []),
        ("es;q=0", []),
    ],
)
def test_accept_language_parsing(header: str, expected: list[str]) -> None:
    assert parse_accept_language(header) == expected


def test_country_names_are_localised_including_haitian_creole() -> None:
    assert country_name("COL", "es") == "Colombia"
    assert country_name("COL", "fr") == "Colombie"
    assert country_name("COL", "ht") == "Kolonbi"
    assert country_name("DEU", "ht") == "Allemagne"  # falls back to French
    assert country_name("ZZZ", "es") == "ZZZ"


def test_long_dates_in_each_language() -> None:
    day = date(2026, 7, 9)
    assert format_long_date(day, "es") == "9 de julio de 2026"
    assert format_long_date(day, "ht") == "9 jiyè 2026"
    assert format_long_date(day, "pt") == "9 de julho de 2026"


def test_no_template_text_outside_gettext() -> None:
    """Every word a template shows goes through ``_()``: text between tags that is not
    inside ``{{ }}``, ``{% %}`` or ``{# #}`` may only be punctuation or symbols."""
    import re

    from movilidad.web.templating import TEMPLATE_DIR

    css_class = re.compile(r"{% block body_class %}[\w-]*{% endblock %}")  # not shown
    jinja = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)
    tags = re.compile(r"<[^>]*>", re.DOTALL)
    found = []
    for template in sorted(TEMPLATE_DIR.rglob("*.html")):
        text = tags.sub(" ", jinja.sub(" ", css_class.sub(" ", template.read_text())))
        words = [w for w in re.findall(r"[^\W\d_]{2,}", text) if w not in {"UTC", "PDF", "JSON"}]
        if words:
            found.append(f"{template.relative_to(TEMPLATE_DIR)}: {words[:5]}")
    assert not found, found
