"""Consent to a recipient, a referral with only what the pathway needs, the package
as JSON and PDF, and the partner liaison who sees only their organisation's packages."""

from __future__ import annotations

import html
import json
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from movilidad.audit.models import AuditEvent
from movilidad.cases.models import Case, CaseStatus
from movilidad.config import Settings
from movilidad.db.uow import UnitOfWork
from movilidad.jobs.queue import JobQueue
from movilidad.kernel.permissions import RoleName
from movilidad.referrals.models import Referral
from movilidad.staff.services import create_staff_user
from movilidad.web.app import create_app
from tests.functional.staff.helpers import PASSWORD, World, build_world, hidden_fields, sign_in


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    dated = settings.model_copy(update={"screening_date": date(2024, 6, 1)})
    application = create_app(dated)
    application.state.session_factory = session_factory
    application.state.jobs = JobQueue(dated, session_factory)
    return application


def _interviewed(client: TestClient, world: World, session_factory: sessionmaker[Session]) -> str:
    reference = world.case_bogota.display_reference
    with UnitOfWork(session_factory) as uow:
        case = uow.session.get(Case, world.case_bogota.id)
        assert case is not None
        case.household.answers = {
            "current_country": "COL", "fear_of_persecution": "yes",
            "permanent_status_in_another_country": "no", "wants_to_live_in_quebec": "no",
        }  # fmt: skip
        uow.commit()
    for status in ("pre_screened", "interview_scheduled", "interviewed"):
        fields = hidden_fields(client.get(f"/staff/cases/{reference}").text)
        data = {**fields, "to_status": status}
        moved = client.post(f"/staff/cases/{reference}/transition", data=data,
                            follow_redirects=False)  # fmt: skip
        assert moved.status_code == 303, moved.text
    return reference


def test_a_case_is_referred_only_with_consent_and_carries_only_what_the_pathway_needs(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    world = build_world(session_factory)
    sign_in(client, "cw.bog")
    reference = _interviewed(client, world, session_factory)
    fields = hidden_fields(client.get(f"/staff/cases/{reference}").text)
    target = {"target": "uscis|us-chnv", "version": fields["version"]}
    refused = client.post(f"/staff/cases/{reference}/referrals",
                          data={"csrf_token": fields["csrf_token"], **target})  # fmt: skip
    assert refused.status_code == 400
    assert "no ha aceptado compartir" in html.unescape(refused.text)
    # The generic form cannot refer without a package.
    data = {**fields, "to_status": "referred", "pathway_id": "us-usrap"}
    generic = client.post(f"/staff/cases/{reference}/transition", data=data)
    assert generic.status_code == 400
    agreed = client.post(f"/staff/cases/{reference}/consents",
                         data={"csrf_token": fields["csrf_token"], "recipient_id": "rsc-latam"},
                         follow_redirects=False)  # fmt: skip
    assert agreed.status_code == 303
    fields = hidden_fields(client.get(f"/staff/cases/{reference}").text)
    referred = client.post(
        f"/staff/cases/{reference}/referrals",
        data={"csrf_token": fields["csrf_token"], "target": "rsc-latam|us-usrap",
              "version": fields["version"]},
        follow_redirects=False,
    )  # fmt: skip
    assert referred.status_code == 303, referred.text
    with session_factory() as session:
        case = session.get(Case, world.case_bogota.id)
        assert case is not None
        assert case.status is CaseStatus.REFERRED
        assert case.referred_pathway_id == "us-usrap"
        referral = session.scalars(
            select(Referral).where(Referral.case_id == case.id, Referral.pathway_id == "us-usrap",
                                   Referral.id != world.referrals[case.id])
        ).one()  # fmt: skip
    package = client.get(f"/staff/cases/{reference}/referrals/{referral.id}/package.json").json()
    assert set(package["answers"]) == {
        "current_country",
        "fear_of_persecution",
        "permanent_status_in_another_country",
    }  # wants_to_live_in_quebec is Canada's business, not this pathway's
    assert package["people"][0]["documents"][0]["number"] == "P-DAYANA-1"
    pdf = client.get(f"/staff/cases/{reference}/referrals/{referral.id}/package.pdf")
    assert pdf.content.startswith(b"%PDF-")
    assert pdf.headers["cache-control"] == "no-store"
    with session_factory() as session:
        exports = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "referral.export")
        ).all()
        assert sorted(e["format"] for e in exports) == ["json", "pdf"]


