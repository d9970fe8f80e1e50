"""Recording consent to a recipient, and referring a case with a package that holds
only what the recipient receives and the pathway needs.

Rules (IOM Data Protection Principle 5, UNHCR DPP; ``shared`` reference section e):
a package goes only to a recipient authorised for the office's country and the
pathway, only with the household's consent to that recipient not withdrawn, and a
government never receives the data of its own nationals without specific consent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from movilidad.applicants.models import Applicant
from movilidad.audit.services import record_event
from movilidad.cases.models import Case, CaseStatus
from movilidad.cases.services import transition_case
from movilidad.db.uow import UnitOfWork
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.clock import utcnow
from movilidad.kernel.errors import DomainError
from movilidad.kernel.permissions import Permission
from movilidad.pathways.catalogue import Catalogue
from movilidad.referrals.models import Referral, ReferralConsent
from movilidad.referrals.recipients import Recipient

PACKAGE_FORMAT = "movilidad.referral/1"


class ReferralRefused(DomainError):
    """The referral cannot be made. ``reason``: ``not_authorised`` (recipient not
    authorised for this office or pathway), ``no_consent``, ``government_consent``
    (the recipient is the government of a household member's country and the
    household did not give that specific consent) or ``pathway`` (not in force)."""

    code = "referral_refused"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def household_nationalities(case: Case) -> set[str]:
    people = [case.household.principal, *(m.applicant for m in case.household.members)]
    return {code for person in people for code in person.nationalities}


def active_consent(uow: UnitOfWork, case_id: int, recipient_id: str) -> ReferralConsent | None:
    """The newest consent of the case to ``recipient_id`` that was not withdrawn."""
    return uow.session.scalar(
        select(ReferralConsent)
        .where(ReferralConsent.case_id == case_id, ReferralConsent.recipient_id == recipient_id,
               ReferralConsent.withdrawn_at.is_(None))
        .order_by(ReferralConsent.id.desc())
        .limit(1)
    )  # fmt: skip


def consents_of_case(uow: UnitOfWork, case_id: int) -> list[ReferralConsent]:
    """Every consent of the case, newest first (withdrawn ones included)."""
    return list(
        uow.session.scalars(
            select(ReferralConsent).where(ReferralConsent.case_id == case_id)
            .order_by(ReferralConsent.id.desc())
        )
    )  # fmt: skip


def record_consent(
    uow: UnitOfWork,
    case: Case,
    recipient: Recipient,
    *,
    notice_version: str,
    specific_government: bool,
    staff_id: int,
) -> ReferralConsent:
    """Record that the household agreed to share with ``recipient`` (told, at
    interview, what the notice ``notice_version`` says). Raises
    :class:`ReferralRefused` (``not_authorised``) when the recipient does not serve the
    case's office country."""
    if case.office.country not in recipient.countries:
        raise ReferralRefused("not_authorised")
    consent = ReferralConsent(
        case_id=case.id, recipient_id=recipient.id, notice_version=notice_version,
        specific_government=specific_government, recorded_by_staff_id=staff_id,
    )  # fmt: skip
    uow.session.add(consent)
    uow.session.flush()
    record_event(
        uow.session, action="consent.record", object_type="case", object_id=case.id,
        actor_kind=ActorKind.STAFF, actor_staff_id=staff_id, office_id=case.office_id,
        detail={"recipient": recipient.id, "notice": notice_version,
                "specific_government": specific_government},
    )  # fmt: skip
    return consent


def withdraw_consent(uow: UnitOfWork, case: Case, consent_id: int, *, staff_id: int) -> bool:
    """Mark a consent of ``case`` withdrawn (packages already sent stay recorded).
    Returns False when there is no such active consent."""
    consent = uow.session.get(ReferralConsent, consent_id)
    if consent is None or consent.case_id != case.id or consent.withdrawn_at is not None:
        return False
    consent.withdrawn_at = utcnow()
    record_event(
        uow.session, action="consent.withdraw", object_type="case", object_id=case.id,
        actor_kind=ActorKind.STAFF, actor_staff_id=staff_id, office_id=case.office_id,
        detail={"recipient": consent.recipient_id, "consent": consent.id},
    )  # fmt: skip
    return True


def _person(applicant: Applicant, relationship: str, shares: frozenset[str]) -> dict[str, Any]:
    person: dict[str, Any] = {"relationship": relationship}
    if "identity" in shares:
        person.update(
            given_names=applicant.given_names,
            first_surname=applicant.first_surname,
            second_surname=applicant.second_surname or "",
            date_of_birth=applicant.date_of_birth.isoformat(),
            sex=applicant.sex.value,
            nationalities=applicant.nationalities,
        )
    if "documents" in shares:
        person["documents"] = [
            {"type": d.type.value, "number": d.number, "issuing_country": d.issuing_country}
            for d in applicant.documents
        ]
    return person


