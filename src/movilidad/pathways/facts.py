"""The facts schema: what criteria may ask about an applicant and their household.

The schema is data (``catalogue/facts.yaml``): each fact has a type, and, unless it
is derived, a question and answer labels in every supported language. This module
validates a household's facts against it and computes the derived facts.

Fact values as evaluated by conditions:

========== ===================================================================
type       value
========== ===================================================================
country    ISO 3166-1 alpha-3 code (``"VEN"``)
countries  list of alpha-3 codes, sorted, no duplicates
date       ISO 8601 date text (``"2023-06-11"``)
bool       ``true`` / ``false``
integer    whole number
enum       one of the listed values
list       list of objects whose fields have the types above
========== ===================================================================

A fact absent from the input is *unknown*; ``null`` is only accepted for facts marked
``nullable`` and means "none" (e.g. never registered as an asylum seeker).
Household members go under ``members``: a list of objects with ``relationship`` and
any of ``date_of_birth``, ``nationalities``, ``sex``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from movilidad.kernel.countries import InvalidCountry, validate_alpha3
from movilidad.kernel.dates import is_iso_date

FACT_TYPES: Final = frozenset({"country", "countries", "date", "bool", "integer", "enum", "list"})
MEMBER_RELATIONSHIPS: Final = (
    "spouse",
    "common_law_partner",
    "child",
    "stepchild",
    "grandchild",
    "parent",
    "other",
)

#: Derived facts and how they are computed from answered facts on the as-of date.
DERIVED: Final = {
    "age": "whole years from date_of_birth to the screening date",
    "removed_from_us_within_5_years": (
        "removed_from_us_on is less than 5 years before the screening date"
    ),
}


@dataclass(frozen=True)
class FactSpec:
    """One fact of the schema. ``fields`` holds the item fields of a ``list`` fact."""

    name: str
    type: str
    values: tuple[str, ...] = ()
    nullable: bool = False
    derived: bool = False
    fields: dict[str, FactSpec] = field(default_factory=dict)
    question: dict[str, str] = field(default_factory=dict)
    options: dict[str, dict[str, str]] = field(default_factory=dict)
    help: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FactsSchema:
    """All facts, in the order the questionnaire asks them."""

    facts: dict[str, FactSpec]
    #: Shared phrases by key and language, e.g. ``unknown`` ("We still need: {question}")
    messages: dict[str, dict[str, str]] = field(default_factory=dict)

    def paths(self) -> set[str]:
        """Every name a condition may read: facts and ``<list fact>.<field>``."""
        names = set(self.facts)
        for spec in self.facts.values():
            names |= {f"{spec.name}.{f}" for f in spec.fields}
        return names

    def spec_for(self, path: str) -> FactSpec | None:
        head, _, tail = path.partition(".")
        spec = self.facts.get(head)
        if spec is None or not tail:
            return spec
        return spec.fields.get(tail)


@dataclass(frozen=True)
class FactProblem:
    """One problem in submitted facts: ``path`` like ``relatives_abroad[1].country``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{printable(self.path)}: {self.message}"


