"""Request windows end to end in the domain: requests, the allocation run with its
published seed, offers and their notifications, replay, no-shows back in the queue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from movilidad.appointments import allocation
from movilidad.appointments.booking import (
    BookingRefused,
    book_for_household,
    book_slot,
    cancel_appointment,
    check_in,
    confirm_offer,
    mark_attended,
    mark_no_show,
    move_appointment,
    queue_reminders,
    release_expired,
)
from movilidad.appointments.models import (
    Appointment,
    AppointmentRequest,
    AppointmentStatus,
    BookingMode,
    InterviewMode,
    RequestStatus,
    Slot,
)
from movilidad.appointments.windows import (
    RequestRefused,
    RunRefused,
    count_no_shows,
    due_windows,
    free_seats,
    open_window,
    replay,
    request_appointment,
    run_allocation,
    set_policy,
)
from movilidad.cases.models import Case, CaseStatus
from movilidad.cases.services import open_case
from movilidad.db.uow import UnitOfWork
from movilidad.households.models import Household
from movilidad.kernel.permissions import RoleName
from movilidad.notifications.models import Notification, NotificationKind
from movilidad.notifications.services import check_code
from movilidad.offices.models import Office
from movilidad.staff.services import create_staff_user
from tests.factories import make_applicant, make_office

OPENS = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # 08:00 in Bogotá
CLOSES = OPENS + timedelta(days=1)


class Outbox:
    """A job sender that records what would be sent after the commit."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, tuple[object, ...]]] = []

    def send_after_commit(self, uow: UnitOfWork, name: str, *args: object) -> None:
        self.sent.append((name, args))


def _office(uow: UnitOfWork, mode: BookingMode = BookingMode.REQUEST_WINDOW) -> Office:
    office = make_office(code="t-bog", country="COL", city="Bogotá", time_zone="America/Bogota")
    uow.session.add(office)
    uow.session.flush()
    set_policy(uow, office, mode=mode, longest_waiting_percent=20,
               priority_groups=("serious_medical_condition",))  # fmt: skip
    return office


def _slots(uow: UnitOfWork, office: Office, count: int, capacity: int = 2) -> list[Slot]:
    first = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # Monday 09:00 in Bogotá
    slots = [
        Slot(office_id=office.id, starts_at=first + timedelta(minutes=30 * n),
             ends_at=first + timedelta(minutes=30 * n + 30), capacity=capacity,
             mode=InterviewMode.IN_PERSON, languages=["es"])
        for n in range(count)
    ]  # fmt: skip
    uow.session.add_all(slots)
    uow.session.flush()
    return slots


def _households(uow: UnitOfWork, office: Office, count: int) -> list[Case]:
    cases = []
    for i in range(count):
        principal = make_applicant(given_names=f"Persona {i}", phone_e164="+573001234567")
        principal.contact_channel = "sms"
        cases.append(open_case(uow, household=Household.form(principal), office=office))
    uow.session.flush()
    return cases


def _staff(uow: UnitOfWork, office: Office) -> int:
    user = create_staff_user(uow, username=f"cw.{office.code}", full_name="Caseworker",
                             email=f"cw@{office.code}.example", password="a long test password 1",
                             role=RoleName.CASEWORKER, office_code=office.code)  # fmt: skip
    uow.session.flush()
    return user.id


def _window(uow: UnitOfWork, office: Office) -> object:
    return open_window(uow, office, opens_at=OPENS, closes_at=CLOSES,
                       slots_first=date(2026, 12, 7), slots_last=date(2026, 12, 11))  # fmt: skip


def test_requests_are_one_per_household_and_only_while_the_window_is_open(
    uow: UnitOfWork,
) -> None:
    office = _office(uow)
    _window(uow, office)
    case = _households(uow, office, 1)[0]
    with pytest.raises(RequestRefused) as early:
        request_appointment(uow, case, key="k1", now=OPENS - timedelta(minutes=1))
    assert early.value.reason == "no_window"
    first = request_appointment(uow, case, key="k1", now=OPENS + timedelta(hours=1))
    assert request_appointment(uow, case, key="k1", now=OPENS + timedelta(hours=2)) is first
    assert request_appointment(uow, case, key="k2", now=OPENS + timedelta(hours=2)) is first
    with pytest.raises(RequestRefused) as late:
        request_appointment(uow, _households(uow, office, 1)[0], key="k3", now=CLOSES)
    assert late.value.reason == "no_window"


