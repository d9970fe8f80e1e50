from __future__ import annotations

from datetime import date

import pytest

from movilidad.applicants.models import clean_name, normalize_document_number
from movilidad.kernel.countries import InvalidCountry
from movilidad.kernel.crypto import get_cipher
from movilidad.kernel.errors import DomainError
from tests.factories import make_applicant, make_document


def test_names_are_kept_as_written() -> None:
    applicant = make_applicant(
        given_names="  Marie-Ange  ", first_surname="D'Haïti", second_surname=None
    )
    assert applicant.given_names == "Marie-Ange"
    assert applicant.first_surname == "D'Haïti"
    assert applicant.second_surname is None
    assert applicant.full_name == "Marie-Ange D'Haïti"


def test_decomposed_accents_are_stored_composed() -> None:
    assert clean_name("Jose\u0301") == "José"


def test_a_one_word_name_is_accepted() -> None:
    applicant = make_applicant(given_names="Wiwi", first_surname="", second_surname=None)
    assert applicant.full_name == "Wiwi"


def test_a_missing_name_is_refused() -> None:
    with pytest.raises(DomainError, match="name is required"):
        make_applicant(given_names=" ", first_surname="")


def test_nationalities_are_alpha3_and_deduplicated() -> None:
    applicant = make_applicant(nationalities=["VEN", "COL", "VEN"])
    assert applicant.nationalities == ["COL", "VEN"]
    with pytest.raises(InvalidCountry):
        make_applicant(nationalities=["VE"])


def test_birth_in_the_future_is_refused() -> None:
    with pytest.raises(DomainError, match="future"):
        make_applicant(date_of_birth=date(2031, 1, 1), today=date(2026, 1, 1))


def test_contact_details_get_blind_indexes() -> None:
    applicant = make_applicant(phone_e164="+50937001234", email="rose@example.org")
    assert applicant.phone_index == get_cipher().blind_index("applicant.phone", "+50937001234")
    assert applicant.email_index is not None


def test_document_number_is_indexed_in_normal_form() -> None:
    document = make_document(number="zx 40-77 12")
    assert document.number == "zx 40-77 12"
    assert normalize_document_number(document.number) == "ZX407712"
    assert document.number_index == make_document(number="ZX407712").number_index


def test_empty_document_number_is_refused() -> None:
    with pytest.raises(DomainError, match="empty"):
        make_document(number=" - ")
