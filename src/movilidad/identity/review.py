"""Staff decisions on suspected duplicates: same person, different people, undo.

* *Same person*: the two cases are linked through the candidate; the case not kept is
  closed with the reason ``duplicate`` (its history stays; the case kept is untouched).
  A case already travelled or closed is left as it is.
* *Different people*: the pair is not suggested again while the values the model
  compares stay the same (:func:`movilidad.identity.intake.record_pair`).
* *Undo* (supervisors): the candidate is open again; a case closed by the decision is
  reopened in the status it had.

Every decision is an audit event (ids and codes only).
"""

from __future__ import annotations

from datetime import datetime

from movilidad.audit.services import record_event
from movilidad.cases.models import TERMINAL, CaseStatus, CloseReason
from movilidad.db.uow import UnitOfWork
from movilidad.identity.models import MatchCandidate, MatchStatus
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.errors import MovilidadError


class DecisionRefused(MovilidadError):
    """The decision cannot be made on the candidate as it is now; ``reason`` is a code:
    ``decided`` (already decided), ``not_decided`` (nothing to undo), ``keep`` (the
    case to keep is not one of the pair), ``reopened`` (the closed case has moved on
    since and cannot be reopened by an undo)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _audit(
    uow: UnitOfWork, candidate: MatchCandidate, action: str, staff_id: int,
    request_id: str | None, **detail: object,
) -> None:  # fmt: skip
    record_event(
        uow.session, action=action, object_type="match_candidate", object_id=candidate.id,
        actor_kind=ActorKind.STAFF, actor_staff_id=staff_id, office_id=candidate.case.office_id,
        request_id=request_id,
        detail={"cases": [candidate.case_id, candidate.other_case_id],
                "match_weight": candidate.match_weight, **detail},
    )  # fmt: skip


def decide_same_person(
    uow: UnitOfWork, candidate: MatchCandidate, *, keep_case_id: int, staff_id: int,
    now: datetime, request_id: str | None = None,
) -> None:  # fmt: skip
    """Record that the pair is one person, keep ``keep_case_id`` and close the other
    case as a duplicate (unless it is already travelled or closed). Raises
    :class:`DecisionRefused`."""
    if candidate.status is not MatchStatus.OPEN:
        raise DecisionRefused("decided")
    pair = {candidate.case_id: candidate.case, candidate.other_case_id: candidate.other_case}
    if keep_case_id not in pair:
        raise DecisionRefused("keep")
    closed_id = candidate.other_case_id if keep_case_id == candidate.case_id else candidate.case_id
    closed = pair[closed_id]
    candidate.status = MatchStatus.SAME_PERSON
    candidate.decided_at = now
    candidate.decided_by_staff_id = staff_id
    candidate.kept_case_id = keep_case_id
    candidate.closed_case_id = None
    candidate.closed_case_status = None
    if closed_id != keep_case_id and closed.status not in TERMINAL:
        candidate.closed_case_id = closed_id
        candidate.closed_case_status = closed.status
        closed.transition_to(
            CaseStatus.CLOSED, actor_kind=ActorKind.STAFF, actor_staff_id=staff_id,
            close_reason=CloseReason.DUPLICATE, note=f"duplicate of {pair[keep_case_id].reference}",
            now=now,
        )  # fmt: skip
    _audit(uow, candidate, "identity.match.same_person", staff_id, request_id,
           kept=keep_case_id, closed=candidate.closed_case_id)  # fmt: skip


def decide_different_people(
    uow: UnitOfWork, candidate: MatchCandidate, *, staff_id: int, now: datetime,
    request_id: str | None = None,
) -> None:  # fmt: skip
    """Record that the pair is two people. Raises :class:`DecisionRefused`."""
    if candidate.status is not MatchStatus.OPEN:
        raise DecisionRefused("decided")
    candidate.status = MatchStatus.DIFFERENT_PEOPLE
    candidate.decided_at = now
    candidate.decided_by_staff_id = staff_id
    _audit(uow, candidate, "identity.match.different_people", staff_id, request_id)


def undo_decision(
    uow: UnitOfWork, candidate: MatchCandidate, *, staff_id: int, now: datetime,
    request_id: str | None = None,
) -> None:  # fmt: skip
    """Open the candidate again; reopen the case its *same person* decision closed, in
    the status it had. Raises :class:`DecisionRefused`."""
    if candidate.status is MatchStatus.OPEN:
        raise DecisionRefused("not_decided")
    previous = candidate.status
    reopened = None
    if previous is MatchStatus.SAME_PERSON and candidate.closed_case_id is not None:
        closed = (
            candidate.case
            if candidate.case_id == candidate.closed_case_id
            else candidate.other_case
        )
        if (
            closed.status is not CaseStatus.CLOSED
            or closed.close_reason is not CloseReason.DUPLICATE
        ):
            raise DecisionRefused("reopened")
        assert candidate.closed_case_status is not None
        closed.reopen(candidate.closed_case_status, actor_staff_id=staff_id,
                      note="duplicate decision undone", now=now)  # fmt: skip
        reopened = closed.id
    candidate.status = MatchStatus.OPEN
    candidate.decided_at = None
    candidate.decided_by_staff_id = None
    candidate.kept_case_id = None
    candidate.closed_case_id = None
    candidate.closed_case_status = None
    _audit(uow, candidate, "identity.match.undo", staff_id, request_id,
           undone=str(previous), reopened=reopened)  # fmt: skip
