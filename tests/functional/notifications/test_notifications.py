"""Messages to applicants: sent after the commit on the chosen channel, in their
language, retried when the server is down, and recognised by the verification page."""

from __future__ import annotations

import json
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from movilidad.config import Settings
from movilidad.jobs.queue import JobQueue
from movilidad.notifications.models import Notification, NotificationStatus
from movilidad.notifications.senders import sms_outbox_path
from tests.functional.applicant.test_precheck import _answer_all, _consent
from tests.functional.applicant.test_registration import ANSWERS, PRINCIPAL, _post
from tests.functional.notifications.conftest import Mailbox
from tests.functional.staff.helpers import PASSWORD, sign_in

CODE = re.compile(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b")


def _register(client: TestClient, language: str, **contact: str) -> tuple[str, str]:
    """Register a household of one; returns (reference, access code)."""
    _consent(client, language)
    _answer_all(client, ANSWERS)
    assert _post(client, "/col/register", {**PRINCIPAL, **contact}).status_code == 303  # type: ignore[attr-defined]
    assert _post(client, "/col/register/review", {}).status_code == 303  # type: ignore[attr-defined]
    done = client.get("/col/register/done").text
    reference = re.search(r'<strong class="code">([A-Z0-9-]+)</strong>', done)
    access = re.search(r'<p class="code">\s*<strong>([A-Z0-9-]+)</strong>', done)
    assert reference, done
    assert access, done
    return reference.group(1), access.group(1)


def test_registration_is_confirmed_by_e_mail_in_the_applicants_language(
    client: TestClient, mailbox: Mailbox
) -> None:
    reference, access_code = _register(client, "fr", email="yorgelis@example.org",
                                       channel="email")  # fmt: skip
    assert len(mailbox.messages) == 1
    mail = mailbox.messages[0]
    assert mail["To"] == "yorgelis@example.org"
    assert mail["Content-Language"] == "fr"
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert reference in body
    assert "http://smo.example/verify" in body
    assert "gratuit" in body  # French text
    assert access_code not in body
    assert "Yorgelis" not in body  # no name in a message others may see


def test_an_sms_goes_to_the_outbox_with_a_code_the_verification_page_recognises(
    client: TestClient, mail_settings: Settings
) -> None:
    reference, _ = _register(client, "es")
    lines = sms_outbox_path(mail_settings).read_text().splitlines()
    sms = json.loads(lines[-1])
    assert sms["to"] == "+573105550199"
    code = CODE.findall(sms["body"].replace(reference, ""))[-1]
    page = client.get("/verify", params={"reference": reference, "code": code.lower()})
    assert "Sí, nosotros enviamos esto" in page.text or "Tunja" in page.text
    assert "Yorgelis" not in page.text
    fake = client.get("/verify", params={"reference": reference, "code": "AAAA-BBBB"})
    other = client.get("/verify", params={"reference": "AAA-BBB-CCC", "code": code})
    assert fake.status_code == other.status_code == 200
    assert 'class="verdict verdict-fake"' in fake.text
    assert 'class="verdict verdict-fake"' in other.text


def test_a_mail_server_that_is_down_delays_the_message_but_loses_nothing(
    app: FastAPI, client: TestClient, mail_settings: Settings,
    session_factory: sessionmaker[Session], smtp_port: int, request: object,
) -> None:  # fmt: skip
    reference, _ = _register(client, "pt", email="ana@example.org", channel="email")
    with session_factory() as session:
        notification = session.scalars(select(Notification)).one()
        assert notification.status is NotificationStatus.PENDING
        assert notification.attempts == 1
        assert notification.last_error in {"ConnectionRefusedError", "DeliveryError"}
        stale = notification.id
        from movilidad.kernel.clock import utcnow

        notification.created_at = utcnow().replace(year=utcnow().year - 1)
        session.commit()
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        JobQueue(mail_settings, session_factory).send("notifications.resend_pending")
    finally:
        controller.stop()
    assert len(box.messages) == 1
    assert reference in box.messages[0].get_payload(decode=True).decode()  # type: ignore[union-attr]
    with session_factory() as session:
        sent = session.get(Notification, stale)
        assert sent is not None
        assert sent.status is NotificationStatus.SENT
        assert sent.attempts == 2


def test_a_message_from_the_office_is_read_on_the_status_page_not_in_the_sms(
    app: FastAPI, client: TestClient, mail_settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:  # fmt: skip
    from movilidad.db.uow import UnitOfWork
    from movilidad.kernel.permissions import RoleName
    from movilidad.staff.services import create_staff_user

    reference, access_code = _register(client, "ht")
    with UnitOfWork(session_factory) as uow:
        create_staff_user(uow, username="cw.tun", full_name="Cw", email="cw@t.example",
                          password=PASSWORD, role=RoleName.CASEWORKER, office_code="t-tun",
                          country=None)  # fmt: skip
        uow.commit()
    secret_text = "Pote paspò ou nan entèvyou a, madi 10è."
    with TestClient(app) as staff:
        sign_in(staff, "cw.tun")
        page = staff.get(f"/staff/cases/{reference}")
        assert "Kreyòl" in page.text  # the caseworker is told which language to write in
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf
        empty = staff.post(f"/staff/cases/{reference}/messages",
                           data={"csrf_token": csrf.group(1), "body": "  "},
                           follow_redirects=False)  # fmt: skip
        assert empty.status_code == 400
        sent = staff.post(f"/staff/cases/{reference}/messages",
                          data={"csrf_token": csrf.group(1), "body": secret_text},
                          follow_redirects=False)  # fmt: skip
        assert sent.status_code == 303
    outbox = sms_outbox_path(mail_settings).read_text()
    assert outbox.count(reference) >= 2
    assert "paspò ou nan" not in outbox
    _post(client, "/status", {"reference": reference, "access_code": access_code,
                              "date_of_birth": PRINCIPAL["date_of_birth"]})  # fmt: skip
    status_page = client.get("/status/case")
    assert "paspò ou nan entèvyou" in status_page.text.replace("&#39;", "'")


def test_guessing_codes_on_the_verification_page_is_limited(client: TestClient) -> None:
    for attempt in range(30):
        page = client.get(
            "/verify", params={"reference": "AAA-BBB-CCC", "code": f"AAAA-{attempt:04d}"}
        )
        assert page.status_code == 200
    blocked = client.get("/verify", params={"reference": "AAA-BBB-CCC", "code": "AAAA-BBBB"})
    assert blocked.status_code == 429
    assert "15" in blocked.text
    assert client.get("/verify", params={"reference": "", "code": ""}).status_code == 200
