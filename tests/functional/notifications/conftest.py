"""A real SMTP server (aiosmtpd) on loopback, and an app that sends mail to it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from movilidad.config import MailBackend, Settings
from movilidad.db.uow import UnitOfWork
from movilidad.jobs.queue import JobQueue
from movilidad.web.app import create_app
from tests.factories import make_office


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_port() -> int:
    return _free_port()


@pytest.fixture
def mailbox(smtp_port: int) -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def mail_settings(settings: Settings, smtp_port: int) -> Settings:
    return settings.model_copy(
        update={"screening_date": date(2024, 6, 1), "mail_backend": MailBackend.SMTP,
                "smtp_host": "127.0.0.1", "smtp_port": smtp_port,
                "base_url": "http://smo.example"}
    )  # fmt: skip


@pytest.fixture
def app(mail_settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    application = create_app(mail_settings)
    application.state.session_factory = session_factory
    application.state.jobs = JobQueue(mail_settings, session_factory)
    with UnitOfWork(session_factory) as uow:
        uow.session.add(
            make_office(code="t-tun", country="COL", city="Tunja", time_zone="America/Bogota")
        )
        uow.commit()
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
