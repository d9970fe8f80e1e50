"""Staff run the interview agenda through the forms: book for a household, check in,
attended, no-show, move, cancel — only within their own offices."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from movilidad.appointments.models import (
    Appointment,
    AppointmentRequest,
    AppointmentStatus,
    BookingMode,
    InterviewMode,
    RequestStatus,
    Slot,
)
from movilidad.appointments.windows import set_policy
from movilidad.audit.models import AuditEvent
from movilidad.db.uow import UnitOfWork
from movilidad.kernel.clock import utcnow
from movilidad.offices.models import Office
from movilidad.web.staff import appointments as staff_appointments
from tests.functional.staff import helpers
from tests.functional.staff.helpers import World, build_world, hidden_fields

_KEY = re.compile(r'name="key" value="(?P<key>[^"]+)"')


def sign_in(client: TestClient, username: str) -> None:
    """Sign in through the forms and choose English (the staff pages' texts below)."""
    helpers.sign_in(client, username)
    client.get("/staff/cases", params={"lang": "en"})


def _slot(factory: sessionmaker[Session], office: Office, starts_at: datetime) -> Slot:
    with UnitOfWork(factory) as uow:
        slot = Slot(office_id=office.id, starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=30), capacity=2,
                    mode=InterviewMode.IN_PERSON, languages=["es"])  # fmt: skip
        uow.session.add(slot)
        uow.commit()
        return slot


def _in_days(days: int, utc_hour: int) -> datetime:
    """A whole UTC hour ``days`` from now (15:00 UTC is 10:00 in Bogotá and Lima)."""
    return (utcnow() + timedelta(days=days)).replace(
        hour=utc_hour, minute=0, second=0, microsecond=0
    )


def _book(client: TestClient, reference: str, slot: Slot) -> tuple[str, dict[str, str]]:
    """Book ``slot`` from the case's interview page; returns the redirect and the form."""
    page = client.get(f"/staff/cases/{reference}/appointment")
    assert page.status_code == 200
    match = _KEY.search(page.text)
    assert match is not None
    assert f'name="slot" value="{slot.id}"' in page.text
    form = {"csrf_token": hidden_fields(page.text)["csrf_token"], "key": match["key"],
            "slot": str(slot.id)}  # fmt: skip
    response = client.post(f"/staff/cases/{reference}/appointment", data=form,
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303, response.text
    return response.headers["location"], form


def _appointments(factory: sessionmaker[Session], case_id: int) -> list[Appointment]:
    with factory() as session:
        return list(
            session.scalars(
                select(Appointment).where(Appointment.case_id == case_id).order_by(Appointment.id)
            )
        )


def _act(client: TestClient, action: str, appointment_id: int) -> str:
    """Press an agenda button; returns where the form sends the browser."""
    csrf = hidden_fields(client.get("/staff/agenda").text)["csrf_token"]
    response = client.post(f"/staff/agenda/{action}",
                           data={"csrf_token": csrf, "appointment": str(appointment_id)},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303, (action, response.status_code)
    return str(response.headers["location"])


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    return build_world(session_factory)


def test_the_agenda_lists_the_days_interviews_in_the_offices_time(
    client: TestClient, session_factory: sessionmaker[Session], world: World
) -> None:
    starts = _in_days(2, 15)
    slot = _slot(session_factory, world.bogota, starts)
    _slot(session_factory, world.bogota, starts + timedelta(days=1))
    sign_in(client, "cw.bog")
    reference = world.case_bogota.display_reference
    _book(client, reference, slot)
    page = client.get("/staff/agenda", params={"office": "t-bog", "day": starts.date().isoformat()})
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "10:00–10:30" in text  # 15:00 UTC in Bogotá
    assert "15:00" not in text
    assert reference in text
    assert "Dayana" in text
    assert "Confirmed" in text
    assert "Booked by the office" in text
    assert re.search(r'id="count-booked">\s*1\s*<', page.text)
    assert "Check in" in text
    assert ">No-show</button>" not in text  # the interview has not started
    empty = client.get(
        "/staff/agenda",
        params={"office": "t-bog", "day": (starts + timedelta(days=1)).date().isoformat()},
    )
    assert reference not in empty.text
    assert "10:00" not in empty.text  # the free slot of that day is no interview
    assert "No interviews on this day." in empty.text
    today = client.get("/staff/agenda")  # the first office in scope, today
    assert today.status_code == 200
    assert "Tunja" in today.text
    with session_factory() as session:
        viewed = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "appointment.agenda")
        ).all()
    assert len(viewed) == 3
    assert "Dayana" not in str([v.detail for v in viewed])


