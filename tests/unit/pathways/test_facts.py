from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from movilidad.config import PROJECT_ROOT
from movilidad.pathways.catalogue import load_catalogue
from movilidad.pathways.facts import FactsSchema, InvalidFacts, validate_facts, with_derived


@pytest.fixture(scope="module")
def schema() -> FactsSchema:
    return load_catalogue(PROJECT_ROOT / "catalogue").facts


def test_valid_facts_are_normalised(schema: FactsSchema) -> None:
    facts = validate_facts(
        schema,
        {
            "nationalities": ["VEN", "COL", "VEN"],
            "date_of_birth": "1990-05-04",
            "asylum_registered_on": None,
            "relatives_abroad": [
                {"country": "CAN", "relationship": "sibling", "relative_status": "citizen"}
            ],
            "members": [{"relationship": "child", "date_of_birth": "2015-02-01"}],
        },
    )
    assert facts["nationalities"] == ["COL", "VEN"]
    assert facts["asylum_registered_on"] is None
    assert "status_in_current_country" not in facts  # unknown stays absent


def test_every_problem_is_listed(schema: FactsSchema) -> None:
    with pytest.raises(InvalidFacts) as info:
        validate_facts(
            schema,
            {
                "nationalities": ["Venezuela"],
                "date_of_birth": "04/05/1990",
                "status_in_current_country": "legal",
                "present_in_current_country_since": None,
                "age": 33,
                "shoe_size": 42,
                "relatives_abroad": [{"country": "CA", "relationship": "cousin"}],
                "members": [{"date_of_birth": "2015-02-30"}],
            },
        )
    paths = [p.path for p in info.value.problems]
    assert paths == [
        "nationalities[0]",
        "date_of_birth",
        "status_in_current_country",
        "present_in_current_country_since",
        "age",
        "shoe_size",
        "relatives_abroad[0].country",
        "relatives_abroad[0].relationship",
        "members[0].date_of_birth",
        "members[0].relationship",
    ]


def test_facts_must_be_an_object(schema: FactsSchema) -> None:
    with pytest.raises(InvalidFacts, match="JSON object"):
        validate_facts(schema, ["VEN"])


@pytest.mark.parametrize(
    ("born", "as_of", "age"),
    [("1990-05-04", date(2023, 5, 3), 32), ("1990-05-04", date(2023, 5, 4), 33),
     ("2004-02-29", date(2022, 2, 28), 17), ("2004-02-29", date(2022, 3, 1), 18)],
)  # fmt: skip
def test_age_is_whole_years_on_the_screening_date(born: str, as_of: date, age: int) -> None:
    assert with_derived({"date_of_birth": born}, as_of)["age"] == age


def test_removal_within_five_years() -> None:
    assert with_derived({"removed_from_us_on": "2019-03-01"}, date(2024, 2, 28))[
        "removed_from_us_within_5_years"
    ]
    assert not with_derived({"removed_from_us_on": "2019-03-01"}, date(2024, 3, 1))[
        "removed_from_us_within_5_years"
    ]
    assert not with_derived({"removed_from_us_on": None}, date(2024, 3, 1))[
        "removed_from_us_within_5_years"
    ]
    assert "removed_from_us_within_5_years" not in with_derived({}, date(2024, 3, 1))
    assert "age" not in with_derived({}, date(2024, 3, 1))


def test_the_schema_file_exists(tmp_path: Path) -> None:
    assert (PROJECT_ROOT / "catalogue" / "facts.yaml").exists()


def test_a_removal_after_the_screening_date_does_not_count() -> None:
    derived = with_derived({"removed_from_us_on": "2024-05-01"}, date(2024, 1, 1))
    assert derived["removed_from_us_within_5_years"] is False


def test_dates_must_be_written_yyyy_mm_dd(schema: FactsSchema) -> None:
    for text in ("19900504", "1990-W01-1", "1990-5-4", "1990-02-30"):
        with pytest.raises(InvalidFacts):
            validate_facts(schema, {"date_of_birth": text})
