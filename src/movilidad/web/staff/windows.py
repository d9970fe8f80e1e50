"""Supervisors: an office's booking mode, its request windows, the allocation run and
its report, and checking a run again (replay)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from starlette.exceptions import HTTPException

from movilidad.appointments.models import (
    AppointmentRequest,
    BookingMode,
    RequestStatus,
    RequestWindow,
)
from movilidad.appointments.windows import (
    RunRefused,
    close_window_now,
    get_policy,
    list_windows,
    open_window,
    replay,
    run_allocation,
    run_of_window,
    set_policy,
)
from movilidad.cases.models import SpecificNeed
from movilidad.kernel.clock import utcnow
from movilidad.kernel.dates import is_iso_date, parse_iso_date
from movilidad.kernel.permissions import Permission
from movilidad.offices.models import Office
from movilidad.offices.repository import OfficeRepository
from movilidad.staff.actor import Actor
from movilidad.web.deps import Render, UoW
from movilidad.web.security import requires, verify_csrf
from movilidad.web.staff.deps import StaffActor

router = APIRouter(prefix="/staff/windows")


def _offices(uow: UoW, actor: Actor) -> list[Office]:
    """Offices whose windows the actor manages."""
    scope = actor.scope(Permission.WINDOW_MANAGE)
    return [
        office
        for office in OfficeRepository(uow.session).list_offices()
        if scope.everywhere or office.id in scope.office_ids or office.country in scope.countries
    ]


def _office(uow: UoW, actor: Actor, code: str) -> Office:
    """The office with ``code`` in the actor's scope; 400 when no office was chosen,
    404 for an unknown one or one outside the scope."""
    if not code:
        raise HTTPException(status_code=400)
    for office in _offices(uow, actor):
        if office.code == code:
            return office
    raise HTTPException(status_code=404)


def _window(uow: UoW, actor: Actor, window_id: str) -> RequestWindow:
    """The window with that id, of an office in the actor's scope; 404 otherwise."""
    if not (window_id.isascii() and window_id.isdigit()) or len(window_id) > 9:
        raise HTTPException(status_code=404)
    window = uow.session.get(RequestWindow, int(window_id))
    if window is None or window.office_id not in {o.id for o in _offices(uow, actor)}:
        raise HTTPException(status_code=404)
    return window


def _local(value: str, zone: str) -> datetime | None:
    """A ``datetime-local`` field (``YYYY-MM-DDTHH:MM``) in the office's zone, as an
    aware instant; None when unreadable."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is not None or not 2000 <= parsed.year <= 2100:
        return None
    return parsed.replace(tzinfo=ZoneInfo(zone))


def _back(office: Office, done: str) -> RedirectResponse:
    return RedirectResponse(f"/staff/windows?office={office.code}&done={done}", status_code=303)


DONE = frozenset({"policy", "opened", "closed", "ran", "bad_policy", "bad_window", "open",
                  "already_run"})  # fmt: skip


@router.get("", name="staff.windows", response_class=HTMLResponse)
@requires(Permission.WINDOW_MANAGE)
def windows_page(
    request: Request, uow: UoW, render: Render, actor: StaffActor,
    office: str = "", done: str = "",
) -> HTMLResponse:  # fmt: skip
    """An office's booking mode and its request windows, newest first."""
    offices = _offices(uow, actor)
    chosen = next((o for o in offices if o.code == office), offices[0] if offices else None)
    rows = []
    if chosen is not None:
        for window in list_windows(uow, chosen.id):
            waiting = uow.session.scalar(
                select(func.count()).select_from(AppointmentRequest).where(
                    AppointmentRequest.window_id == window.id,
                )
            )  # fmt: skip
            rows.append((window, waiting or 0, run_of_window(uow, window.id)))
    queue = 0
    if chosen is not None:
        queue = uow.session.scalar(
            select(func.count()).select_from(AppointmentRequest).where(
                AppointmentRequest.office_id == chosen.id,
                AppointmentRequest.status == RequestStatus.WAITING,
            )
        ) or 0  # fmt: skip
    return render.render(
        request, "staff/windows/list.html",
        {"offices": offices, "office": chosen, "rows": rows, "now": utcnow(), "queue": queue,
         "policy": get_policy(uow, chosen) if chosen else None,
         "needs": [need.value for need in SpecificNeed], "done": done if done in DONE else ""},
    )  # fmt: skip


