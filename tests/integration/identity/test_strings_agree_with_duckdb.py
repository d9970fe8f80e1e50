"""The string distances of :mod:`movilidad.identity.strings` equal DuckDB's, value for
value, on random strings (small alphabets, so that transpositions, repeated letters
and the matching window of Jaro are exercised; accents and characters beyond the
Basic Multilingual Plane too) and on the registry's names with typing errors."""

from __future__ import annotations

import random

import duckdb
import pandas as pd

from movilidad.identity import synth
from movilidad.identity.names import fold
from movilidad.identity.strings import damerau_levenshtein, jaro_winkler_similarity


def _random_pairs(rng: random.Random) -> list[tuple[str, str]]:
    pairs = []
    for alphabet in ("ab", "abc", "abcdefgh", "aeilnorst", "ae\u0301\u00f1", "a\U0001f600b"):
        for _ in range(2_000):
            left, right = ("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
                           for _ in range(2))  # fmt: skip
            pairs.append((left, right))
    return pairs


def _typo(rng: random.Random, word: str) -> str:
    """``word`` with one letter inserted, deleted, replaced or swapped with the next."""
    at = rng.randrange(len(word))
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    head, tail = word[:at], word[at + 1 :]
    swapped = head + tail[:1] + word[at] + tail[1:]
    return rng.choice([head + letter + word[at:], head + tail, head + letter + tail, swapped])


def _name_pairs(rng: random.Random) -> list[tuple[str, str]]:
    names = sorted({fold(r.first_surname).replace(" ", "") for r in synth.generate(2_000, 2)})
    names = [name for name in names if name]
    pairs = []
    for name in names:
        pairs.append((name, _typo(rng, name)))
        pairs.append((name, rng.choice(names)))
    return pairs


def test_damerau_levenshtein_and_jaro_winkler_equal_duckdbs() -> None:
    rng = random.Random(7)
    pairs = _random_pairs(rng) + _name_pairs(rng)
    connection = duckdb.connect()
    connection.register("pairs", pd.DataFrame(pairs, columns=["a", "b"]))
    expected = connection.execute(
        "SELECT damerau_levenshtein(a, b), jaro_winkler_similarity(a, b) FROM pairs"
    ).fetchall()
    wrong = [(a, b, dl, jw) for (a, b), (dl, jw) in zip(pairs, expected, strict=True)
             if damerau_levenshtein(a, b) != dl or jaro_winkler_similarity(a, b) != jw]  # fmt: skip
    assert not wrong, wrong[:5]
    assert len(pairs) > 13_000
