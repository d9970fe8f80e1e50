"""The screening engine: one household's facts against the whole catalogue.

For each pathway and an as-of date, the outcome is

* ``not_open``: no version is in force on that date;
* ``ineligible``: at least one criterion of the version in force is not met;
* ``needs_information``: no criterion is unmet but at least one is unknown;
* ``eligible``: every criterion is met.

Each criterion's status is ``met``, ``not_met`` or ``unknown`` with its
plain-language explanation in the requested language (for unknown: the question
that would settle it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from movilidad.pathways.catalogue import Catalogue, Criterion, Pathway
from movilidad.pathways.conditions import UNKNOWN
from movilidad.pathways.facts import with_derived

#: A derived fact is settled by answering the fact it derives from.
DERIVED_FROM: dict[str, str] = {
    "age": "date_of_birth",
    "removed_from_us_within_5_years": "removed_from_us_on",
}


class Outcome(StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    NEEDS_INFORMATION = "needs_information"
    NOT_OPEN = "not_open"


class CriterionStatus(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CriterionResult:
    id: str
    status: CriterionStatus
    explanation: str
    missing_facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class PathwayResult:
    pathway_id: str
    outcome: Outcome
    version: str | None
    criteria: tuple[CriterionResult, ...]


@dataclass(frozen=True)
class ScreeningResult:
    as_of: date
    language: str
    results: dict[str, PathwayResult]

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON shape: ``{"as_of", "results": {id: {outcome, version,
        criteria: [{id, status, explanation}]}}}``."""
        return {
            "as_of": self.as_of.isoformat(),
            "results": {
                pathway_id: {
                    "outcome": str(result.outcome),
                    "version": result.version,
                    "criteria": [
                        {"id": c.id, "status": str(c.status), "explanation": c.explanation}
                        for c in result.criteria
                    ],
                }
                for pathway_id, result in self.results.items()
            },
        }


def combine(statuses: list[CriterionStatus]) -> Outcome:
    """Outcome of a version from its criteria statuses (see the module docstring)."""
    if CriterionStatus.NOT_MET in statuses:
        return Outcome.INELIGIBLE
    if CriterionStatus.UNKNOWN in statuses:
        return Outcome.NEEDS_INFORMATION
    return Outcome.ELIGIBLE


def missing_facts(criterion: Criterion, facts: Mapping[str, Any]) -> tuple[str, ...]:
    """The answered facts that would settle ``criterion``, in order of first use."""
    missing: list[str] = []
    for name in criterion.facts:
        source = DERIVED_FROM.get(name, name)
        if source not in facts and source not in missing:
            missing.append(source)
    return tuple(missing)


class Screener:
    """Screens households against one catalogue. Thread-safe; reuse it."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    def _unknown_text(self, missing: tuple[str, ...], language: str) -> str:
        template = self.catalogue.facts.messages.get("unknown", {}).get(language, "{question}")
        for name in missing:
            spec = self.catalogue.facts.facts.get(name)
            if spec is not None and spec.question:
                return template.format(question=spec.question[language])
        return template.format(question="?")

    def screen_pathway(
        self, pathway: Pathway, facts: Mapping[str, Any], as_of: date, language: str
    ) -> PathwayResult:
        """One pathway. ``facts`` must already include the derived facts."""
        version = pathway.version_on(as_of)
        if version is None:
            return PathwayResult(pathway.id, Outcome.NOT_OPEN, None, ())
        results: list[CriterionResult] = []
        for criterion in version.criteria:
            truth = criterion.predicate(facts)
            if truth is UNKNOWN:
                missing = missing_facts(criterion, facts)
                results.append(
                    CriterionResult(
                        criterion.id,
                        CriterionStatus.UNKNOWN,
                        self._unknown_text(missing, language),
                        missing,
                    )
                )
            elif truth:
                results.append(
                    CriterionResult(criterion.id, CriterionStatus.MET, criterion.met[language])
                )
            else:
                results.append(
                    CriterionResult(
                        criterion.id, CriterionStatus.NOT_MET, criterion.not_met[language]
                    )
                )
        outcome = combine([r.status for r in results])
        return PathwayResult(pathway.id, outcome, version.version, tuple(results))

    def screen(self, facts: Mapping[str, Any], as_of: date, language: str) -> ScreeningResult:
        """Every pathway for a household's validated facts on ``as_of`` (a calendar
        date), explained in ``language`` (ISO 639-1, one of the supported five)."""
        full = with_derived(facts, as_of)
        return ScreeningResult(
            as_of,
            language,
            {
                pathway_id: self.screen_pathway(pathway, full, as_of, language)
                for pathway_id, pathway in sorted(self.catalogue.pathways.items())
            },
        )
