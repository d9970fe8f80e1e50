from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError

from movilidad.applicants.models import Applicant
from movilidad.cases.models import Case
from movilidad.cases.services import open_case
from movilidad.db import migrate
from movilidad.db.uow import UnitOfWork
from movilidad.offices.models import Office
from tests.factories import make_applicant, make_document, make_household, make_office


def test_models_and_migrations_match(database_url: str) -> None:
    migrate.check(database_url)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(engine: Engine, is_postgres: bool) -> None:
    if is_postgres:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW server_encoding")).scalar() == "UTF8"
        return
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_unicode_names_round_trip_unchanged(uow: UnitOfWork) -> None:
    applicant = make_applicant(
        given_names="Nadège", first_surname="Saint-Fleur", second_surname="Núñez d'Ávila"
    )
    uow.session.add(applicant)
    uow.commit()
    uow.session.expunge_all()
    loaded = uow.session.get(Applicant, applicant.id)
    assert loaded is not None
    assert (loaded.given_names, loaded.first_surname, loaded.second_surname) == (
        "Nadège",
        "Saint-Fleur",
        "Núñez d'Ávila",
    )


def test_sensitive_fields_are_encrypted_at_rest(uow: UnitOfWork, connection: Connection) -> None:
    applicant = make_applicant(phone_e164="+50937001234", email="rose@example.org")
    applicant.documents.append(make_document(number="HT-998877"))
    uow.session.add(applicant)
    uow.commit()
    raw = connection.execute(
        text("SELECT phone, email FROM applicants WHERE id = :id"), {"id": applicant.id}
    ).one()
    raw_number = connection.execute(
        text("SELECT number FROM identity_documents WHERE applicant_id = :id"),
        {"id": applicant.id},
    ).scalar_one()
    assert "37001234" not in raw.phone
    assert "rose" not in raw.email
    assert "998877" not in raw_number
    uow.session.expunge_all()
    loaded = uow.session.get(Applicant, applicant.id)
    assert loaded is not None
    assert loaded.phone == "+50937001234"
    assert loaded.documents[0].number == "HT-998877"


def test_timestamps_come_back_aware_in_utc(uow: UnitOfWork) -> None:
    office = make_office()
    uow.session.add(office)
    at = datetime(2026, 3, 8, 1, 30, tzinfo=UTC)
    case = open_case(uow, household=make_household(), office=office, now=at)
    uow.commit()
    uow.session.expunge_all()
    loaded = uow.session.get(Case, case.id)
    assert loaded is not None
    assert loaded.created_at == at
    assert loaded.created_at.tzinfo is not None
    assert loaded.events[0].occurred_at == at


def test_naive_datetimes_are_refused(uow: UnitOfWork) -> None:
    office = make_office()
    office.created_at = datetime(2026, 1, 1, 12, 0)  # noqa: DTZ001 - the point of the test
    uow.session.add(office)
    with pytest.raises(Exception, match="naive datetime"):
        uow.session.flush()


def test_case_references_are_unique(uow: UnitOfWork) -> None:
    office = make_office()
    uow.session.add(office)
    first = open_case(uow, household=make_household(), office=office)
    uow.session.add(Case.open(reference=first.reference, household=make_household(), office=office))
    with pytest.raises(IntegrityError):
        uow.session.flush()


def test_one_case_per_household(uow: UnitOfWork) -> None:
    office = make_office()
    uow.session.add(office)
    case = open_case(uow, household=make_household(), office=office)
    with pytest.raises(IntegrityError):
        open_case(uow, household=case.household, office=office)


def test_foreign_keys_are_enforced(uow: UnitOfWork) -> None:
    household = make_household()
    uow.session.add(household)
    uow.session.flush()
    uow.session.add(Case(reference="222222222", household_id=household.id, office_id=987654))
    with pytest.raises(IntegrityError):
        uow.session.flush()


def test_office_languages_round_trip(uow: UnitOfWork) -> None:
    office = make_office(languages=["es", "ht", "fr"])
    uow.session.add(office)
    uow.commit()
    uow.session.expunge_all()
    loaded = uow.session.get(Office, office.id)
    assert loaded is not None
    assert loaded.languages == ["es", "ht", "fr"]
