"""Use cases of the pre-check: consent, answers, the next question, the result.

An office takes a household only if it meets the office's own intake criteria (the
``smo-<country>`` pathway); so the intake questions come first, and the other
pathways (resettlement, parole, labour…) are only asked about once the intake is met.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from movilidad.consent.models import ConsentRecord
from movilidad.db.uow import UnitOfWork
from movilidad.kernel.clock import utcnow
from movilidad.pathways.catalogue import Catalogue
from movilidad.pathways.facts import validate_facts
from movilidad.precheck.models import PrecheckSession
from movilidad.screening.engine import Outcome, Screener, ScreeningResult
from movilidad.screening.questionnaire import open_questions

#: A pre-check not touched for this long cannot be resumed (its answers are deleted
#: by the retention job of the registration issue).
PRECHECK_LIFETIME = timedelta(days=7)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def intake_pathway(country: str) -> str:
    """The id of an office country's intake pathway: ``COL`` → ``smo-col``."""
    return f"smo-{country.lower()}"


def office_pathways(catalogue: Catalogue, country: str) -> set[str]:
    """Pathways a household can be checked for at an office in ``country``: the office's
    intake and every pathway that is not another office's intake."""
    own = intake_pathway(country)
    return {p for p in catalogue.pathways if p == own or not p.startswith("smo-")}


def start_precheck(
    uow: UnitOfWork, *, country: str, language: str, notice_version: str
) -> tuple[str, PrecheckSession]:
    """Record consent to ``notice_version`` and open a pre-check. Returns the token for
    the browser and the session."""
    consent = ConsentRecord(notice_version=notice_version, country=country, language=language)
    token = secrets.token_urlsafe(32)
    precheck = PrecheckSession(
        token_hash=_hash(token), country=country, consent=consent, answers={}, skipped=[]
    )
    uow.session.add(precheck)
    uow.session.flush()
    return token, precheck


def find_precheck(uow: UnitOfWork, token: str, country: str) -> PrecheckSession | None:
    """The pre-check for ``token`` in ``country`` if it is recent enough, else None."""
    if not token:
        return None
    found = uow.session.scalar(
        select(PrecheckSession).where(PrecheckSession.token_hash == _hash(token))
    )
    if found is None or found.country != country:
        return None
    if found.updated_at + PRECHECK_LIFETIME < utcnow():
        return None
    return found


def record_answer(precheck: PrecheckSession, catalogue: Catalogue, fact: str, value: Any) -> None:
    """Store a validated answer (raises :class:`InvalidFacts` when it does not fit)."""
    checked = validate_facts(catalogue.facts, {fact: value})
    precheck.answers = {**precheck.answers, fact: checked[fact]}
    precheck.skipped = [name for name in precheck.skipped if name != fact]


def skip_question(precheck: PrecheckSession, fact: str) -> None:
    """The applicant does not know: the fact stays unknown and is not asked again."""
    precheck.answers = {k: v for k, v in precheck.answers.items() if k != fact}
    if fact not in precheck.skipped:
        precheck.skipped = [*precheck.skipped, fact]


def next_question(precheck: PrecheckSession, catalogue: Catalogue, as_of: date) -> str | None:
    """The next fact to ask, or None when nothing can change the outcome any more."""
    screener = Screener(catalogue)
    facts = precheck.answers
    intake = intake_pathway(precheck.country)
    stages = [{intake}] if intake in catalogue.pathways else []
    stages.append(office_pathways(catalogue, precheck.country))
    for stage in stages:
        if intake in stage and stage == {intake}:
            result = screener.screen(facts, as_of, "en").results[intake]
            if result.outcome in (Outcome.INELIGIBLE, Outcome.NOT_OPEN):
                return None
        for name in open_questions(screener, facts, as_of, stage):
            if name not in precheck.skipped:
                return name
    return None


def precheck_result(
    precheck: PrecheckSession, catalogue: Catalogue, as_of: date, language: str
) -> ScreeningResult:
    """The screening of the answers so far, limited to the office's pathways."""
    result = Screener(catalogue).screen(precheck.answers, as_of, language)
    wanted = office_pathways(catalogue, precheck.country)
    return ScreeningResult(
        result.as_of,
        result.language,
        {k: v for k, v in result.results.items() if k in wanted},
    )


def purge_abandoned(uow: UnitOfWork, now: datetime) -> int:
    """Delete pre-checks never submitted and untouched for :data:`PRECHECK_LIFETIME`
    (their answers, registration draft and uploaded scans go with them; the consent
    record stays as evidence of what was agreed). Returns how many were deleted."""
    stale = list(
        uow.session.scalars(
            select(PrecheckSession).where(
                PrecheckSession.case_id.is_(None),
                PrecheckSession.updated_at < now - PRECHECK_LIFETIME,
            )
        )
    )
    for precheck in stale:
        uow.session.delete(precheck)
    return len(stale)
