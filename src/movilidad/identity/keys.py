"""Blocking keys for the intake check: which registered people are worth scoring.

The keys are the registry's blocking rules
(:data:`movilidad.identity.linkage.REGISTRY_BLOCKING`), written as strings such as
``"gn3sn3y:mar|per|1990"``. Two records share a key exactly when the batch
deduplication's rule would put them in the same block, so the intake check sees the
pairs the batch run sees. A rule that compares different columns of the two records
(the soundex of the given name against the other's surname, the surnames swapped) has
a *stored* form and a *query* form: :func:`stored_keys` are written for a registered
person, :func:`query_keys` looked up for a new one.

Stored keys are blind indexes (HMAC-SHA256 with the data key, see
:meth:`movilidad.kernel.crypto.FieldCipher.blind_index`), cut to 32 hex characters:
the table never holds a name, a date of birth or a phone number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from movilidad.identity.linkage import REGISTRY_BLOCKING
from movilidad.kernel.crypto import get_cipher

BLOCKING_KEY_PURPOSE: Final = "identity-blocking-key"
KEY_CHARS: Final = 32

#: (rule name, columns of the record, columns of the other record).
_RULES: Final[tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]] = tuple(
    (rule.name, rule.left, rule.other) for rule in REGISTRY_BLOCKING
)


def _key(rule: str, row: Mapping[str, Any], columns: tuple[str, ...]) -> str | None:
    values = [row.get(column) for column in columns]
    if any(value is None or value == "" for value in values):
        return None  # a rule with a missing value blocks nothing (as in Splink)
    return f"{rule}:{'|'.join(str(value) for value in values)}"


def plain_stored_keys(row: Mapping[str, Any]) -> set[str]:
    """The keys of a registered person's feature row (:func:`features.features`), in
    the clear (for tests and explanation only; store :func:`stored_keys`)."""
    return {key for rule, mine, _ in _RULES if (key := _key(rule, row, mine)) is not None}


def plain_query_keys(row: Mapping[str, Any]) -> set[str]:
    """The stored keys a new person's feature row would share with a registered one
    in the same block, in the clear."""
    return {key for rule, _, theirs in _RULES if (key := _key(rule, row, theirs)) is not None}


def hashed(keys: set[str]) -> set[str]:
    """Blind indexes of plain keys (32 hex characters each)."""
    cipher = get_cipher()
    return {cipher.blind_index(BLOCKING_KEY_PURPOSE, key)[:KEY_CHARS] for key in keys}


def stored_keys(row: Mapping[str, Any]) -> set[str]:
    """:func:`plain_stored_keys`, as blind indexes."""
    return hashed(plain_stored_keys(row))


def query_keys(row: Mapping[str, Any]) -> set[str]:
    """:func:`plain_query_keys`, as blind indexes."""
    return hashed(plain_query_keys(row))
