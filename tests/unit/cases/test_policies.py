from __future__ import annotations

from movilidad.cases.models import CaseStatus, CloseReason
from movilidad.cases.policies import allowed_close_reasons, allowed_statuses, can_transition
from movilidad.kernel.permissions import RoleName, permissions_for

CASEWORKER = permissions_for({RoleName.CASEWORKER})
SUPERVISOR = permissions_for({RoleName.SUPERVISOR})
ANALYST = permissions_for({RoleName.DATA_ANALYST})


def test_caseworkers_take_cases_along_the_workflow() -> None:
    assert can_transition(CASEWORKER, CaseStatus.PRE_SCREENED, None)
    assert can_transition(CASEWORKER, CaseStatus.CLOSED, CloseReason.WITHDRAWN)


def test_some_decisions_belong_to_supervisors() -> None:
    for status in (CaseStatus.DECISION_RECEIVED, CaseStatus.TRAVELLED):
        assert not can_transition(CASEWORKER, status, None)
        assert can_transition(SUPERVISOR, status, None)
    for reason in (CloseReason.DUPLICATE, CloseReason.PROGRAMME_TERMINATED):
        assert not can_transition(CASEWORKER, CaseStatus.CLOSED, reason)
        assert can_transition(SUPERVISOR, CaseStatus.CLOSED, reason)
    assert CloseReason.DUPLICATE not in allowed_close_reasons(CASEWORKER)


def test_roles_without_transition_move_nothing() -> None:
    assert allowed_statuses(ANALYST, frozenset(CaseStatus)) == []
    assert allowed_close_reasons(ANALYST) == []
