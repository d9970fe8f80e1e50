"""Fixtures of the applicant pages: an app judging eligibility as of 1 June 2024, with
one office in Colombia."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from movilidad.config import Settings
from movilidad.db.uow import UnitOfWork
from movilidad.jobs.queue import JobQueue
from movilidad.web.app import create_app
from tests.factories import make_office


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    dated = settings.model_copy(update={"screening_date": date(2024, 6, 1)})
    application = create_app(dated)
    application.state.session_factory = session_factory
    application.state.jobs = JobQueue(dated, session_factory)
    with UnitOfWork(session_factory) as uow:
        uow.session.add(
            make_office(code="t-tun", country="COL", city="Tunja", time_zone="America/Bogota")
        )
        uow.commit()  # fmt: skip
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
