from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from movilidad.cases.models import CaseStatus, CloseReason
from movilidad.cases.services import open_case
from movilidad.config import PROJECT_ROOT, Settings
from movilidad.db.uow import UnitOfWork
from movilidad.households.models import Household
from movilidad.jobs.queue import JobQueue
from movilidad.kernel.actors import ActorKind
from movilidad.pathways.catalogue import Catalogue, load_catalogue
from movilidad.pathways.models import PathwayVersionRecord
from movilidad.screening.engine import Outcome
from movilidad.screening.models import Screening, ScreeningOutcome, ScreeningReason
from movilidad.screening.services import (
    household_facts,
    rescreen_open_cases,
    screen_case,
    sync_catalogue,
)
from tests.factories import make_applicant, make_office


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(PROJECT_ROOT / "catalogue")


def _venezuelan_case(uow: UnitOfWork, **answers: object):  # type: ignore[no-untyped-def]
    office = make_office(country="COL", city="Pasto", time_zone="America/Bogota")
    uow.session.add(office)
    principal = make_applicant(
        given_names="Yorgelis", first_surname="Añez", nationalities=["VEN"],
        current_country="COL", date_of_birth=date(1990, 5, 4),
    )  # fmt: skip
    household = Household.form(principal)
    household.answers = {
        "present_in_current_country_since": "2022-03-01",
        "status_in_current_country": "regular",
        **answers,
    }
    return open_case(uow, household=household, office=office)


def test_sync_stores_each_version_once(uow: UnitOfWork, catalogue: Catalogue) -> None:
    added = sync_catalogue(uow, catalogue)
    assert len(added) == sum(len(p.versions) for p in catalogue.pathways.values())
    assert sync_catalogue(uow, catalogue) == []


def test_household_facts_combine_registration_and_answers(
    uow: UnitOfWork, catalogue: Catalogue
) -> None:
    case = _venezuelan_case(uow, shoe_size=42)  # an answer the schema does not know
    facts = household_facts(catalogue, case.household)
    assert facts["nationalities"] == ["VEN"]
    assert facts["current_country"] == "COL"
    assert facts["status_in_current_country"] == "regular"
    assert "shoe_size" not in facts


def test_screen_case_stores_outcomes_with_the_version_used(
    uow: UnitOfWork, catalogue: Catalogue
) -> None:
    case = _venezuelan_case(uow)
    screening, result = screen_case(
        uow, case, catalogue, as_of=date(2023, 7, 15), reason=ScreeningReason.REGISTRATION
    )
    uow.commit()
    stored = {o.pathway_id: o for o in screening.outcomes}
    assert stored["smo-col"].outcome is Outcome.ELIGIBLE
    assert stored["smo-col"].pathway_version is not None
    assert stored["smo-col"].pathway_version.version == "2023-06"
    assert stored["smo-col"].pathway_version.explanation("nationality", True, "ht")
    assert stored["ca-family"].outcome is Outcome.NOT_OPEN
    assert stored["ca-family"].pathway_version_id is None
    assert result.results["smo-col"].criteria[0].explanation  # in the applicant's language


def test_rescreening_keeps_history_and_lists_changes(uow: UnitOfWork, catalogue: Catalogue) -> None:
    case = _venezuelan_case(uow)
    closed = _venezuelan_case(uow)
    closed.transition_to(
        CaseStatus.CLOSED, actor_kind=ActorKind.STAFF, close_reason=CloseReason.WITHDRAWN
    )
    screen_case(uow, case, catalogue, as_of=date(2023, 7, 15), reason=ScreeningReason.REGISTRATION)
    report = rescreen_open_cases(uow, catalogue, as_of=date(2025, 3, 1))
    uow.commit()
    assert report.screened >= 1
    mine = {(c.pathway_id, c.before, c.after) for c in report.changes if c.case_id == case.id}
    assert ("smo-col", Outcome.ELIGIBLE, Outcome.NOT_OPEN) in mine
    assert all(c.case_id != closed.id for c in report.changes)
    screenings = uow.session.scalars(
        select(Screening).where(Screening.case_id == case.id).order_by(Screening.id)
    ).all()
    assert [s.as_of for s in screenings] == [date(2023, 7, 15), date(2025, 3, 1)]
    latest = {o.pathway_id: o for o in screenings[-1].outcomes}
    assert latest["smo-col"].changed
    assert latest["smo-col"].previous_outcome is Outcome.ELIGIBLE
    assert (
        uow.session.scalar(
            select(func.count()).select_from(Screening).where(Screening.case_id == closed.id)
        )
        == 0
    )


