"""The household's interview on its status page, through the forms: asking during a
request window, the offer after the run, confirming, the slip the verification page
recognises, the calendar file, cancelling; choosing and changing a time where the
office books directly; bad input never breaks a page."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from movilidad.appointments.models import (
    Appointment,
    AppointmentRequest,
    AppointmentStatus,
    BookingMode,
    InterviewMode,
    Slot,
)
from movilidad.appointments.windows import close_window_now, open_window, run_allocation, set_policy
from movilidad.db.uow import UnitOfWork
from movilidad.kernel.clock import utcnow
from movilidad.offices.repository import OfficeRepository
from tests.functional.applicant.test_status import _register, _sign_in


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def _calendar(factory: sessionmaker[Session], mode: BookingMode) -> list[int]:
    """Three slots of one seat each, from tomorrow 15:00 UTC (10:00 in Tunja)."""
    with UnitOfWork(factory) as uow:
        office = OfficeRepository(uow.session).get_office_by_code("t-tun")
        assert office is not None
        set_policy(uow, office, mode=mode, longest_waiting_percent=0)
        first = datetime.combine(utcnow().date() + timedelta(days=3), datetime.min.time(), UTC)
        slots = [
            Slot(office_id=office.id, starts_at=first + timedelta(hours=15, minutes=30 * n),
                 ends_at=first + timedelta(hours=15, minutes=30 * n + 30), capacity=1,
                 mode=InterviewMode.IN_PERSON, languages=["es"])
            for n in range(3)
        ]  # fmt: skip
        uow.session.add_all(slots)
        if mode is BookingMode.REQUEST_WINDOW:
            open_window(
                uow, office, opens_at=utcnow() - timedelta(hours=1),
                closes_at=utcnow() + timedelta(hours=1), slots_first=first.date(),
                slots_last=first.date() + timedelta(days=2),
            )  # fmt: skip
        uow.commit()
        return [s.id for s in slots]


def _signed_in(client: TestClient) -> str:
    reference, code = _register(client)
    assert _sign_in(client, reference, code, "1990-05-04").status_code == 303  # type: ignore[attr-defined]
    return reference


def _post(client: TestClient, path: str, data: dict[str, str]) -> object:
    return client.post(path, data={"csrf_token": client.cookies["csrf"], **data},
                       follow_redirects=False)  # fmt: skip


def test_a_request_window_cycle_from_request_to_slip(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    _calendar(session_factory, BookingMode.REQUEST_WINDOW)
    reference = _signed_in(client)
    page = client.get("/status/case?lang=es").text
    assert "Pedir una entrevista" in html.unescape(page)
    key = _field(page, "key")
    for _ in range(2):  # a retried submission is the same request
        sent = _post(client, "/status/appointment/request", {"key": key})
        assert sent.headers["location"] == "/status/case?done=requested#interview"  # type: ignore[attr-defined]
    with UnitOfWork(session_factory) as uow:
        assert uow.session.scalar(select(func.count()).select_from(AppointmentRequest)) == 1
        office = OfficeRepository(uow.session).get_office_by_code("t-tun")
        assert office is not None
        from movilidad.appointments.windows import list_windows

        window = list_windows(uow, office.id)[0]
        close_window_now(uow, window, utcnow())
        run_allocation(uow, None, window, utcnow())
        uow.commit()
    offer = html.unescape(client.get("/status/case?lang=es").text)
    assert "Confirme antes del" in offer or "Confirme antes de" in offer
    assert "10:00" in offer  # 15:00 UTC in Tunja's time zone
    appointment_id = _field(offer, "appointment")
    assert _post(client, "/status/appointment/confirm", {"appointment": appointment_id})  # type: ignore[truthy-bool]
    slip = html.unescape(client.get("/status/appointment/slip?lang=es").text)
    assert reference in slip
    code = re.search(r'<span class="code">([A-Z0-9]{4}-[A-Z0-9]{4})</span>', slip)
    assert code, slip
    verdict = html.unescape(
        client.get(f"/verify?reference={reference}&code={code.group(1)}&lang=es").text
    )
    assert "Tunja" in verdict
    assert "cita" in verdict.lower() or "entrevista" in verdict.lower()
    ics = client.get("/status/appointment/interview.ics")
    assert ics.headers["content-type"].startswith("text/calendar")
    assert "DTSTART:" in ics.text
    assert "Z\r\n" in ics.text  # in UTC
    assert "Yorgelis" not in ics.text  # no names in a calendar
    _post(client, "/status/appointment/cancel", {"appointment": appointment_id})
    with UnitOfWork(session_factory) as uow:
        cancelled = uow.session.get(Appointment, int(appointment_id))
        assert cancelled is not None
        assert cancelled.status is AppointmentStatus.CANCELLED
        assert cancelled.slip_code is not None
        assert cancelled.slip_code.revoked_at is not None
    assert (
        "/status/case"
        in client.get("/status/appointment/slip", follow_redirects=False).headers["location"]
    )


def test_direct_booking_picks_confirms_and_changes_a_time(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    slot_ids = _calendar(session_factory, BookingMode.DIRECT)
    _signed_in(client)
    assert "Elegir una hora" in html.unescape(client.get("/status/case?lang=es").text)
    page = html.unescape(client.get("/status/appointment/slots?lang=es").text)
    assert "10:00" in page
    assert "10:30" in page
    key = _field(page, "key")
    held = _post(client, "/status/appointment/book", {"slot": str(slot_ids[0]), "key": key})
    assert held.headers["location"].endswith("done=held#interview")  # type: ignore[attr-defined]
    offer = client.get("/status/case").text
    _post(client, "/status/appointment/confirm", {"appointment": _field(offer, "appointment")})
    again = client.get("/status/appointment/slots").text
    _post(
        client, "/status/appointment/book", {"slot": str(slot_ids[2]), "key": _field(again, "key")}
    )
    with UnitOfWork(session_factory) as uow:
        rows = uow.session.scalars(select(Appointment).order_by(Appointment.id)).all()
        assert [(r.slot_id, r.status) for r in rows] == [
            (slot_ids[0], AppointmentStatus.CANCELLED),
            (slot_ids[2], AppointmentStatus.OFFERED),
        ]


def test_bad_or_foreign_input_never_breaks_the_pages(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    slot_ids = _calendar(session_factory, BookingMode.DIRECT)
    assert client.post("/status/appointment/book", data={"csrf_token": "x"}).status_code == 403
    _signed_in(client)
    for value in ("abc", "99999999999999999999", "-1", "", "٣", str(slot_ids[0] + 1000)):
        answer = _post(client, "/status/appointment/book", {"slot": value, "key": "k"})
        assert answer.status_code == 303  # type: ignore[attr-defined]
        answer = _post(client, "/status/appointment/confirm", {"appointment": value})
        assert answer.status_code == 303  # type: ignore[attr-defined]
        answer = _post(client, "/status/appointment/cancel", {"appointment": value})
        assert answer.status_code == 303  # type: ignore[attr-defined]
    assert client.get("/status/case?done=<script>").status_code == 200
    with UnitOfWork(session_factory) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Appointment)) == 0


def test_without_signing_in_the_interview_pages_send_you_to_sign_in(client: TestClient) -> None:
    for path in ("/status/appointment/slots", "/status/appointment/slip",
                 "/status/appointment/interview.ics"):  # fmt: skip
        assert client.get(path, follow_redirects=False).headers["location"] == "/status"
    client.get("/status")
    answer = _post(client, "/status/appointment/request", {"key": "k"})
    assert answer.headers["location"] == "/status"  # type: ignore[attr-defined]
