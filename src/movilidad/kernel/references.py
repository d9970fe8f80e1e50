"""Human-friendly reference codes for cases (and, later, appointment slips).

A reference is 8 random symbols and 1 check symbol, shown in groups of three:
``K7M-3QX-HPW``. Design:

* **Alphabet** of 31 symbols, ``23456789ABCDEFGHJKLMNPQRSTVWXYZ``: no ``0``/``O``,
  ``1``/``I`` (confused when read or heard) and no ``U`` (keeps words out, as in
  Crockford's Base32). 31 is prime, which the check relies on.
* **Check symbol**: positions are weighted 1..9 and the weighted sum of symbol values
  must be 0 modulo 31. A single wrong symbol at position *i* changes the sum by
  ``i·d`` and swapping neighbours changes it by ``±d`` (``d`` the difference of the two
  values, ``0 < |d| < 31``); since 31 is prime, neither is a multiple of 31, so **every
  single substitution and every adjacent transposition is detected**, the check
  symbol included. (The same argument as ISO 7064 pure systems.)
* **Not guessable**: the 8 body symbols come from :mod:`secrets`: 31⁸ ≈ 8.5·10¹¹
  values, so neither sequence nor neighbourhood reveals another case.

Uniqueness is enforced by the database (``cases.reference`` is unique); callers retry
on the rare collision.
"""

from __future__ import annotations

import secrets
from typing import Final

from movilidad.kernel.errors import InvalidReference

ALPHABET: Final = "23456789ABCDEFGHJKLMNPQRSTVWXYZ"
MODULUS: Final = len(ALPHABET)
BODY_LENGTH: Final = 8
LENGTH: Final = BODY_LENGTH + 1
_VALUES: Final = {symbol: value for value, symbol in enumerate(ALPHABET)}
_SEPARATORS: Final = " -._\u00a0\u2010\u2011\u2012\u2013\u2014"

assert MODULUS == 31  # prime: the check-symbol proof depends on it


def _weighted_sum(symbols: str) -> int:
    return sum(weight * _VALUES[s] for weight, s in enumerate(symbols, start=1))


def check_symbol(body: str) -> str:
    """The check symbol for an 8-symbol body (upper-case, from :data:`ALPHABET`)."""
    if len(body) != BODY_LENGTH or any(s not in _VALUES for s in body):
        raise InvalidReference("reference body must be 8 symbols from the alphabet")
    # Solve LENGTH * c + sum(body) ≡ 0 (mod 31) for c.
    inverse = pow(LENGTH, -1, MODULUS)
    return ALPHABET[(-_weighted_sum(body) * inverse) % MODULUS]


def new_reference() -> str:
    """A fresh random reference in canonical form (9 symbols, no separators)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_symbol(body)


def is_valid(canonical: str) -> bool:
    """True when a canonical 9-symbol string carries a correct check symbol."""
    return (
        len(canonical) == LENGTH
        and all(s in _VALUES for s in canonical)
        and _weighted_sum(canonical) % MODULUS == 0
    )


def normalize_reference(text: str) -> str:
    """Parse what a person typed into the canonical 9-symbol form.

    Accepts lower case, spaces, hyphens and dots anywhere (``k7m 3qx-hpw``).
    Raises :class:`InvalidReference` when a symbol is outside the alphabet, the length
    is wrong, or the check symbol does not match (a typo or swapped neighbours).
    """
    cleaned = "".join(ch for ch in text.strip().upper() if ch not in _SEPARATORS)
    if len(cleaned) != LENGTH:
        raise InvalidReference(f"a reference has {LENGTH} characters")
    bad = sorted({ch for ch in cleaned if ch not in _VALUES})
    if bad:
        raise InvalidReference("a reference never contains " + ", ".join(bad))
    if not is_valid(cleaned):
        raise InvalidReference("the reference has a typing mistake")
    return cleaned


def format_reference(canonical: str) -> str:
    """Display form in groups of three: ``K7M3QXHPW`` → ``K7M-3QX-HPW``."""
    return "-".join(canonical[i : i + 3] for i in range(0, len(canonical), 3))
