"""Supervisors: close every open case of a terminated pathway, after a preview."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from movilidad.cases.bulk import CountChanged, close_terminated_pathway
from movilidad.cases.errors import TransitionNotAllowed
from movilidad.cases.repository import open_cases_referred_to
from movilidad.kernel.permissions import Permission
from movilidad.pathways.catalogue import Catalogue
from movilidad.web.deps import Render, UoW
from movilidad.web.security import requires, verify_csrf
from movilidad.web.staff.deps import StaffActor, require_recent_confirmation

router = APIRouter(prefix="/staff")


def _terminated(request: Request) -> list[tuple[str, str]]:
    """Pathways with no version in force on the screening day: (id, name)."""
    catalogue: Catalogue | None = request.app.state.catalogue
    if catalogue is None:
        return []
    day = request.app.state.settings.screening_day()
    language = request.state.language
    return sorted(
        (p.id, p.names.get(language, p.id))
        for p in catalogue.pathways.values()
        if p.version_on(day) is None
    )


@router.get("/bulk-close", name="staff.bulk_close", response_class=HTMLResponse)
@requires(Permission.CASE_BULK_CLOSE)
def bulk_close_form(
    request: Request, uow: UoW, render: Render, actor: StaffActor,
    pathway: str = "", closed: str = "", error: str = "",
) -> HTMLResponse:  # fmt: skip
    """Choose a terminated pathway; see how many open cases (in your scope) it holds."""
    require_recent_confirmation(request, uow)
    pathways = _terminated(request)
    chosen = pathway if pathway in {p for p, _ in pathways} else ""
    cases = (
        open_cases_referred_to(uow.session, actor.scope(Permission.CASE_BULK_CLOSE), chosen)
        if chosen else []
    )  # fmt: skip
    return render.render(
        request, "staff/bulk_close.html",
        {"pathways": pathways, "chosen": chosen, "cases": cases,
         "closed": closed if closed.isdigit() else "", "error": error in ("changed", "role")},
    )  # fmt: skip


@router.post("/bulk-close", name="staff.bulk_close.submit", dependencies=[Depends(verify_csrf)])
@requires(Permission.CASE_BULK_CLOSE)
def bulk_close(
    request: Request,
    uow: UoW,
    actor: StaffActor,
    pathway: Annotated[str, Form(max_length=64)] = "",
    count: Annotated[int, Form(ge=0, le=1_000_000)] = 0,
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Close them all (post/redirect/get); a changed count asks to confirm again."""
    require_recent_confirmation(request, uow, back=f"/staff/bulk-close?pathway={pathway[:64]}")
    if pathway not in {p for p, _ in _terminated(request)}:
        return RedirectResponse("/staff/bulk-close", status_code=303)
    try:
        report = close_terminated_pathway(
            uow, request.app.state.jobs, pathway_id=pathway,
            scope=actor.scope(Permission.CASE_BULK_CLOSE), expected_count=count,
            staff_id=actor.staff_user_id, permissions=actor.permissions, note=note,
            request_id=request.state.request_id,
        )  # fmt: skip
    except CountChanged:
        uow.rollback()
        return RedirectResponse(f"/staff/bulk-close?pathway={pathway}&error=changed", 303)
    except TransitionNotAllowed:
        uow.rollback()
        return RedirectResponse(f"/staff/bulk-close?pathway={pathway}&error=role", 303)
    return RedirectResponse(f"/staff/bulk-close?pathway={pathway}&closed={report.closed}", 303)
