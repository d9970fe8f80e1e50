"""Who may move a case where. Any role with ``cases:case:transition`` may take a case
one step along the workflow; the decisions below are kept for supervisors and office
managers (roles with ``cases:case:bulk-close``)."""

from __future__ import annotations

from typing import Final

from movilidad.cases.models import CaseStatus, CloseReason
from movilidad.kernel.permissions import Permission

#: Closing for these reasons is a supervisor's decision.
SUPERVISOR_CLOSE_REASONS: Final = frozenset(
    {CloseReason.DUPLICATE, CloseReason.PROGRAMME_TERMINATED}
)
#: Recording the destination's decision and the travel is a supervisor's act.
SUPERVISOR_STATUSES: Final = frozenset({CaseStatus.DECISION_RECEIVED, CaseStatus.TRAVELLED})


def can_transition(
    permissions: frozenset[Permission], to_status: CaseStatus, reason: CloseReason | None
) -> bool:
    """True when an actor with ``permissions`` may move a case to ``to_status``."""
    if Permission.CASE_TRANSITION not in permissions:
        return False
    supervisor = Permission.CASE_BULK_CLOSE in permissions
    if to_status in SUPERVISOR_STATUSES and not supervisor:
        return False
    return not (reason in SUPERVISOR_CLOSE_REASONS and not supervisor)


def allowed_statuses(
    permissions: frozenset[Permission], candidates: frozenset[CaseStatus]
) -> list[CaseStatus]:
    """The statuses of ``candidates`` the actor may choose, in workflow order."""
    order = list(CaseStatus)
    return sorted((s for s in candidates if can_transition(permissions, s, None)), key=order.index)


def allowed_close_reasons(permissions: frozenset[Permission]) -> list[CloseReason]:
    return [r for r in CloseReason if can_transition(permissions, CaseStatus.CLOSED, r)]