def printable(text: str) -> str:
    """``text`` with control characters escaped (input keys are echoed to terminals)."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)


class InvalidFacts(ValueError):
    """Facts failed validation; ``problems`` lists every one of them."""

    def __init__(self, problems: list[FactProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def _check_value(spec: FactSpec, value: Any, path: str, problems: list[FactProblem]) -> Any:
    if value is None:
        if spec.nullable:
            return None
        problems.append(FactProblem(path, "may not be null (leave it out when unknown)"))
        return None
    kind = spec.type
    if kind == "bool":
        if isinstance(value, bool):
            return value
        problems.append(FactProblem(path, "must be true or false"))
    elif kind == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        problems.append(FactProblem(path, "must be a whole number"))
    elif kind == "enum":
        if isinstance(value, str) and value in spec.values:
            return value
        problems.append(FactProblem(path, f"must be one of {', '.join(spec.values)}"))
    elif kind == "date":
        if is_iso_date(value):
            return str(value)
        problems.append(FactProblem(path, "must be a date written YYYY-MM-DD"))
    elif kind == "country":
        if isinstance(value, str):
            try:
                return validate_alpha3(value)
            except InvalidCountry:
                pass
        problems.append(FactProblem(path, "must be an ISO 3166-1 alpha-3 country code"))
    elif kind == "countries":
        if isinstance(value, list) and value:
            codes: set[str] = set()
            for i, item in enumerate(value):
                try:
                    if not isinstance(item, str):
                        raise InvalidCountry(repr(item))
                    codes.add(validate_alpha3(item))
                except InvalidCountry:
                    problems.append(
                        FactProblem(f"{path}[{i}]", "must be an ISO 3166-1 alpha-3 country code")
                    )
            return sorted(codes)
        problems.append(FactProblem(path, "must be a non-empty list of alpha-3 country codes"))
    elif kind == "list":
        if isinstance(value, list):
            return [_check_object(spec.fields, item, f"{path}[{i}]", problems)
                    for i, item in enumerate(value)]  # fmt: skip
        problems.append(FactProblem(path, "must be a list"))
    return None


def _check_object(
    fields: Mapping[str, FactSpec], raw: Any, path: str, problems: list[FactProblem]
) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        problems.append(FactProblem(path, "must be an object"))
        return {}
    result: dict[str, Any] = {}
    for key, value in raw.items():
        spec = fields.get(key)
        if spec is None:
            problems.append(FactProblem(f"{path}.{key}", "is not a known field"))
            continue
        result[key] = _check_value(spec, value, f"{path}.{key}", problems)
    return result


_MEMBER_FIELDS: Final = {
    "relationship": FactSpec("relationship", "enum", values=MEMBER_RELATIONSHIPS),
    "date_of_birth": FactSpec("date_of_birth", "date"),
    "nationalities": FactSpec("nationalities", "countries"),
    "sex": FactSpec("sex", "enum", values=("female", "male", "other")),
}


def validate_facts(schema: FactsSchema, raw: Any) -> dict[str, Any]:
    """Check a household's facts (a JSON object) and return them normalised.

    Unknown keys, derived facts given as input, wrong types, invalid dates, country
    codes or enum values are all collected; raises :class:`InvalidFacts` listing every
    problem. Facts absent from the input stay absent (unknown).
    """
    problems: list[FactProblem] = []
    if not isinstance(raw, Mapping):
        raise InvalidFacts([FactProblem("(facts)", "must be a JSON object")])
    result: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "members":
            if not isinstance(value, list):
                problems.append(FactProblem("members", "must be a list"))
                continue
            members = [_check_object(_MEMBER_FIELDS, m, f"members[{i}]", problems)
                       for i, m in enumerate(value)]  # fmt: skip
            for i, member in enumerate(members):
                if "relationship" not in member:
                    problems.append(FactProblem(f"members[{i}].relationship", "is required"))
            result["members"] = members
            continue
        spec = schema.facts.get(key)
        if spec is None:
            problems.append(FactProblem(key, "is not a known fact"))
        elif spec.derived:
            problems.append(FactProblem(key, "is computed, not given"))
        else:
            result[key] = _check_value(spec, value, key, problems)
    if problems:
        raise InvalidFacts(problems)
    return result


def _years_between(start: date, end: date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def with_derived(facts: Mapping[str, Any], as_of: date) -> dict[str, Any]:
    """``facts`` plus the derived facts (:data:`DERIVED`) on ``as_of``; a derived fact is
    unknown (absent) when what it derives from is unknown."""
    result = dict(facts)
    born = facts.get("date_of_birth")
    if isinstance(born, str):
        result["age"] = _years_between(date.fromisoformat(born), as_of)
    if "removed_from_us_on" in facts:
        removed = facts["removed_from_us_on"]
        removed_on = date.fromisoformat(removed) if removed is not None else None
        result["removed_from_us_within_5_years"] = (
            removed_on is not None and removed_on <= as_of and _years_between(removed_on, as_of) < 5
        )
    return result
