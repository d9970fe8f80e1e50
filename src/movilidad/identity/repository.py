"""Queries over match candidates, scoped like cases: staff see a pair only when both
cases are in their scope, so a candidate never reveals a person in another office."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from movilidad.cases.models import Case
from movilidad.cases.repository import in_scope
from movilidad.identity.models import MatchCandidate, MatchStatus
from movilidad.staff.actor import ScopeSet

QUEUE_SIZE = 50


def _both_in_scope(scope: ScopeSet) -> ColumnElement[bool]:
    cases = select(Case.id).where(in_scope(scope)).correlate(None)
    return and_(MatchCandidate.case_id.in_(cases), MatchCandidate.other_case_id.in_(cases))


def open_candidates(
    session: Session, scope: ScopeSet, *, band: str = "", limit: int = QUEUE_SIZE
) -> Sequence[MatchCandidate]:
    """Open candidates within ``scope``, highest match weight first; ``band``
    (``likely_duplicate`` / ``needs_review``) narrows them."""
    query = select(MatchCandidate).where(
        MatchCandidate.status == MatchStatus.OPEN, _both_in_scope(scope)
    )
    if band:
        query = query.where(MatchCandidate.band == band)
    query = query.order_by(MatchCandidate.match_weight.desc(), MatchCandidate.id).limit(limit)
    return session.scalars(query).unique().all()


def count_open(session: Session, scope: ScopeSet) -> int:
    """Open candidates within ``scope``."""
    return int(session.scalar(
        select(func.count()).select_from(MatchCandidate)
        .where(MatchCandidate.status == MatchStatus.OPEN, _both_in_scope(scope))
    ) or 0)  # fmt: skip


def get_candidate(session: Session, scope: ScopeSet, candidate_id: int) -> MatchCandidate | None:
    """The candidate, or None when it does not exist or a case is outside ``scope``."""
    return session.scalar(
        select(MatchCandidate).where(MatchCandidate.id == candidate_id, _both_in_scope(scope))
    )


def candidates_of_case(session: Session, scope: ScopeSet, case_id: int) -> Sequence[MatchCandidate]:
    """Open candidates involving the case, within ``scope``, best first."""
    return session.scalars(
        select(MatchCandidate).where(
            MatchCandidate.status == MatchStatus.OPEN,
            (MatchCandidate.case_id == case_id) | (MatchCandidate.other_case_id == case_id),
            _both_in_scope(scope),
        ).order_by(MatchCandidate.match_weight.desc())
    ).unique().all()  # fmt: skip


def case_ids_with_open_candidates(session: Session, scope: ScopeSet) -> set[int]:
    """Cases within ``scope`` that have an open candidate (the queue's "possible
    duplicate" filter)."""
    rows = session.execute(
        select(MatchCandidate.case_id, MatchCandidate.other_case_id).where(
            MatchCandidate.status == MatchStatus.OPEN, _both_in_scope(scope)
        )
    )
    return {case_id for pair in rows for case_id in pair}
