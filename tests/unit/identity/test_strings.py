"""String distances equal to DuckDB's. The expected values below were read from DuckDB
2.0 (``damerau_levenshtein``, ``jaro_winkler_similarity``); the integration tests
compare the functions with DuckDB on many more strings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from movilidad.identity.strings import (
    damerau_levenshtein,
    jaro_similarity,
    jaro_winkler_similarity,
    within_edits,
)


def _textbook_distance(left: str, right: str) -> int:
    """Lowrance–Wagner's algorithm for the true Damerau–Levenshtein distance, written
    plainly (full matrix, no shortcuts), to check the optimised one against."""
    infinity = len(left) + len(right)
    table = [[infinity] * (len(right) + 2) for _ in range(len(left) + 2)]
    for i in range(len(left) + 1):
        table[i + 1][1] = i
    for j in range(len(right) + 1):
        table[1][j + 1] = j
    last: dict[str, int] = {}
    for i in range(1, len(left) + 1):
        column = 0
        for j in range(1, len(right) + 1):
            k, el = last.get(right[j - 1], 0), column
            cost = 0 if left[i - 1] == right[j - 1] else 1
            if not cost:
                column = j
            table[i + 1][j + 1] = min(
                table[i][j] + cost,
                table[i + 1][j] + 1,
                table[i][j + 1] + 1,
                table[k][el] + (i - k - 1) + 1 + (j - el - 1),
            )
        last[left[i - 1]] = i
    return table[len(left) + 1][len(right) + 1]


@pytest.mark.parametrize(
    ("left", "right", "distance"),
    [("", "", 0), ("", "abc", 3), ("a", "", 1), ("a", "a", 0), ("a", "b", 1),
     ("a", "ab", 1), ("ab", "ba", 1), ("jose", "jsoe", 1), ("maria", "mraia", 1),
     ("gonzalez", "gonzales", 1), ("19900307", "19900703", 2), ("19900307", "19910307", 1),
     ("dixon", "dicksonx", 4), ("jeanbaptiste", "baptiste", 4)],
)  # fmt: skip
def test_damerau_levenshtein_counts_edits_as_duckdb(left: str, right: str, distance: int) -> None:
    assert damerau_levenshtein(left, right) == distance
    assert damerau_levenshtein(right, left) == distance


def test_a_transposed_pair_may_be_edited_again_true_damerau_levenshtein() -> None:
    # The optimal-string-alignment variant says 3 ("ca" → "ac" → "abc" is not allowed
    # there); DuckDB, like Lowrance–Wagner, says 2.
    assert damerau_levenshtein("ca", "abc") == 2
    assert damerau_levenshtein("abc", "ca") == 2


def test_characters_are_code_points_as_in_duckdb() -> None:
    # Folded names are ASCII, but nothing relies on it: "é" written as e + combining
    # accent is two characters to DuckDB, one grapheme to jellyfish.
    assert damerau_levenshtein("\u00f1", "n") == 1
    assert damerau_levenshtein("e\u0301", "e") == 1
    assert damerau_levenshtein("e\u0301\u00f1", "a") == 3


@given(st.text(alphabet="abcd", max_size=9), st.text(alphabet="abcd", max_size=9))
def test_damerau_levenshtein_is_the_textbook_distance(left: str, right: str) -> None:
    assert damerau_levenshtein(left, right) == _textbook_distance(left, right)


@given(
    st.text(alphabet="abc", max_size=9),
    st.text(alphabet="abc", max_size=9),
    st.integers(min_value=0, max_value=3),
)
def test_within_edits_agrees_with_the_full_distance(left: str, right: str, edits: int) -> None:
    assert within_edits(left, right, edits) == (damerau_levenshtein(left, right) <= edits)


@pytest.mark.parametrize(
    ("left", "right", "similarity"),
    [("", "", 0.0), ("", "abc", 0.0), ("a", "", 0.0), ("a", "a", 1.0), ("a", "b", 0.0),
     ("ab", "ba", 0.0), ("a", "ab", 0.8500000000000001), ("perez", "peres", 0.92),
     ("jose", "jsoe", 0.9249999999999999), ("maria", "mraia", 0.94),
     ("martha", "marhta", 0.9611111111111111), ("dixon", "dicksonx", 0.8133333333333332),
     ("crate", "trace", 0.7333333333333334), ("dwayne", "duane", 0.8400000000000001),
     ("jeanbaptiste", "baptiste", 0.8472222222222222),
     ("19900307", "19910307", 0.9083333333333333)],
)  # fmt: skip
def test_jaro_winkler_is_duckdbs_to_the_last_bit(left: str, right: str, similarity: float) -> None:
    assert jaro_winkler_similarity(left, right) == similarity


def test_the_winkler_step_is_rounded_once_as_duckdb_computes_it() -> None:
    # DuckDB's build fuses sim + 0.1·p·(1 − sim) into one multiply-add; computing it
    # in two roundings (as jellyfish does) gives 0.8049999999999999 here, which would
    # fall below a threshold of 0.805.
    jaro = jaro_similarity("bbaba", "baaa")
    assert jaro + 0.1 * (1.0 - jaro) == 0.8049999999999999
    assert jaro_winkler_similarity("bbaba", "baaa") == 0.805
    assert jaro_winkler_similarity("bbbb", "bbbaaaa") == 0.8083333333333335


def test_no_prefix_bonus_at_or_below_jaro_0_7() -> None:
    jaro = jaro_similarity("crate", "crxyzw")
    assert jaro <= 0.7
    assert jaro_winkler_similarity("crate", "crxyzw") == jaro


@given(st.text(alphabet="abcd", max_size=10), st.text(alphabet="abcd", max_size=10))
def test_similarities_stay_between_0_and_1(left: str, right: str) -> None:
    assert 0.0 <= jaro_similarity(left, right) <= jaro_winkler_similarity(left, right) <= 1.0
