"""Holding, confirming and releasing seats in slots, safe under concurrency.

The partial unique indexes on :class:`~movilidad.appointments.models.Appointment` are
the guarantee; the code below picks a free seat and, if another request took it in the
meantime, tries the next one inside a savepoint. An offer holds its seat until it
expires (default 23 hours, the confirmation deadline); :func:`release_expired` gives
the seats of unconfirmed offers back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from movilidad.appointments import repository
from movilidad.appointments.models import (
    HOLDING,
    Appointment,
    AppointmentRequest,
    AppointmentStatus,
    BookingMode,
    RequestStatus,
    Slot,
)
from movilidad.audit.services import record_event
from movilidad.cases.models import Case
from movilidad.db.uow import UnitOfWork
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.errors import DomainError
from movilidad.notifications.models import Notification, NotificationKind, VerificationPurpose
from movilidad.notifications.services import JobSender, issue_code, queue_notification
from movilidad.offices.models import Office

OFFER_HOLD: Final = timedelta(hours=23)
#: Reminders before a confirmed interview: (key, how long before).
REMINDERS: Final = (("48h", timedelta(hours=48)), ("3h", timedelta(hours=3)))


class BookingRefused(DomainError):
    """``reason``: ``slot_full``, ``already_booked`` (the household holds another
    seat), ``key_reused`` (the idempotency key belongs to another request) or
    ``past`` (the slot has started)."""

    code = "booking_refused"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _holding_of_case(uow: UnitOfWork, case_id: int) -> Appointment | None:
    return uow.session.scalar(
        select(Appointment).where(Appointment.case_id == case_id,
                                  Appointment.status.in_(HOLDING))
    )  # fmt: skip


def hold_seat(
    uow: UnitOfWork,
    slot: Slot,
    case: Case,
    *,
    key: str,
    now: datetime,
    hold: timedelta = OFFER_HOLD,
    rule: str = "direct",
) -> Appointment:
    """Hold a seat of ``slot`` for ``case`` until ``now + hold`` (an offer).

    ``key`` (at most 64 characters) identifies the request: the same key returns the
    same appointment, whatever happened since. Raises :class:`BookingRefused`.
    """
    existing = uow.session.scalar(select(Appointment).where(Appointment.idempotency_key == key))
    if existing is not None:
        if existing.case_id != case.id or existing.slot_id != slot.id:
            raise BookingRefused("key_reused")
        return existing
    if slot.starts_at <= now:
        raise BookingRefused("past")
    if _holding_of_case(uow, case.id) is not None:
        raise BookingRefused("already_booked")
    for seat in range(slot.capacity):
        taken = uow.session.scalar(
            select(func.count()).where(Appointment.slot_id == slot.id, Appointment.seat == seat,
                                       Appointment.status.in_(HOLDING))
        )  # fmt: skip
        if taken:
            continue
        appointment = Appointment(
            slot_id=slot.id, seat=seat, case_id=case.id, status=AppointmentStatus.OFFERED,
            idempotency_key=key[:64], offered_at=now, expires_at=now + hold, rule=rule,
        )  # fmt: skip
        try:
            with uow.session.begin_nested():
                uow.session.add(appointment)
        except IntegrityError:
            if _holding_of_case(uow, case.id) is not None:
                raise BookingRefused("already_booked") from None
            continue  # someone took this seat a moment ago: try the next
        return appointment
    raise BookingRefused("slot_full")


def confirm(uow: UnitOfWork, appointment: Appointment, now: datetime) -> bool:
    """Confirm an offer before it expires. Returns False when it can no longer be
    confirmed (expired, cancelled) — the household must request again."""
    if appointment.status is AppointmentStatus.CONFIRMED:
        return True
    if appointment.status is not AppointmentStatus.OFFERED or (
        appointment.expires_at is not None and appointment.expires_at <= now
    ):
        return False
    appointment.status = AppointmentStatus.CONFIRMED
    appointment.confirmed_at = now
    return True


def release_expired(uow: UnitOfWork, now: datetime) -> int:
    """Give back the seats of offers not confirmed by their deadline. Returns how many."""
    expired = list(
        uow.session.scalars(
            select(Appointment).where(Appointment.status == AppointmentStatus.OFFERED,
                                      Appointment.expires_at <= now)
        )
    )  # fmt: skip
    for appointment in expired:
        appointment.status = AppointmentStatus.EXPIRED
        appointment.ended_at = now
    return len(expired)


# --- Use cases: the household's side ------------------------------------------------


def appointment_params(
    slot: Slot, office: Office, *, deadline: datetime | None = None
) -> dict[str, str]:
    """What a notification about an appointment in ``slot`` says: start (ISO 8601
    UTC), the office's IANA zone, the place and, for an offer, the deadline."""
    params = {
        "starts_at": slot.starts_at.isoformat(timespec="seconds"),
        "time_zone": office.time_zone,
        "place": office.city,
    }
    if deadline is not None:
        params["deadline"] = deadline.isoformat(timespec="seconds")
    return params


