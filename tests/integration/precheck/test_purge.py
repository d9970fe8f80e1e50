"""Abandoned pre-checks are deleted with their drafts and scans after seven days."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from movilidad.config import Settings
from movilidad.consent.models import ConsentRecord
from movilidad.db.uow import UnitOfWork
from movilidad.documents.models import DocumentFile
from movilidad.jobs.queue import JobQueue
from movilidad.kernel.clock import utcnow
from movilidad.precheck.models import PrecheckSession
from movilidad.precheck.services import PRECHECK_LIFETIME, start_precheck
from tests.functional.staff.helpers import TINY_PNG


def test_the_daily_job_deletes_only_abandoned_pre_checks(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    with UnitOfWork(session_factory) as uow:
        ids = []
        for _ in range(2):
            _token, precheck = start_precheck(uow, country="COL", language="es",
                                              notice_version="2026-11")  # fmt: skip
            precheck.registration = {"principal": {"given_names": "Ana"}}
            uow.session.flush()
            uow.session.add(DocumentFile(precheck_id=precheck.id, content_type="image/png",
                                         size_bytes=len(TINY_PNG), data=TINY_PNG))  # fmt: skip
            ids.append(precheck.id)
        uow.session.flush()
        old = uow.session.get(PrecheckSession, ids[0])
        assert old is not None
        old.updated_at = utcnow() - PRECHECK_LIFETIME - timedelta(minutes=1)
        uow.commit()
    JobQueue(settings, session_factory).send("precheck.purge_abandoned")
    with session_factory() as session:
        assert session.scalars(select(PrecheckSession.id)).all() == [ids[1]]
        assert session.scalars(select(DocumentFile.precheck_id)).all() == [ids[1]]
        assert session.scalar(select(func.count()).select_from(ConsentRecord)) == 2
