"""Supervisors browse the audit trail per case and per user, within their scope."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.functional.staff.helpers import build_world, sign_in


def test_a_supervisor_sees_who_looked_at_a_case_and_what_a_caseworker_did(
    app: FastAPI, client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    world = build_world(session_factory)
    bogota, lima = world.case_bogota.display_reference, world.case_lima.display_reference
    with TestClient(app) as caseworker:
        sign_in(caseworker, "cw.bog")
        caseworker.get(f"/staff/cases/{bogota}")
        caseworker.get(f"/staff/cases/{bogota}/documents/{world.scans[world.case_bogota.id]}")
        assert caseworker.get("/staff/audit").status_code == 404
    sign_in(client, "sup.col")
    trail = client.get("/staff/audit", params={"case": bogota}).text
    assert "case.view" in trail
    assert "document.view" in trail
    assert "cw.bog" in trail
    person = client.get("/staff/audit", params={"user": "cw.bog"}).text
    assert "document.view" in person
    assert "staff.sign_in" in person or "case.view" in person
    other = client.get("/staff/audit", params={"case": lima}).text  # Peru: not in scope
    assert "case.view" not in other
    assert "<table" not in other


def test_a_flood_of_other_events_never_hides_a_cases_history(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    from movilidad.audit.services import record_event
    from movilidad.db.uow import UnitOfWork
    from movilidad.kernel.actors import ActorKind

    world = build_world(session_factory)
    bogota = world.case_bogota
    with UnitOfWork(session_factory) as uow:
        record_event(uow.session, action="case.view", object_type="case", object_id=bogota.id,
                     actor_kind=ActorKind.STAFF, office_id=bogota.office_id)  # fmt: skip
        for _ in range(620):  # another case's scans looked at, again and again
            record_event(uow.session, action="document.view", object_type="document_file",
                         object_id=1, actor_kind=ActorKind.STAFF, office_id=bogota.office_id,
                         detail={"case": world.case_lima.id})  # fmt: skip
        for _ in range(120):  # and this case's own
            record_event(uow.session, action="document.view", object_type="document_file",
                         object_id=1, actor_kind=ActorKind.STAFF, office_id=bogota.office_id,
                         detail={"case": bogota.id})  # fmt: skip
        uow.commit()
    sign_in(client, "sup.col")
    first = client.get("/staff/audit", params={"case": bogota.display_reference}).text
    assert first.count("document.view") == 100
    older = re.search(r'href="([^"]*before=\d+)"', first)
    assert older
    second = client.get(older.group(1).replace("&amp;", "&")).text
    assert "case.view" in second
    assert second.count("document.view") == 20
