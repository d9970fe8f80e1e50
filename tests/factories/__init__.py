"""Builders of valid entities for tests, one per context. Values are test-only."""

from __future__ import annotations

from datetime import date
from itertools import count

from movilidad.applicants.models import Applicant, DocumentType, IdentityDocument, Sex
from movilidad.households.models import Household, Relationship
from movilidad.offices.models import Office

_serial = count(1)


def make_office(**overrides: object) -> Office:
    n = next(_serial)
    values: dict[str, object] = {
        "code": f"test-office-{n}",
        "name": f"Test office {n}",
        "country": "PER",
        "city": "Arequipa",
        "time_zone": "America/Lima",
        "languages": ["es", "en"],
    }
    values.update(overrides)
    return Office.open(**values)  # type: ignore[arg-type]


def make_applicant(**overrides: object) -> Applicant:
    values: dict[str, object] = {
        "given_names": "Ñusta Lucía",
        "first_surname": "Quispe",
        "second_surname": "Mamani",
        "date_of_birth": date(1991, 2, 17),
        "sex": Sex.FEMALE,
        "nationalities": ["BOL"],
        "current_country": "PER",
        "preferred_language": "es",
    }
    values.update(overrides)
    return Applicant.register(**values)  # type: ignore[arg-type]


def make_document(**overrides: object) -> IdentityDocument:
    values: dict[str, object] = {
        "type": DocumentType.PASSPORT,
        "number": "zx 40-77 12",
        "issuing_country": "BOL",
    }
    values.update(overrides)
    return IdentityDocument.record(**values)  # type: ignore[arg-type]


def make_household(members: int = 1) -> Household:
    household = Household.form(make_applicant())
    for i in range(members):
        household.add_member(
            make_applicant(given_names=f"Inti {i}", date_of_birth=date(2015, 1, 1 + i)),
            Relationship.CHILD,
        )
    return household
