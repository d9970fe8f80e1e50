"""Staff accounts and sign-in through the real forms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from movilidad.applicants.models import DocumentType, IdentityDocument
from movilidad.appointments.windows import open_window
from movilidad.cases.models import Case
from movilidad.cases.services import open_case
from movilidad.db.uow import UnitOfWork
from movilidad.documents.models import DocumentFile
from movilidad.households.models import Household
from movilidad.kernel.clock import utcnow
from movilidad.kernel.permissions import RoleName
from movilidad.offices.models import Office
from movilidad.referrals.models import Referral, ReferralConsent
from movilidad.staff.models import StaffUser
from movilidad.staff.services import create_staff_user
from tests.factories import make_applicant, make_office

PASSWORD = "a long test passphrase"
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360606060000000050001a5f645400000000049454e44ae426082"
)
_HIDDEN = re.compile(r'name="(?P<name>[a-z_]+)" value="(?P<value>[^"]*)"')


def hidden_fields(html: str) -> dict[str, str]:
    return {m["name"]: m["value"] for m in _HIDDEN.finditer(html)}


@dataclass
class World:
    """Two offices in two countries, a case in each, and a user per role."""

    bogota: Office
    lima: Office
    case_bogota: Case
    case_lima: Case
    #: Case id → the id of a scan of its principal applicant's passport.
    scans: dict[int, int]
    #: Case id → the id of a referral package (Bogotá's to rsc-latam, Lima's to ircc).
    referrals: dict[int, int]
    #: Case id → the id of the household's consent behind that referral.
    consents: dict[int, int]
    #: Case id → the id of a request window (open now) of its office.
    windows: dict[int, int]


def build_world(factory: sessionmaker[Session]) -> World:
    with UnitOfWork(factory) as uow:
        bogota = make_office(code="t-bog", country="COL", city="Tunja", time_zone="America/Bogota")
        lima = make_office(code="t-lim", country="PER", city="Tacna", time_zone="America/Lima")
        uow.session.add_all([bogota, lima])
        uow.session.flush()
        cases = []
        scans: dict[int, int] = {}
        for office, name in ((bogota, "Dayana"), (lima, "Wilmer")):
            principal = make_applicant(given_names=name, nationalities=["VEN"],
                                       date_of_birth=date(1992, 3, 3))  # fmt: skip
            passport = IdentityDocument.record(
                type=DocumentType.PASSPORT, number=f"P-{name.upper()}-1", issuing_country="VEN"
            )
            principal.documents.append(passport)
            household = Household.form(principal)
            household.answers = {"status_in_current_country": "regular"}
            cases.append(open_case(uow, household=household, office=office))
            uow.session.flush()
            scan = DocumentFile(
                document_id=passport.id, content_type="image/png", size_bytes=len(TINY_PNG),
                data=TINY_PNG,
            )  # fmt: skip
            uow.session.add(scan)
            uow.session.flush()
            scans[cases[-1].id] = scan.id
        users = [
            ("cw.bog", RoleName.CASEWORKER, "t-bog", None),
            ("cw.lim", RoleName.CASEWORKER, "t-lim", None),
            ("sup.col", RoleName.SUPERVISOR, None, "COL"),
            ("mgr.bog", RoleName.OFFICE_MANAGER, "t-bog", None),
            ("liaison", RoleName.PARTNER_LIAISON, None, None),
            ("analyst", RoleName.DATA_ANALYST, None, None),
            ("admin", RoleName.ADMINISTRATOR, None, None),
        ]
        for username, role, office_code, country in users:
            create_staff_user(
                uow, username=username, full_name=username.title(), email=f"{username}@t.example",
                password=PASSWORD, role=role, office_code=office_code, country=country,
                organisation="rsc-latam" if role is RoleName.PARTNER_LIAISON else None,
            )  # fmt: skip
        uow.session.flush()
        author = uow.session.scalars(select(StaffUser.id)).first()
        referrals: dict[int, int] = {}
        consents: dict[int, int] = {}
        for case, recipient in ((cases[0], "rsc-latam"), (cases[1], "ircc")):
            consent = ReferralConsent(
                case_id=case.id, recipient_id=recipient, notice_version="2026-11",
                recorded_by_staff_id=author,
            )  # fmt: skip
            uow.session.add(consent)
            uow.session.flush()
            package = {"case_reference": case.display_reference, "people": [],
                       "pathway": {"id": "us-usrap", "version": "2023-06", "name": "USRAP"},
                       "office": {"city": case.office.city, "country": case.office.country},
                       "shares": ["identity"], "prepared_on": "2024-06-01"}  # fmt: skip
            referral = Referral(case_id=case.id, recipient_id=recipient, pathway_id="us-usrap",
                                pathway_version="2023-06", consent_id=consent.id,
                                package=package, package_sha256="0" * 64,
                                created_by_staff_id=author)  # fmt: skip
            uow.session.add(referral)
            uow.session.flush()
            referrals[case.id] = referral.id
            consents[case.id] = consent.id
        windows: dict[int, int] = {}
        for case in cases:
            now = utcnow()
            window = open_window(uow, case.office, opens_at=now - timedelta(hours=1),
                                 closes_at=now + timedelta(hours=1),
                                 slots_first=(now + timedelta(days=3)).date(),
                                 slots_last=(now + timedelta(days=4)).date())  # fmt: skip
            windows[case.id] = window.id
        uow.commit()
        return World(bogota, lima, cases[0], cases[1], scans, referrals, consents, windows)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str | None:
    """Sign in through the forms, enrolling TOTP on first use. Returns the TOTP secret
    (None for roles without a second factor)."""
    page = client.get("/staff/sign-in")
    fields = hidden_fields(page.text)
    response = client.post(
        "/staff/sign-in",
        data={**fields, "username": username, "password": password},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    if not response.headers["location"].startswith("/staff/two-factor"):
        return None
    enrol = client.get("/staff/two-factor")
    fields = hidden_fields(enrol.text)
    secret = fields["secret"]
    done = client.post(
        "/staff/two-factor",
        data={**fields, "code": pyotp.TOTP(secret).now()},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    return secret
