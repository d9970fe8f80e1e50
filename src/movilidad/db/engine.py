"""Engine and session factory for SQLite (embedded default) and PostgreSQL.

SQLite connections get ``journal_mode=WAL`` (readers do not block the writer),
``foreign_keys=ON`` (SQLite's default is off), ``synchronous=NORMAL`` in WAL (a
committed transaction survives a process crash; WAL mode keeps the database intact
on power loss) and a 30-second ``busy_timeout`` so concurrent writers wait instead of
failing (a burst of 20,000 requests queues writers for seconds; with 5 s some failed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy manage transactions: pysqlite's implicit BEGIN is disabled and we
    # emit BEGIN ourselves (see _on_sqlite_begin), so SAVEPOINTs and isolation work.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _on_sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock at the start, so two writers queue (busy_timeout)
    # instead of one failing when it upgrades a stale read snapshot to a write.
    # Connections marked read_only (health checks) take no lock.
    options = connection.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return  # each statement is its own transaction (UnitOfWork.execute_short_write)
    read_only = options.get("read_only", False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for ``url`` (``sqlite:///…`` or ``postgresql+psycopg://…``).

    For a SQLite file the parent directory is created. Raises ``sqlalchemy`` errors for
    malformed URLs; connecting is lazy (see :func:`check_connection`).
    """
    parsed = make_url(url)
    # hide_parameters: error messages (and so logs) never carry the values of a query,
    # which may be personal data.
    kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": True, "hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False}
        kwargs.pop("pool_pre_ping")
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (``expire_on_commit=False``)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def check_connection(engine: Engine) -> None:
    """Open a connection and run ``SELECT 1``; raises ``sqlalchemy.exc.OperationalError``."""
    with engine.connect().execution_options(read_only=True) as connection:
        connection.exec_driver_sql("SELECT 1")
