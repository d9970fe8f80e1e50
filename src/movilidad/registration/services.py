"""Checking the people an applicant registers, and submitting the household as a case.

Submission is idempotent: the pre-check row is locked (``SELECT … FOR UPDATE``; SQLite
serialises writers), and once it names a case every later submission returns that
case. The access code is shown once and stored only as an argon2id hash.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import pycountry
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY
from sqlalchemy import select

from movilidad.applicants.models import (
    Applicant,
    DocumentType,
    IdentityDocument,
    Sex,
    clean_name,
    normalize_document_number,
)
from movilidad.audit.services import record_event
from movilidad.cases.models import Case
from movilidad.cases.repository import CaseRepository
from movilidad.cases.services import open_case
from movilidad.db.uow import UnitOfWork
from movilidad.documents.services import discard_draft_files, draft_file
from movilidad.households.models import Household, Relationship
from movilidad.identity.indicators import network_index
from movilidad.identity.intake import check_case
from movilidad.identity.model import current_model
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.clock import utcnow
from movilidad.kernel.contact import (
    InvalidEmail,
    InvalidPhone,
    can_receive_sms,
    normalize_email,
    normalize_phone,
)
from movilidad.kernel.countries import InvalidCountry, validate_alpha3
from movilidad.kernel.dates import is_iso_date
from movilidad.kernel.references import ALPHABET
from movilidad.notifications.models import NotificationKind
from movilidad.notifications.services import JobSender, queue_notification
from movilidad.offices.models import Office
from movilidad.pathways.catalogue import Catalogue
from movilidad.precheck.models import PrecheckSession
from movilidad.screening.models import ScreeningReason
from movilidad.screening.services import screen_case

MAX_NAME = 100
MAX_MEMBERS = 12
ACCESS_CODE_LENGTH = 12  # 31**12 ≈ 7.9e17 possible codes
MEMBER_RELATIONSHIPS: Final = (
    Relationship.SPOUSE,
    Relationship.COMMON_LAW_PARTNER,
    Relationship.CHILD,
    Relationship.STEPCHILD,
    Relationship.GRANDCHILD,
    Relationship.PARENT,
)
CHANNELS: Final = ("sms", "email")
_hasher = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)


def _(message: str) -> str:
    return message


#: Error codes → messages (English msgids, translated where shown).
ERRORS: Final = {
    "required": _("Fill in this field."),
    "too_long": _("This is too long."),
    "control": _("Remove the special characters."),
    "date": _("Enter a real date, for example 2019-03-25."),
    "future": _("This date cannot be in the future."),
    "choose": _("Choose an answer."),
    "country": _("Choose a country from the list."),
    "phone": _(
        "This phone number does not exist. Include the country code if it is not from here."
    ),
    "email": _("This e-mail address is not valid."),
    "contact": _("Give a phone number or an e-mail address, so that we can reach you."),
    "channel": _("Choose how we should contact you, and give that phone or e-mail."),
    "older_than_parent": _("A child cannot be older than the main applicant."),
    "too_close_to_parent": _(
        "Check the date: a child or grandchild must be much younger than the main applicant."
    ),
    "too_young_partner": _("Check the date: a husband, wife or partner cannot be a child."),
    "no_sms": _("This number cannot receive text messages. Give a mobile number or choose e-mail."),
    "younger_than_child": _("A parent cannot be younger than the main applicant."),
    "too_many": _("You can register up to 12 people with you."),
    "partner_twice": _("You can add only one spouse or partner."),
    "document_type": _("Choose the type of document, or leave the document part empty."),
    "document_number": _("Write the number as it is on the document."),
    "too_large": _("This file is too big. Send a photo or a PDF of up to 8 MB."),
    "file_type": _("Send a photo (JPEG or PNG) or a PDF file."),
    "damaged": _("We cannot open this file. Take the photo again or choose another file."),
}
MAX_DOCUMENT_NUMBER = 40
#: Plausibility checks on ages, in whole years: a child is at least 12 years younger
#: than the main applicant (parent), a grandchild 24; a partner is at least 14 today.
MIN_GAP: Final = {"child": 12, "grandchild": 24}
MIN_PARTNER_AGE: Final = 14


@dataclass(frozen=True)
class Checked:
    person: dict[str, Any]
    errors: dict[str, str]


def _name(raw: Any, required: bool, errors: dict[str, str], field: str) -> str:
    text = clean_name(raw if isinstance(raw, str) else "")
    if not text:
        if required:
            errors[field] = "required"
        return ""
    if len(text) > MAX_NAME:
        errors[field] = "too_long"
    elif any(not ch.isprintable() for ch in text) or any(ch in text for ch in "<>{}[]\\|"):
        errors[field] = "control"
    return text


def check_person(
    raw: dict[str, Any],
    *,
    principal: bool,
    office_alpha2: str,
    today: date,
    principal_birth: str | None = None,
) -> Checked:
    """Validate one person from a form. Returns the cleaned person and a dict of
    field → error code (empty when valid)."""  # fmt: skip
    errors: dict[str, str] = {}
    person: dict[str, Any] = {
        "given_names": _name(raw.get("given_names"), True, errors, "given_names"),
        "first_surname": _name(raw.get("first_surname"), False, errors, "first_surname"),
        "second_surname": _name(raw.get("second_surname"), False, errors, "second_surname"),
    }
    born = str(raw.get("date_of_birth") or "")
    if not is_iso_date(born) or born < "1900-01-01":
        errors["date_of_birth"] = "date"
    elif date.fromisoformat(born) > today:
        errors["date_of_birth"] = "future"
    person["date_of_birth"] = born
    sex = str(raw.get("sex") or "")
    if sex not in {s.value for s in Sex}:
        errors["sex"] = "choose"
    person["sex"] = sex
    nationality = str(raw.get("nationality") or "").upper()
    try:
        person["nationality"] = validate_alpha3(nationality)
    except InvalidCountry:
        errors["nationality"] = "country"
        person["nationality"] = ""
    _document(raw, person, errors)
    if principal:
        _contact(raw, person, errors, office_alpha2)
    else:
        relationship = str(raw.get("relationship") or "")
        if relationship not in {r.value for r in MEMBER_RELATIONSHIPS}:
            errors["relationship"] = "choose"
        elif principal_birth and "date_of_birth" not in errors:
            younger = relationship in ("child", "stepchild", "grandchild")
            gap = _years_between(principal_birth, born)
            if younger and born < principal_birth:
                errors["date_of_birth"] = "older_than_parent"
            elif relationship in ("child", "grandchild") and gap < MIN_GAP[relationship]:
                errors["date_of_birth"] = "too_close_to_parent"
            if relationship == "parent" and (born > principal_birth or -gap < MIN_GAP["child"]):
                errors["date_of_birth"] = "younger_than_child"
            partners = (Relationship.SPOUSE.value, Relationship.COMMON_LAW_PARTNER.value)
            if (
                relationship in partners
                and _years_between(born, today.isoformat()) < MIN_PARTNER_AGE
            ):
                errors["date_of_birth"] = "too_young_partner"
        person["relationship"] = relationship
    return Checked(person, errors)


def _years_between(earlier: str, later: str) -> int:
    """Whole years from ``earlier`` to ``later`` (ISO dates; negative if reversed)."""
    first, second = date.fromisoformat(earlier), date.fromisoformat(later)
    sign = 1 if second >= first else -1
    low, high = (first, second) if sign == 1 else (second, first)
    years = high.year - low.year - ((high.month, high.day) < (low.month, low.day))
    return sign * years


def _document(raw: dict[str, Any], person: dict[str, Any], errors: dict[str, str]) -> None:
    """An identity document is optional; once its type or number is given, the type,
    number and issuing country are all needed."""
    kind = str(raw.get("document_type") or "")
    number = str(raw.get("document_number") or "").strip()
    issuer = str(raw.get("document_country") or "").upper()
    person["document_type"] = kind
    person["document_number"] = number[: MAX_DOCUMENT_NUMBER * 2]
    person["document_country"] = issuer[:3]
    if not kind and not number:
        person["document_country"] = ""
        return
    if kind not in {t.value for t in DocumentType}:
        errors["document_type"] = "document_type"
    if len(number) > MAX_DOCUMENT_NUMBER:
        errors["document_number"] = "too_long"
    elif any(not ch.isprintable() for ch in number) or any(ch in number for ch in "<>{}\\"):
        errors["document_number"] = "control"
    elif not normalize_document_number(number):
        errors["document_number"] = "document_number"
    try:
        person["document_country"] = validate_alpha3(issuer)
    except InvalidCountry:
        errors["document_country"] = "country"


def _contact(
    raw: dict[str, Any], person: dict[str, Any], errors: dict[str, str], region: str
) -> None:
    phone_text = str(raw.get("phone") or "").strip()[:40]
    email_text = str(raw.get("email") or "").strip()[:254]
    person["phone"] = person["email"] = ""
    if phone_text:
        try:
            person["phone"] = normalize_phone(phone_text, region)
        except InvalidPhone:
            errors["phone"] = "phone"
    if email_text:
        try:
            person["email"] = normalize_email(email_text)
        except InvalidEmail:
            errors["email"] = "email"
    if not phone_text and not email_text:
        errors["phone"] = "contact"
    channel = str(raw.get("channel") or "")
    person["channel"] = channel
    if channel == "sms" and person["phone"] and not can_receive_sms(person["phone"]):
        errors.setdefault("phone", "no_sms")
    if (
        channel not in CHANNELS
        or (channel == "sms" and not phone_text)
        or (channel == "email" and not email_text)
    ):
        errors.setdefault("channel", "channel")


def alpha2(alpha3: str) -> str:
    country = pycountry.countries.get(alpha_3=alpha3)
    return str(country.alpha_2) if country is not None else ""


def new_access_code() -> str:
    """12 random symbols from the reference alphabet, in groups of four."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(ACCESS_CODE_LENGTH))
    return "-".join(code[i : i + 4] for i in range(0, ACCESS_CODE_LENGTH, 4))


