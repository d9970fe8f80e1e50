"""Supervisors set an office's booking rules, plan a request window, close it, run the
allocation and replay it, through the forms; the public draws page shows the seed's
hash before the run and the seed after; nobody outside the scope reaches any of it."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from movilidad.appointments.models import (
    Appointment,
    BookingMode,
    BookingPolicy,
    InterviewMode,
    RequestWindow,
    Slot,
)
from movilidad.appointments.windows import request_appointment
from movilidad.cases.models import Case
from movilidad.db.uow import UnitOfWork
from movilidad.kernel.clock import utcnow
from tests.functional.staff.helpers import build_world, hidden_fields, sign_in


def _slots(factory: sessionmaker[Session], office_id: int, first: datetime) -> None:
    with UnitOfWork(factory) as uow:
        uow.session.add_all(
            Slot(office_id=office_id, starts_at=first + timedelta(minutes=30 * n),
                 ends_at=first + timedelta(minutes=30 * n + 30), capacity=2,
                 mode=InterviewMode.IN_PERSON, languages=["es"])
            for n in range(4)
        )  # fmt: skip
        uow.commit()


def _without_windows(factory: sessionmaker[Session]) -> None:
    """Remove the windows the shared world opens, to plan them here through the form."""
    with UnitOfWork(factory) as uow:
        uow.session.execute(delete(RequestWindow))
        uow.commit()


def _post(client: TestClient, path: str, data: dict[str, str | list[str]]) -> object:
    page = client.get("/staff/windows")
    return client.post(path, data={**hidden_fields(page.text), **data}, follow_redirects=False)


def test_a_supervisor_runs_a_whole_window_from_the_forms(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    world = build_world(session_factory)
    _without_windows(session_factory)
    sign_in(client, "sup.col")
    saved = _post(client, "/staff/windows/policy", {
        "office": "t-bog", "mode": "request_window", "longest_waiting_percent": "50",
        "priority_groups": ["pregnancy", "disability"], "offer_hours": "23",
        "hold_minutes": "15",
    })  # fmt: skip
    assert saved.headers["location"].endswith("done=policy")  # type: ignore[attr-defined]
    with UnitOfWork(session_factory) as uow:
        policy = uow.session.get(BookingPolicy, world.bogota.id)
        assert policy is not None
        assert policy.mode is BookingMode.REQUEST_WINDOW
        assert policy.priority_groups == ["pregnancy", "disability"]
    local = datetime.now(ZoneInfo("America/Bogota")).replace(second=0, microsecond=0)
    first_day = (local + timedelta(days=3)).date()
    planned = _post(client, "/staff/windows/open", {
        "office": "t-bog", "opens_at": (local - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (local + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "slots_first": first_day.isoformat(),
        "slots_last": (first_day + timedelta(days=1)).isoformat(),
    })  # fmt: skip
    assert planned.headers["location"].endswith("done=opened")  # type: ignore[attr-defined]
    _slots(session_factory, world.bogota.id,
           datetime.combine(first_day, datetime.min.time(), ZoneInfo("America/Bogota"))
           .replace(hour=9).astimezone(UTC))  # fmt: skip
    with UnitOfWork(session_factory) as uow:
        window = uow.session.scalars(select(RequestWindow)).one()
        published = window.seed_hash
        case = uow.session.get(Case, world.case_bogota.id)
        assert case is not None
        request_appointment(uow, case, key="from-the-phone", now=utcnow())
        uow.commit()
        window_id = window.id
    draws = html.unescape(client.get("/draws?lang=en").text)
    assert published in draws
    assert "not made yet" in draws
    listing = html.unescape(client.get("/staff/windows?office=t-bog&lang=en").text)
    assert published in listing
    assert "1 household is waiting" in listing
    closed = _post(client, f"/staff/windows/{window_id}/close", {})
    assert closed.headers["location"].endswith("done=closed")  # type: ignore[attr-defined]
    ran = _post(client, f"/staff/windows/{window_id}/run", {})
    assert ran.headers["location"] == f"/staff/windows/{window_id}"  # type: ignore[attr-defined]
    again = _post(client, f"/staff/windows/{window_id}/run", {})
    assert again.headers["location"].endswith("done=already_run")  # type: ignore[attr-defined]
    report = html.unescape(client.get(f"/staff/windows/{window_id}?lang=en").text)
    seed = re.search(
        r"Seed, revealed after the run</dt>\s*<dd>\s*<code class=\"hash\">(\w+)<", report
    )
    assert seed, report
    assert hashlib.sha256(seed.group(1).encode()).hexdigest() == published
    assert "Longest waiting" in report
    checked = html.unescape(client.get(f"/staff/windows/{window_id}?check=1&lang=en").text)
    assert "Replay: the same result" in checked
    public = html.unescape(client.get("/draws?lang=en").text)
    assert seed.group(1) in public
    assert "Dayana" not in public
    assert "Other nationalities" in public  # one Venezuelan household: too few to show
    with UnitOfWork(session_factory) as uow:
        offer = uow.session.scalars(select(Appointment)).one()
        assert offer.case_id == world.case_bogota.id
        assert offer.rule == "longest_waiting"


def test_bad_rules_and_windows_are_refused_with_a_message(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    build_world(session_factory)
    _without_windows(session_factory)
    sign_in(client, "sup.col")
    for values in ({"longest_waiting_percent": "150"}, {"longest_waiting_percent": "x"},
                   {"mode": "first_come"}, {"priority_groups": ["vip"]},
                   {"offer_hours": "0"}, {"hold_minutes": "99999999999"}):  # fmt: skip
        form: dict[str, str | list[str]] = {
            "office": "t-bog", "mode": "direct", "longest_waiting_percent": "30",
            "offer_hours": "23", "hold_minutes": "15", **values,
        }  # fmt: skip
        answer = _post(client, "/staff/windows/policy", form)
        assert answer.headers["location"].endswith("done=bad_policy"), values  # type: ignore[attr-defined]
    page = client.get("/staff/windows?office=t-bog&done=bad_policy&lang=en").text
    assert "could not be saved" in page
    for values in ({"opens_at": "2027-01-10T10:00", "closes_at": "2027-01-09T10:00"},
                   {"opens_at": "yesterday", "closes_at": "2027-01-09T10:00"},
                   {"opens_at": "2027-01-10T10:00", "closes_at": "2027-01-11T10:00",
                    "slots_first": "2027-01-10"},
                   {"slots_last": "2027-02-30"}):  # fmt: skip
        form = {"office": "t-bog", "opens_at": "2027-01-01T08:00",
                "closes_at": "2027-01-02T08:00", "slots_first": "2027-01-05",
                "slots_last": "2027-01-09", **values}  # fmt: skip
        answer = _post(client, "/staff/windows/open", form)
        assert answer.headers["location"].endswith("done=bad_window"), values  # type: ignore[attr-defined]
    assert client.get("/staff/windows/99999999999999").status_code == 404
    assert client.get("/staff/windows/abc").status_code == 404


def test_windows_outside_the_scope_are_not_found(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    world = build_world(session_factory)
    lima_window = world.windows[world.case_lima.id]
    sign_in(client, "sup.col")
    assert client.get(f"/staff/windows/{lima_window}").status_code == 404
    assert _post(client, f"/staff/windows/{lima_window}/close", {}).status_code == 404  # type: ignore[attr-defined]
    assert _post(client, f"/staff/windows/{lima_window}/run", {}).status_code == 404  # type: ignore[attr-defined]
    foreign = _post(client, "/staff/windows/policy", {"office": "t-lim", "mode": "direct"})
    assert foreign.status_code == 404  # type: ignore[attr-defined]
    assert "t-lim" not in client.get("/staff/windows").text
    with TestClient(client.app) as caseworker:
        sign_in(caseworker, "cw.bog")
        assert caseworker.get("/staff/windows").status_code == 404
