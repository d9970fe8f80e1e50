"""Turning opening hours into slots, correctly across daylight-saving changes.

Times are local wall-clock times in the office's IANA zone (``zoneinfo``). On the day
clocks go forward, a wall time that does not exist (e.g. 00:30 when midnight jumps
to 01:00) gives no slot; on the day they go back, a repeated wall time gives one slot,
at its first occurrence (``fold=0``), so no two slots show the same local time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from movilidad.appointments.models import InterviewMode


@dataclass(frozen=True)
class Period:
    """Opening hours for one weekday (0 = Monday), local times."""

    weekday: int
    opens: time
    closes: time
    slot_minutes: int
    capacity: int
    mode: InterviewMode
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedSlot:
    starts_at: datetime  # aware, UTC
    ends_at: datetime  # aware, UTC
    capacity: int
    mode: InterviewMode
    languages: tuple[str, ...]


def _exists(local: datetime) -> bool:
    """False for a wall time skipped by a daylight-saving jump."""
    round_trip = local.astimezone(UTC).astimezone(local.tzinfo)
    return round_trip.replace(tzinfo=None) == local.replace(tzinfo=None)


def plan_slots(
    periods: Iterable[Period], closed: set[date], zone: str, first: date, last: date
) -> list[PlannedSlot]:
    """Every slot from ``first`` to ``last`` (local dates, inclusive) in time zone
    ``zone`` (IANA name), except on ``closed`` days, ordered by start. A slot must fit
    wholly before ``closes``. Raises ``ValueError`` for a non-positive slot length or
    capacity, and ``zoneinfo.ZoneInfoNotFoundError`` for an unknown zone."""
    tz = ZoneInfo(zone)
    planned: list[PlannedSlot] = []
    by_weekday: dict[int, list[Period]] = {}
    for period in periods:
        if period.slot_minutes <= 0 or period.capacity <= 0:
            raise ValueError("a slot needs a positive length and capacity")
        by_weekday.setdefault(period.weekday, []).append(period)
    day = first
    while day <= last:
        if day not in closed:
            for period in by_weekday.get(day.weekday(), []):
                length = timedelta(minutes=period.slot_minutes)
                start = datetime.combine(day, period.opens)
                end_of_day = datetime.combine(day, period.closes)
                while start + length <= end_of_day:
                    local = start.replace(tzinfo=tz, fold=0)
                    if _exists(local):
                        begins = local.astimezone(UTC)
                        planned.append(PlannedSlot(begins, begins + length, period.capacity,
                                                   period.mode, period.languages))  # fmt: skip
                    start += length
        day += timedelta(days=1)
    planned.sort(key=lambda slot: (slot.starts_at, slot.mode.value))
    return planned


def local_time(instant: datetime, zone: str) -> datetime:
    """An aware UTC instant as the office's local wall-clock time."""
    return instant.astimezone(ZoneInfo(zone))
