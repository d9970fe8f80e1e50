"""What record linkage compares: one flat row of features per person record.

Input records use the registry's fields (any missing field is ``None`` or ``""``):
``given_names``, ``first_surname``, ``second_surname``, ``date_of_birth`` (ISO 8601
``YYYY-MM-DD``, or 8 digits ``YYYYMMDD`` as the FEBRL files write it; a malformed
value is kept as digits so a one-digit error can still be seen), ``sex``,
``nationality`` (ISO 3166-1 alpha-3), ``phone`` (E.164), ``document_number`` (as typed)
and, for the FEBRL benchmarks only, address fields.

Names are split into tokens (:func:`movilidad.identity.names.tokens`): the first given
name (``gn``), the other given names (``gn2``), the first surname (``sn``) and the
second (``sn2``). Both surname fields are read as one list of tokens, so a second
surname written into the first field, or left out, still lines up. Phonetic codes
(NYSIIS, metaphone, soundex — jellyfish) and prefixes are added for blocking.
Blocking columns are copies named ``b_*``: Splink leaves a comparison out of an EM
session when the session's blocking rule names one of its columns, so blocking on
copies keeps every comparison in play.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

import jellyfish

from movilidad.identity.names import fold, tokens

_DIGITS: Final = re.compile(r"\D")
_DOCUMENT: Final = re.compile(r"[^0-9A-Z]")

#: Columns every feature row has (values may be None).
NAME_COLUMNS: Final = ("gn", "gn2", "sn", "sn2")
ADDRESS_COLUMNS: Final = ("street_number", "address_1", "suburb", "postcode", "state")


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def clean_name(value: str) -> str | None:
    """Letters only, folded: ``"Kerr-Sullivan"`` → ``"kerrsullivan"``; None if empty."""
    folded = fold(value).replace(" ", "")
    return folded or None


def clean_dob(value: object) -> str | None:
    """``YYYY-MM-DD`` or ``YYYYMMDD`` → 8 digits; anything else → None."""
    digits = _DIGITS.sub("", _text(value))
    return digits if len(digits) == 8 else None


def clean_document(value: object) -> str | None:
    """A document number as compared: upper case, letters and digits only
    (``"a-123 45"`` → ``"A12345"``); None if empty."""
    text = _DOCUMENT.sub("", _text(value).upper())
    return text or None


def _phonetic(function: Any, value: str | None) -> str | None:
    return function(value) if value else None


def features(record: Mapping[str, object], *, address: bool = False) -> dict[str, Any]:
    """The feature row of one record (see the module text). ``record`` must carry
    ``unique_id``; with ``address`` the FEBRL address fields are kept too."""
    given = tokens(_text(record.get("given_names")))
    surnames = tokens(f"{_text(record.get('first_surname'))} {_text(record.get('second_surname'))}")
    gn = clean_name(given[0]) if given else None
    gn2 = clean_name(" ".join(given[1:])) if len(given) > 1 else None
    sn = clean_name(surnames[0]) if surnames else None
    sn2 = clean_name(" ".join(surnames[1:])) if len(surnames) > 1 else None
    dob = clean_dob(record.get("date_of_birth"))
    row: dict[str, Any] = {
        "unique_id": record["unique_id"],
        "gn": gn, "gn2": gn2, "sn": sn, "sn2": sn2,
        "dob": dob,
        "dob_y": dob[0:4] if dob else None,
        "dob_m": dob[4:6] if dob else None,
        "dob_d": dob[6:8] if dob else None,
        "sex": _text(record.get("sex")) or None,
        "nationality": _text(record.get("nationality")) or None,
        "phone": _text(record.get("phone")) or None,
        "document": clean_document(record.get("document_number")),
    }  # fmt: skip
    for column in ("gn", "sn"):
        value = row[column]
        row[f"{column}_ny"] = _phonetic(jellyfish.nysiis, value)
        row[f"{column}_mp"] = _phonetic(jellyfish.metaphone, value)
        row[f"{column}_sx"] = _phonetic(jellyfish.soundex, value)
    row.update({
        "b_dob": dob, "b_dob_y": row["dob_y"], "b_dob_m": row["dob_m"],
        "b_dob_md": dob[4:8] if dob else None,
        "b_gn": gn, "b_sn": sn, "b_sn2": sn2,
        "b_gn1": gn[:1] if gn else None, "b_sn1": sn[:1] if sn else None,
        "b_gn3": gn[:3] if gn else None, "b_sn3": sn[:3] if sn else None,
        "b_gn_ny": row["gn_ny"], "b_sn_ny": row["sn_ny"],
        "b_gn_sx": row["gn_sx"], "b_sn_sx": row["sn_sx"],
        "b_document": row["document"], "b_phone": row["phone"],
    })  # fmt: skip
    if address:
        for column in ADDRESS_COLUMNS:
            row[column] = _text(record.get(column)).lower() or None
        row["b_postcode"] = row["postcode"]
    return row


def feature_rows(
    records: Iterable[Mapping[str, object]], *, address: bool = False
) -> list[dict[str, Any]]:
    """:func:`features` of each record, in order."""
    return [features(record, address=address) for record in records]
