"""Use cases: load the catalogue into the database, screen a case, re-screen the caseload.

Screenings are appended, never overwritten. Re-screening uses the batch (Polars)
engine; a single case at registration uses the scalar engine. Both agree (tests).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from movilidad.cases.models import TERMINAL, Case
from movilidad.db.uow import UnitOfWork
from movilidad.households.models import Household
from movilidad.pathways.catalogue import Catalogue, PathwayVersion
from movilidad.pathways.facts import InvalidFacts, validate_facts
from movilidad.pathways.models import PathwayVersionRecord, content_hash, version_content
from movilidad.screening.batch import OUTCOME_CODES, STATUS_CODES, BatchScreener, facts_frame
from movilidad.screening.engine import (
    CriterionStatus,
    Outcome,
    Screener,
    ScreeningResult,
    missing_facts,
)
from movilidad.screening.models import (
    RescreenRun,
    Screening,
    ScreeningOutcome,
    ScreeningReason,
)

#: Registration data that is a fact: taken from the principal applicant, not from answers.
_REGISTRATION_FACTS = ("nationalities", "date_of_birth", "current_country")


def household_facts(catalogue: Catalogue, household: Household) -> dict[str, Any]:
    """The facts of a household for screening: questionnaire answers, the principal
    applicant's registration data, and the members. An answer that no longer fits the
    facts schema (a fact removed or retyped since) is treated as unknown."""
    principal = household.principal
    raw: dict[str, Any] = dict(household.answers or {})
    raw.update(
        nationalities=principal.nationalities,
        date_of_birth=principal.date_of_birth.isoformat(),
        current_country=principal.current_country,
        members=[
            {
                "relationship": str(member.relationship),
                "date_of_birth": member.applicant.date_of_birth.isoformat(),
                "nationalities": member.applicant.nationalities,
            }
            for member in household.members
        ],
    )
    for _ in range(len(raw) + 1):
        try:
            return validate_facts(catalogue.facts, raw)
        except InvalidFacts as exc:
            bad = {p.path.split("[")[0].split(".")[0] for p in exc.problems}
            bad -= set(_REGISTRATION_FACTS)
            if not bad:
                raise
            raw = {k: v for k, v in raw.items() if k not in bad}
    return validate_facts(catalogue.facts, raw)


def sync_catalogue(uow: UnitOfWork, catalogue: Catalogue) -> list[PathwayVersionRecord]:
    """Store every catalogue version whose content is not yet in the database; return
    the new rows (an empty list when nothing changed). Existing rows are never changed."""
    existing = {
        (row.pathway_id, row.version, row.content_hash)
        for row in uow.session.scalars(select(PathwayVersionRecord))
    }
    added: list[PathwayVersionRecord] = []
    for pathway in catalogue.pathways.values():
        for version in pathway.versions:
            content = version_content(pathway, version)
            digest = content_hash(content)
            if (pathway.id, version.version, digest) in existing:
                continue
            row = PathwayVersionRecord(
                pathway_id=pathway.id,
                version=version.version,
                content_hash=digest,
                effective_from=version.effective_from,
                effective_to=version.effective_to,
                content=content,
            )
            uow.session.add(row)
            added.append(row)
    uow.session.flush()
    return added


def _records_by_version(
    uow: UnitOfWork, catalogue: Catalogue
) -> dict[tuple[str, str], PathwayVersionRecord]:
    """The stored row of each version of the current catalogue (sync first)."""
    wanted = {
        (p.id, v.version, content_hash(version_content(p, v)))
        for p in catalogue.pathways.values()
        for v in p.versions
    }
    rows = uow.session.scalars(select(PathwayVersionRecord)).all()
    found = {
        (r.pathway_id, r.version): r
        for r in rows
        if (r.pathway_id, r.version, r.content_hash) in wanted
    }
    if len(found) != len(wanted):
        sync_catalogue(uow, catalogue)
        return _records_by_version(uow, catalogue)
    return found


def _latest_outcomes(uow: UnitOfWork, case_ids: Iterable[int]) -> dict[tuple[int, str], Outcome]:
    ids = list(case_ids)
    if not ids:
        return {}
    latest: dict[tuple[int, str], Outcome] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        newest = (
            select(func.max(Screening.id))
            .where(Screening.case_id.in_(chunk))
            .group_by(Screening.case_id)
            .scalar_subquery()
        )
        rows = uow.session.execute(
            select(Screening.case_id, ScreeningOutcome.pathway_id, ScreeningOutcome.outcome)
            .join(ScreeningOutcome, ScreeningOutcome.screening_id == Screening.id)
            .where(Screening.id.in_(newest))
        )
        for case_id, pathway_id, outcome in rows:
            latest[(case_id, pathway_id)] = outcome
    return latest


def _store(
    uow: UnitOfWork,
    case_id: int,
    as_of: date,
    reason: ScreeningReason,
    catalogue: Catalogue,
    outcomes: list[tuple[str, Outcome, str | None, list[dict[str, Any]]]],
    records: dict[tuple[str, str], PathwayVersionRecord],
    previous: dict[tuple[int, str], Outcome],
) -> Screening:
    screening = Screening(
        case_id=case_id, as_of=as_of, reason=reason, catalogue_digest=catalogue.digest
    )
    for pathway_id, outcome, version, criteria in outcomes:
        screening.outcomes.append(
            ScreeningOutcome(
                pathway_id=pathway_id,
                pathway_version_id=records[(pathway_id, version)].id if version else None,
                outcome=outcome,
                previous_outcome=previous.get((case_id, pathway_id)),
                criteria=criteria,
            )
        )
    uow.session.add(screening)
    return screening


def screen_case(
    uow: UnitOfWork,
    case: Case,
    catalogue: Catalogue,
    *,
    as_of: date,
    reason: ScreeningReason,
) -> tuple[Screening, ScreeningResult]:
    """Screen one case's household on ``as_of`` and store the result (scalar engine).
    Returns the stored screening and the full result (explanations in the household's
    preferred language)."""
    records = _records_by_version(uow, catalogue)
    facts = household_facts(catalogue, case.household)
    result = Screener(catalogue).screen(facts, as_of, case.household.principal.preferred_language)
    outcomes = [
        (
            pathway_id,
            r.outcome,
            r.version,
            [
                {"id": c.id, "status": str(c.status), "missing_facts": list(c.missing_facts)}
                for c in r.criteria
            ],
        )
        for pathway_id, r in result.results.items()
    ]
    previous = _latest_outcomes(uow, [case.id])
    screening = _store(uow, case.id, as_of, reason, catalogue, outcomes, records, previous)
    uow.session.flush()
    return screening, result


@dataclass(frozen=True)
class OutcomeChange:
    """A case whose outcome for a pathway changed in a re-screening."""

    case_id: int
    reference: str
    pathway_id: str
    before: Outcome
    after: Outcome


@dataclass(frozen=True)
class RescreenReport:
    as_of: date
    screened: int
    changes: list[OutcomeChange]


def _criteria_json(
    version: PathwayVersion | None, row: dict[str, Any], pathway_id: str, facts: dict[str, Any]
) -> list[dict[str, Any]]:
    if version is None:
        return []
    result = []
    for criterion in version.criteria:
        status = STATUS_CODES[row[f"{pathway_id}.{criterion.id}"]]
        missing = missing_facts(criterion, facts) if status is CriterionStatus.UNKNOWN else ()
        result.append({"id": criterion.id, "status": str(status), "missing_facts": list(missing)})
    return result


def rescreen_open_cases(
    uow: UnitOfWork,
    catalogue: Catalogue,
    *,
    as_of: date,
    reason: ScreeningReason = ScreeningReason.CATALOGUE_CHANGE,
    chunk_size: int = 5000,
) -> RescreenReport:
    """Re-screen every open case (not travelled or closed) on ``as_of`` with the batch
    engine, store one new screening per case, and list the outcomes that changed since
    each case's previous screening (for notifications and the staff queue)."""
    records = _records_by_version(uow, catalogue)
    batch = BatchScreener(catalogue)
    plan = batch.plan(as_of)
    open_ids = list(
        uow.session.scalars(
            select(Case.id).where(Case.status.not_in(list(TERMINAL))).order_by(Case.id)
        )
    )
    changes: list[OutcomeChange] = []
    for start in range(0, len(open_ids), chunk_size):
        cases = uow.session.scalars(
            select(Case).where(Case.id.in_(open_ids[start : start + chunk_size])).order_by(Case.id)
        ).all()
        facts = [household_facts(catalogue, case.household) for case in cases]
        frame = batch.screen(facts_frame(catalogue, facts), as_of)
        previous = _latest_outcomes(uow, [case.id for case in cases])
        for case, household, row in zip(cases, facts, frame.iter_rows(named=True), strict=True):
            outcomes = []
            for pathway_id, version in plan.versions.items():
                criteria = _criteria_json(version, row, pathway_id, household)
                outcome = OUTCOME_CODES[row[pathway_id]]
                outcomes.append(
                    (pathway_id, outcome, version.version if version else None, criteria)
                )
                before = previous.get((case.id, pathway_id))
                if before is not None and before != outcome:
                    changes.append(
                        OutcomeChange(case.id, case.reference, pathway_id, before, outcome)
                    )
            _store(uow, case.id, as_of, reason, catalogue, outcomes, records, previous)
        uow.session.flush()
    uow.session.add(
        RescreenRun(
            as_of=as_of,
            reason=reason,
            catalogue_digest=catalogue.digest,
            cases_screened=len(open_ids),
            outcomes_changed=len(changes),
        )
    )
    uow.session.flush()
    return RescreenReport(as_of, len(open_ids), changes)


def rescreen_reason(
    uow: UnitOfWork, catalogue: Catalogue, today: date, versions_added: bool, force: bool
) -> ScreeningReason | None:
    """Why the open caseload should be re-screened today, or None if nothing changed:
    new catalogue versions, or a pathway whose version in force differs between the
    last re-screening's date and ``today`` (a programme opened, changed or closed)."""
    if versions_added:
        return ScreeningReason.CATALOGUE_CHANGE
    last = uow.session.scalar(select(func.max(RescreenRun.as_of)))
    if force or last is None:
        return ScreeningReason.SCHEDULED
    for pathway in catalogue.pathways.values():
        if pathway.version_on(last) != pathway.version_on(today):
            return ScreeningReason.SCHEDULED
    return None