def test_a_household_checks_in_and_is_interviewed(
    client: TestClient, session_factory: sessionmaker[Session], world: World
) -> None:
    slot = _slot(session_factory, world.bogota, _in_days(1, 15))
    sign_in(client, "cw.bog")
    _book(client, world.case_bogota.display_reference, slot)
    (appointment,) = _appointments(session_factory, world.case_bogota.id)
    too_soon = _act(client, "attended", appointment.id)
    assert "refused=not_arrived" in too_soon
    assert "has not checked in" in client.get(too_soon).text
    arrived = _act(client, "check-in", appointment.id)
    assert "done=checked_in" in arrived
    assert f"day={slot.starts_at.date().isoformat()}" in arrived
    page = client.get(arrived).text
    assert "The household is checked in." in page
    assert ">Attended</button>" in page
    assert "Cw.Bog" in page  # who checked in becomes the interviewer
    done = _act(client, "attended", appointment.id)
    assert "done=attended" in done
    (seen,) = _appointments(session_factory, world.case_bogota.id)
    assert seen.status is AppointmentStatus.ATTENDED
    assert seen.arrived_at is not None
    assert seen.interviewer_staff_id is not None
    assert "refused=not_confirmed" in _act(client, "check-in", appointment.id)


def test_a_no_show_is_refused_before_the_interview_and_requeues_after(
    client: TestClient,
    session_factory: sessionmaker[Session],
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with UnitOfWork(session_factory) as uow:
        set_policy(uow, uow.session.merge(world.bogota), mode=BookingMode.REQUEST_WINDOW)
        uow.commit()
    slot = _slot(session_factory, world.bogota, _in_days(1, 15))
    sign_in(client, "cw.bog")
    reference = world.case_bogota.display_reference
    _book(client, reference, slot)
    (appointment,) = _appointments(session_factory, world.case_bogota.id)
    early = _act(client, "no-show", appointment.id)
    assert "refused=not_started" in early
    assert "only once its interview time has started" in html.unescape(client.get(early).text)
    assert _appointments(session_factory, world.case_bogota.id)[0].status.value == "confirmed"

    later = slot.starts_at + timedelta(minutes=20)
    monkeypatch.setattr(staff_appointments, "utcnow", lambda: later)
    day = slot.starts_at.date().isoformat()
    agenda = client.get("/staff/agenda", params={"office": "t-bog", "day": day}).text
    assert ">No-show</button>" in agenda
    missed = _act(client, "no-show", appointment.id)
    assert "done=no_show" in missed
    assert re.search(r'id="count-no-show">\s*1\s*<', client.get(missed).text)
    (ended,) = _appointments(session_factory, world.case_bogota.id)
    assert ended.status is AppointmentStatus.NO_SHOW
    with session_factory() as session:
        queued = session.scalars(
            select(AppointmentRequest).where(AppointmentRequest.case_id == world.case_bogota.id)
        ).one()
    assert queued.status is RequestStatus.WAITING
    assert queued.after_no_show
    case_page = html.unescape(client.get(f"/staff/cases/{reference}/appointment").text)
    assert re.search(r'id="no-shows">\s*1\s*<', case_page)
    assert "Waiting in the office's queue" in case_page
    assert "Did not come" in case_page  # in the earlier appointments


def test_an_appointment_moves_to_another_time(
    client: TestClient, session_factory: sessionmaker[Session], world: World
) -> None:
    first = _slot(session_factory, world.bogota, _in_days(1, 15))
    second = _slot(session_factory, world.bogota, _in_days(3, 19))
    sign_in(client, "cw.bog")
    reference = world.case_bogota.display_reference
    _book(client, reference, first)
    (booked,) = _appointments(session_factory, world.case_bogota.id)
    form_page = client.get(f"/staff/cases/{reference}/appointment/move")
    assert form_page.status_code == 200
    assert f'name="slot" value="{second.id}"' in form_page.text
    assert f'name="slot" value="{first.id}"' not in form_page.text  # its own time
    csrf = hidden_fields(form_page.text)["csrf_token"]
    moved = client.post(
        f"/staff/cases/{reference}/appointment/move",
        data={"csrf_token": csrf, "appointment": str(booked.id), "slot": str(second.id)},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    location = moved.headers["location"]
    assert f"day={second.starts_at.date().isoformat()}" in location
    assert "done=moved" in location
    agenda = html.unescape(client.get(location).text)
    assert "14:00–14:30" in agenda  # 19:00 UTC in Bogotá
    assert reference in agenda
    twice = client.post(
        f"/staff/cases/{reference}/appointment/move",
        data={"csrf_token": csrf, "appointment": str(booked.id), "slot": str(second.id)},
        follow_redirects=False,
    )
    assert twice.headers["location"] == location  # a second submission moves nothing more
    old, new = _appointments(session_factory, world.case_bogota.id)
    assert old.status is AppointmentStatus.CANCELLED
    assert (new.status, new.slot_id) == (AppointmentStatus.CONFIRMED, second.id)
    stale = client.post(
        f"/staff/cases/{reference}/appointment/move",
        data={"csrf_token": csrf, "appointment": str(booked.id), "slot": str(first.id)},
        follow_redirects=False,
    )
    assert "refused=changed" in stale.headers["location"]
    assert len(_appointments(session_factory, world.case_bogota.id)) == 2
    cancelled = _act(client, "cancel", new.id)
    assert "done=cancelled" in cancelled
    assert _appointments(session_factory, world.case_bogota.id)[1].status.value == "cancelled"


def test_booking_from_the_case_page_twice_with_one_key_books_once(
    client: TestClient, session_factory: sessionmaker[Session], world: World
) -> None:
    slot = _slot(session_factory, world.bogota, _in_days(2, 15))
    sign_in(client, "cw.bog")
    reference = world.case_bogota.display_reference
    detail = client.get(f"/staff/cases/{reference}").text
    assert f"/staff/cases/{reference}/appointment" in detail
    assert "/staff/agenda" in client.get("/staff/cases").text
    location, form = _book(client, reference, slot)
    assert "done=booked" in location
    again = client.post(f"/staff/cases/{reference}/appointment", data=form,
                        follow_redirects=False)  # fmt: skip
    assert again.status_code == 303
    assert "done=booked" in again.headers["location"]
    (appointment,) = _appointments(session_factory, world.case_bogota.id)
    assert appointment.status is AppointmentStatus.CONFIRMED
    assert appointment.rule == "manual"
    assert appointment.slip_code_id is not None
    with session_factory() as session:
        booked = session.scalar(select(func.count()).where(AuditEvent.action == "appointment.book"))
    assert booked == 1
    page = html.unescape(client.get(location).text)
    assert "The interview is booked and confirmed." in page
    assert "Book and confirm" not in page  # it holds a place now: move it instead
    other_key = client.post(
        f"/staff/cases/{reference}/appointment",
        data={**form, "key": "another-key"},
        follow_redirects=False,
    )
    assert "refused=already_booked" in other_key.headers["location"]
    empty = client.post(f"/staff/cases/{reference}/appointment",
                        data={"csrf_token": form["csrf_token"]})  # fmt: skip
    assert empty.status_code == 400


def test_another_offices_agenda_and_appointments_are_not_found(
    app: object, session_factory: sessionmaker[Session], world: World
) -> None:
    slot = _slot(session_factory, world.bogota, _in_days(2, 15))
    with TestClient(app) as bogota:  # type: ignore[arg-type]
        sign_in(bogota, "cw.bog")
        _book(bogota, world.case_bogota.display_reference, slot)
    (appointment,) = _appointments(session_factory, world.case_bogota.id)
    reference = world.case_bogota.display_reference
    with TestClient(app) as lima:  # type: ignore[arg-type]
        sign_in(lima, "cw.lim")
        assert lima.get("/staff/agenda", params={"office": "t-bog"}).status_code == 404
        own = lima.get("/staff/agenda")
        assert own.status_code == 200
        assert "Tacna" in own.text
        assert "t-bog" not in own.text
        assert lima.get(f"/staff/cases/{reference}/appointment").status_code == 404
        assert lima.get(f"/staff/cases/{reference}/appointment/move").status_code == 404
        csrf = hidden_fields(own.text)["csrf_token"]
        for action in ("check-in", "attended", "no-show", "cancel"):
            response = lima.post(
                f"/staff/agenda/{action}",
                data={"csrf_token": csrf, "appointment": str(appointment.id)},
            )
            assert response.status_code == 404, action
        booked = lima.post(f"/staff/cases/{reference}/appointment",
                           data={"csrf_token": csrf, "slot": str(slot.id), "key": "k"})  # fmt: skip
        assert booked.status_code == 404
        lima_case = world.case_lima.display_reference
        foreign_slot = lima.post(
            f"/staff/cases/{lima_case}/appointment",
            data={"csrf_token": csrf, "slot": str(slot.id), "key": "k"},
        )
        assert foreign_slot.status_code == 404  # Bogotá's slot, Lima's case
    assert _appointments(session_factory, world.case_bogota.id)[0].status.value == "confirmed"
    assert _appointments(session_factory, world.case_lima.id) == []


def test_odd_ids_and_days_are_refused_never_a_server_error(
    client: TestClient, world: World
) -> None:
    sign_in(client, "cw.bog")
    reference = world.case_bogota.display_reference
    csrf = hidden_fields(client.get("/staff/agenda").text)["csrf_token"]
    for value in ("abc", "²", "-1", "0", str(2**31), "9" * 20, "1e3", " 1", "1\x00"):
        for action in ("check-in", "attended", "no-show", "cancel"):
            response = client.post(f"/staff/agenda/{action}",
                                   data={"csrf_token": csrf, "appointment": value})  # fmt: skip
            assert response.status_code == 404, (action, value)
        booked = client.post(f"/staff/cases/{reference}/appointment",
                             data={"csrf_token": csrf, "slot": value, "key": "k"})  # fmt: skip
        assert booked.status_code == 404, value
        moved = client.post(
            f"/staff/cases/{reference}/appointment/move",
            data={"csrf_token": csrf, "slot": value, "appointment": "1"},
        )
        assert moved.status_code == 404, value
    for day in ("2026-13-45", "yesterday", "0001-01-01", "9999-12-31", "%00", "2026-02-30"):
        response = client.get("/staff/agenda", params={"office": "t-bog", "day": day})
        assert response.status_code == 400, day
        assert "That date could not be read" in response.text
    for office in ("nowhere", "t-lim", "%00"):
        assert client.get("/staff/agenda", params={"office": office}).status_code == 404
    assert client.get(f"/staff/cases/{reference}/appointment/move").status_code == 200


def test_an_old_booking_form_sent_again_never_revives_a_cancelled_appointment(
    client: TestClient, session_factory: sessionmaker[Session], world: World
) -> None:
    slot = _slot(session_factory, world.bogota, _in_days(2, 15))
    sign_in(client, "cw.bog")
    reference = world.case_bogota.display_reference
    _location, form = _book(client, reference, slot)
    (appointment,) = _appointments(session_factory, world.case_bogota.id)
    assert "done=cancelled" in _act(client, "cancel", appointment.id)
    again = client.post(f"/staff/cases/{reference}/appointment", data=form,
                        follow_redirects=False)  # fmt: skip
    assert "refused=key_reused" in again.headers["location"]
    (still,) = _appointments(session_factory, world.case_bogota.id)
    assert still.status is AppointmentStatus.CANCELLED
    assert "already used" in client.get(again.headers["location"]).text
