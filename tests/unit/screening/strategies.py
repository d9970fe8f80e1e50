"""Hypothesis strategies for random households that follow the facts schema."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from movilidad.pathways.catalogue import Catalogue
from movilidad.pathways.facts import FactSpec

COUNTRIES = ["VEN", "COL", "CUB", "HTI", "NIC", "GTM", "HND", "SLV", "ECU", "CRI", "PER",
             "USA", "CAN", "DOM", "MEX", "ESP"]  # fmt: skip
KEY_DATES = [date(2022, 10, 19), date(2023, 1, 9), date(2023, 6, 11), date(2023, 6, 12),
             date(2023, 7, 10), date(2023, 10, 18), date(2019, 6, 1)]  # fmt: skip

dates = st.one_of(
    st.sampled_from(KEY_DATES).flatmap(
        lambda d: st.integers(-2, 2).map(lambda n: (d + timedelta(days=n)).isoformat())
    ),
    st.dates(date(1940, 1, 1), date(2026, 12, 31)).map(date.isoformat),
)


def value_strategy(spec: FactSpec) -> st.SearchStrategy[Any]:
    base: st.SearchStrategy[Any]
    if spec.type == "countries":
        base = st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=3, unique=True).map(sorted)
    elif spec.type == "country":
        base = st.sampled_from(COUNTRIES)
    elif spec.type == "date":
        base = dates
    elif spec.type == "bool":
        base = st.booleans()
    elif spec.type == "integer":
        base = st.integers(0, 100)
    elif spec.type == "enum":
        base = st.sampled_from(spec.values)
    else:  # list of objects, fields sometimes missing
        item = st.fixed_dictionaries(
            {}, optional={name: value_strategy(field) for name, field in spec.fields.items()}
        )
        base = st.lists(item, max_size=3)
    return st.one_of(st.none(), base) if spec.nullable else base


def households(catalogue: Catalogue) -> st.SearchStrategy[dict[str, Any]]:
    """A household's facts: every answerable fact drawn, then a few left unknown, so
    that many criteria are met or failed and some are unknown."""
    facts = {
        name: value_strategy(spec)
        for name, spec in catalogue.facts.facts.items()
        if not spec.derived
    }
    names = sorted(facts)
    return st.fixed_dictionaries(facts).flatmap(
        lambda full: st.sets(st.sampled_from(names), max_size=6).map(
            lambda hidden: {k: v for k, v in full.items() if k not in hidden}
        )
    )


as_of_dates = st.one_of(
    st.sampled_from([*KEY_DATES, date(2024, 6, 1), date(2025, 3, 24), date(2025, 3, 25)]),
    st.dates(date(2022, 6, 1), date(2026, 12, 31)),
)
