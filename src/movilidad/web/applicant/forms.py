"""Reading one pre-check answer from a submitted form, per fact type.

Returns the value to store, or an error code that the page shows next to the field
(translated there). Nothing here trusts the browser: every value is checked again by
the facts schema when it is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.datastructures import FormData

from movilidad.kernel.countries import InvalidCountry, validate_alpha3
from movilidad.kernel.dates import is_iso_date
from movilidad.pathways.facts import FactSpec

MAX_RELATIVES = 3
EARLIEST_DATE = "1900-01-01"  # no answer about a living person is older


def _(message: str) -> str:
    return message


ERRORS = {
    "choose": _("Choose an answer."),
    "date": _("Enter a real date, for example 2019-03-25."),
    "future": _("This date cannot be in the future."),
    "country": _("Choose a country from the list."),
    "relative": _(
        "For each relative, choose the country, how you are related and their status there."
    ),
}


@dataclass(frozen=True)
class Parsed:
    value: Any = None
    error: str | None = None


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value.strip()[:200] if isinstance(value, str) else ""


def _country(text: str) -> str | None:
    try:
        return validate_alpha3(text.upper()) if text else None
    except InvalidCountry:
        return None


def parse_answer(spec: FactSpec, form: FormData, today: date) -> Parsed:
    """The answer to ``spec`` in ``form`` (fields named ``value``, ``value2``,
    ``choice``, ``country_N``/``relationship_N``/``status_N``)."""
    kind = spec.type
    if kind == "bool":
        choice = _text(form, "value")
        if choice not in ("yes", "no"):
            return Parsed(error="choose")
        return Parsed(choice == "yes")
    if kind == "enum":
        choice = _text(form, "value")
        return Parsed(choice) if choice in spec.values else Parsed(error="choose")
    if kind == "date":
        if spec.nullable and _text(form, "choice") == "none":
            return Parsed(None)
        text = _text(form, "value")
        if not is_iso_date(text):
            return Parsed(error="date")
        if date.fromisoformat(text) > today:
            return Parsed(error="future")
        if text < EARLIEST_DATE:
            return Parsed(error="date")
        return Parsed(text)
    if kind == "country":
        code = _country(_text(form, "value"))
        return Parsed(code) if code else Parsed(error="country")
    if kind == "countries":
        first = _country(_text(form, "value"))
        if first is None:
            return Parsed(error="country")
        second_text = _text(form, "value2")
        second = _country(second_text)
        if second_text and second is None:
            return Parsed(error="country")
        return Parsed(sorted({first, *([second] if second else [])}))
    if kind == "list":
        choice = _text(form, "choice")
        if choice == "none":
            return Parsed([])
        rows = []
        for i in range(MAX_RELATIVES):
            parts = {
                "country": _text(form, f"country_{i}"),
                "relationship": _text(form, f"relationship_{i}"),
                "relative_status": _text(form, f"status_{i}"),
            }
            if not any(parts.values()):
                continue
            country = _country(parts["country"])
            relationship_ok = parts["relationship"] in spec.fields["relationship"].values
            status_ok = parts["relative_status"] in spec.fields["relative_status"].values
            if country is None or not relationship_ok or not status_ok:
                return Parsed(error="relative")
            rows.append({**parts, "country": country})
        if rows:
            return Parsed(rows)
        return Parsed(error="relative" if choice == "rows" else "choose")
    return Parsed(error="choose")
