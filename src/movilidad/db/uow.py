"""The unit of work: one database transaction per request or job.

Services receive a :class:`UnitOfWork`, use ``uow.session`` and may call
:meth:`UnitOfWork.after_commit` to queue work (jobs, notifications). They never
commit. The entry point (web dependency, job wrapper, CLI command) calls
:meth:`UnitOfWork.commit` on success; leaving the ``with`` block without committing
rolls back and drops the queued callbacks, so a job is never sent for data that was
not saved.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Executable
from sqlalchemy.orm import Session, sessionmaker


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._callbacks: list[Callable[[], Any]] = []
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open; use it in a with block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._session_factory()
        self._callbacks = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            session.rollback()  # no-op after commit; discards anything not committed
        finally:
            session.close()
            self._callbacks = []
            self._session = None

    def after_commit(self, callback: Callable[[], Any]) -> None:
        """Run ``callback`` once the transaction has committed (never if it rolls back)."""
        self._callbacks.append(callback)

    def commit(self) -> None:
        """Commit, then run the after-commit callbacks in the order they were added."""
        self.session.commit()
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def execute_short_write(self, statement: Executable, params: dict[str, Any]) -> int:
        """Run one write statement whose own conditions keep the data valid (an
        ``INSERT … SELECT … ON CONFLICT DO NOTHING``) and return the number of rows it
        changed; raises ``sqlalchemy`` errors.

        On SQLite, whose write lock covers the whole database, the statement is a
        transaction of its own, committed when this returns, on a connection apart from
        the session's: the lock is then held inside one database call, not across the
        rest of the request. Elsewhere (PostgreSQL locks rows), and when the session is
        bound to a connection (an outer transaction of the caller's, as in tests), it
        runs in the unit of work's transaction.
        """
        bind = self.session.get_bind()
        if isinstance(bind, Connection) or bind.dialect.name != "sqlite":
            return int(self.session.execute(statement, params).rowcount)  # type: ignore[attr-defined]
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            return int(connection.execute(statement, params).rowcount)

    def rollback(self) -> None:
        self.session.rollback()
        self._callbacks = []
