"""Applicant, nationality and identity document entities.

Names are stored exactly as the person writes them (Unicode, accents, apostrophes,
hyphens, one-word names): nothing is folded or upper-cased when storing. Phone,
e-mail and document numbers are encrypted at rest, each with a blind index for exact
look-ups (see :mod:`movilidad.kernel.crypto`).
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from movilidad.db.base import Base, str_enum
from movilidad.db.types import EncryptedText, UTCDateTime
from movilidad.kernel.clock import utcnow
from movilidad.kernel.countries import validate_alpha3
from movilidad.kernel.crypto import get_cipher
from movilidad.kernel.errors import DomainError
from movilidad.kernel.languages import is_supported

PHONE_INDEX = "applicant.phone"
EMAIL_INDEX = "applicant.email"
DOCUMENT_INDEX = "identity_document.number"


class Sex(StrEnum):
    """Sex as recorded on travel documents (ICAO 9303: F, M, X)."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class DocumentType(StrEnum):
    PASSPORT = "passport"
    NATIONAL_ID = "national_id"
    BIRTH_CERTIFICATE = "birth_certificate"
    RESIDENCE_PERMIT = "residence_permit"
    REFUGEE_OR_ASYLUM_ID = "refugee_or_asylum_id"
    TRAVEL_DOCUMENT = "travel_document"
    OTHER = "other"


class InvalidName(DomainError):
    code = "invalid_name"


