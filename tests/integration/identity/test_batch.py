"""``movilidad dedupe run`` on a small registry: pairs found, clustered, written once."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from movilidad.cases.services import open_case
from movilidad.db.uow import UnitOfWork
from movilidad.households.models import Household, Relationship
from movilidad.identity import batch
from movilidad.identity.model import load_model
from movilidad.identity.models import MatchCandidate, MatchSource
from tests.factories import make_applicant, make_office

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _register(uow: UnitOfWork, office: object, members: int = 0, **person: object) -> None:
    household = Household.form(make_applicant(**person))
    for n in range(members):
        household.add_member(
            make_applicant(given_names=f"Hijo{n}", first_surname="Soto",
                           date_of_birth=date(2015, 1, 1 + n)),
            Relationship.CHILD,
        )  # fmt: skip
    open_case(uow, household=household, office=office)  # type: ignore[arg-type]
    uow.session.flush()


def test_a_run_writes_each_duplicate_pair_once_with_its_cluster(uow: UnitOfWork) -> None:
    office = make_office(code="t-batch")
    uow.session.add(office)
    uow.session.flush()
    wilmer = {"given_names": "Wilmer José", "first_surname": "Colmenares",
              "second_surname": "Rivas", "date_of_birth": date(1988, 2, 1),
              "nationalities": ["VEN"], "phone_e164": "+584121234567"}  # fmt: skip
    _register(uow, office, members=2, **wilmer)
    _register(uow, office, **{**wilmer, "given_names": "Wilmer", "second_surname": None})
    _register(uow, office, **{**wilmer, "first_surname": "Colmenarez"})
    marie = {"given_names": "Marie Carmel", "first_surname": "Jean-Louis", "second_surname": None,
             "date_of_birth": date(1979, 7, 9), "nationalities": ["HTI"]}  # fmt: skip
    rosa = {"given_names": "Rosa Elena", "first_surname": "Quintero", "second_surname": "Añez",
            "date_of_birth": date(1960, 3, 3), "nationalities": ["VEN"]}  # fmt: skip
    _register(uow, office, **marie)
    _register(uow, office, **rosa)

    first = batch.run(uow, load_model(), NOW)
    assert first.records == 7
    stored = uow.session.scalars(select(MatchCandidate)).all()
    # The three Wilmers make three pairs, in one cluster; nobody else is paired.
    assert len(stored) == first.written == 3
    assert {c.source for c in stored} == {MatchSource.BATCH}
    clusters = {c.cluster for c in stored}
    assert len(clusters) == 1
    assert None not in clusters
    assert first.clusters == 1
    assert all(c.comparisons for c in stored)

    again = batch.run(uow, load_model(), NOW)
    assert again.written == 0
    assert again.unchanged == 3
