"""Staff: the day's agenda per office and interviewer, check-in, attended, no-show,
moving an appointment, and booking for a household that cannot use a phone.

Every page and form works within the offices where the actor holds
:attr:`~movilidad.kernel.permissions.Permission.APPOINTMENT_MANAGE`; an office, case or
appointment outside them is a 404. Each state change goes through the booking use
cases (they write the audit trail and queue the household's notifications), then
redirects with a short outcome code in ``?done=`` or ``?refused=`` (post/redirect/get).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Annotated, Final
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.exceptions import HTTPException

from movilidad.appointments import repository
from movilidad.appointments.booking import (
    BookingRefused,
    book_for_household,
    cancel_appointment,
    check_in,
    mark_attended,
    mark_no_show,
    move_appointment,
)
from movilidad.appointments.models import Appointment, AppointmentStatus, Slot
from movilidad.appointments.repository import FreeSlot
from movilidad.appointments.windows import count_no_shows, live_request
from movilidad.audit.services import record_event
from movilidad.cases.models import Case
from movilidad.cases.repository import CaseRepository
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.clock import utcnow
from movilidad.kernel.permissions import Permission
from movilidad.offices.models import Office
from movilidad.offices.repository import OfficeRepository
from movilidad.staff.actor import Actor, ScopeSet
from movilidad.staff.models import StaffUser
from movilidad.web.deps import Render, UoW
from movilidad.web.security import requires, verify_csrf
from movilidad.web.staff.deps import StaffActor

router = APIRouter(prefix="/staff")
CsrfChecked = Depends(verify_csrf)
MANAGE: Final = Permission.APPOINTMENT_MANAGE
#: Days the agenda may show: anything else is a malformed date.
FIRST_DAY: Final = date(2000, 1, 1)
LAST_DAY: Final = date(2199, 12, 31)
#: How far ahead free slots are offered when booking or moving by hand.
BOOKING_DAYS: Final = 28


def _(message: str) -> str:
    """Mark for translation (rendered with the page's gettext)."""
    return message


#: Outcome codes of a successful action, and what the page then says.
DONE: Final = {
    "checked_in": _("The household is checked in."),
    "attended": _("The interview is recorded as attended."),
    "no_show": _("Recorded as a no-show. The household is back in the office's queue."),
    "cancelled": _(
        "The appointment is cancelled. The household is told if it gave a phone or e-mail."
    ),
    "moved": _("The appointment is moved. The household is told if it gave a phone or e-mail."),
    "booked": _(
        "The interview is booked and confirmed. The household is told if it gave a phone or e-mail."
    ),
}

#: Reasons an action was refused, and what the page then says.
REFUSED: Final = {
    "not_confirmed": _("Only a confirmed appointment can be checked in or marked."),
    "not_arrived": _(
        "The household has not checked in yet, so the interview cannot be marked as attended."
    ),
    "arrived": _("The household has checked in, so it cannot be marked as a no-show."),
    "not_started": _(
        "A household can be marked as a no-show only once its interview time has started."
    ),
    "not_holding": _("This appointment no longer holds a place: it was cancelled or has ended."),
    "changed": _("The appointment changed while you were looking. Check it again."),
    "slot_full": _("That time has just been taken. Choose another one."),
    "past": _("That time has already started. Choose a later one."),
    "already_booked": _("The household already has an appointment. Move it instead."),
    "key_reused": _(
        "This form was already used for a booking that has changed or ended. "
        "Reload the page and choose again."
    ),
}


def new_key() -> str:
    """A fresh idempotency key for one booking form (URL-safe, 32 characters)."""
    return secrets.token_urlsafe(24)


def parse_id(raw: str) -> int | None:
    """A database id typed as ASCII digits and small enough for an integer column;
    None for anything else (letters, other digits, a number of 2**31 or more)."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    value = int(raw)
    return value if 0 < value < 2**31 else None


def parse_day(raw: str) -> date | None:
    """An ISO date (``2026-12-03``) between 2000 and 2199; None for anything else."""
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def office_in(scope: ScopeSet, office: Office) -> bool:
    """Whether ``office`` lies within ``scope`` (the same rule as the case queries)."""
    return scope.everywhere or office.id in scope.office_ids or office.country in scope.countries


def local_day(instant: datetime, office: Office) -> date:
    """The office's calendar day at ``instant``."""
    return instant.astimezone(ZoneInfo(office.time_zone)).date()


def agenda_url(office: Office, day: date, who: str = "all", **outcome: str) -> str:
    """The agenda of ``office`` on its local ``day``, with an optional outcome code."""
    query = {
        "office": office.code,
        "day": day.isoformat(),
        **({"who": who} if who == "mine" else {}),
    }
    return f"/staff/agenda?{urlencode({**query, **outcome})}"


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _case_in_scope(uow: UoW, actor: Actor, reference: str) -> Case:
    case = CaseRepository(uow.session).get_case_in_scope(actor.scope(MANAGE), reference[:40])
    if case is None:
        raise HTTPException(status_code=404)
    return case


def _appointment_in_scope(uow: UoW, actor: Actor, raw: str) -> Appointment:
    """The appointment with id ``raw`` if its office is in the actor's scope. Nothing
    chosen: 400; a malformed id, a missing appointment or another office's: 404."""
    if not raw:
        raise HTTPException(status_code=400)
    appointment_id = parse_id(raw)
    appointment = (
        repository.get_appointment(uow.session, appointment_id)
        if appointment_id is not None
        else None
    )
    if appointment is None or not office_in(actor.scope(MANAGE), appointment.case.office):
        raise HTTPException(status_code=404)
    return appointment


def _slot_of_office(uow: UoW, raw: str, office: Office) -> Slot:
    """The slot with id ``raw`` of ``office``; a malformed id or any other slot: 404."""
    slot_id = parse_id(raw)
    slot = uow.session.get(Slot, slot_id) if slot_id is not None else None
    if slot is None or slot.office_id != office.id:
        raise HTTPException(status_code=404)
    return slot


def _free_slots_by_day(
    uow: UoW, office: Office, now: datetime, *, skip: int | None = None
) -> dict[date, list[FreeSlot]]:
    """Free slots of the office from now on, grouped by local day (``skip``: a slot id
    left out, the one the household already holds)."""
    days: dict[date, list[FreeSlot]] = {}
    for item in repository.list_bookable_slots(
        uow.session, office, now, days=BOOKING_DAYS, limit=200, lead=timedelta(0)
    ):
        if item.slot.id != skip:
            days.setdefault(local_day(item.slot.starts_at, office), []).append(item)
    return days


def _staff_names(uow: UoW, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = uow.session.execute(
        select(StaffUser.id, StaffUser.full_name).where(StaffUser.id.in_(sorted(ids)))
    )
    return {staff_id: name for staff_id, name in rows}


def _audit_view(request: Request, uow: UoW, actor: Actor, case: Case, purpose: str) -> None:
    """Record that the actor looked at the case's interview page."""
    record_event(
        uow.session, action="case.view", object_type="case", object_id=case.id,
        actor_kind=ActorKind.STAFF, actor_staff_id=actor.staff_user_id,
        office_id=case.office_id, request_id=request.state.request_id,
        detail={"purpose": purpose},
    )  # fmt: skip


# --- The agenda -----------------------------------------------------------------------


@router.get("/agenda", name="staff.agenda", response_class=HTMLResponse)
@requires(MANAGE)
def agenda(
    request: Request,
    uow: UoW,
    render: Render,
    actor: StaffActor,
    office: Annotated[str, Query(max_length=40)] = "",
    day: Annotated[str, Query(max_length=40)] = "",
    who: Annotated[str, Query(max_length=10)] = "all",
    done: Annotated[str, Query(max_length=20)] = "",
    refused: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """One office's interviews on one local day (default: the first office in scope,
    today in its time zone), all or only the actor's, with what can be done to each.
    An office outside the actor's scope (or unknown) is a 404; a malformed day shows
    today with a message (400)."""
    scope = actor.scope(MANAGE)
    offices = [o for o in OfficeRepository(uow.session).list_offices() if office_in(scope, o)]
    if office:
        chosen = next((o for o in offices if o.code == office), None)
        if chosen is None:
            raise HTTPException(status_code=404)
    elif offices:
        chosen = offices[0]
    else:
        return render.render(request, "staff/appointments/agenda.html", {"office": None})
    now = utcnow()
    today = local_day(now, chosen)
    shown = parse_day(day) if day else today
    bad_day = shown is None
    shown = shown or today
    mine = who == "mine"
    rows = repository.list_agenda(uow.session, chosen, shown, actor.staff_user_id if mine else None)
    record_event(
        uow.session, action="appointment.agenda", object_type="office", object_id=chosen.id,
        actor_kind=ActorKind.STAFF, actor_staff_id=actor.staff_user_id, office_id=chosen.id,
        request_id=request.state.request_id,
        detail={"day": shown.isoformat(), "count": len(rows)},
    )  # fmt: skip
    live = [a for a in rows if a.status is not AppointmentStatus.CANCELLED]
    return render.render(
        request,
        "staff/appointments/agenda.html",
        {
            "office": chosen,
            "offices": offices,
            "day": shown,
            "today": today,
            "previous_day": shown - timedelta(days=1),
            "next_day": shown + timedelta(days=1),
            "who": "mine" if mine else "all",
            "appointments": rows,
            "interviewers": _staff_names(
                uow, {a.interviewer_staff_id for a in rows if a.interviewer_staff_id}
            ),
            "counts": {
                "booked": len(live),
                "arrived": sum(1 for a in live if a.arrived_at is not None),
                "no_show": sum(1 for a in live if a.status is AppointmentStatus.NO_SHOW),
            },
            "now": now,
            "bad_day": bad_day,
            "done": DONE.get(done, ""),
            "refused": REFUSED.get(refused, ""),
        },
        status_code=400 if bad_day else 200,
    )


def _back_to_agenda(appointment: Appointment, who: str, **outcome: str) -> RedirectResponse:
    office = appointment.case.office
    day = local_day(appointment.slot.starts_at, office)
    return _see_other(agenda_url(office, day, who, **outcome))


@router.post("/agenda/check-in", name="staff.agenda.check_in", dependencies=[CsrfChecked])
@requires(MANAGE)
def agenda_check_in(
    uow: UoW,
    actor: StaffActor,
    appointment: Annotated[str, Form(max_length=20)] = "",
    who: Annotated[str, Form(max_length=10)] = "all",
) -> Response:
    """Record that the household has arrived (confirmed appointments only)."""
    found = _appointment_in_scope(uow, actor, appointment)
    if not check_in(uow, found, staff_id=actor.staff_user_id, now=utcnow()):
        return _back_to_agenda(found, who, refused="not_confirmed")
    return _back_to_agenda(found, who, done="checked_in")


@router.post("/agenda/attended", name="staff.agenda.attended", dependencies=[CsrfChecked])
@requires(MANAGE)
def agenda_attended(
    uow: UoW,
    actor: StaffActor,
    appointment: Annotated[str, Form(max_length=20)] = "",
    who: Annotated[str, Form(max_length=10)] = "all",
) -> Response:
    """Record that the interview took place (the household must have checked in)."""
    found = _appointment_in_scope(uow, actor, appointment)
    if found.status is AppointmentStatus.ATTENDED:
        return _back_to_agenda(found, who, done="attended")  # sent twice
    if not mark_attended(uow, found, staff_id=actor.staff_user_id, now=utcnow()):
        reason = (
            "not_confirmed" if found.status is not AppointmentStatus.CONFIRMED else "not_arrived"
        )
        return _back_to_agenda(found, who, refused=reason)
    return _back_to_agenda(found, who, done="attended")


@router.post("/agenda/no-show", name="staff.agenda.no_show", dependencies=[CsrfChecked])
@requires(MANAGE)
def agenda_no_show(
    uow: UoW,
    actor: StaffActor,
    appointment: Annotated[str, Form(max_length=20)] = "",
    who: Annotated[str, Form(max_length=10)] = "all",
) -> Response:
    """Record that the household did not come (once the interview time has started);
    the household goes back to the office's queue."""
    found = _appointment_in_scope(uow, actor, appointment)
    if found.status is AppointmentStatus.NO_SHOW:
        return _back_to_agenda(found, who, done="no_show")  # sent twice
    if not mark_no_show(uow, found, staff_id=actor.staff_user_id, now=utcnow()):
        if found.status is not AppointmentStatus.CONFIRMED:
            reason = "not_confirmed"
        elif found.arrived_at is not None:
            reason = "arrived"
        else:
            reason = "not_started"
        return _back_to_agenda(found, who, refused=reason)
    return _back_to_agenda(found, who, done="no_show")


@router.post("/agenda/cancel", name="staff.agenda.cancel", dependencies=[CsrfChecked])
@requires(MANAGE)
def agenda_cancel(
    request: Request,
    uow: UoW,
    actor: StaffActor,
    appointment: Annotated[str, Form(max_length=20)] = "",
    who: Annotated[str, Form(max_length=10)] = "all",
) -> Response:
    """Cancel an offered or confirmed appointment: the place is freed and the
    household is told."""
    found = _appointment_in_scope(uow, actor, appointment)
    if found.status is AppointmentStatus.CANCELLED:
        return _back_to_agenda(found, who, done="cancelled")  # sent twice
    if not cancel_appointment(uow, request.app.state.jobs, found, utcnow(),
                              staff_id=actor.staff_user_id):  # fmt: skip
        return _back_to_agenda(found, who, refused="not_holding")
    return _back_to_agenda(found, who, done="cancelled")


# --- A household's interview, from its case -------------------------------------------


def _case_page_url(case: Case, page: str = "", **outcome: str) -> str:
    query = f"?{urlencode(outcome)}" if outcome else ""
    return f"/staff/cases/{case.display_reference}/appointment{page}{query}"


@router.get(
    "/cases/{reference}/appointment", name="staff.case.appointment", response_class=HTMLResponse
)
@requires(MANAGE)
def case_appointment(
    request: Request,
    reference: str,
    uow: UoW,
    render: Render,
    actor: StaffActor,
    done: Annotated[str, Query(max_length=20)] = "",
    refused: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """The household's interview: its current appointment, past ones, missed
    interviews, whether it waits in a request queue, and free times to book it into
    (each a form carrying one idempotency key drawn for this page)."""
    case = _case_in_scope(uow, actor, reference)
    return _case_page(request, uow, render, actor, case, done=done, refused=refused)


def _case_page(
    request: Request, uow: UoW, render: Render, actor: Actor, case: Case, *,
    done: str = "", refused: str = "", error: bool = False,
) -> HTMLResponse:  # fmt: skip
    _audit_view(request, uow, actor, case, "appointment")
    now = utcnow()
    current = repository.get_holding_appointment(uow.session, case.id)
    history = [a for a in repository.list_appointments_of_case(uow.session, case.id)
               if current is None or a.id != current.id]  # fmt: skip
    response = render.render(
        request,
        "staff/appointments/case.html",
        {
            "case": case,
            "office": case.office,
            "current": current,
            "current_agenda": (
                agenda_url(case.office, local_day(current.slot.starts_at, case.office))
                if current is not None
                else ""
            ),
            "history": history,
            "no_shows": count_no_shows(uow, case.id),
            "live_request": live_request(uow, case.id),
            "days": {} if current is not None else _free_slots_by_day(uow, case.office, now),
            "key": new_key(),
            "done": DONE.get(done, ""),
            "refused": REFUSED.get(refused, ""),
            "error": error,
        },
        status_code=400 if error else 200,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post(
    "/cases/{reference}/appointment", name="staff.case.appointment.book",
    dependencies=[CsrfChecked],
)  # fmt: skip
@requires(MANAGE)
def case_appointment_book(
    request: Request,
    reference: str,
    uow: UoW,
    render: Render,
    actor: StaffActor,
    slot: Annotated[str, Form(max_length=20)] = "",
    key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Book the household into the chosen free time and confirm it at once (the
    household is told and gets its slip). The same ``key`` posted twice books once."""
    case = _case_in_scope(uow, actor, reference)
    if not slot:
        return _case_page(request, uow, render, actor, case, error=True)
    chosen = _slot_of_office(uow, slot, case.office)
    key = key or new_key()
    try:
        book_for_household(
            uow, request.app.state.jobs, case, chosen,
            staff_id=actor.staff_user_id, key=key, now=utcnow(),
        )  # fmt: skip
    except BookingRefused as refusal:
        uow.rollback()
        return _see_other(_case_page_url(case, refused=refusal.reason))
    return _see_other(_case_page_url(case, done="booked"))


@router.get(
    "/cases/{reference}/appointment/move", name="staff.case.appointment.move",
    response_class=HTMLResponse,
)  # fmt: skip
@requires(MANAGE)
def case_appointment_move_form(
    request: Request,
    reference: str,
    uow: UoW,
    render: Render,
    actor: StaffActor,
    refused: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """Free times of the same office the household's appointment can move to."""
    case = _case_in_scope(uow, actor, reference)
    return _move_page(request, uow, render, case, refused=refused)


def _move_page(
    request: Request, uow: UoW, render: Render, case: Case, *,
    refused: str = "", error: bool = False,
) -> HTMLResponse:  # fmt: skip
    current = repository.get_holding_appointment(uow.session, case.id)
    days = (
        _free_slots_by_day(uow, case.office, utcnow(), skip=current.slot_id)
        if current is not None
        else {}
    )
    response = render.render(
        request,
        "staff/appointments/move.html",
        {"case": case, "office": case.office, "current": current, "days": days,
         "refused": REFUSED.get(refused, ""), "error": error},
        status_code=400 if error else 200,
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post(
    "/cases/{reference}/appointment/move", name="staff.case.appointment.move.submit",
    dependencies=[CsrfChecked],
)  # fmt: skip
@requires(MANAGE)
def case_appointment_move(
    request: Request,
    reference: str,
    uow: UoW,
    render: Render,
    actor: StaffActor,
    appointment: Annotated[str, Form(max_length=20)] = "",
    slot: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Move the household's appointment (the one shown on the form) to the chosen
    time, then show the agenda of the new day. If the appointment changed meanwhile,
    or the time was taken, nothing moves and the form says why."""
    case = _case_in_scope(uow, actor, reference)
    if not slot or not appointment:
        return _move_page(request, uow, render, case, error=True)
    chosen = _slot_of_office(uow, slot, case.office)
    current = repository.get_holding_appointment(uow.session, case.id)
    if current is not None and current.slot_id == chosen.id:  # sent twice
        return _see_other(agenda_url(case.office, local_day(chosen.starts_at, case.office),
                                     done="moved"))  # fmt: skip
    if current is None or current.id != parse_id(appointment):
        return _see_other(_case_page_url(case, "/move", refused="changed"))
    try:
        move_appointment(uow, request.app.state.jobs, current, chosen,
                         staff_id=actor.staff_user_id, now=utcnow())  # fmt: skip
    except BookingRefused as refusal:
        uow.rollback()
        return _see_other(_case_page_url(case, "/move", refused=refusal.reason))
    return _see_other(
        agenda_url(case.office, local_day(chosen.starts_at, case.office), done="moved")
    )
