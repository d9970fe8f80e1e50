"""The household's interview, from its status page: ask for one during a request window,
pick a free slot where the office books directly, confirm or decline an offer,
cancel or change, print the slip and add it to a calendar (.ics).

Every form carries an idempotency key drawn when the page was made, so a submission
sent twice (a poor connection) is one request. Outcomes come back to the status page
as a short code in ``?done=`` (post/redirect/get).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from icalendar import Calendar, Event

from movilidad.appointments import repository
from movilidad.appointments.booking import (
    BookingRefused,
    book_slot,
    cancel_appointment,
    confirm_offer,
)
from movilidad.appointments.models import Appointment, AppointmentStatus, BookingMode, Slot
from movilidad.appointments.windows import (
    MAY_REQUEST,
    RequestRefused,
    live_request,
    next_window_of,
    open_window_of,
    request_appointment,
    request_appointment_at_once,
    withdraw_request,
)
from movilidad.cases.models import Case
from movilidad.cases.repository import CaseRepository
from movilidad.kernel.clock import utcnow
from movilidad.registration import status
from movilidad.web.deps import Render, UoW
from movilidad.web.security import PUBLIC, requires, verify_csrf

router = APIRouter(prefix="/status/appointment")
STATUS_COOKIE = "case_status"
BACK = "/status/case"


def new_key() -> str:
    """A fresh idempotency key for one form (URL-safe, 32 characters)."""
    return secrets.token_urlsafe(24)


def signed_in_case(request: Request, uow: UoW) -> Case | None:
    """The case of the household signed in on this phone, or None."""
    secret: bytes = request.app.state.settings.secret_key_bytes()
    case_id = status.case_id_from_token(secret, request.cookies.get(STATUS_COOKIE, ""))
    return CaseRepository(uow.session).get_case_alone(case_id) if case_id else None


#: Outcome codes the status page explains (anything else is ignored).
DONE_CODES = frozenset({
    "requested", "withdrawn", "held", "confirmed", "cancelled", "too_late", "slot_full",
    "past", "already_booked", "no_window", "not_open", "booked", "not_direct", "key_reused",
})  # fmt: skip


def interview_context(uow: UoW, case: Case, done: str) -> dict[str, object]:
    """What the status page's interview section needs: the office's booking mode,
    the household's appointment (offered or confirmed) or live request, the open or
    next request window, and a fresh idempotency key for its forms."""
    now = utcnow()
    policy = repository.get_policy(uow.session, case.office)
    return {
        "mode": policy.mode.value,
        "appointment": repository.get_holding_appointment(uow.session, case.id),
        "live_request": live_request(uow, case.id),
        "open_window": open_window_of(uow, case.office_id, now),
        "next_window": next_window_of(uow, case.office_id, now),
        "past": [a for a in repository.list_appointments_of_case(uow.session, case.id)
                 if a.status.value in ("attended", "no_show")][:3],
        "done": done if done in DONE_CODES else "",
        "may_request": case.status in MAY_REQUEST,
        "key": new_key(),
        "now": now,
    }  # fmt: skip


def _back(done: str) -> RedirectResponse:
    return RedirectResponse(f"{BACK}?done={done}#interview", status_code=303)


def _holding(uow: UoW, case: Case, appointment_id: str) -> Appointment | None:
    """The household's own holding appointment with that id (anyone else's: None)."""
    if not (appointment_id.isascii() and appointment_id.isdigit()) or len(appointment_id) > 10:
        return None
    current = repository.get_holding_appointment(uow.session, case.id)
    return current if current is not None and current.id == int(appointment_id) else None


@router.post("/request", name="applicant.appointment.request",
             dependencies=[Depends(verify_csrf)])  # fmt: skip
@requires(PUBLIC)
def ask(request: Request, uow: UoW, key: Annotated[str, Form(max_length=64)] = "") -> Response:
    """Ask for an interview in the open request window (once; asking again is the
    same request). The common case is one statement, so a rush of households when a
    window opens is answered quickly."""
    secret: bytes = request.app.state.settings.secret_key_bytes()
    case_id = status.case_id_from_token(secret, request.cookies.get(STATUS_COOKIE, ""))
    if case_id is None:
        return RedirectResponse("/status", status_code=303)
    key = key or new_key()
    now = utcnow()
    if request_appointment_at_once(uow, case_id, key=key, now=now):
        return _back("requested")
    case = CaseRepository(uow.session).get_case_alone(case_id)
    if case is None:
        return RedirectResponse("/status", status_code=303)
    try:
        request_appointment(uow, case, key=key, now=now)
    except RequestRefused as refused:
        uow.rollback()
        return _back(refused.reason)
    return _back("requested")


@router.post("/withdraw", name="applicant.appointment.withdraw",
             dependencies=[Depends(verify_csrf)])  # fmt: skip
@requires(PUBLIC)
def withdraw(request: Request, uow: UoW) -> Response:
    """Take the household's waiting request out of the queue."""
    case = signed_in_case(request, uow)
    if case is None:
        return RedirectResponse("/status", status_code=303)
    live = live_request(uow, case.id)
    if live is not None:
        withdraw_request(uow, live, utcnow())
    return _back("withdrawn")


