from __future__ import annotations

import pytest

from movilidad.kernel.contact import InvalidEmail, InvalidPhone, normalize_email, normalize_phone


@pytest.mark.parametrize(
    ("typed", "region", "e164"),
    [
        ("310 555 0199", "CO", "+573105550199"),
        ("+506 8312 3456", "CO", "+50683123456"),
        ("(509) 3700-1234", None, None),
        ("+509 3700 1234", None, "+50937001234"),
    ],
)
def test_phone_numbers_become_e164(typed: str, region: str | None, e164: str | None) -> None:
    if e164 is None:
        with pytest.raises(InvalidPhone):
            normalize_phone(typed, region)
    else:
        assert normalize_phone(typed, region) == e164


def test_invalid_phone_is_refused() -> None:
    with pytest.raises(InvalidPhone):
        normalize_phone("12", "CO")


def test_email_is_trimmed_and_lower_cased() -> None:
    assert normalize_email("  Rosa.Pérez@Example.ORG ") == "rosa.pérez@example.org"
    with pytest.raises(InvalidEmail):
        normalize_email("not-an-address")
