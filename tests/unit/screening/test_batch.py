"""The batch (Polars) screener agrees with the scalar engine on random households."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from movilidad.config import PROJECT_ROOT
from movilidad.pathways.catalogue import Catalogue, load_catalogue
from movilidad.screening.batch import OUTCOME_CODES, STATUS_CODES, BatchScreener, facts_frame
from movilidad.screening.engine import Screener
from tests.unit.screening.strategies import as_of_dates, households

CATALOGUE: Catalogue = load_catalogue(PROJECT_ROOT / "catalogue")


def _compare(batch: list[dict[str, Any]], as_of: date) -> None:
    scalar = Screener(CATALOGUE)
    frame = BatchScreener(CATALOGUE).screen(facts_frame(CATALOGUE, batch), as_of)
    rows = frame.to_dicts()
    for facts, row in zip(batch, rows, strict=True):
        expected = scalar.screen(facts, as_of, "en")
        for pathway_id, result in expected.results.items():
            assert OUTCOME_CODES[row[pathway_id]] is result.outcome, (pathway_id, facts)
            for criterion in result.criteria:
                code = row[f"{pathway_id}.{criterion.id}"]
                assert STATUS_CODES[code] is criterion.status, (pathway_id, criterion.id, facts)


@settings(max_examples=80, deadline=None)
@given(st.lists(households(CATALOGUE), min_size=20, max_size=60), as_of_dates)
def test_batch_and_scalar_engines_agree_on_random_households(
    batch: list[dict[str, Any]], as_of: date
) -> None:
    _compare(batch, as_of)


@pytest.mark.parametrize("as_of", [date(2023, 7, 15), date(2023, 11, 1), date(2025, 3, 1)])
def test_batch_agrees_on_the_documented_examples(as_of: date) -> None:
    _compare(
        [
            {
                "nationalities": ["VEN"],
                "date_of_birth": "1990-05-04",
                "current_country": "COL",
                "present_in_current_country_since": "2022-03-01",
                "status_in_current_country": "regular",
            },
            {"nationalities": ["COL"], "current_country": "COL"},
            {
                "nationalities": ["NIC"],
                "current_country": "CRI",
                "present_in_current_country_since": "2023-07-01",
                "status_in_current_country": "asylum_seeker",
            },
            {
                "nationalities": ["VEN"],
                "current_country": "ECU",
                "present_in_current_country_since": "2023-01-10",
            },
            {"asylum_registered_on": None, "removed_from_us_on": None, "relatives_abroad": []},
            {},
        ],
        as_of,
    )