def test_a_run_allocates_with_the_published_seed_and_replays_the_same(uow: UnitOfWork) -> None:
    office = _office(uow)
    window = _window(uow, office)
    published = window.seed_hash  # type: ignore[attr-defined]
    slots = _slots(uow, office, 5)  # 10 seats
    cases = _households(uow, office, 25)
    cases[20].specific_needs = ["serious_medical_condition"]
    for n, case in enumerate(cases):
        request_appointment(uow, case, key=f"r{n}", now=OPENS + timedelta(minutes=n))
    outbox = Outbox()
    with pytest.raises(RunRefused):
        run_allocation(uow, outbox, window, CLOSES - timedelta(seconds=1))  # type: ignore[arg-type]
    assert due_windows(uow, CLOSES) == [window]
    run = run_allocation(uow, outbox, window, CLOSES)  # type: ignore[arg-type]
    assert allocation.seed_hash(run.seed) == published
    offers = uow.session.scalars(select(Appointment).where(Appointment.run_id == run.id)).all()
    assert len(offers) == 10
    assert len({(a.slot_id, a.seat) for a in offers}) == 10
    assert {a.slot_id for a in offers} == {s.id for s in slots}
    rules = {a.case_id: a.rule for a in offers}
    assert rules[cases[0].id] == rules[cases[1].id] == "longest_waiting"
    assert rules[cases[20].id] == "priority:serious_medical_condition"
    assert run.report["by_rule"] == {"longest_waiting": 2, "lottery": 7,
                                     "priority:serious_medical_condition": 1}  # fmt: skip
    assert run.report["by_nationality"] == {"BOL": {"requests": 25, "allocated": 10}}
    kinds = uow.session.scalars(select(Notification.kind)).all()
    assert kinds.count(NotificationKind.APPOINTMENT_OFFERED.value) == 10
    assert len(outbox.sent) == 10
    waiting = uow.session.scalar(select(func.count()).where(
        AppointmentRequest.status == RequestStatus.WAITING))  # fmt: skip
    assert waiting == 15  # carried to the next window
    with pytest.raises(RunRefused):
        run_allocation(uow, outbox, window, CLOSES)  # type: ignore[arg-type]
    assert due_windows(uow, CLOSES) == []

    checked = replay(uow, run.id)
    assert checked is not None
    assert checked.same
    assert checked.placements == 10
    run.inputs = {**run.inputs, "longest_waiting_percent": 50}
    uow.session.flush()
    tampered = replay(uow, run.id)
    assert tampered is not None
    assert not tampered.same
    assert not tampered.checks["inputs"]
    assert replay(uow, 999_999) is None


def test_offers_are_confirmed_with_a_slip_and_unconfirmed_seats_return(uow: UnitOfWork) -> None:
    office = _office(uow)
    window = _window(uow, office)
    _slots(uow, office, 1, capacity=2)
    cases = _households(uow, office, 2)
    for n, case in enumerate(cases):
        request_appointment(uow, case, key=f"r{n}", now=OPENS)
    outbox = Outbox()
    run = run_allocation(uow, outbox, window, CLOSES)  # type: ignore[arg-type]
    first, second = uow.session.scalars(
        select(Appointment).where(Appointment.run_id == run.id).order_by(Appointment.seat)
    ).all()
    assert confirm_offer(uow, outbox, first, CLOSES + timedelta(hours=2))
    assert first.status is AppointmentStatus.CONFIRMED
    assert first.slip_code is not None
    verdict = check_code(uow, first.case.reference, first.slip_code.code, CLOSES)
    assert verdict.state == "current"
    assert verdict.purpose is not None
    assert release_expired(uow, CLOSES + timedelta(hours=23)) == 1
    assert second.status is AppointmentStatus.EXPIRED
    assert not confirm_offer(uow, outbox, second, CLOSES + timedelta(hours=24))
    assert len(free_seats(uow, window, CLOSES)) == 1  # type: ignore[arg-type]
    assert cancel_appointment(uow, outbox, first, CLOSES + timedelta(hours=30))
    assert check_code(uow, first.case.reference, first.slip_code.code, CLOSES).state == (
        "withdrawn"
    )
    assert len(free_seats(uow, window, CLOSES)) == 2  # type: ignore[arg-type]


