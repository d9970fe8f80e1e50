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

from movilidad.appointments.models import HOLDING, Appointment, AppointmentStatus, Slot
from movilidad.cases.models import Case
from movilidad.db.uow import UnitOfWork
from movilidad.kernel.errors import DomainError

OFFER_HOLD: Final = timedelta(hours=23)


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
            idempotency_key=key[:64], offered_at=now, expires_at=now + hold,
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
