from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from movilidad.config import PROJECT_ROOT
from movilidad.pathways.catalogue import load_catalogue
from movilidad.screening.engine import Outcome, Screener
from movilidad.screening.questionnaire import next_question, open_questions


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener(load_catalogue(PROJECT_ROOT / "catalogue"))


def test_the_first_question_is_nationality(screener: Screener) -> None:
    assert next_question(screener, {}, date(2023, 11, 1)) == "nationalities"


def test_questions_only_for_pathways_that_can_still_change(screener: Screener) -> None:
    # A Peruvian in Peru, 2023: every Safe Mobility Office excludes Peruvians, so their
    # questions (presence date, status...) only matter for pathways still open to them.
    facts = {"nationalities": ["PER"], "current_country": "PER"}
    questions = open_questions(screener, facts, date(2023, 11, 1))
    result = screener.screen(facts, date(2023, 11, 1), "en")
    undecided = {p for p, r in result.results.items() if r.outcome is Outcome.NEEDS_INFORMATION}
    assert undecided == {"es-labour", "us-usrap"}
    assert questions == [
        "status_in_current_country",
        "date_of_birth",
        "fear_of_persecution",
        "permanent_status_in_another_country",
        "has_work_experience",
    ]


def test_answering_every_question_settles_every_outcome(screener: Screener) -> None:
    as_of = date(2024, 2, 1)
    answers: dict[str, Any] = {
        "nationalities": ["VEN"], "current_country": "COL",
        "present_in_current_country_since": "2021-01-01",
        "status_in_current_country": "regularization_pending", "date_of_birth": "1988-08-08",
        "fear_of_persecution": True, "permanent_status_in_another_country": False,
        "relatives_abroad": [], "wants_to_live_in_quebec": False,
        "us_supporter_confirmed": False, "valid_passport": True, "removed_from_us_on": None,
        "last_irregular_entry_us_on": None, "last_irregular_entry_mexico_panama_on": None,
        "approved_i130": False, "immigrant_visa_received": False,
        "has_work_experience": True, "interested_in_temporary_work_us": False,
        "asylum_registered_on": None, "i130_petitioner_status": "citizen",
        "i130_relationship": "sibling",
    }  # fmt: skip
    facts: dict[str, Any] = {}
    asked: list[str] = []
    while (question := next_question(screener, facts, as_of)) is not None:
        assert question not in asked, "a question is never asked twice"
        asked.append(question)
        facts[question] = answers[question]
    outcomes = {r.outcome for r in screener.screen(facts, as_of, "en").results.values()}
    assert Outcome.NEEDS_INFORMATION not in outcomes
    assert len(asked) < len(answers)  # some questions were not needed
    assert asked[0] == "nationalities"


def test_questions_can_be_limited_to_some_pathways(screener: Screener) -> None:
    facts = {"nationalities": ["VEN"], "current_country": "COL"}
    assert open_questions(screener, facts, date(2024, 2, 1), {"smo-col"}) == [
        "present_in_current_country_since",
        "status_in_current_country",
    ]
