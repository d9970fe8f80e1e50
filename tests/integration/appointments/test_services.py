"""Publishing an office's slots: from its opening hours, idempotent, closed days kept."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import func, select

from movilidad.appointments.calendar import Period
from movilidad.appointments.models import InterviewMode, Slot
from movilidad.appointments.services import (
    close_day,
    publish_slots,
    set_opening_hours,
    slots_between,
)
from movilidad.db.uow import UnitOfWork
from tests.factories import make_office


def test_slots_are_published_once_and_never_on_a_closed_day(uow: UnitOfWork) -> None:
    office = make_office(code="t-cal", country="COL", city="Cali", time_zone="America/Bogota")
    uow.session.add(office)
    uow.session.flush()
    weekdays = [Period(d, time(8, 0), time(12, 0), 30, 2, InterviewMode.IN_PERSON, ("es",))
                for d in range(5)]  # fmt: skip
    set_opening_hours(uow, office, weekdays)
    close_day(uow, office, date(2026, 12, 8), "Inmaculada Concepción")
    first, last = date(2026, 12, 7), date(2026, 12, 13)  # Monday to Sunday
    assert publish_slots(uow, office, first, last) == 4 * 8  # Tuesday is a holiday
    assert publish_slots(uow, office, first, last) == 0  # again: nothing new
    count = uow.session.scalar(select(func.count()).select_from(Slot))
    assert count == 32
    week = slots_between(uow, office, first, last)
    assert len(week) == 32
    assert week[0].starts_at.hour == 13  # 08:00 in Bogotá


def test_a_period_that_closes_before_it_opens_is_refused(uow: UnitOfWork) -> None:
    office = make_office(code="t-bad", country="COL", city="Cali", time_zone="America/Bogota")
    uow.session.add(office)
    uow.session.flush()
    with pytest.raises(ValueError, match="closes after it opens"):
        set_opening_hours(uow, office, [Period(0, time(12), time(8), 30, 1, InterviewMode.VIDEO)])
