"""Closing every open case of a terminated pathway at once (supervisors).

When a programme ends by decree (refugee admissions to the United States were
suspended on 27 Jan 2025, Executive Order 14163; ``shared`` reference, section d),
the cases referred to it can go nowhere. Each is closed with the reason
``programme_terminated``, recorded like any other transition, and its household is
told on its channel, in its language (the status page gives the reason).
"""

from __future__ import annotations

from dataclasses import dataclass

from movilidad.audit.services import record_event
from movilidad.cases.models import CaseStatus, CloseReason
from movilidad.cases.repository import open_cases_referred_to
from movilidad.cases.services import transition_case
from movilidad.db.uow import UnitOfWork
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.permissions import Permission
from movilidad.notifications.models import NotificationKind
from movilidad.notifications.services import JobSender, queue_notification
from movilidad.staff.actor import ScopeSet


class CountChanged(Exception):
    """The number of cases differs from the one the supervisor confirmed."""


@dataclass(frozen=True)
class BulkCloseReport:
    pathway_id: str
    closed: int
    notified: int


def close_terminated_pathway(
    uow: UnitOfWork,
    jobs: JobSender | None,
    *,
    pathway_id: str,
    scope: ScopeSet,
    expected_count: int,
    staff_id: int,
    permissions: frozenset[Permission],
    note: str,
    request_id: str | None = None,
) -> BulkCloseReport:
    """Close, in one transaction, every open case within ``scope`` referred to
    ``pathway_id``. ``expected_count`` is the number the supervisor saw and confirmed:
    if it changed meanwhile, :class:`CountChanged` is raised and nothing is written.
    Raises ``TransitionNotAllowed`` when the actor may not close for this reason."""
    cases = open_cases_referred_to(uow.session, scope, pathway_id)
    if len(cases) != expected_count:
        raise CountChanged(f"{len(cases)} cases, not {expected_count}")
    notified = 0
    for case in cases:
        transition_case(
            uow, case, new_status=CaseStatus.CLOSED, expected_version=case.version,
            actor_staff_id=staff_id, actor_permissions=permissions,
            close_reason=CloseReason.PROGRAMME_TERMINATED, note=note, request_id=request_id,
        )  # fmt: skip
        sent = queue_notification(
            uow, jobs, case, NotificationKind.CASE_CLOSED, key=f"closed:{case.id}:{case.version}"
        )
        notified += sent is not None
    per_office: dict[int, int] = {}
    for case in cases:
        per_office[case.office_id] = per_office.get(case.office_id, 0) + 1
    for office_id, closed in sorted(per_office.items()):  # visible in each office's trail
        record_event(
            uow.session, action="case.bulk_close", object_type="pathway", object_id=pathway_id,
            actor_kind=ActorKind.STAFF, actor_staff_id=staff_id, office_id=office_id,
            request_id=request_id, detail={"closed": closed, "reason": "programme_terminated"},
        )  # fmt: skip
    return BulkCloseReport(pathway_id, len(cases), notified)