def hash_access_code(code: str) -> str:
    return _hasher.hash(normalize_access_code(code))


def normalize_access_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def verify_access_code(stored_hash: str | None, code: str) -> bool:
    """True when ``code`` (as typed: any case, spaces or dashes) matches."""
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, normalize_access_code(code))
    except (VerificationError, InvalidHashError):
        return False


def _applicant(person: dict[str, Any], office: Office, language: str, today: date) -> Applicant:
    applicant = Applicant.register(
        given_names=person["given_names"],
        first_surname=person["first_surname"],
        second_surname=person["second_surname"] or None,
        date_of_birth=date.fromisoformat(person["date_of_birth"]),
        sex=Sex(person["sex"]),
        nationalities=[person["nationality"]],
        current_country=office.country,
        preferred_language=language,
        phone_e164=person.get("phone") or None,
        email=person.get("email") or None,
        today=today,
    )
    applicant.contact_channel = person.get("channel") or None
    if person.get("document_type"):
        applicant.documents.append(
            IdentityDocument.record(
                type=DocumentType(person["document_type"]),
                number=person["document_number"],
                issuing_country=person["document_country"],
            )
        )
    return applicant


def _attach_files(
    uow: UnitOfWork, precheck_id: int, people: list[tuple[dict[str, Any], Applicant]]
) -> None:
    """Move each person's uploaded scan from the draft to their identity document."""
    uow.session.flush()
    for person, applicant in people:
        stored = draft_file(uow, precheck_id, person.get("document_file"))
        if stored is not None and applicant.documents:
            stored.document_id = applicant.documents[0].id
            stored.precheck_id = None
    discard_draft_files(uow, precheck_id, keep=set())


