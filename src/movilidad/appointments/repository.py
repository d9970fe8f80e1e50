"""Queries of the appointments context: a household's appointments, an office's agenda
and its bookable slots, and the office's booking policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from movilidad.appointments.models import (
    HOLDING,
    Appointment,
    BookingMode,
    BookingPolicy,
    Slot,
)
from movilidad.offices.models import Office


def get_policy(session: Session, office: Office) -> BookingPolicy:
    """The office's booking policy; an office never configured books directly, with
    a 23-hour offer deadline and a 15-minute hold."""
    policy = session.get(BookingPolicy, office.id)
    if policy is None:
        return BookingPolicy(office_id=office.id, mode=BookingMode.DIRECT,
                             longest_waiting_percent=30, priority_groups=[], offer_hours=23,
                             hold_minutes=15)  # fmt: skip
    return policy


def get_appointment(session: Session, appointment_id: int) -> Appointment | None:
    return session.get(Appointment, appointment_id)


def get_holding_appointment(session: Session, case_id: int) -> Appointment | None:
    """The household's offered or confirmed appointment, if any."""
    return session.scalar(
        select(Appointment).where(Appointment.case_id == case_id,
                                  Appointment.status.in_(HOLDING))
    )  # fmt: skip


def list_appointments_of_case(session: Session, case_id: int) -> list[Appointment]:
    """All the household's appointments, newest offer first."""
    return list(
        session.scalars(
            select(Appointment).where(Appointment.case_id == case_id)
            .order_by(Appointment.offered_at.desc(), Appointment.id.desc())
        )
    )  # fmt: skip


def day_bounds(office: Office, day: date) -> tuple[datetime, datetime]:
    """The UTC instants where the office's local ``day`` starts and ends."""
    tz = ZoneInfo(office.time_zone)
    start = datetime.combine(day, time.min, tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tz).astimezone(UTC)
    return start, end


def list_agenda(
    session: Session, office: Office, day: date, interviewer_id: int | None = None
) -> list[Appointment]:
    """The office's appointments on its local ``day`` (every status except expired),
    by start time then seat; only those of one interviewer when ``interviewer_id``."""
    start, end = day_bounds(office, day)
    query = (
        select(Appointment).join(Slot, Slot.id == Appointment.slot_id)
        .where(Slot.office_id == office.id, Slot.starts_at >= start, Slot.starts_at < end,
               Appointment.status != "expired")
        .order_by(Slot.starts_at, Appointment.seat, Appointment.id)
    )  # fmt: skip
    if interviewer_id is not None:
        query = query.where(Appointment.interviewer_staff_id == interviewer_id)
    return list(session.scalars(query))


@dataclass(frozen=True)
class FreeSlot:
    slot: Slot
    free: int


def list_bookable_slots(
    session: Session, office: Office, now: datetime, *, days: int = 21, limit: int = 60,
    lead: timedelta = timedelta(hours=2),
) -> list[FreeSlot]:  # fmt: skip
    """Slots of the office starting between ``now + lead`` and ``days`` days later
    with at least one free seat, earliest first, at most ``limit``."""
    held = (
        select(Appointment.slot_id, func.count().label("held"))
        .where(Appointment.status.in_(HOLDING)).group_by(Appointment.slot_id).subquery()
    )  # fmt: skip
    rows = session.execute(
        select(Slot, func.coalesce(held.c.held, 0))
        .outerjoin(held, held.c.slot_id == Slot.id)
        .where(Slot.office_id == office.id, Slot.starts_at >= now + lead,
               Slot.starts_at < now + timedelta(days=days),
               func.coalesce(held.c.held, 0) < Slot.capacity)
        .order_by(Slot.starts_at, Slot.id).limit(limit)
    )  # fmt: skip
    return [FreeSlot(slot, slot.capacity - int(count)) for slot, count in rows]