def clean_name(text: str) -> str:
    """Trim and collapse inner whitespace, NFC-normalise; keep case and accents as typed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def search_key(text: str) -> str:
    """Text as compared by name search: accents removed, case folded, apostrophes and
    hyphens as spaces, spaces collapsed (``"María-José D'Ávila"`` → ``"maria jose d avila"``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    for mark in ("'", "’", "-", "‐", ".", ","):
        letters = letters.replace(mark, " ")
    return " ".join(letters.split())


def normalize_document_number(text: str) -> str:
    """Document number as compared: upper case, letters and digits only (``ab-12 3`` →
    ``AB123``)."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


class ApplicantNationality(Base):
    __tablename__ = "applicant_nationalities"

    applicant_id: Mapped[int] = mapped_column(
        ForeignKey("applicants.id", ondelete="CASCADE"), primary_key=True
    )
    country: Mapped[str] = mapped_column(String(3), primary_key=True, index=True)


class Applicant(Base):
    """A person who applies, as principal applicant or household member.

    Dates are calendar dates (ISO 8601); ``nationalities``, ``country_of_birth`` and
    ``current_country`` are ISO 3166-1 alpha-3; ``preferred_language`` ISO 639-1;
    ``phone`` E.164.
    """

    __tablename__ = "applicants"

    id: Mapped[int] = mapped_column(primary_key=True)
    given_names: Mapped[str] = mapped_column(String(200))
    first_surname: Mapped[str] = mapped_column(String(200), default="")
    second_surname: Mapped[str | None] = mapped_column(String(200))
    other_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: All names in :func:`search_key` form, for accent-insensitive search.
    search_name: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    date_of_birth: Mapped[date] = mapped_column(Date, index=True)
    sex: Mapped[Sex] = mapped_column(str_enum(Sex, "sex"))
    country_of_birth: Mapped[str | None] = mapped_column(String(3))
    current_country: Mapped[str] = mapped_column(String(3))
    preferred_language: Mapped[str] = mapped_column(String(8))
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    email: Mapped[str | None] = mapped_column(EncryptedText)
    email_index: Mapped[str | None] = mapped_column(String(64), index=True)
    #: How the applicant asked to be contacted: ``sms`` or ``email`` (None: not asked).
    contact_channel: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    nationality_rows: Mapped[list[ApplicantNationality]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    documents: Mapped[list[IdentityDocument]] = relationship(
        back_populates="applicant",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="IdentityDocument.id",
    )

    @property
    def nationalities(self) -> list[str]:
        """ISO 3166-1 alpha-3 codes, sorted."""
        return sorted(row.country for row in self.nationality_rows)

    @property
    def full_name(self) -> str:
        """Given names then surnames, as the person writes them."""
        parts = [self.given_names, self.first_surname, self.second_surname or ""]
        return " ".join(p for p in parts if p)

    @classmethod
    def register(
        cls,
        *,
        given_names: str,
        first_surname: str,
        second_surname: str | None,
        date_of_birth: date,
        sex: Sex,
        nationalities: list[str],
        current_country: str,
        preferred_language: str,
        country_of_birth: str | None = None,
        other_names: list[str] | None = None,
        phone_e164: str | None = None,
        email: str | None = None,
        today: date | None = None,
    ) -> Applicant:
        """Validate and build an applicant.

        A one-word name goes in ``given_names`` with ``first_surname`` empty. Raises
        :class:`InvalidName`, :class:`~movilidad.kernel.countries.InvalidCountry` or
        :class:`DomainError` (date of birth in the future, unsupported language, no
        nationality).
        """
        given = clean_name(given_names)
        first = clean_name(first_surname)
        second = clean_name(second_surname) if second_surname else None
        if not given and not first:
            raise InvalidName("a name is required")
        if date_of_birth > (today or utcnow().date()):
            raise DomainError("the date of birth is in the future")
        if not nationalities:
            raise DomainError("at least one nationality is required (use XXX when stateless)")
        if not is_supported(preferred_language):
            raise DomainError(f"unsupported language {preferred_language!r}")
        applicant = cls(
            given_names=given,
            first_surname=first,
            second_surname=second or None,
            other_names=[clean_name(n) for n in other_names or [] if clean_name(n)],
            date_of_birth=date_of_birth,
            sex=sex,
            country_of_birth=validate_alpha3(country_of_birth) if country_of_birth else None,
            current_country=validate_alpha3(current_country),
            preferred_language=preferred_language,
        )
        applicant.set_nationalities(nationalities)
        applicant.set_contact(phone_e164=phone_e164, email=email)
        applicant.search_name = search_key(" ".join([applicant.full_name, *applicant.other_names]))
        return applicant

    def set_nationalities(self, codes: list[str]) -> None:
        """Replace the nationalities with ``codes`` (alpha-3; duplicates ignored)."""
        wanted = {validate_alpha3(c) for c in codes}
        self.nationality_rows = [ApplicantNationality(country=c) for c in sorted(wanted)]

    def set_contact(self, *, phone_e164: str | None, email: str | None) -> None:
        """Set phone (already E.164) and e-mail (already normalised), with blind indexes."""
        cipher = get_cipher()
        self.phone = phone_e164
        self.phone_index = cipher.blind_index(PHONE_INDEX, phone_e164) if phone_e164 else None
        self.email = email
        self.email_index = cipher.blind_index(EMAIL_INDEX, email) if email else None


class IdentityDocument(Base):
    """An identity document; ``number`` is encrypted, ``number_index`` finds it again."""

    __tablename__ = "identity_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(
        ForeignKey("applicants.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[DocumentType] = mapped_column(str_enum(DocumentType, "document_type"))
    number: Mapped[str] = mapped_column(EncryptedText)
    number_index: Mapped[str] = mapped_column(String(64), index=True)
    issuing_country: Mapped[str] = mapped_column(String(3))
    expires_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    applicant: Mapped[Applicant] = relationship(back_populates="documents")

    @classmethod
    def record(
        cls,
        *,
        type: DocumentType,
        number: str,
        issuing_country: str,
        expires_on: date | None = None,
    ) -> IdentityDocument:
        """Validate and build a document. The number is kept as typed (trimmed) and
        indexed in its normalised form. Raises :class:`DomainError`."""
        normalized = normalize_document_number(number)
        if not normalized:
            raise DomainError("the document number is empty")
        return cls(
            type=type,
            number=number.strip(),
            number_index=get_cipher().blind_index(DOCUMENT_INDEX, normalized),
            issuing_country=validate_alpha3(issuing_country),
            expires_on=expires_on,
        )
