from __future__ import annotations

from sqlalchemy import func, select

from movilidad.applicants.models import Applicant
from movilidad.cases.models import Case
from movilidad.db.uow import UnitOfWork
from movilidad.households.models import Household
from movilidad.kernel.references import is_valid
from movilidad.offices.models import Office
from movilidad.seed.demo import OFFICES, seed_demo
from movilidad.staff.passwords import verify_password
from movilidad.staff.repository import StaffRepository


def test_demo_seed_creates_offices_households_cases_and_logins(uow: UnitOfWork) -> None:
    report = seed_demo(uow, households=40, rng_seed=11)
    assert report.created
    assert report.offices == len(OFFICES)
    session = uow.session
    assert session.scalar(select(func.count()).select_from(Household)) == 40
    assert session.scalar(select(func.count()).select_from(Case)) == 40
    applicants = session.scalar(select(func.count()).select_from(Applicant)) or 0
    assert applicants == report.applicants >= 40
    cities = set(session.scalars(select(Office.city)))
    assert {"Bogotá", "Cali", "San José", "Ciudad de Guatemala", "Quito"} <= cities
    assert all(is_valid(ref) for ref in session.scalars(select(Case.reference)))
    for login in report.logins:
        user = StaffRepository(session).get_staff_user_by_username(login.username)
        assert user is not None
        assert verify_password(user.password_hash, login.password)
    from movilidad.appointments.models import Slot

    assert report.slots_published == session.scalar(select(func.count()).select_from(Slot)) > 0
    assert seed_demo(uow, households=0).slots_published == 0  # published once


def test_names_look_like_the_region(uow: UnitOfWork) -> None:
    seed_demo(uow, households=60, rng_seed=5)
    names = [a.full_name for a in uow.session.scalars(select(Applicant))]
    assert any(not n.isascii() for n in names)  # accents survive
    assert any("-" in n for n in names)  # Haitian hyphenated names appear


def test_a_second_start_keeps_data_and_changes_passwords(uow: UnitOfWork) -> None:
    first = seed_demo(uow, households=5, rng_seed=3)
    second = seed_demo(uow, households=5, rng_seed=3)
    assert not second.created
    assert uow.session.scalar(select(func.count()).select_from(Household)) == 5
    old = {login.username: login.password for login in first.logins}
    assert all(login.password != old[login.username] for login in second.logins)


def test_demo_cases_are_screened_at_registration_and_today(uow: UnitOfWork) -> None:
    from movilidad.config import PROJECT_ROOT
    from movilidad.pathways.catalogue import load_catalogue
    from movilidad.screening.models import Screening, ScreeningReason

    report = seed_demo(
        uow, households=12, rng_seed=7, catalogue=load_catalogue(PROJECT_ROOT / "catalogue")
    )
    assert report.pathway_versions_added == 15
    reasons = list(uow.session.scalars(select(Screening.reason)))
    assert reasons.count(ScreeningReason.REGISTRATION) == 12
    assert reasons.count(ScreeningReason.CATALOGUE_CHANGE) == report.cases_rescreened
    again = seed_demo(
        uow, households=12, rng_seed=7, catalogue=load_catalogue(PROJECT_ROOT / "catalogue")
    )
    assert again.pathway_versions_added == 0
    assert again.cases_rescreened == 0  # nothing changed: no new screening


def test_the_intake_check_flags_the_demo_re_registrations_and_nobody_else(
    uow: UnitOfWork,
) -> None:
    from movilidad.identity.models import MatchCandidate
    from movilidad.seed.demo import DEMO_RE_REGISTRATIONS

    seed_demo(uow)
    pairs = uow.session.scalars(select(MatchCandidate)).all()
    assert len(pairs) == DEMO_RE_REGISTRATIONS
    for pair in pairs:
        first, again = pair.applicant, pair.other_applicant
        assert pair.band == "likely_duplicate"
        assert (first.date_of_birth, first.phone) == (again.date_of_birth, again.phone)
        assert again.given_names == first.given_names.split()[0]
        assert again.second_surname is None


def test_every_office_gets_valid_phone_numbers_whatever_the_seed(uow: UnitOfWork) -> None:
    # Seed 3 once drew 20 invalid Ecuadorian numbers in a row.
    report = seed_demo(uow, households=60, rng_seed=3)
    assert report.created
    phones = list(uow.session.scalars(select(Applicant.phone).where(Applicant.phone.is_not(None))))
    assert any(phone.startswith("+593") for phone in phones)