def _notify(
    uow: UnitOfWork, jobs: JobSender | None, appointment: Appointment,
    kind: NotificationKind, key: str,
) -> None:  # fmt: skip
    params = appointment_params(
        appointment.slot, appointment.case.office,
        deadline=appointment.expires_at if kind is NotificationKind.APPOINTMENT_OFFERED else None,
    )  # fmt: skip
    queue_notification(uow, jobs, appointment.case, kind, key=key, params=params)


def _issue_slip(uow: UnitOfWork, appointment: Appointment) -> None:
    code, _shown = issue_code(uow, appointment.case, VerificationPurpose.APPOINTMENT_SLIP,
                              expires_at=appointment.slot.ends_at)  # fmt: skip
    uow.session.flush()
    appointment.slip_code_id = code.id


def _revoke_slip(appointment: Appointment, now: datetime) -> None:
    if appointment.slip_code is not None and appointment.slip_code.revoked_at is None:
        appointment.slip_code.revoked_at = now


def _audit(
    uow: UnitOfWork, action: str, appointment: Appointment, staff_id: int | None,
    **detail: object,
) -> None:  # fmt: skip
    record_event(
        uow.session, action=action, object_type="case", object_id=appointment.case_id,
        actor_kind=ActorKind.STAFF if staff_id else ActorKind.APPLICANT,
        actor_staff_id=staff_id, office_id=appointment.case.office_id,
        detail={"appointment": appointment.id, "slot": appointment.slot_id, **detail},
    )  # fmt: skip


def confirm_offer(
    uow: UnitOfWork, jobs: JobSender | None, appointment: Appointment, now: datetime
) -> bool:
    """The household confirms its offer: the slip gets a verification code (valid
    until the interview ends) and a confirmation is sent. Returns False when the
    offer can no longer be confirmed (expired or withdrawn). Confirming twice is
    harmless."""
    if appointment.status is AppointmentStatus.CONFIRMED:
        return True
    if not confirm(uow, appointment, now):
        return False
    _issue_slip(uow, appointment)
    _notify(uow, jobs, appointment, NotificationKind.APPOINTMENT_CONFIRMED,
            f"confirmed:{appointment.id}")  # fmt: skip
    return True


def cancel_appointment(
    uow: UnitOfWork,
    jobs: JobSender | None,
    appointment: Appointment,
    now: datetime,
    *,
    staff_id: int | None = None,
) -> bool:
    """Cancel an offer or a confirmed appointment (by the household, or by staff when
    ``staff_id``): the seat goes back, the slip's code is withdrawn, the request ends
    and the household is told. Returns False when there was nothing to cancel."""
    if appointment.status not in (AppointmentStatus.OFFERED, AppointmentStatus.CONFIRMED):
        return False
    was_confirmed = appointment.status is AppointmentStatus.CONFIRMED
    appointment.status = AppointmentStatus.CANCELLED
    appointment.ended_at = now
    _revoke_slip(appointment, now)
    if appointment.request_id is not None:
        request = uow.session.get(AppointmentRequest, appointment.request_id)
        if request is not None and request.status is RequestStatus.ALLOCATED:
            request.status = RequestStatus.WITHDRAWN
            request.ended_at = now
    uow.session.flush()
    if was_confirmed or staff_id is not None:
        _notify(uow, jobs, appointment, NotificationKind.APPOINTMENT_CANCELLED,
                f"cancelled:{appointment.id}")  # fmt: skip
    if staff_id is not None:
        _audit(uow, "appointment.cancel", appointment, staff_id)
    return True


