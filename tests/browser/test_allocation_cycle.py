"""A request-window cycle in the browser, on the demo server with a real SMTP server:
a supervisor puts the Cali office in request-window mode and opens a window whose seed
hash is published at once; three households register and ask for an interview (one
twice); the window closes and the run allocates with the published seed; the offers go
out by e-mail; the households confirm and get a slip; one household does not come and
is back in the queue; ``movilidad appointments replay`` reproduces the run."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.message import Message
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from movilidad.appointments.models import Appointment, Slot
from movilidad.db.engine import make_engine, make_session_factory
from movilidad.db.uow import UnitOfWork
from tests.browser.conftest import (
    Authenticator,
    Demo,
    assert_accessible,
    screenshot,
    staff_sign_in,
)
from tests.browser.test_precheck import ANSWERS, _fill_person

pytestmark = pytest.mark.browser

ZONE = ZoneInfo("America/Bogota")  # Cali
OFFICE = "col-cal"


def _body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def _register(page: Page, demo: Demo, name: str, email: str) -> tuple[str, str]:
    """Register a household of one in Cali, in Spanish, choosing e-mail; returns the
    reference and the access code shown once."""
    page.goto(f"{demo.url}/col/privacy?lang=es")
    page.locator("form.stack button[type=submit]").click()
    for _ in range(25):
        if "/check/result" in page.url:
            break
        fact = page.locator("input[name=fact]").get_attribute("value")
        kind, value = ANSWERS.get(fact or "", ("skip", ""))
        if kind == "select":
            page.select_option("#value", value)
        elif kind == "date":
            page.fill("#value", value)
        elif kind == "radio":
            page.check(f"input[name=value][value={value}]")
        page.locator(f"button[name=action][value={'skip' if kind == 'skip' else 'answer'}]").click()
    page.locator("a.button[href$='/register']").click()
    _fill_person(page, {"given_names": name, "first_surname": "Mosquera",
                        "second_surname": "Riascos", "date_of_birth": "1989-11-02",
                        "sex": "female", "nationality": "VEN"})  # fmt: skip
    page.select_option("#office", OFFICE)
    page.fill("#email", email)
    page.check("input[name=channel][value=email]")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url("**/register/members")
    page.locator("a.button[href$='/register/review']").click()
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url("**/register/done")
    return page.locator("strong.code").inner_text(), page.locator("p.code strong").inner_text()


def _status(page: Page, demo: Demo, reference: str, code: str) -> None:
    page.goto(f"{demo.url}/status?lang=es")
    page.fill("#reference", reference)
    page.fill("#access_code", code)
    page.fill("#date_of_birth", "1989-11-02")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url("**/status/case**")


def _local_field(instant: datetime) -> str:
    return instant.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


def test_a_request_window_cycle_from_opening_to_replay(
    browser: Browser, demo: Demo, authenticator: Authenticator
) -> None:
    # The supervisor chooses request-window mode and plans a window open now.
    staff = browser.new_context()
    supervisor = staff.new_page()
    staff_sign_in(supervisor, demo, authenticator, "supervisor.col")
    supervisor.goto(f"{demo.url}/staff/windows?office={OFFICE}&lang=en")
    supervisor.check("input[name=mode][value=request_window]")
    supervisor.fill("#longest_waiting_percent", "34")
    supervisor.locator("button", has_text="Save the rules").click()
    expect(supervisor.locator("p.notice")).to_contain_text("The booking rules are saved")
    now = datetime.now(UTC)
    today = now.astimezone(ZONE).date()
    supervisor.fill("#opens_at", _local_field(now - timedelta(minutes=2)))
    supervisor.fill("#closes_at", _local_field(now + timedelta(hours=2)))
    supervisor.fill("#slots_first", (today + timedelta(days=2)).isoformat())
    supervisor.fill("#slots_last", (today + timedelta(days=9)).isoformat())
    supervisor.locator("button", has_text="Plan the window").click()
    expect(supervisor.locator("p.notice")).to_contain_text("The request window is planned")
    published = supervisor.locator("td code.hash").first.inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", published)
    screenshot(supervisor, "windows-planned")
    assert_accessible(supervisor, "request windows")

    # The hash is public before anyone can request.
    public = browser.new_context().new_page()
    public.goto(f"{demo.url}/draws?lang=es")
    assert published in public.content()
    assert_accessible(public, "public draws")

    # Three households register on their phones and ask for an interview.
    households = []
    for number, name in enumerate(("Yuliana", "Maryuri", "Dayerlin")):
        phone = browser.new_context(viewport={"width": 360, "height": 740})
        page = phone.new_page()
        email = f"{name.lower()}@example.org"
        reference, code = _register(page, demo, name, email)
        _status(page, demo, reference, code)
        assert "Pedir una entrevista" in page.content()
        if number == 0:
            screenshot(page, "interview-ask")
            assert_accessible(page, "status page with a request window")
        page.locator("button", has_text="Pedir una entrevista").click()
        expect(page.locator("p.notice")).to_contain_text("Recibimos su solicitud")
        if number == 1:  # asking again (an old tab) is the same request
            page.go_back()
            page.reload()
            assert "Pedir una entrevista" not in page.content()
        households.append((page, reference, code, email))

    # The window closes; the run allocates with the published seed.
    supervisor.goto(f"{demo.url}/staff/windows?office={OFFICE}&lang=en")
    assert "3 households are waiting" in supervisor.content()
    supervisor.locator("button", has_text="Close the window now").click()
    expect(supervisor.locator("p.notice")).to_contain_text("The request window is closed")
    supervisor.locator("button", has_text="Run the allocation").click()
    supervisor.wait_for_url("**/staff/windows/*")
    report = supervisor.content()
    seed = re.search(r"revealed after the run</dt>\s*<dd>\s*<code class=\"hash\">(\w+)<", report)
    assert seed, report
    assert hashlib.sha256(seed.group(1).encode()).hexdigest() == published
    run_id = re.search(r"Run number</dt>\s*<dd>\s*(\d+)", report)
    assert run_id, report
    screenshot(supervisor, "allocation-report")
    assert_accessible(supervisor, "allocation report")

    # Each household gets its offer by e-mail: no access code, a check code.
    for _page, reference, code, email in households:
        offers = [m for m in demo.mailbox.to(email) if "oferta de entrevista" in m["Subject"]]
        assert len(offers) == 1, [m["Subject"] for m in demo.mailbox.to(email)]
        body = _body(offers[0])
        assert reference in body
        assert code not in body
        assert "/verify" in body
        assert "Cali" in body

    # They confirm on the status page and get a slip the verification page recognises.
    for number, (page, reference, _code, email) in enumerate(households):
        page.goto(f"{demo.url}/status/case?lang=es")
        assert "Confirme antes del" in page.content()
        if number == 0:
            screenshot(page, "interview-offer")
            assert_accessible(page, "interview offer")
        page.locator("button", has_text="Confirmar esta entrevista").click()
        expect(page.locator("p.notice")).to_contain_text("Su entrevista está confirmada")
        page.locator("a", has_text="Ver su comprobante de entrevista").click()
        page.wait_for_url("**/status/appointment/slip**")
        slip_code = page.locator("dl.slip span.code").nth(1).inner_text()
        if number == 0:
            screenshot(page, "interview-slip")
            assert_accessible(page, "interview slip")
        page.goto(f"{demo.url}/verify?reference={reference}&code={slip_code}&lang=es")
        assert page.locator("section.verdict-genuine").is_visible()
        confirmations = [m for m in demo.mailbox.to(email) if "confirmada" in m["Subject"]]
        assert len(confirmations) == 1

    # Time passes: the interview starts (the test moves the slot to an hour ago).
    engine = make_engine(f"sqlite:///{demo.log.parent / 'movilidad.sqlite3'}")  # the demo's
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            slot_ids = set(
                uow.session.scalars(
                    select(Appointment.slot_id).where(Appointment.run_id == int(run_id.group(1)))
                )
            )
            started = datetime.now(UTC) - timedelta(hours=1)
            for slot in uow.session.scalars(select(Slot).where(Slot.id.in_(slot_ids))):
                slot.starts_at, slot.ends_at = started, started + timedelta(minutes=30)
            uow.commit()
    finally:
        engine.dispose()

    # The first household does not come: the supervisor marks it on the day's agenda,
    # and it is back in the office's queue with the miss counted.
    first_page, first_reference, _code, _email = households[0]
    desk = supervisor
    day = started.astimezone(ZONE).date().isoformat()
    desk.goto(f"{demo.url}/staff/agenda?office={OFFICE}&day={day}&lang=en")
    row = desk.locator("tr", has_text=first_reference)
    row.locator("button", has_text="No-show").click()
    expect(desk.locator("body")).to_contain_text("back in the office's queue")
    screenshot(desk, "agenda-no-show")
    desk.goto(f"{demo.url}/staff/cases/{first_reference}/appointment?lang=en")
    assert "Waiting in the office's queue" in desk.content()
    first_page.goto(f"{demo.url}/status/case?lang=es")
    status = first_page.content()
    assert "Usted pidió una entrevista" in status
    assert "No vino" in status

    # The run is replayed from its inputs and seed, in the workspace and by command.
    supervisor.goto(f"{demo.url}/staff/windows?office={OFFICE}&lang=en")
    supervisor.locator("a", has_text="Allocation report").first.click()
    supervisor.wait_for_url("**/staff/windows/*")
    supervisor.locator("button", has_text="Replay this run").click()
    expect(supervisor.locator("p.notice")).to_contain_text("Replay: the same result")
    database = demo.log.parent / "movilidad.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVILIDAD_")}
    env.update({"MOVILIDAD_DATA_DIR": str(demo.log.parent),
                "MOVILIDAD_DATABASE_URL": f"sqlite:///{database}"})  # fmt: skip
    replayed = subprocess.run(
        [sys.executable, "-m", "movilidad", "appointments", "replay", run_id.group(1)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "replays to the same result (3 offers)" in replayed.stdout
