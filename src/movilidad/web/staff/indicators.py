"""Supervisors: the fraud indicators report (traces shared by many households, national
identity numbers that fail their check), each linking to the cases."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from movilidad.audit.services import record_event
from movilidad.identity.indicators import NATIONAL_ID_CHECKS, SHARED_THRESHOLD, indicators
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.permissions import Permission
from movilidad.web.deps import Render, UoW
from movilidad.web.security import requires
from movilidad.web.staff.deps import StaffActor

router = APIRouter(prefix="/staff/indicators")


@router.get("", name="staff.indicators", response_class=HTMLResponse)
@requires(Permission.INDICATOR_READ)
def report(request: Request, uow: UoW, render: Render, actor: StaffActor) -> HTMLResponse:
    """The indicators within the actor's scope; the view is recorded."""
    found = indicators(uow, actor.scope(Permission.INDICATOR_READ))
    record_event(
        uow.session, action="identity.indicators.view", object_type="case", object_id="*",
        actor_kind=ActorKind.STAFF, actor_staff_id=actor.staff_user_id,
        request_id=request.state.request_id,
        detail={"shared": len(found.shared), "invalid_documents": len(found.invalid_documents)},
    )  # fmt: skip
    return render.render(
        request,
        "staff/indicators.html",
        {"found": found, "threshold": SHARED_THRESHOLD, "checked": sorted(NATIONAL_ID_CHECKS)},
    )