def test_rescreen_matches_single_case_screening(uow: UnitOfWork, catalogue: Catalogue) -> None:
    case = _venezuelan_case(uow, fear_of_persecution=True)
    first, _ = screen_case(
        uow, case, catalogue, as_of=date(2024, 1, 10), reason=ScreeningReason.STAFF_REQUEST
    )
    rescreen_open_cases(uow, catalogue, as_of=date(2024, 1, 10))
    latest = uow.session.scalars(
        select(Screening).where(Screening.case_id == case.id).order_by(Screening.id.desc())
    ).first()
    assert latest is not None
    assert latest.id != first.id
    as_dict = {o.pathway_id: (o.outcome, o.criteria) for o in latest.outcomes}
    assert as_dict == {o.pathway_id: (o.outcome, o.criteria) for o in first.outcomes}
    assert all(not o.changed for o in latest.outcomes)


def test_catalogue_rows_are_never_rewritten(uow: UnitOfWork, catalogue: Catalogue) -> None:
    sync_catalogue(uow, catalogue)
    count = uow.session.scalar(select(func.count()).select_from(PathwayVersionRecord))
    sync_catalogue(uow, catalogue)
    assert uow.session.scalar(select(func.count()).select_from(PathwayVersionRecord)) == count
    assert uow.session.scalar(select(func.count()).select_from(ScreeningOutcome)) == 0


def test_the_rescreen_job_runs_through_the_queue(
    uow: UnitOfWork, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    case = _venezuelan_case(uow)
    uow.commit()
    queue = JobQueue(settings, session_factory)
    assert "screening.rescreen_open_cases" in queue.job_names
    queue.send("screening.rescreen_open_cases")
    with session_factory() as session:
        screening = session.scalars(select(Screening).where(Screening.case_id == case.id)).one()
        assert screening.reason is ScreeningReason.CATALOGUE_CHANGE
        assert {o.pathway_id for o in screening.outcomes} >= {"smo-col", "ca-family"}


def test_rescreen_reason_follows_catalogue_and_programme_dates(
    uow: UnitOfWork, catalogue: Catalogue
) -> None:
    from movilidad.screening.services import rescreen_reason

    assert rescreen_reason(uow, catalogue, date(2025, 3, 1), True, False) is (
        ScreeningReason.CATALOGUE_CHANGE
    )
    assert rescreen_reason(uow, catalogue, date(2025, 3, 1), False, False) is (
        ScreeningReason.SCHEDULED  # never re-screened before
    )
    _venezuelan_case(uow)
    rescreen_open_cases(uow, catalogue, as_of=date(2025, 3, 1), reason=ScreeningReason.SCHEDULED)
    assert rescreen_reason(uow, catalogue, date(2025, 3, 20), False, False) is None
    assert rescreen_reason(uow, catalogue, date(2025, 3, 20), False, True) is (
        ScreeningReason.SCHEDULED
    )
    # CHNV's last day was 24 March 2025: the day after, its outcome changes.
    assert rescreen_reason(uow, catalogue, date(2025, 3, 25), False, False) is (
        ScreeningReason.SCHEDULED
    )


def test_a_job_schedule_must_have_five_fields() -> None:
    from movilidad.jobs.registry import job

    with pytest.raises(ValueError, match="five crontab fields"):
        job("tests.bad_schedule", schedule="daily")