def book_slot(
    uow: UnitOfWork,
    case: Case,
    slot: Slot,
    *,
    key: str,
    now: datetime,
) -> Appointment:
    """Direct booking: the household picks ``slot``; a seat is held for the office's
    ``hold_minutes`` until it confirms. A household that already holds a seat moves
    to the new one only if the new seat could be taken (rescheduling; the old seat
    is released in the same transaction). Raises :class:`BookingRefused`
    (``not_direct`` when the office allocates by request window)."""
    office = case.office
    policy = repository.get_policy(uow.session, office)
    if policy.mode is not BookingMode.DIRECT:
        raise BookingRefused("not_direct")
    if slot.office_id != case.office_id:
        raise BookingRefused("slot_full")
    hold = timedelta(minutes=policy.hold_minutes)
    existing = uow.session.scalar(
        select(Appointment).where(Appointment.idempotency_key == key[:64])
    )
    if existing is not None:
        return hold_seat(uow, slot, case, key=key, now=now, hold=hold)
    current = repository.get_holding_appointment(uow.session, case.id)
    if current is None:
        return hold_seat(uow, slot, case, key=key, now=now, hold=hold)
    if current.slot_id == slot.id:
        return current
    with uow.session.begin_nested():
        previous_status = current.status
        current.status = AppointmentStatus.CANCELLED
        current.ended_at = now
        uow.session.flush()
        try:
            appointment = hold_seat(uow, slot, case, key=key, now=now, hold=hold)
        except BookingRefused:
            current.status = previous_status
            current.ended_at = None
            uow.session.flush()
            raise
    _revoke_slip(current, now)
    return appointment


# --- Use cases: the office's side -----------------------------------------------------


def book_for_household(
    uow: UnitOfWork,
    jobs: JobSender | None,
    case: Case,
    slot: Slot,
    *,
    staff_id: int,
    key: str,
    now: datetime,
) -> Appointment:
    """Manual booking by a caseworker for a household that cannot use a phone: a seat
    taken and confirmed at once, whatever the office's mode, with its slip. A live
    request of the household is marked allocated. The same ``key`` again returns the
    booking while it stands; once it has ended (cancelled, attended, missed) the key
    is refused (``key_reused``) so an old form cannot bring it back. Raises
    :class:`BookingRefused`."""
    if slot.office_id != case.office_id:
        raise BookingRefused("slot_full")
    earlier = uow.session.scalar(select(Appointment).where(Appointment.idempotency_key == key[:64]))
    if earlier is not None:
        if earlier.status is AppointmentStatus.CONFIRMED and earlier.case_id == case.id:
            return earlier  # a retry of this booking
        raise BookingRefused("key_reused")  # an old form: that booking has ended
    appointment = hold_seat(uow, slot, case, key=key, now=now, rule="manual")
    appointment.status = AppointmentStatus.CONFIRMED
    appointment.confirmed_at = now
    appointment.expires_at = None
    live = uow.session.scalar(
        select(AppointmentRequest).where(AppointmentRequest.case_id == case.id,
                                         AppointmentRequest.status == RequestStatus.WAITING)
    )  # fmt: skip
    if live is not None:
        live.status = RequestStatus.ALLOCATED
        appointment.request_id = live.id
    _issue_slip(uow, appointment)
    _notify(uow, jobs, appointment, NotificationKind.APPOINTMENT_CONFIRMED,
            f"confirmed:{appointment.id}")  # fmt: skip
    _audit(uow, "appointment.book", appointment, staff_id)
    return appointment


def move_appointment(
    uow: UnitOfWork,
    jobs: JobSender | None,
    appointment: Appointment,
    slot: Slot,
    *,
    staff_id: int,
    now: datetime,
) -> Appointment:
    """Move a household's offer or appointment to ``slot`` of the same office, in one
    transaction: the new seat is confirmed, the old one freed and its slip withdrawn,
    and the household is told. Raises :class:`BookingRefused` (``slot_full``,
    ``past``, or ``not_holding`` when the appointment no longer holds a seat); then
    nothing changed."""
    if appointment.status not in (AppointmentStatus.OFFERED, AppointmentStatus.CONFIRMED):
        raise BookingRefused("not_holding")
    if slot.office_id != appointment.slot.office_id:
        raise BookingRefused("slot_full")
    case = appointment.case
    with uow.session.begin_nested():
        appointment.status = AppointmentStatus.CANCELLED
        appointment.ended_at = now
        uow.session.flush()
        moved = hold_seat(uow, slot, case, key=f"move:{appointment.id}:{slot.id}", now=now,
                          rule=appointment.rule)  # fmt: skip
    moved.status = AppointmentStatus.CONFIRMED
    moved.confirmed_at = now
    moved.expires_at = None
    moved.request_id = appointment.request_id
    moved.run_id = None
    _revoke_slip(appointment, now)
    _issue_slip(uow, moved)
    _notify(uow, jobs, moved, NotificationKind.APPOINTMENT_CHANGED, f"moved:{moved.id}")
    _audit(uow, "appointment.move", moved, staff_id, previous=appointment.id)
    return moved