def build_package(
    case: Case, recipient: Recipient, catalogue: Catalogue, pathway_id: str, as_of: date
) -> dict[str, Any]:
    """The referral package as a JSON-ready dict: case reference, pathway and version,
    the people with only the categories the recipient receives, and, if it receives
    answers, only the answers the pathway version's criteria read. Raises
    :class:`ReferralRefused` (``pathway``) when no version is in force on ``as_of``."""
    pathway = catalogue.pathways.get(pathway_id)
    version = pathway.version_on(as_of) if pathway else None
    if pathway is None or version is None:
        raise ReferralRefused("pathway")
    shares = recipient.shares
    household = case.household
    people = [_person(household.principal, "principal_applicant", shares)]
    people += [_person(m.applicant, m.relationship.value, shares) for m in household.members]
    package: dict[str, Any] = {
        "format": PACKAGE_FORMAT,
        "case_reference": case.display_reference,
        "office": {"city": case.office.city, "country": case.office.country},
        "recipient": recipient.id,
        "pathway": {"id": pathway.id, "version": version.version,
                    "name": pathway.names.get("en", pathway.id)},
        "prepared_on": as_of.isoformat(),
        "shares": sorted(shares),
        "people": people,
    }  # fmt: skip
    if "contact" in shares:
        principal = household.principal
        package["contact"] = {"phone": principal.phone or "", "email": principal.email or "",
                              "language": principal.preferred_language}  # fmt: skip
    if "answers" in shares:
        needed = {fact for criterion in version.criteria for fact in criterion.facts}
        package["answers"] = {k: v for k, v in sorted(household.answers.items()) if k in needed}
    return package


@dataclass(frozen=True)
class ReferralDraft:
    recipient: Recipient
    pathway_id: str


def refer_case(
    uow: UnitOfWork,
    case: Case,
    draft: ReferralDraft,
    *,
    catalogue: Catalogue,
    as_of: date,
    expected_version: int,
    staff_id: int,
    permissions: frozenset[Permission],
    note: str = "",
    request_id: str | None = None,
) -> Referral:
    """Refer ``case`` to ``draft.recipient`` for ``draft.pathway_id``: check the rules,
    store the package, and move the case to ``referred`` (optimistic lock on
    ``expected_version``). Raises :class:`ReferralRefused`, and whatever
    :func:`~movilidad.cases.services.transition_case` raises."""
    recipient = draft.recipient
    if case.office.country not in recipient.countries or draft.pathway_id not in recipient.pathways:
        raise ReferralRefused("not_authorised")
    consent = active_consent(uow, case.id, recipient.id)
    if consent is None:
        raise ReferralRefused("no_consent")
    if (
        recipient.needs_specific_consent(household_nationalities(case))
        and not consent.specific_government
    ):
        raise ReferralRefused("government_consent")
    package = build_package(case, recipient, catalogue, draft.pathway_id, as_of)
    transition_case(
        uow, case, new_status=CaseStatus.REFERRED, expected_version=expected_version,
        actor_staff_id=staff_id, actor_permissions=permissions, pathway_id=draft.pathway_id,
        note=note, request_id=request_id,
    )  # fmt: skip
    canonical = json.dumps(package, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    referral = Referral(
        case_id=case.id, recipient_id=recipient.id, pathway_id=draft.pathway_id,
        pathway_version=package["pathway"]["version"], consent_id=consent.id, package=package,
        package_sha256=hashlib.sha256(canonical.encode()).hexdigest(), created_by_staff_id=staff_id,
    )  # fmt: skip
    uow.session.add(referral)
    uow.session.flush()
    record_event(
        uow.session, action="referral.create", object_type="referral", object_id=referral.id,
        actor_kind=ActorKind.STAFF, actor_staff_id=staff_id, office_id=case.office_id,
        request_id=request_id,
        detail={"case": case.id, "recipient": recipient.id, "pathway": draft.pathway_id,
                "sha256": referral.package_sha256, "shares": sorted(recipient.shares)},
    )  # fmt: skip
    return referral


def referrals_of_case(uow: UnitOfWork, case_id: int) -> list[Referral]:
    return list(
        uow.session.scalars(
            select(Referral).where(Referral.case_id == case_id).order_by(Referral.id.desc())
        )
    )


def referrals_to(uow: UnitOfWork, recipient_id: str, *, limit: int = 200) -> list[Referral]:
    """The referrals sent to one organisation, newest first (what its liaison sees)."""
    return list(
        uow.session.scalars(
            select(Referral).where(Referral.recipient_id == recipient_id)
            .order_by(Referral.id.desc()).limit(limit)
        )
    )  # fmt: skip


def referral_to(uow: UnitOfWork, recipient_id: str, referral_id: int) -> Referral | None:
    """One referral, only if it was sent to ``recipient_id``."""
    referral = uow.session.get(Referral, referral_id)
    return referral if referral is not None and referral.recipient_id == recipient_id else None
