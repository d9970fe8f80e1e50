"""The rules of a referral: authorised recipient, consent, and never a household's own
government without that specific consent."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from movilidad.cases.models import Case, CaseStatus
from movilidad.config import PROJECT_ROOT
from movilidad.db.uow import UnitOfWork
from movilidad.kernel.permissions import ROLE_PERMISSIONS, RoleName
from movilidad.pathways.catalogue import load_catalogue
from movilidad.referrals.recipients import load_recipients
from movilidad.referrals.services import (
    ReferralDraft,
    ReferralRefused,
    record_consent,
    refer_case,
)
from movilidad.staff.models import StaffUser
from tests.functional.staff.helpers import build_world

CATALOGUE = load_catalogue(PROJECT_ROOT / "catalogue")
RECIPIENTS = load_recipients(PROJECT_ROOT / "notices", set(CATALOGUE.pathways))
PERMISSIONS = ROLE_PERMISSIONS[RoleName.SUPERVISOR]


def _guatemalan_case_in_guatemala(uow: UnitOfWork, case_id: int) -> Case:
    case = uow.session.get(Case, case_id)
    assert case is not None
    case.office.country = "GTM"  # the Guatemala exception applies to Guatemalans there
    case.household.principal.set_nationalities(["GTM"])
    case.status = CaseStatus.INTERVIEWED
    uow.session.flush()
    return case


def test_a_government_needs_the_households_specific_consent(
    session_factory: sessionmaker[Session],
) -> None:
    world = build_world(session_factory)
    government = RECIPIENTS.get("gtm-igm")
    assert government is not None
    with UnitOfWork(session_factory) as uow:
        case = _guatemalan_case_in_guatemala(uow, world.case_bogota.id)
        staff = uow.session.query(StaffUser).first()
        assert staff is not None
        record_consent(uow, case, government, notice_version="2026-11",
                       specific_government=False, staff_id=staff.id)  # fmt: skip
        draft = ReferralDraft(government, "us-usrap")
        with pytest.raises(ReferralRefused) as refused:
            refer_case(uow, case, draft, catalogue=CATALOGUE, as_of=date(2024, 6, 1),
                       expected_version=case.version, staff_id=staff.id,
                       permissions=PERMISSIONS)  # fmt: skip
        assert refused.value.reason == "government_consent"
        record_consent(uow, case, government, notice_version="2026-11",
                       specific_government=True, staff_id=staff.id)  # fmt: skip
        referral = refer_case(uow, case, draft, catalogue=CATALOGUE, as_of=date(2024, 6, 1),
                              expected_version=case.version, staff_id=staff.id,
                              permissions=PERMISSIONS)  # fmt: skip
        assert referral.package["shares"] == ["identity"]  # names and dates, nothing else
        assert "answers" not in referral.package
        assert "contact" not in referral.package
        assert "documents" not in referral.package["people"][0]


def test_a_recipient_not_authorised_for_the_office_or_pathway_is_refused(
    session_factory: sessionmaker[Session],
) -> None:
    world = build_world(session_factory)
    with UnitOfWork(session_factory) as uow:
        case = uow.session.get(Case, world.case_lima.id)  # Peru: no recipient serves it
        assert case is not None
        staff = uow.session.query(StaffUser).first()
        assert staff is not None
        rsc = RECIPIENTS.get("rsc-latam")
        assert rsc is not None
        with pytest.raises(ReferralRefused):
            record_consent(uow, case, rsc, notice_version="2026-11",
                           specific_government=False, staff_id=staff.id)  # fmt: skip
        case.status = CaseStatus.INTERVIEWED
        with pytest.raises(ReferralRefused) as refused:
            refer_case(uow, case, ReferralDraft(rsc, "ca-family"), catalogue=CATALOGUE,
                       as_of=date(2024, 6, 1), expected_version=case.version,
                       staff_id=staff.id, permissions=PERMISSIONS)  # fmt: skip
        assert refused.value.reason == "not_authorised"


def test_the_recipients_file_is_complete_in_every_language() -> None:
    assert {"rsc-latam", "uscis", "ircc", "accem", "gtm-igm", "us-dol-h2"} <= set(RECIPIENTS.by_id)
    for recipient in RECIPIENTS.by_id.values():
        assert recipient.sources
        assert all(recipient.names[lang] for lang in ("es", "en", "fr", "ht", "pt"))
