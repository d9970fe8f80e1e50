"""Seats in slots: never two households on one seat, never one household on two seats,
a retried request is the same request — also when many requests race."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from movilidad.appointments.booking import BookingRefused, confirm, hold_seat, release_expired
from movilidad.appointments.models import Appointment, AppointmentStatus, InterviewMode, Slot
from movilidad.cases.models import Case
from movilidad.cases.services import open_case
from movilidad.db import migrate
from movilidad.db.engine import make_engine, make_session_factory
from movilidad.db.uow import UnitOfWork
from movilidad.households.models import Household
from tests.factories import make_applicant, make_office

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _world(uow: UnitOfWork, households: int, capacity: int) -> tuple[Slot, list[Case]]:
    office = make_office(
        code="t-sjo", country="CRI", city="San José", time_zone="America/Costa_Rica"
    )
    uow.session.add(office)
    uow.session.flush()
    slot = Slot(office_id=office.id, starts_at=NOW + timedelta(days=2),
                ends_at=NOW + timedelta(days=2, minutes=30), capacity=capacity,
                mode=InterviewMode.IN_PERSON, languages=["es"])  # fmt: skip
    uow.session.add(slot)
    cases = [
        open_case(uow, household=Household.form(make_applicant(given_names=f"Persona {i}")),
                  office=office)
        for i in range(households)
    ]  # fmt: skip
    uow.session.flush()
    return slot, cases


def test_seats_fill_up_and_a_household_holds_one(uow: UnitOfWork) -> None:
    slot, cases = _world(uow, 3, capacity=2)
    first = hold_seat(uow, slot, cases[0], key="a", now=NOW)
    assert hold_seat(uow, slot, cases[0], key="a", now=NOW) is first  # a retry
    second = hold_seat(uow, slot, cases[1], key="b", now=NOW)
    assert {first.seat, second.seat} == {0, 1}
    for case, key, reason in ((cases[2], "c", "slot_full"), (cases[0], "d", "already_booked"),
                              (cases[2], "a", "key_reused")):  # fmt: skip
        with pytest.raises(BookingRefused) as refused:
            hold_seat(uow, slot, case, key=key, now=NOW)
        assert refused.value.reason == reason


def test_an_unconfirmed_offer_gives_its_seat_back(uow: UnitOfWork) -> None:
    slot, cases = _world(uow, 2, capacity=1)
    offer = hold_seat(uow, slot, cases[0], key="a", now=NOW, hold=timedelta(hours=23))
    assert not confirm(uow, offer, NOW + timedelta(hours=24))  # too late
    assert release_expired(uow, NOW + timedelta(hours=24)) == 1
    assert offer.status is AppointmentStatus.EXPIRED
    taken = hold_seat(uow, slot, cases[1], key="b", now=NOW + timedelta(hours=24))
    assert taken.seat == 0
    assert confirm(uow, taken, NOW + timedelta(hours=25))


def test_many_requests_at_once_never_double_book(empty_database_url: str) -> None:
    """40 households race for 5 seats, each request sent twice (a retry), on separate
    connections: exactly 5 seats are held, by 5 different households."""
    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    factory: sessionmaker[Session] = make_session_factory(engine)
    try:
        with UnitOfWork(factory) as uow:
            slot, cases = _world(uow, 40, capacity=5)
            uow.commit()
            slot_id, case_ids = slot.id, [c.id for c in cases]
        outcomes: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(20)

        def request(case_ids_part: list[int]) -> None:
            start.wait()
            for case_id in case_ids_part:
                for _attempt in range(2):
                    with UnitOfWork(factory) as uow:
                        slot_row = uow.session.get(Slot, slot_id)
                        case_row = uow.session.get(Case, case_id)
                        assert slot_row is not None
                        assert case_row is not None
                        try:
                            hold_seat(uow, slot_row, case_row, key=f"req-{case_id}", now=NOW)
                            uow.commit()
                            result = "held"
                        except BookingRefused as refused:
                            result = refused.reason
                    with lock:
                        outcomes.append(result)

        threads = [threading.Thread(target=request, args=(case_ids[i::20],)) for i in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        with factory() as session:
            holding = session.scalars(select(Appointment)).all()
            assert len(holding) == 5
            assert len({a.case_id for a in holding}) == 5
            assert sorted(a.seat for a in holding) == [0, 1, 2, 3, 4]
            assert session.scalar(select(func.count()).select_from(Appointment)) == 5
        assert outcomes.count("held") == 10  # 5 households, each answered twice the same
        assert set(outcomes) <= {"held", "slot_full"}
    finally:
        engine.dispose()


def test_the_periodic_job_releases_expired_offers(
    settings: object, session_factory: sessionmaker[Session]
) -> None:
    from movilidad.jobs.queue import JobQueue

    with UnitOfWork(session_factory) as uow:
        slot, cases = _world(uow, 1, capacity=1)
        offer = hold_seat(uow, slot, cases[0], key="old", now=NOW - timedelta(days=3))
        uow.commit()
        offer_id = offer.id
    queue = JobQueue(settings, session_factory)  # type: ignore[arg-type]
    assert "appointments.release_expired" in queue.job_names
    queue.send("appointments.release_expired")
    with session_factory() as session:
        released = session.get(Appointment, offer_id)
        assert released is not None
        assert released.status is AppointmentStatus.EXPIRED
