"""Shared fixtures.

The database under test is chosen by ``MOVILIDAD_TEST_DATABASE_URL``:

* unset: a fresh SQLite file in a temporary folder;
* ``postgresql+psycopg://user@host/any``: a throw-away database with a random name is
  created on that server for this run and dropped at the end.

The schema is built by ``alembic upgrade head`` (the real migrations). Each test runs
inside a transaction that is rolled back; code under test that commits only
releases a SAVEPOINT.

A run fails if any test was skipped or expected to fail: nothing may be silently left
out on either database.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from movilidad.config import Settings, load_settings
from movilidad.db import migrate
from movilidad.db.engine import make_engine
from movilidad.db.uow import UnitOfWork
from movilidad.kernel.crypto import configure_cipher

TEST_DATA_KEY = "Q2FzZXdvcmtlcnMgbmV2ZXIgc2VlIHRoaXMga2V5ISE="  # 32 bytes, tests only


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    left_out = sum(len(reporter.stats.get(key, [])) for key in ("skipped", "xfailed", "xpassed"))
    if left_out and session.exitstatus == 0:
        reporter.write_line(
            f"FAILED: {left_out} test(s) skipped or xfail: every test must run", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test reads the developer's MOVILIDAD_* variables or ``.env``."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("MOVILIDAD_")}
    for key in saved:
        if key != "MOVILIDAD_TEST_DATABASE_URL":
            del os.environ[key]
    cwd = Path.cwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    configure_cipher(__import__("base64").urlsafe_b64decode(TEST_DATA_KEY))
    yield
    os.chdir(cwd)
    os.environ.update(saved)


def _server_url(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def _empty_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a new, empty database of the kind under test; dropped afterwards."""
    configured = os.environ.get("MOVILIDAD_TEST_DATABASE_URL", "")
    if not configured:
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        yield f"sqlite:///{path}"
        return
    name = f"movilidad_test_{secrets.token_hex(4)}"
    admin = create_engine(_server_url(configured, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _server_url(configured, name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a migrated, empty database used by this test run."""
    for url in _empty_database(tmp_path_factory):
        migrate.upgrade(url)
        yield url


@pytest.fixture
def empty_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A new database with no schema at all, for migration tests."""
    yield from _empty_database(tmp_path_factory)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside an outer transaction that is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
def uow(session_factory: sessionmaker[Session]) -> Iterator[UnitOfWork]:
    with UnitOfWork(session_factory) as unit:
        yield unit


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(
        env="test",
        data_dir=tmp_path / "var",
        database_url=database_url,
        data_encryption_key=TEST_DATA_KEY,
    )


@pytest.fixture
def is_postgres(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"
