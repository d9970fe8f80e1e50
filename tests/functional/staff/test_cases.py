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


def _detail_form(client: TestClient, reference: str) -> dict[str, str]:
    from tests.functional.staff.helpers import hidden_fields

    return hidden_fields(client.get(f"/staff/cases/{reference}").text)


def test_a_caseworker_moves_a_case_and_every_step_is_recorded(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    world = build_world(session_factory)
    reference = world.case_bogota.display_reference
    sign_in(client, "cw.bog")
    form = _detail_form(client, reference)
    moved = client.post(
        f"/staff/cases/{reference}/transition",
        data={**form, "to_status": "pre_screened", "note": "documents look complete"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    page = client.get(f"/staff/cases/{reference}?lang=en").text
    assert "Pre-screened" in page
    assert "documents look complete" in page
    form = _detail_form(client, reference)
    refused = client.post(
        f"/staff/cases/{reference}/transition", data={**form, "to_status": "closed"}
    )
    assert refused.status_code == 400
    assert "Choose a reason to close the case" in refused.text  # English chosen above
    closed = client.post(
        f"/staff/cases/{reference}/transition",
        data={**form, "to_status": "closed", "close_reason": "withdrawn"},
        follow_redirects=False,
    )
    assert closed.status_code == 303
    with session_factory() as session:
        moves = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "case.transition")
        ).all()
    assert [m.detail["to"] for m in moves] == ["pre_screened", "closed"]


def test_two_people_changing_a_case_at_once(
    app: FastAPI, session_factory: sessionmaker[Session]
) -> None:
    world = build_world(session_factory)
    reference = world.case_bogota.display_reference
    with TestClient(app) as first, TestClient(app) as second:
        sign_in(first, "cw.bog")
        sign_in(second, "mgr.bog")
        form_first = _detail_form(first, reference)
        form_second = _detail_form(second, reference)
        ok = first.post(
            f"/staff/cases/{reference}/transition",
            data={**form_first, "to_status": "pre_screened"},
            follow_redirects=False,
        )
        assert ok.status_code == 303
        late = second.post(
            f"/staff/cases/{reference}/transition",
            data={**form_second, "to_status": "closed", "close_reason": "duplicate",
                  "note": "my careful note"},
        )  # fmt: skip
    assert late.status_code == 409
    assert "Otra persona cambió este caso" in html.unescape(late.text)
    assert "my careful note" in late.text  # nothing is lost
    with session_factory() as session:
        case = session.get(type(world.case_bogota), world.case_bogota.id)
        assert case is not None
        assert case.status.value == "pre_screened"


def test_skipping_a_step_or_a_stranger_pathway_is_refused(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    world = build_world(session_factory)
    reference = world.case_bogota.display_reference
    sign_in(client, "sup.col")
    form = _detail_form(client, reference)
    for data in (
        {"to_status": "referred", "pathway_id": "us-usrap"},
        {"to_status": "travelled"},
        {"to_status": "nonsense"},
        {"to_status": "pre_screened", "pathway_id": "not-a-pathway"},
    ):
        response = client.post(f"/staff/cases/{reference}/transition", data={**form, **data})
        assert response.status_code == 400, data


def test_transitions_outside_scope_or_permission_are_404(
    app: FastAPI, session_factory: sessionmaker[Session]
) -> None:
    world = build_world(session_factory)
    reference = world.case_bogota.display_reference
    for username in ("cw.lim", "analyst", "admin", "liaison"):
        with TestClient(app) as client:
            sign_in(client, username)
            from tests.functional.staff.helpers import hidden_fields

            csrf = hidden_fields(client.get("/staff/sign-in").text)["csrf_token"]
            response = client.post(
                f"/staff/cases/{reference}/transition",
                data={"csrf_token": csrf, "to_status": "pre_screened", "version": "1"},
            )
            assert response.status_code == 404, username


def test_the_queue_searches_by_name_without_accents(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    world = build_world(session_factory)
    sign_in(client, "sup.col")
    page = client.get("/staff/cases", params={"search": "DAYANA"})
    assert world.case_bogota.display_reference in page.text
    nobody = client.get("/staff/cases", params={"search": "wilmer"})  # in Peru: out of scope
    assert world.case_lima.display_reference not in nobody.text


def test_a_caseworker_cannot_close_as_duplicate(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    world = build_world(session_factory)
    reference = world.case_bogota.display_reference
    sign_in(client, "cw.bog")
    form = _detail_form(client, reference)
    assert 'value="duplicate"' not in client.get(f"/staff/cases/{reference}").text
    response = client.post(
        f"/staff/cases/{reference}/transition",
        data={**form, "to_status": "closed", "close_reason": "duplicate"},
    )
    assert response.status_code == 400


def test_a_caseworker_takes_a_case_records_needs_and_filters_the_queue(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    from sqlalchemy import text

    from tests.functional.staff.helpers import hidden_fields

    world = build_world(session_factory)
    reference = world.case_bogota.display_reference
    sign_in(client, "cw.bog")
    fields = hidden_fields(client.get(f"/staff/cases/{reference}").text)
    csrf = {"csrf_token": fields["csrf_token"]}
    taken = client.post(f"/staff/cases/{reference}/assign", data={**csrf, "action": "take"},
                        follow_redirects=False)  # fmt: skip
    assert taken.status_code == 303
    mine = client.get("/staff/cases", params={"assignee": "me"}).text
    assert reference in mine
    assert reference not in client.get("/staff/cases", params={"assignee": "none"}).text
    assert reference not in client.get("/staff/cases", params={"flag": "vulnerable"}).text
    needs = client.post(
        f"/staff/cases/{reference}/needs",
        data={**csrf, "need": ["serious_medical_condition", "single_caregiver"]},
        follow_redirects=False,
    )  # fmt: skip
    assert needs.status_code == 303
    assert reference in client.get("/staff/cases", params={"flag": "vulnerable"}).text
    bad = client.post(f"/staff/cases/{reference}/needs", data={**csrf, "need": ["astrology"]})
    assert bad.status_code == 400
    with session_factory() as session:
        raw = session.execute(
            text("SELECT specific_needs FROM cases WHERE id = :id"), {"id": world.case_bogota.id}
        ).scalar_one()
        assert "medical" not in str(raw)  # special-category data stays encrypted
    released = client.post(f"/staff/cases/{reference}/assign",
                           data={**csrf, "action": "release"}, follow_redirects=False)  # fmt: skip
    assert released.status_code == 303
    assert reference in client.get("/staff/cases", params={"assignee": "none"}).text
