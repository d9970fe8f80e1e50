from __future__ import annotations

import html
from datetime import date

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from movilidad.audit.models import AuditEvent
from movilidad.db.uow import UnitOfWork
from movilidad.screening.models import ScreeningReason
from movilidad.screening.services import screen_case
from tests.functional.staff.helpers import build_world, sign_in


def test_queue_lists_cases_of_my_office_with_filters(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    world = build_world(session_factory)
    sign_in(client, "cw.bog")
    page = client.get("/staff/cases")
    assert world.case_bogota.display_reference in page.text
    assert "Dayana" in page.text
    assert "Wilmer" not in page.text
    by_reference = client.get(
        "/staff/cases", params={"reference": world.case_bogota.reference.lower()}
    )
    assert world.case_bogota.display_reference in by_reference.text
    typo = client.get("/staff/cases", params={"reference": "ZZZ-ZZZ-ZZZ"})
    assert world.case_bogota.display_reference not in typo.text
    closed_only = client.get("/staff/cases", params={"status": "closed"})
    assert world.case_bogota.display_reference not in closed_only.text
    other_nationality = client.get("/staff/cases", params={"nationality": "hti"})
    assert world.case_bogota.display_reference not in other_nationality.text


def test_odd_filter_values_never_break_the_queue(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    build_world(session_factory)
    sign_in(client, "sup.col")
    for params in (
        {"status": "<script>"}, {"page": "0"}, {"page": "abc"}, {"office": "x" * 39},
        {"nationality": "ÑÑÑ"}, {"reference": "%%%"}, {"page": "99999"},
    ):  # fmt: skip
        response = client.get("/staff/cases", params=params)
        assert response.status_code in (200, 400), params
        assert "<script>" not in response.text


def test_case_detail_shows_household_screening_and_history_and_is_audited(
    app: FastAPI, client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    world = build_world(session_factory)
    with UnitOfWork(session_factory) as uow:
        case = uow.session.merge(world.case_bogota)
        screen_case(
            uow, case, app.state.catalogue, as_of=date(2023, 7, 15),
            reason=ScreeningReason.REGISTRATION,
        )  # fmt: skip
        uow.commit()
    sign_in(client, "cw.bog")
    page = client.get(f"/staff/cases/{world.case_bogota.display_reference}?lang=es")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Dayana" in text
    assert "Oficina de Movilidad Segura, Colombia" in text  # pathway name in Spanish
    assert "Usted es de nacionalidad cubana, haitiana o venezolana." in text
    with session_factory() as session:
        views = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.view")).all()
    assert [v.object_id for v in views] == [str(world.case_bogota.id)]
    assert views[0].actor_staff_id is not None
    assert "Dayana" not in str(views[0].detail)
