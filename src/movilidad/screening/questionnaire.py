"""The pre-check questionnaire, derived from the criteria (nothing written twice).

A question is worth asking only if its answer can still change an outcome: the fact
settles a criterion that is unknown in a pathway that is open and not already
excluded (one unmet criterion decides ``ineligible`` whatever the other answers).
Questions come in the order of ``catalogue/facts.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from movilidad.screening.engine import CriterionStatus, Outcome, Screener


def open_questions(
    screener: Screener,
    facts: Mapping[str, Any],
    as_of: date,
    pathway_ids: set[str] | None = None,
) -> list[str]:
    """Names of the facts still worth asking, in questionnaire order.

    ``facts`` are validated facts (unknown = absent); ``pathway_ids`` limits the
    questions to some pathways (e.g. those an office refers to); default all.
    """
    result = screener.screen(facts, as_of, "en")
    wanted: set[str] = set()
    for pathway_id, pathway in result.results.items():
        if pathway_ids is not None and pathway_id not in pathway_ids:
            continue
        if pathway.outcome is not Outcome.NEEDS_INFORMATION:
            continue
        for criterion in pathway.criteria:
            if criterion.status is CriterionStatus.UNKNOWN:
                wanted.update(criterion.missing_facts)
    order = list(screener.catalogue.facts.facts)
    return [name for name in order if name in wanted]


def next_question(
    screener: Screener,
    facts: Mapping[str, Any],
    as_of: date,
    pathway_ids: set[str] | None = None,
) -> str | None:
    """The first question still worth asking, or None when every outcome is settled."""
    questions = open_questions(screener, facts, as_of, pathway_ids)
    return questions[0] if questions else None
