"""Phone numbers (E.164, via ``phonenumbers``) and e-mail addresses."""

from __future__ import annotations

import re

import phonenumbers

from movilidad.kernel.errors import DomainError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_CHARACTERS = frozenset("0123456789+-(). \u00a0")


class InvalidPhone(DomainError):
    code = "invalid_phone"


class InvalidEmail(DomainError):
    code = "invalid_email"


def normalize_phone(text: str, default_region: str | None = None) -> str:
    """Parse a phone number as typed and return it in E.164 (``+573001234567``).

    ``default_region`` is an ISO 3166-1 *alpha-2* code used when the number has no
    ``+`` country prefix (the office's country). Raises :class:`InvalidPhone` when the
    number cannot be parsed or is not a valid number for its country.
    """
    if any(ch not in _PHONE_CHARACTERS for ch in text):
        raise InvalidPhone("a phone number has digits, spaces and + - ( ) . only")
    text = text.strip()
    if text.startswith("00"):  # the international prefix used across Latin America
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid phone number for its country")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def can_receive_sms(e164: str) -> bool:
    """False for numbers known to be fixed lines (they cannot receive text messages);
    True for mobile numbers and for numbers whose kind the plan does not tell."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    kind = phonenumbers.number_type(number)
    return kind not in (
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.PREMIUM_RATE,
        phonenumbers.PhoneNumberType.SHARED_COST,
    )


def normalize_email(text: str) -> str:
    """Trim and lower-case an e-mail address; raises :class:`InvalidEmail` if malformed."""
    value = text.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise InvalidEmail("not an e-mail address")
    return value