@router.post("/policy", name="staff.windows.policy", dependencies=[Depends(verify_csrf)])
@requires(Permission.WINDOW_MANAGE)
async def save_policy(request: Request, uow: UoW, actor: StaffActor) -> Response:
    """Choose direct booking or request windows, and the rules of the allocation."""
    form = await request.form()
    office = _office(uow, actor, str(form.get("office", ""))[:32])
    numbers = {}
    for name in ("longest_waiting_percent", "offer_hours", "hold_minutes"):
        text = str(form.get(name, "")).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 4:
            return _back(office, "bad_policy")
        numbers[name] = int(text)
    mode_text = str(form.get("mode", ""))
    if mode_text not in {m.value for m in BookingMode}:
        return _back(office, "bad_policy")
    groups = tuple(str(g) for g in form.getlist("priority_groups"))[:10]
    try:
        set_policy(uow, office, mode=BookingMode(mode_text), priority_groups=groups,
                   staff_id=actor.staff_user_id, **numbers)  # fmt: skip
    except ValueError:
        uow.rollback()
        return _back(office, "bad_policy")
    return _back(office, "policy")


@router.post("/open", name="staff.windows.open", dependencies=[Depends(verify_csrf)])
@requires(Permission.WINDOW_MANAGE)
def create_window(
    request: Request,
    uow: UoW,
    actor: StaffActor,
    office: Annotated[str, Form(max_length=32)] = "",
    opens_at: Annotated[str, Form(max_length=40)] = "",
    closes_at: Annotated[str, Form(max_length=40)] = "",
    slots_first: Annotated[str, Form(max_length=20)] = "",
    slots_last: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Plan a request window (local times) and the slot dates its run will share out;
    its seed's hash is published at once."""
    chosen = _office(uow, actor, office)
    opens = _local(opens_at, chosen.time_zone)
    closes = _local(closes_at, chosen.time_zone)
    first = parse_iso_date(slots_first) if is_iso_date(slots_first) else None
    last = parse_iso_date(slots_last) if is_iso_date(slots_last) else None
    if opens is None or closes is None or first is None or last is None:
        return _back(chosen, "bad_window")
    try:
        open_window(uow, chosen, opens_at=opens, closes_at=closes, slots_first=first,
                    slots_last=last, staff_id=actor.staff_user_id)  # fmt: skip
    except ValueError:
        uow.rollback()
        return _back(chosen, "bad_window")
    return _back(chosen, "opened")


@router.post("/{window_id}/close", name="staff.windows.close",
             dependencies=[Depends(verify_csrf)])  # fmt: skip
@requires(Permission.WINDOW_MANAGE)
def close_now(request: Request, uow: UoW, actor: StaffActor, window_id: str) -> Response:
    """End an open window now; its allocation can then run."""
    window = _window(uow, actor, window_id)
    close_window_now(uow, window, utcnow(), staff_id=actor.staff_user_id)
    return _back(window.office, "closed")


@router.post("/{window_id}/run", name="staff.windows.run", dependencies=[Depends(verify_csrf)])
@requires(Permission.WINDOW_MANAGE)
def run_now(request: Request, uow: UoW, actor: StaffActor, window_id: str) -> Response:
    """Make the allocation run of a closed window now (the scheduled job would make it
    within a minute): offers go out by the households' channels."""
    window = _window(uow, actor, window_id)
    try:
        run_allocation(uow, request.app.state.jobs, window, utcnow(),
                       staff_id=actor.staff_user_id)  # fmt: skip
    except RunRefused as refused:
        uow.rollback()
        return _back(window.office, "open" if refused.reason == "window_open" else "already_run")
    return RedirectResponse(f"/staff/windows/{window.id}", status_code=303)


@router.get("/{window_id}", name="staff.windows.detail", response_class=HTMLResponse)
@requires(Permission.WINDOW_MANAGE)
def window_detail(
    request: Request, uow: UoW, render: Render, actor: StaffActor, window_id: str,
    check: str = "",
) -> HTMLResponse:  # fmt: skip
    """A window, its seed (once the run is made), its report, and a replay on demand."""
    window = _window(uow, actor, window_id)
    run = run_of_window(uow, window.id)
    checked = replay(uow, run.id) if run is not None and check == "1" else None
    return render.render(
        request, "staff/windows/detail.html",
        {"window": window, "run": run, "checked": checked, "now": utcnow()},
    )  # fmt: skip
