"""Setting an office's calendar and publishing its slots."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from movilidad.appointments.calendar import Period, plan_slots
from movilidad.appointments.models import ClosedDay, OpeningHours, Slot
from movilidad.db.uow import UnitOfWork
from movilidad.offices.models import Office


def set_opening_hours(uow: UnitOfWork, office: Office, periods: list[Period]) -> None:
    """Replace the office's opening hours with ``periods`` (local times). Slots already
    published stay; publish again to add the new ones. Raises ``ValueError`` for a
    period that closes before it opens, a weekday outside 0–6, or a non-positive
    slot length or capacity."""
    for period in periods:
        if not 0 <= period.weekday <= 6 or period.closes <= period.opens:
            raise ValueError("a period needs a weekday 0–6 and closes after it opens")
        if period.slot_minutes <= 0 or period.capacity <= 0:
            raise ValueError("a slot needs a positive length and capacity")
    uow.session.execute(delete(OpeningHours).where(OpeningHours.office_id == office.id))
    for period in periods:
        uow.session.add(OpeningHours(
            office_id=office.id, weekday=period.weekday, opens=period.opens,
            closes=period.closes, slot_minutes=period.slot_minutes, capacity=period.capacity,
            mode=period.mode, languages=list(period.languages),
        ))  # fmt: skip
    uow.session.flush()


def close_day(uow: UnitOfWork, office: Office, day: date, reason: str = "") -> None:
    """Mark a local date as closed (idempotent). Slots already published on it stay
    until they are cancelled (their households must be told)."""
    exists = uow.session.scalar(
        select(ClosedDay.id).where(ClosedDay.office_id == office.id, ClosedDay.day == day)
    )
    if exists is None:
        uow.session.add(ClosedDay(office_id=office.id, day=day, reason=reason[:200]))
        uow.session.flush()


def publish_slots(uow: UnitOfWork, office: Office, first: date, last: date) -> int:
    """Create the slots of ``first``–``last`` (local dates, inclusive) from the opening
    hours, skipping closed days and slots already there. Returns how many were made.
    Running it twice makes no duplicate (unique office, start, mode)."""
    periods = [
        Period(h.weekday, h.opens, h.closes, h.slot_minutes, h.capacity, h.mode,
               tuple(h.languages))
        for h in uow.session.scalars(
            select(OpeningHours).where(OpeningHours.office_id == office.id)
        )
    ]  # fmt: skip
    closed = set(
        uow.session.scalars(
            select(ClosedDay.day).where(
                ClosedDay.office_id == office.id, ClosedDay.day >= first, ClosedDay.day <= last
            )
        )
    )
    existing = {
        (row.starts_at, row.mode)
        for row in uow.session.execute(
            select(Slot.starts_at, Slot.mode).where(Slot.office_id == office.id)
        )
    }
    made = 0
    for planned in plan_slots(periods, closed, office.time_zone, first, last):
        if (planned.starts_at, planned.mode) in existing:
            continue
        uow.session.add(Slot(
            office_id=office.id, starts_at=planned.starts_at, ends_at=planned.ends_at,
            capacity=planned.capacity, mode=planned.mode, languages=list(planned.languages),
        ))  # fmt: skip
        made += 1
    uow.session.flush()
    return made


def slots_between(uow: UnitOfWork, office: Office, first: date, last: date) -> list[Slot]:
    """The office's slots whose local date is within ``first``–``last``, by start."""
    tz = ZoneInfo(office.time_zone)
    start = datetime.combine(first, time.min, tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tz).astimezone(UTC)
    return list(
        uow.session.scalars(
            select(Slot).where(Slot.office_id == office.id, Slot.starts_at >= start,
                               Slot.starts_at < end).order_by(Slot.starts_at, Slot.mode)
        )
    )  # fmt: skip
