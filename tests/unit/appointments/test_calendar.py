"""Slots from opening hours, in UTC, correct across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from movilidad.appointments.calendar import Period, local_time, plan_slots
from movilidad.appointments.models import InterviewMode

MORNING = Period(0, time(8, 0), time(10, 0), 30, 3, InterviewMode.IN_PERSON, ("es", "ht"))


def test_bogota_has_no_daylight_saving_and_is_utc_minus_five() -> None:
    slots = plan_slots([MORNING], set(), "America/Bogota", date(2026, 11, 30), date(2026, 12, 6))
    assert [s.starts_at for s in slots] == [
        datetime(2026, 11, 30, h, m, tzinfo=UTC) for h, m in ((13, 0), (13, 30), (14, 0), (14, 30))
    ]
    assert all(s.capacity == 3 and s.languages == ("es", "ht") for s in slots)
    assert local_time(slots[0].starts_at, "America/Bogota").hour == 8


def test_a_slot_must_end_before_closing_and_closed_days_have_none() -> None:
    odd = Period(0, time(8, 0), time(9, 10), 30, 1, InterviewMode.VIDEO)
    slots = plan_slots([odd], {date(2026, 12, 7)}, "America/Guatemala",
                       date(2026, 11, 30), date(2026, 12, 7))  # fmt: skip
    assert len(slots) == 2  # 08:00 and 08:30 on the 30th; the 7th is closed


def test_the_local_time_stays_the_same_across_a_clock_change() -> None:
    """Santiago de Chile moves clocks forward on the first Sunday of September 2026:
    a 09:00 slot stays at 09:00 local, so its UTC time moves by an hour."""
    sunday = Period(6, time(9, 0), time(9, 30), 30, 1, InterviewMode.PHONE)
    before = plan_slots([sunday], set(), "America/Santiago", date(2026, 8, 30), date(2026, 8, 30))
    after = plan_slots([sunday], set(), "America/Santiago", date(2026, 9, 13), date(2026, 9, 13))
    assert before[0].starts_at.hour - after[0].starts_at.hour == 1
    assert local_time(before[0].starts_at, "America/Santiago").hour == 9
    assert local_time(after[0].starts_at, "America/Santiago").hour == 9


def test_a_wall_time_skipped_by_the_clock_change_gives_no_slot() -> None:
    """In New York on 8 March 2026 clocks jump from 02:00 to 03:00."""
    night = Period(6, time(1, 0), time(4, 0), 60, 1, InterviewMode.PHONE)
    slots = plan_slots([night], set(), "America/New_York", date(2026, 3, 8), date(2026, 3, 8))
    local = [local_time(s.starts_at, "America/New_York").hour for s in slots]
    assert local == [1, 3]  # no 02:00
    assert len({s.starts_at for s in slots}) == len(slots)


def test_a_repeated_wall_time_gives_one_slot_only() -> None:
    """In New York on 1 November 2026 the hour 01:00–02:00 happens twice."""
    night = Period(6, time(0, 0), time(3, 0), 60, 1, InterviewMode.PHONE)
    slots = plan_slots([night], set(), "America/New_York", date(2026, 11, 1), date(2026, 11, 1))
    local = [local_time(s.starts_at, "America/New_York").strftime("%H:%M") for s in slots]
    assert local == ["00:00", "01:00", "02:00"]


def test_nonsense_periods_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        plan_slots([Period(0, time(8), time(9), 0, 1, InterviewMode.VIDEO)], set(), "UTC",
                   date(2026, 1, 5), date(2026, 1, 5))  # fmt: skip
