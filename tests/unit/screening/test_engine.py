"""The screening engine on the real catalogue, with the examples the engine must get
right and more."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from movilidad.config import PROJECT_ROOT
from movilidad.pathways.catalogue import load_catalogue
from movilidad.pathways.facts import validate_facts
from movilidad.screening.engine import CriterionStatus, Outcome, PathwayResult, Screener


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener(load_catalogue(PROJECT_ROOT / "catalogue"))


def _screen(
    screener: Screener, facts: dict[str, Any], as_of: date, pathway: str, lang: str = "en"
) -> PathwayResult:
    valid = validate_facts(screener.catalogue.facts, facts)
    return screener.screen(valid, as_of, lang).results[pathway]


def _status(result: PathwayResult, criterion: str) -> CriterionStatus:
    return next(c.status for c in result.criteria if c.id == criterion)


VENEZUELAN_IN_COLOMBIA = {
    "nationalities": ["VEN"],
    "date_of_birth": "1990-05-04",
    "current_country": "COL",
    "present_in_current_country_since": "2022-03-01",
    "status_in_current_country": "regular",
}


def test_venezuelan_regular_in_colombia_is_eligible_in_2023(screener: Screener) -> None:
    result = _screen(screener, VENEZUELAN_IN_COLOMBIA, date(2023, 7, 15), "smo-col")
    assert result.outcome is Outcome.ELIGIBLE
    assert result.version == "2023-06"
    assert all(c.status is CriterionStatus.MET for c in result.criteria)


def test_the_same_person_finds_colombia_closed_in_2025(screener: Screener) -> None:
    result = _screen(screener, VENEZUELAN_IN_COLOMBIA, date(2025, 3, 1), "smo-col")
    assert result.outcome is Outcome.NOT_OPEN
    assert result.version is None


def test_a_colombian_in_colombia_is_ineligible_on_nationality(screener: Screener) -> None:
    facts = {"nationalities": ["COL"], "current_country": "COL"}
    result = _screen(screener, facts, date(2023, 7, 15), "smo-col", lang="es")
    assert result.outcome is Outcome.INELIGIBLE
    assert _status(result, "nationality") is CriterionStatus.NOT_MET
    explanation = next(c.explanation for c in result.criteria if c.id == "nationality")
    assert "colombian" in explanation.lower()


def test_a_late_arrival_in_costa_rica_is_ineligible_on_the_presence_date(
    screener: Screener,
) -> None:
    facts = {
        "nationalities": ["NIC"],
        "current_country": "CRI",
        "present_in_current_country_since": "2023-07-01",
        "status_in_current_country": "asylum_seeker",
    }
    result = _screen(screener, facts, date(2023, 9, 1), "smo-cri")
    assert result.outcome is Outcome.INELIGIBLE
    assert _status(result, "present_on_2023_06_12") is CriterionStatus.NOT_MET
    assert _status(result, "registered_asylum_seeker") is CriterionStatus.MET


def test_unknown_status_in_ecuador_needs_information(screener: Screener) -> None:
    facts = {
        "nationalities": ["VEN"],
        "current_country": "ECU",
        "present_in_current_country_since": "2023-01-10",
    }
    result = _screen(screener, facts, date(2023, 11, 1), "smo-ecu", lang="ht")
    assert result.outcome is Outcome.NEEDS_INFORMATION
    unknown = next(c for c in result.criteria if c.status is CriterionStatus.UNKNOWN)
    assert unknown.id == "regularizing_or_protection"
    assert unknown.missing_facts == ("status_in_current_country", "asylum_registered_on")
    question = screener.catalogue.facts.facts["status_in_current_country"].question["ht"]
    assert question in unknown.explanation


def test_unknown_never_hides_an_exclusion(screener: Screener) -> None:
    facts = {"nationalities": ["PER"]}  # everything else unknown
    result = _screen(screener, facts, date(2023, 11, 1), "smo-ecu")
    assert result.outcome is Outcome.INELIGIBLE


def test_guatemala_versions(screener: Screener) -> None:
    hondurans_at_home = {
        "nationalities": ["HND"],
        "current_country": "HND",
        "date_of_birth": "1995-01-01",
    }
    assert _screen(screener, hondurans_at_home, date(2023, 8, 1), "smo-gtm").outcome is (
        Outcome.ELIGIBLE
    )
    later = _screen(screener, hondurans_at_home, date(2024, 3, 1), "smo-gtm")
    assert later.outcome is Outcome.INELIGIBLE
    assert later.version == "2024-01"
    minor = {**hondurans_at_home, "date_of_birth": "2010-01-01"}
    assert _status(_screen(screener, minor, date(2023, 8, 1), "smo-gtm"), "adult") is (
        CriterionStatus.NOT_MET
    )


CHNV_HAITIAN = {
    "nationalities": ["HTI"],
    "current_country": "HTI",
    "us_supporter_confirmed": True,
    "valid_passport": True,
    "removed_from_us_on": None,
    "last_irregular_entry_us_on": None,
    "last_irregular_entry_mexico_panama_on": "2022-12-01",
    "permanent_status_in_another_country": False,
    "status_in_current_country": "citizen",
}


def test_chnv_uses_the_cut_off_date_of_the_nationality(screener: Screener) -> None:
    assert _screen(screener, CHNV_HAITIAN, date(2024, 1, 10), "us-chnv").outcome is (
        Outcome.ELIGIBLE
    )
    venezuelan = {**CHNV_HAITIAN, "nationalities": ["VEN"], "current_country": "COL",
                  "status_in_current_country": "regular"}  # fmt: skip
    result = _screen(screener, venezuelan, date(2024, 1, 10), "us-chnv")
    assert _status(result, "no_irregular_entry_after_notice") is CriterionStatus.NOT_MET
    assert _screen(screener, CHNV_HAITIAN, date(2022, 12, 1), "us-chnv").outcome is (
        Outcome.INELIGIBLE  # only Venezuelans before 9 Jan 2023
    )
    assert _screen(screener, CHNV_HAITIAN, date(2025, 3, 25), "us-chnv").outcome is (
        Outcome.NOT_OPEN
    )


def test_chnv_removal_in_the_last_five_years(screener: Screener) -> None:
    removed = {**CHNV_HAITIAN, "removed_from_us_on": "2020-06-01"}
    result = _screen(screener, removed, date(2024, 1, 10), "us-chnv")
    assert _status(result, "no_recent_removal") is CriterionStatus.NOT_MET


@pytest.mark.parametrize(
    ("petitioner", "relationship", "outcome"),
    [
        ("citizen", "sibling", Outcome.ELIGIBLE),
        ("citizen", "adult_child", Outcome.ELIGIBLE),
        ("citizen", "parent", Outcome.INELIGIBLE),
        ("permanent_resident", "spouse", Outcome.ELIGIBLE),
        ("permanent_resident", "sibling", Outcome.INELIGIBLE),
    ],
)
def test_family_reunification_relationships(
    screener: Screener, petitioner: str, relationship: str, outcome: Outcome
) -> None:
    facts = {
        "nationalities": ["SLV"],
        "current_country": "SLV",
        "approved_i130": True,
        "i130_petitioner_status": petitioner,
        "i130_relationship": relationship,
        "immigrant_visa_received": False,
        "last_irregular_entry_us_on": None,
    }
    assert _screen(screener, facts, date(2024, 5, 1), "us-frp").outcome is outcome


def test_frp_ecuador_only_from_its_start_date(screener: Screener) -> None:
    facts = {
        "nationalities": ["ECU"], "current_country": "ECU", "approved_i130": True,
        "i130_petitioner_status": "citizen", "i130_relationship": "sibling",
        "immigrant_visa_received": False, "last_irregular_entry_us_on": None,
    }  # fmt: skip
    assert _screen(screener, facts, date(2023, 10, 17), "us-frp").outcome is Outcome.INELIGIBLE
    assert _screen(screener, facts, date(2023, 10, 18), "us-frp").outcome is Outcome.ELIGIBLE


def test_canada_needs_a_close_relative_who_is_citizen_or_resident(screener: Screener) -> None:
    facts: dict[str, Any] = {
        "nationalities": ["HTI"],
        "current_country": "DOM",
        "wants_to_live_in_quebec": False,
        "relatives_abroad": [
            {"country": "USA", "relationship": "sibling", "relative_status": "citizen"},
            {"country": "CAN", "relationship": "sibling", "relative_status": "permanent_resident"},
        ],
    }
    assert _screen(screener, facts, date(2026, 11, 29), "ca-family").outcome is Outcome.ELIGIBLE
    facts["relatives_abroad"][1]["relationship"] = "other"
    result = _screen(screener, facts, date(2026, 11, 29), "ca-family")
    assert _status(result, "family_in_canada") is CriterionStatus.NOT_MET
    facts["relatives_abroad"] = [{"country": "CAN", "relationship": "parent"}]
    result = _screen(screener, facts, date(2026, 11, 29), "ca-family")
    assert result.outcome is Outcome.NEEDS_INFORMATION  # the parent's status is unknown


@pytest.mark.parametrize("lang", ["es", "en", "fr", "ht", "pt"])
def test_every_pathway_explains_itself_in_every_language(screener: Screener, lang: str) -> None:
    result = screener.screen(
        validate_facts(screener.catalogue.facts, VENEZUELAN_IN_COLOMBIA), date(2024, 6, 1), lang
    )
    assert set(result.results) == set(screener.catalogue.pathways)
    for pathway in result.results.values():
        for criterion in pathway.criteria:
            assert criterion.explanation.strip()


def test_json_shape(screener: Screener) -> None:
    payload = screener.screen(
        validate_facts(screener.catalogue.facts, VENEZUELAN_IN_COLOMBIA), date(2023, 7, 15), "en"
    ).to_json()
    assert payload["as_of"] == "2023-07-15"
    smo = payload["results"]["smo-col"]
    assert smo["outcome"] == "eligible"
    assert smo["version"] == "2023-06"
    assert set(smo["criteria"][0]) == {"id", "status", "explanation"}