def check_in(uow: UnitOfWork, appointment: Appointment, *, staff_id: int, now: datetime) -> bool:
    """Record the household's arrival (confirmed appointments, on the day). Returns
    False when it is not a confirmed appointment. The one checking in becomes its
    interviewer unless one was set."""
    if appointment.status is not AppointmentStatus.CONFIRMED:
        return False
    if appointment.arrived_at is None:
        appointment.arrived_at = now
        if appointment.interviewer_staff_id is None:
            appointment.interviewer_staff_id = staff_id
        _audit(uow, "appointment.check_in", appointment, staff_id)
    return True


def mark_attended(
    uow: UnitOfWork, appointment: Appointment, *, staff_id: int, now: datetime
) -> bool:
    """The interview took place. Returns False unless the household checked in."""
    if appointment.status is not AppointmentStatus.CONFIRMED or appointment.arrived_at is None:
        return False
    appointment.status = AppointmentStatus.ATTENDED
    appointment.ended_at = now
    appointment.interviewer_staff_id = appointment.interviewer_staff_id or staff_id
    _audit(uow, "appointment.attended", appointment, staff_id)
    return True


def mark_no_show(
    uow: UnitOfWork, appointment: Appointment, *, staff_id: int, now: datetime
) -> bool:
    """The household did not come. Allowed once the slot has started, for a confirmed
    appointment without check-in. The seat is ended, the slip withdrawn, the miss
    counted (see ``windows.count_no_shows``) and the household put back in the
    office's queue: with a new waiting request when the office allocates by window
    (it keeps its registration time, so its seniority), or free to book again.
    Returns False when not allowed."""
    if (
        appointment.status is not AppointmentStatus.CONFIRMED
        or appointment.arrived_at is not None
        or appointment.slot.starts_at > now
    ):
        return False
    appointment.status = AppointmentStatus.NO_SHOW
    appointment.ended_at = now
    _revoke_slip(appointment, now)
    if appointment.request_id is not None:
        request = uow.session.get(AppointmentRequest, appointment.request_id)
        if request is not None and request.status is RequestStatus.ALLOCATED:
            request.status = RequestStatus.WITHDRAWN
            request.ended_at = now
    uow.session.flush()
    case = appointment.case
    policy = repository.get_policy(uow.session, case.office)
    if policy.mode is BookingMode.REQUEST_WINDOW:
        uow.session.add(AppointmentRequest(
            office_id=case.office_id, case_id=case.id, window_id=None,
            status=RequestStatus.WAITING, idempotency_key=f"no-show:{appointment.id}",
            requested_at=now, after_no_show=True,
        ))  # fmt: skip
        uow.session.flush()
    _audit(uow, "appointment.no_show", appointment, staff_id)
    return True


def queue_reminders(uow: UnitOfWork, jobs: JobSender | None, now: datetime) -> int:
    """Queue the reminders due at ``now`` (48 h and 3 h before each confirmed
    appointment, one of each at most: their keys make repeats harmless). A reminder
    whose moment passed while the appointment was not yet confirmed is skipped if a
    nearer one applies. Returns how many were queued."""
    queued = 0
    rows = uow.session.scalars(
        select(Appointment).join(Slot, Slot.id == Appointment.slot_id)
        .where(Appointment.status == AppointmentStatus.CONFIRMED, Slot.starts_at > now,
               Slot.starts_at <= now + REMINDERS[0][1])
        .order_by(Slot.starts_at)
    )  # fmt: skip
    for appointment in rows:
        left = appointment.slot.starts_at - now
        name = REMINDERS[1][0] if left <= REMINDERS[1][1] else REMINDERS[0][0]
        key = f"reminder-{name}:{appointment.id}"
        if uow.session.scalar(select(Notification.id).where(Notification.idempotency_key == key)):
            continue
        confirmed_at = appointment.confirmed_at or appointment.offered_at
        if appointment.slot.starts_at - confirmed_at <= REMINDERS[1][1] * 2 and name == "3h":
            continue  # confirmed less than 6 h before: the confirmation is reminder enough
        _notify(uow, jobs, appointment, NotificationKind.APPOINTMENT_REMINDER, key)
        queued += 1
    return queued