def test_a_withdrawn_consent_stops_the_next_referral(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    world = build_world(session_factory)
    sign_in(client, "cw.bog")
    reference = _interviewed(client, world, session_factory)
    consent_id = world.consents[world.case_bogota.id]
    fields = hidden_fields(client.get(f"/staff/cases/{reference}").text)
    path = f"/staff/cases/{reference}/consents/{consent_id}/withdraw"
    withdrawn = client.post(path, data={"csrf_token": fields["csrf_token"]},
                            follow_redirects=False)  # fmt: skip
    assert withdrawn.status_code == 303
    fields = hidden_fields(client.get(f"/staff/cases/{reference}").text)
    refused = client.post(f"/staff/cases/{reference}/referrals",
                          data={"csrf_token": fields["csrf_token"], "target": "rsc-latam|us-usrap",
                                "version": fields["version"]})  # fmt: skip
    assert refused.status_code == 400


def test_a_partner_liaison_sees_only_packages_sent_to_their_organisation(
    app: FastAPI, client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    world = build_world(session_factory)
    with UnitOfWork(session_factory) as uow:
        create_staff_user(uow, username="liaison.ircc", full_name="Ircc", email="i@t.example",
                          password=PASSWORD, role=RoleName.PARTNER_LIAISON,
                          organisation="ircc")  # fmt: skip
        uow.commit()
    ours, theirs = world.referrals[world.case_bogota.id], world.referrals[world.case_lima.id]
    sign_in(client, "liaison")
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/referrals"
    listing = client.get("/staff/referrals").text
    assert world.case_bogota.display_reference in listing
    assert world.case_lima.display_reference not in listing
    assert client.get(f"/staff/referrals/{ours}").status_code == 200
    assert client.get(f"/staff/referrals/{theirs}").status_code == 404
    assert client.get(f"/staff/referrals/{theirs}/package.json").status_code == 404
    assert client.get(f"/staff/cases/{world.case_bogota.display_reference}").status_code == 404
    package = json.loads(client.get(f"/staff/referrals/{ours}/package.json").text)
    assert package["case_reference"] == world.case_bogota.display_reference
    with TestClient(app) as other:
        sign_in(other, "liaison.ircc")
        assert other.get(f"/staff/referrals/{ours}").status_code == 404
        assert other.get(f"/staff/referrals/{theirs}").status_code == 200


def test_a_supervisor_closes_every_case_of_a_terminated_programme_and_each_household_is_told(
    app: FastAPI, client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    """US refugee admissions were suspended on 27 Jan 2025: on a later day, every case
    referred to that pathway is closed with that reason, and the household told."""
    world = build_world(session_factory)
    with UnitOfWork(session_factory) as uow:
        for case_id in (world.case_bogota.id, world.case_lima.id):
            case = uow.session.get(Case, case_id)
            assert case is not None
            case.status = CaseStatus.REFERRED
            case.referred_pathway_id = "us-usrap"
            case.household.principal.set_contact(phone_e164="+573105550199", email=None)
        uow.commit()
    app.state.settings = app.state.settings.model_copy(update={"screening_date": date(2025, 3, 1)})
    sign_in(client, "cw.bog")
    assert client.get("/staff/bulk-close").status_code == 404  # caseworkers may not
    with TestClient(app) as supervisor:
        sign_in(supervisor, "sup.col")
        preview = supervisor.get("/staff/bulk-close", params={"pathway": "us-usrap"})
        assert world.case_bogota.display_reference in preview.text
        assert world.case_lima.display_reference not in preview.text  # Peru: not in scope
        fields = hidden_fields(preview.text)
        stale = supervisor.post("/staff/bulk-close", data={**fields, "count": "7"},
                                follow_redirects=False)  # fmt: skip
        assert "error=changed" in stale.headers["location"]
        done = supervisor.post("/staff/bulk-close", data=fields, follow_redirects=False)
        assert "closed=1" in done.headers["location"]
    with session_factory() as session:
        bogota = session.get(Case, world.case_bogota.id)
        lima = session.get(Case, world.case_lima.id)
        assert bogota is not None
        assert lima is not None
        assert bogota.status is CaseStatus.CLOSED
        assert bogota.close_reason is not None
        assert bogota.close_reason.value == "programme_terminated"
        assert lima.status is CaseStatus.REFERRED
    outbox = (app.state.settings.data_dir / "sms-outbox.jsonl").read_text()
    assert world.case_bogota.display_reference in outbox


def test_exporting_a_package_needs_the_password_again_after_five_minutes(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    import time
    from datetime import timedelta

    import pyotp

    from movilidad.staff.models import StaffSession

    world = build_world(session_factory)
    secret = sign_in(client, "cw.bog")
    assert secret
    export = (f"/staff/cases/{world.case_bogota.display_reference}/referrals/"
              f"{world.referrals[world.case_bogota.id]}/package.json")  # fmt: skip
    assert client.get(export).status_code == 200  # just signed in
    with session_factory() as session:
        for staff_session in session.scalars(select(StaffSession)):
            staff_session.password_at -= timedelta(minutes=6)
        session.commit()
    asked = client.get(export, follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"].startswith("/staff/confirm?next=")
    page = client.get(asked.headers["location"])
    fields = hidden_fields(page.text)
    assert fields["next"] == export
    next_code = pyotp.TOTP(secret).at(time.time() + 30)  # the sign-in used this step's
    wrong = client.post("/staff/confirm", data={**fields, "password": "nope", "code": next_code})
    assert wrong.status_code == 400
    right = client.post("/staff/confirm", data={**fields, "password": PASSWORD, "code": next_code},
                        follow_redirects=False)  # fmt: skip
    assert right.status_code == 303
    assert right.headers["location"] == export
    assert client.get(export).status_code == 200
    with session_factory() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("staff.reauthenticate%"))
        ).all()
        assert sorted(actions) == ["staff.reauthenticate", "staff.reauthenticate_failed"]


def test_the_liaisons_reading_needs_a_recent_password_and_shows_in_the_cases_trail(
    app: FastAPI, client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    from datetime import timedelta

    from movilidad.staff.models import StaffSession

    world = build_world(session_factory)
    ours = world.referrals[world.case_bogota.id]
    sign_in(client, "liaison")
    page = client.get(f"/staff/referrals/{ours}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    with session_factory() as session:
        for staff_session in session.scalars(select(StaffSession)):
            staff_session.password_at -= timedelta(minutes=6)
        session.commit()
    asked = client.get(f"/staff/referrals/{ours}", follow_redirects=False)
    assert asked.headers["location"].startswith("/staff/confirm")
    with TestClient(app) as supervisor:
        sign_in(supervisor, "sup.col")
        trail = supervisor.get("/staff/audit", params={"case": world.case_bogota.display_reference})
        assert "referral.view" in trail.text
