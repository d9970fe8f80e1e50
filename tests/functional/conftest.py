from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from movilidad.config import Settings
from movilidad.jobs.queue import JobQueue
from movilidad.web.app import create_app


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    application = create_app(settings)
    application.state.session_factory = session_factory  # the test's rolled-back connection
    application.state.jobs = JobQueue(settings, session_factory)  # jobs see the same data
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
