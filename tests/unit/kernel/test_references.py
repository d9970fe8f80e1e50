from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from movilidad.kernel.errors import InvalidReference
from movilidad.kernel.references import (
    ALPHABET,
    LENGTH,
    check_symbol,
    format_reference,
    is_valid,
    new_reference,
    normalize_reference,
)

bodies = st.text(alphabet=ALPHABET, min_size=8, max_size=8)


def test_alphabet_has_no_symbols_confused_when_read_aloud() -> None:
    for confusable in "01IOU":
        assert confusable not in ALPHABET
    assert len(set(ALPHABET)) == len(ALPHABET) == 31


def test_new_references_are_valid_and_distinct() -> None:
    references = {new_reference() for _ in range(2000)}
    assert len(references) == 2000
    assert all(is_valid(r) and len(r) == LENGTH for r in references)


@given(bodies)
def test_every_single_substitution_is_detected(body: str) -> None:
    reference = body + check_symbol(body)
    for position in range(LENGTH):
        for symbol in ALPHABET:
            if symbol != reference[position]:
                typo = reference[:position] + symbol + reference[position + 1 :]
                assert not is_valid(typo), (reference, typo)


@given(bodies)
def test_every_adjacent_transposition_is_detected(body: str) -> None:
    reference = body + check_symbol(body)
    for i in range(LENGTH - 1):
        a, b = reference[i], reference[i + 1]
        if a != b:
            swapped = reference[:i] + b + a + reference[i + 2 :]
            assert not is_valid(swapped), (reference, swapped)


def test_normalize_accepts_lower_case_spaces_and_hyphens() -> None:
    reference = new_reference()
    typed = f" {format_reference(reference).lower().replace('-', ' ')} "
    assert normalize_reference(typed) == reference
    assert normalize_reference(format_reference(reference)) == reference


@pytest.mark.parametrize(
    ("typed", "message"),
    [("ABC", "9 characters"), ("O23-456-789", "never contains O"), ("", "9 characters")],
)
def test_normalize_rejects_malformed_input(typed: str, message: str) -> None:
    with pytest.raises(InvalidReference, match=message):
        normalize_reference(typed)


def test_normalize_rejects_a_typo() -> None:
    reference = new_reference()
    wrong = ALPHABET[(ALPHABET.index(reference[0]) + 1) % len(ALPHABET)] + reference[1:]
    with pytest.raises(InvalidReference, match="typing mistake"):
        normalize_reference(wrong)


def test_format_groups_in_threes() -> None:
    assert format_reference("K7M3QXHPW") == "K7M-3QX-HPW"
