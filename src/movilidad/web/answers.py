"""An answer to a pre-check question written for people to read (applicant's summary,
case detail for staff): labels instead of codes, countries and dates in words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from movilidad.i18n import country_name, format_long_date
from movilidad.pathways.catalogue import Catalogue


def format_answer(
    catalogue: Catalogue | None,
    name: str,
    value: Any,
    language: str,
    gettext: Callable[[str], str],
) -> str:
    """``value`` of fact ``name`` in ``language`` ("Yes", "Colombia", "4 de marzo de 2026",
    "My brother or sister (Canada)"…); the raw value when the fact is unknown."""
    spec = catalogue.facts.facts.get(name) if catalogue is not None else None
    if spec is None:
        return str(value)
    if value is None:
        return spec.options["none"][language] if "none" in spec.options else gettext("None")
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if spec.type == "enum":
        return spec.options.get(value, {}).get(language, str(value))
    if spec.type == "country":
        return country_name(str(value), language)
    if spec.type == "countries":
        return ", ".join(country_name(code, language) for code in value)
    if spec.type == "date":
        return format_long_date(date.fromisoformat(str(value)), language)
    if spec.type == "list":
        if not value:
            return gettext("None")
        labels = spec.fields["relationship"].options
        return "; ".join(
            f"{labels.get(item.get('relationship', ''), {}).get(language, '?')} "
            f"({country_name(item.get('country', ''), language)})"
            for item in value
        )
    return str(value)
