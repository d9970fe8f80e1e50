"""The fraud indicators page: supervisors see traces shared within their scope and
impossible national ids, each linking to its cases; caseworkers do not reach it."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from movilidad.applicants.models import DocumentType, IdentityDocument
from movilidad.audit.models import AuditEvent
from movilidad.cases.services import open_case
from movilidad.db.uow import UnitOfWork
from movilidad.households.models import Household
from movilidad.identity.indicators import network_index
from tests.factories import make_applicant
from tests.functional.staff.helpers import build_world, sign_in


def _households_on_one_phone(factory: sessionmaker[Session], office_id: int) -> list[str]:
    references = []
    with UnitOfWork(factory) as uow:
        from movilidad.offices.models import Office

        office = uow.session.get(Office, office_id)
        for n in range(3):
            person = make_applicant(given_names=f"Nombre{n}", first_surname=f"Uno{n}",
                                    date_of_birth=date(1985, 1, 1 + n),
                                    phone_e164="+573105550142")  # fmt: skip
            if n == 0:
                bad_id = IdentityDocument.record(
                    type=DocumentType.NATIONAL_ID, number="1710034066", issuing_country="ECU"
                )
                person.documents.append(bad_id)
            case = open_case(uow, household=Household.form(person), office=office)  # type: ignore[arg-type]
            case.submission_network = network_index("198.51.100.23")
            uow.session.flush()
            references.append(case.reference)
        uow.commit()
    return references


def test_a_supervisor_sees_the_shared_phone_and_network_and_the_bad_id(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    world = build_world(session_factory)
    references = _households_on_one_phone(session_factory, world.bogota.id)
    sign_in(client, "sup.col")
    page = client.get("/staff/indicators?lang=en")
    assert page.status_code == 200
    assert "The same phone number" in page.text
    assert "Sent from the same network address" in page.text
    for reference in references:
        assert f"/staff/cases/{reference}" in page.text
    assert "cannot be valid" in page.text
    assert page.text.count(f"/staff/cases/{references[0]}") == 3  # phone, network, id
    assert "+573105550142" not in page.text  # the trace itself is never shown
    with UnitOfWork(session_factory) as uow:
        actions = uow.session.scalars(select(AuditEvent.action)).all()
        assert "identity.indicators.view" in actions


def test_caseworkers_and_other_countries_do_not_see_them(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    world = build_world(session_factory)
    references = _households_on_one_phone(session_factory, world.bogota.id)
    sign_in(client, "cw.bog")
    assert client.get("/staff/indicators").status_code == 404
    client.cookies.clear()
    sign_in(client, "mgr.bog")  # office manager of the office: sees them
    assert references[0] in client.get("/staff/indicators?lang=es").text