def submit_registration(
    uow: UnitOfWork,
    precheck_id: int,
    *,
    office: Office,
    catalogue: Catalogue,
    language: str,
    today: date,
    screening_date: date,
    jobs: JobSender | None = None,
    client_address: str | None = None,
) -> tuple[Case, bool]:
    """Create the applicants, household and case from a complete draft, screen it,
    remember the access code to show once, and queue the confirmation message on the
    chosen channel (sent by ``jobs`` after the commit; it never carries the code).
    ``client_address`` (the submitting client's IP address) is kept only as a blind
    index, for the fraud indicators. Runs the intake check
    (:func:`movilidad.identity.intake.check_case`): possible earlier registrations of the
    same people are stored for staff review; nothing of it changes what the applicant
    sees. Returns (case, created); a second call for the
    same pre-check returns the first case with created=False."""
    precheck = uow.session.scalars(
        select(PrecheckSession)
        .where(PrecheckSession.id == precheck_id)
        .with_for_update(of=PrecheckSession)
    ).one()
    if precheck.case_id is not None:
        existing = uow.session.get(Case, precheck.case_id)
        assert existing is not None
        return existing, False
    draft = precheck.registration or {}
    principal = _applicant(draft["principal"], office, language, today)
    people = [(draft["principal"], principal)]
    household = Household.form(principal)
    for member in draft.get("members", []):
        applicant = _applicant(member, office, language, today)
        people.append((member, applicant))
        household.add_member(applicant, Relationship(member["relationship"]))
    household.answers = dict(precheck.answers)
    uow.session.add(household)
    case = open_case(uow, household=household, office=office)
    case.submission_network = network_index(client_address)
    code = new_access_code()
    case.access_code_hash = hash_access_code(code)
    precheck.consent.household = household
    precheck.case_id = case.id
    precheck.pending_access_code = code
    record_event(
        uow.session, action="case.submit", object_type="case", object_id=case.id,
        actor_kind=ActorKind.APPLICANT, office_id=office.id,
        detail={"members": len(household.members), "channel": draft["principal"]["channel"]},
    )  # fmt: skip
    _attach_files(uow, precheck.id, people)
    precheck.registration = {}  # the draft is now the case: keep no second copy
    screen_case(uow, case, catalogue, as_of=screening_date, reason=ScreeningReason.REGISTRATION)
    # The intake check: possible earlier registrations of these people, for staff only.
    check_case(uow, case, current_model(), utcnow())
    queue_notification(
        uow, jobs, case, NotificationKind.REGISTRATION_RECEIVED, key=f"registration:{case.id}"
    )
    return case, True


def case_of(uow: UnitOfWork, precheck: PrecheckSession) -> Case | None:
    return (
        CaseRepository(uow.session).get_case_by_id(precheck.case_id) if precheck.case_id else None
    )