@router.get("/slots", name="applicant.appointment.slots", response_class=HTMLResponse)
@requires(PUBLIC)
def slots(request: Request, uow: UoW, render: Render) -> Response:
    """Free slots of the household's office (offices that book directly), by day."""
    case = signed_in_case(request, uow)
    if case is None:
        return RedirectResponse("/status", status_code=303)
    office = case.office
    policy = repository.get_policy(uow.session, office)
    free = (
        repository.list_bookable_slots(uow.session, office, utcnow())
        if policy.mode is BookingMode.DIRECT else []
    )  # fmt: skip
    days: dict[str, list[Slot]] = {}
    for item in free:
        day = item.slot.starts_at.astimezone(ZoneInfo(office.time_zone)).date().isoformat()
        days.setdefault(day, []).append(item.slot)
    response = render.render(
        request, "applicant/appointment/slots.html",
        {"case": case, "days": days, "direct": policy.mode is BookingMode.DIRECT,
         "hold_minutes": policy.hold_minutes, "key": new_key(),
         "current": repository.get_holding_appointment(uow.session, case.id)},
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/book", name="applicant.appointment.book", dependencies=[Depends(verify_csrf)])
@requires(PUBLIC)
def book(
    request: Request,
    uow: UoW,
    slot: Annotated[str, Form(max_length=20)] = "",
    key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Hold the chosen slot for the household (it then confirms on the status page)."""
    case = signed_in_case(request, uow)
    if case is None:
        return RedirectResponse("/status", status_code=303)
    valid = slot.isascii() and slot.isdigit() and int(slot) < 2**31
    chosen = uow.session.get(Slot, int(slot)) if valid else None
    if chosen is None or chosen.office_id != case.office_id:
        return _back("slot_full")
    try:
        book_slot(uow, case, chosen, key=key or new_key(), now=utcnow())
    except BookingRefused as refused:
        uow.rollback()
        return _back(refused.reason)
    return _back("held")


@router.post("/confirm", name="applicant.appointment.confirm",
             dependencies=[Depends(verify_csrf)])  # fmt: skip
@requires(PUBLIC)
def confirm(
    request: Request, uow: UoW, appointment: Annotated[str, Form(max_length=20)] = ""
) -> Response:
    """Confirm the offer on the page (before its deadline)."""
    case = signed_in_case(request, uow)
    if case is None:
        return RedirectResponse("/status", status_code=303)
    found = _holding(uow, case, appointment)
    if found is None or not confirm_offer(uow, request.app.state.jobs, found, utcnow()):
        return _back("too_late")
    return _back("confirmed")


@router.post("/cancel", name="applicant.appointment.cancel",
             dependencies=[Depends(verify_csrf)])  # fmt: skip
@requires(PUBLIC)
def cancel(
    request: Request, uow: UoW, appointment: Annotated[str, Form(max_length=20)] = ""
) -> Response:
    """Decline an offer or cancel a confirmed interview: the place goes to another
    household."""
    case = signed_in_case(request, uow)
    if case is None:
        return RedirectResponse("/status", status_code=303)
    found = _holding(uow, case, appointment)
    if found is not None:
        cancel_appointment(uow, request.app.state.jobs, found, utcnow())
    return _back("cancelled")


def _confirmed(uow: UoW, case: Case) -> tuple[Case, Appointment] | None:
    current = repository.get_holding_appointment(uow.session, case.id)
    if current is None or current.status is not AppointmentStatus.CONFIRMED:
        return None
    return case, current


@router.get("/slip", name="applicant.appointment.slip", response_class=HTMLResponse)
@requires(PUBLIC)
def slip(request: Request, uow: UoW, render: Render) -> Response:
    """The appointment slip: reference, verification code, place, local time, what to
    bring. The public verification page recognises its code until the interview ends."""
    case = signed_in_case(request, uow)
    if case is None:
        return RedirectResponse("/status", status_code=303)
    found = _confirmed(uow, case)
    if found is None:
        return RedirectResponse(BACK, status_code=303)
    _, appointment = found
    response = render.render(
        request, "applicant/appointment/slip.html",
        {"case": case, "appointment": appointment,
         "verify_url": request.app.state.settings.base_url.rstrip("/") + "/verify"},
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/interview.ics", name="applicant.appointment.ics")
@requires(PUBLIC)
def ics(request: Request, uow: UoW) -> Response:
    """The confirmed interview as an iCalendar event (RFC 5545), times in UTC. It names
    the office and the case reference, nothing about the people."""
    case = signed_in_case(request, uow)
    if case is None:
        return RedirectResponse("/status", status_code=303)
    found = _confirmed(uow, case)
    if found is None:
        return RedirectResponse(BACK, status_code=303)
    _, appointment = found
    office = case.office
    calendar = Calendar()
    calendar.add("prodid", "-//Movilidad//Safe Mobility Office//EN")
    calendar.add("version", "2.0")
    event = Event()
    host = request.app.state.settings.base_url.split("//")[-1].split("/")[0] or "movilidad"
    event.add("uid", f"appointment-{appointment.id}-{appointment.slot_id}@{host}")
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", appointment.slot.starts_at.astimezone(UTC))
    event.add("dtend", appointment.slot.ends_at.astimezone(UTC))
    event.add("summary", f"{office.name} — {case.display_reference}")
    event.add("location", f"{office.name}, {office.city}")
    calendar.add_component(event)
    return Response(
        calendar.to_ical(),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="interview.ics"',
                 "Cache-Control": "no-store"},
    )  # fmt: skip