def test_a_no_show_returns_the_household_to_the_queue_and_is_counted(uow: UnitOfWork) -> None:
    office = _office(uow)
    slot = _slots(uow, office, 1)[0]
    case = _households(uow, office, 1)[0]
    outbox = Outbox()
    staff = _staff(uow, office)
    window = _window(uow, office)
    request_appointment(uow, case, key="r", now=OPENS)
    run = run_allocation(uow, outbox, window, CLOSES)  # type: ignore[arg-type]
    offer = uow.session.scalars(select(Appointment).where(Appointment.run_id == run.id)).one()
    confirm_offer(uow, outbox, offer, CLOSES)
    assert not mark_no_show(uow, offer, staff_id=staff, now=slot.starts_at - timedelta(minutes=1))
    assert mark_no_show(uow, offer, staff_id=staff, now=slot.starts_at + timedelta(minutes=20))
    assert offer.status is AppointmentStatus.NO_SHOW
    assert count_no_shows(uow, case.id) == 1
    back = uow.session.scalars(select(AppointmentRequest).where(
        AppointmentRequest.case_id == case.id, AppointmentRequest.status == RequestStatus.WAITING
    )).one()  # fmt: skip
    assert back.after_no_show


def test_staff_book_move_check_in_and_close_an_interview(uow: UnitOfWork) -> None:
    office = _office(uow, BookingMode.DIRECT)
    slots = _slots(uow, office, 3, capacity=1)
    case, other = _households(uow, office, 2)
    outbox = Outbox()
    staff = _staff(uow, office)
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    booked = book_for_household(uow, outbox, case, slots[0], staff_id=staff, key="m1", now=now)
    assert booked.status is AppointmentStatus.CONFIRMED
    assert booked.rule == "manual"
    assert (
        book_for_household(uow, outbox, case, slots[0], staff_id=staff, key="m1", now=now) is booked
    )
    with pytest.raises(BookingRefused):
        book_for_household(uow, outbox, other, slots[0], staff_id=staff, key="m2", now=now)
    moved = move_appointment(uow, outbox, booked, slots[1], staff_id=staff, now=now)
    assert booked.status is AppointmentStatus.CANCELLED
    with pytest.raises(BookingRefused) as old_form:  # the first booking's form, sent again
        book_for_household(uow, outbox, case, slots[0], staff_id=staff, key="m1", now=now)
    assert old_form.value.reason == "key_reused"
    assert moved.status is AppointmentStatus.CONFIRMED
    assert moved.slot_id == slots[1].id
    assert booked.slip_code is not None
    assert booked.slip_code.revoked_at is not None
    book_slot(uow, other, slots[2], key="o1", now=now)
    with pytest.raises(BookingRefused):  # the seat is taken: nothing changes
        move_appointment(uow, outbox, moved, slots[2], staff_id=staff, now=now)
    assert moved.status is AppointmentStatus.CONFIRMED
    at = slots[1].starts_at - timedelta(minutes=5)
    assert not mark_attended(uow, moved, staff_id=staff, now=at)  # not checked in
    assert check_in(uow, moved, staff_id=staff, now=at)
    assert mark_attended(uow, moved, staff_id=staff, now=at + timedelta(minutes=40))
    kinds = uow.session.scalars(select(Notification.kind).where(Notification.case_id == case.id))
    assert list(kinds) == ["appointment_confirmed", "appointment_changed"]


def test_direct_booking_holds_briefly_and_reschedules_without_losing_the_seat(
    uow: UnitOfWork,
) -> None:
    office = _office(uow, BookingMode.DIRECT)
    slots = _slots(uow, office, 2, capacity=1)
    case, other = _households(uow, office, 2)
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    held = book_slot(uow, case, slots[0], key="a", now=now)
    assert held.expires_at == now + timedelta(minutes=15)
    book_slot(uow, other, slots[1], key="b", now=now)
    with pytest.raises(BookingRefused):
        book_slot(uow, case, slots[1], key="c", now=now)  # full: keeps its first seat
    assert held.status is AppointmentStatus.OFFERED
    cancel_appointment(uow, None, uow.session.scalars(
        select(Appointment).where(Appointment.case_id == other.id)).one(), now)  # fmt: skip
    moved = book_slot(uow, case, slots[1], key="d", now=now)
    assert moved.slot_id == slots[1].id
    assert held.status is AppointmentStatus.CANCELLED


