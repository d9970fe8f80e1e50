from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from movilidad.db.uow import UnitOfWork
from movilidad.offices.models import Office
from tests.factories import make_office


def _count(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Office)) or 0


def test_callbacks_run_only_after_commit(session_factory: sessionmaker[Session]) -> None:
    ran: list[str] = []
    with UnitOfWork(session_factory) as uow:
        uow.session.add(make_office())
        uow.after_commit(lambda: ran.append("sent"))
        assert ran == []
        uow.commit()
    assert ran == ["sent"]


def test_leaving_without_commit_rolls_back_and_drops_callbacks(
    session_factory: sessionmaker[Session],
) -> None:
    before = _count(session_factory)
    ran: list[str] = []
    with UnitOfWork(session_factory) as uow:
        uow.session.add(make_office())
        uow.after_commit(lambda: ran.append("sent"))
    assert ran == []
    assert _count(session_factory) == before


def test_an_error_rolls_back(session_factory: sessionmaker[Session]) -> None:
    before = _count(session_factory)
    try:
        with UnitOfWork(session_factory) as uow:
            uow.session.add(make_office())
            uow.session.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert _count(session_factory) == before
