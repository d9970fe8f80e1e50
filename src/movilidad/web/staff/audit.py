"""Supervisors browse the audit trail of a case or of a staff member (in their scope)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from movilidad.audit.repository import PAGE_SIZE, case_events, staff_events
from movilidad.cases.repository import CaseRepository
from movilidad.kernel.permissions import Permission
from movilidad.staff.models import StaffUser
from movilidad.web.deps import Render, UoW
from movilidad.web.security import requires
from movilidad.web.staff.deps import StaffActor

router = APIRouter(prefix="/staff")


@router.get("/audit", name="staff.audit", response_class=HTMLResponse)
@requires(Permission.AUDIT_READ)
def audit(
    request: Request,
    uow: UoW,
    render: Render,
    actor: StaffActor,
    case: str = "",
    user: str = "",
    before: str = "",
) -> HTMLResponse:
    """``?case=<reference>`` or ``?user=<username>``: who did what, when and why. A case
    outside the reader's scope shows nothing, as if it did not exist."""
    scope = actor.scope(Permission.AUDIT_READ)
    older = int(before) if before.isascii() and before.isdigit() and len(before) < 12 else None
    events = []
    found = None
    if case:
        found = CaseRepository(uow.session).get_case_in_scope(scope, case[:40])
        events = case_events(uow.session, scope, found.id, before=older) if found else []
    elif user:
        staff_id = uow.session.scalar(select(StaffUser.id).where(StaffUser.username == user[:64]))
        events = staff_events(uow.session, scope, staff_id, before=older) if staff_id else []
    rows = uow.session.execute(
        select(StaffUser.id, StaffUser.username).where(
            StaffUser.id.in_({e.actor_staff_id for e in events if e.actor_staff_id})
        )
    )
    names = {staff_id: username for staff_id, username in rows}
    return render.render(
        request, "staff/audit.html",
        {"events": events, "names": names, "case_query": case[:40], "user_query": user[:64],
         "searched": bool(case or user),
         "older": events[-1].id if len(events) == PAGE_SIZE else None},
    )  # fmt: skip