def test_reminders_go_48_and_3_hours_before_once_each(uow: UnitOfWork) -> None:
    office = _office(uow, BookingMode.DIRECT)
    slot = _slots(uow, office, 1)[0]
    case = _households(uow, office, 1)[0]
    booked = book_for_household(uow, None, case, slot, staff_id=_staff(uow, office), key="m",
                                now=slot.starts_at - timedelta(days=5))  # fmt: skip
    assert queue_reminders(uow, None, slot.starts_at - timedelta(hours=49)) == 0
    assert queue_reminders(uow, None, slot.starts_at - timedelta(hours=47)) == 1
    assert queue_reminders(uow, None, slot.starts_at - timedelta(hours=40)) == 0
    assert queue_reminders(uow, None, slot.starts_at - timedelta(hours=2)) == 1
    assert queue_reminders(uow, None, slot.starts_at - timedelta(hours=1)) == 0
    reminders = uow.session.scalar(
        select(func.count()).where(
            Notification.kind == "appointment_reminder", Notification.case_id == booked.case_id
        )
    )
    assert reminders == 2


def test_concurrent_requests_make_one_request_per_household(empty_database_url: str) -> None:
    """30 households each send their request three times at once (twice with the same
    key, once with a fresh one: an old tab) over 15 threads on separate connections:
    each household has exactly one request, every answer is that request, and the run
    then seats each household at most once."""
    import threading

    from movilidad.db import migrate
    from movilidad.db.engine import make_engine, make_session_factory

    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    factory = make_session_factory(engine)
    try:
        with UnitOfWork(factory) as uow:
            office = _office(uow)
            window = _window(uow, office)
            _slots(uow, office, 10)  # 20 seats for 30 households
            case_ids = [c.id for c in _households(uow, office, 30)]
            uow.commit()
            window_id = window.id  # type: ignore[attr-defined]
        answers: dict[int, set[int]] = {case_id: set() for case_id in case_ids}
        failures: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(15)

        def send(part: list[int]) -> None:
            start.wait()
            for case_id in part:
                for key in (f"same-{case_id}", f"same-{case_id}", f"fresh-{case_id}"):
                    try:
                        with UnitOfWork(factory) as uow:
                            case = uow.session.get(Case, case_id)
                            assert case is not None
                            made = request_appointment(uow, case, key=key,
                                                       now=OPENS + timedelta(hours=1))  # fmt: skip
                            uow.commit()
                            with lock:
                                answers[case_id].add(made.id)
                    except Exception as exc:  # every failure is reported
                        with lock:
                            failures.append(f"{case_id}: {type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=send, args=(case_ids[i::15],)) for i in range(15)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not failures, failures[:5]
        assert all(len(ids) == 1 for ids in answers.values()), answers
        with UnitOfWork(factory) as uow:
            rows = uow.session.scalars(select(AppointmentRequest)).all()
            assert len(rows) == 30
            assert len({r.case_id for r in rows}) == 30
            window_row = uow.session.get(type(window), window_id)
            run_allocation(uow, None, window_row, CLOSES)
            uow.commit()
        with UnitOfWork(factory) as uow:
            held = uow.session.execute(select(Appointment.slot_id, Appointment.seat,
                                              Appointment.case_id)).all()  # fmt: skip
            assert len(held) == 20
            assert len({(slot, seat) for slot, seat, _ in held}) == 20
            assert len({case for _, _, case in held}) == 20
    finally:
        engine.dispose()


def test_the_one_statement_request_keeps_every_rule_of_the_full_one(uow: UnitOfWork) -> None:
    """``request_appointment_at_once`` inserts only when the full use case would make a
    new request; otherwise it inserts nothing and the full one answers."""
    from movilidad.appointments.windows import MAY_REQUEST, request_appointment_at_once

    office = _office(uow)
    _window(uow, office)
    case, closed = _households(uow, office, 2)
    inside = OPENS + timedelta(hours=1)
    assert not request_appointment_at_once(uow, case.id, key="early", now=OPENS - timedelta(1))
    assert request_appointment_at_once(uow, case.id, key="k1", now=inside)
    assert not request_appointment_at_once(uow, case.id, key="k1", now=inside)  # same key
    assert not request_appointment_at_once(uow, case.id, key="k2", now=inside)  # live request
    assert request_appointment(uow, case, key="k1", now=inside).idempotency_key == "k1"
    closed.status = CaseStatus.CLOSED
    uow.session.flush()
    assert not request_appointment_at_once(uow, closed.id, key="k3", now=inside)
    assert uow.session.scalar(select(func.count()).select_from(AppointmentRequest)) == 1
    for status in MAY_REQUEST:  # the statement spells the statuses out: keep them in step
        assert f"'{status.value}'" in str(_fast_sql())


def _fast_sql() -> str:
    from movilidad.appointments import windows

    return str(windows._FAST_REQUEST)
