"""String distances exactly as DuckDB computes them, for scoring without a database.

The linkage model's levels are SQL conditions that Splink runs on DuckDB
(``damerau_levenshtein(a, b) <= 1``, ``jaro_winkler_similarity(a, b) >= 0.92``). Scoring
a new registration in the web request (:mod:`movilidad.identity.scoring`) must reach
the same levels, so these functions reproduce DuckDB's, value for value:

* :func:`damerau_levenshtein` is the *true* (unrestricted) Damerau–Levenshtein
  distance — insertions, deletions, substitutions and transpositions of adjacent
  characters, where a transposed pair may be edited again (``"ca"`` → ``"abc"`` is 2;
  the optimal-string-alignment variant says 3). DuckDB computes it this way
  (Lowrance & Wagner, "An Extension of the String-to-String Correction Problem",
  JACM 22, 1975).
* :func:`jaro_winkler_similarity` follows the implementation DuckDB ships (Max
  Bachmann's ``jaro_winkler``/RapidFuzz): matching window ``max(len) // 2 - 1``,
  characters of the *second* string matched in order to the first free equal
  character of the first string, prefix scale 0.1 on at most 4 characters applied
  only when the Jaro similarity exceeds 0.7, no long-string adjustment, and the same
  floating-point operations, so a value compared with a threshold lands on the same
  side. DuckDB's build fuses the Winkler step ``sim + p·0.1·(1 − sim)`` into one
  multiply-add (one rounding instead of two); :func:`_multiply_add` does the same, in
  exact integer arithmetic. Empty input gives 0.0.

Both work on Unicode code points, as DuckDB does. jellyfish does not serve: it works
on grapheme clusters (``"e\u0301"`` is one character to it, two to DuckDB) and its
Jaro–Winkler adds in another order (results differ in the last bits, which matters
exactly at a threshold). The feature rows hold folded ASCII, but the functions do not
rely on it.
"""

from __future__ import annotations

from typing import Final

#: Winkler's prefix scale and the longest prefix it rewards.
PREFIX_WEIGHT: Final = 0.1
PREFIX_MAX: Final = 4
#: The Winkler boost applies only above this Jaro similarity.
BOOST_THRESHOLD: Final = 0.7


def _without_common_affixes(left: str, right: str) -> tuple[str, str]:
    """``left`` and ``right`` without their common prefix and suffix, which never
    change the distance (RapidFuzz, whose distance DuckDB's equals, strips them too)."""
    start, end_left, end_right = 0, len(left), len(right)
    while start < end_left and start < end_right and left[start] == right[start]:
        start += 1
    while end_left > start and end_right > start and left[end_left - 1] == right[end_right - 1]:
        end_left -= 1
        end_right -= 1
    return left[start:end_left], right[start:end_right]


def _distance(left: str, right: str, limit: int) -> int:
    """The true Damerau–Levenshtein distance if it is at most ``limit``, else some
    number above ``limit`` (the computation stops once a whole row exceeds it: a row's
    minimum never decreases further down)."""
    left, right = _without_common_affixes(left, right)
    n, m = len(left), len(right)
    if not n or not m or abs(n - m) > limit:
        return max(n, m)
    infinity = n + m
    # rows[i + 1][j + 1] = distance between left[:i] and right[:j]; row and column 0
    # hold Lowrance–Wagner's sentinel "infinity".
    rows: list[list[int]] = [[infinity] * (m + 2), [infinity, *range(m + 1)]]
    last_row_of: dict[str, int] = {}  # character → last row (1-based) where left has it
    for i in range(1, n + 1):
        char = left[i - 1]
        above = rows[i]
        row = [infinity, i] + [0] * m
        rows.append(row)
        last_match_column = 0
        for j in range(1, m + 1):
            other = right[j - 1]
            best = above[j] if char == other else above[j] + 1  # substitution or match
            if row[j] + 1 < best:  # insertion
                best = row[j] + 1
            if above[j + 1] + 1 < best:  # deletion
                best = above[j + 1] + 1
            # transposition of left[k-1]..left[i-1] with right[col-1]..right[j-1]; a
            # sentinel (k or col 0) can never be the minimum.
            k = last_row_of.get(other, 0)
            col = last_match_column
            if k and col:
                moved = rows[k][col] + (i - k - 1) + 1 + (j - col - 1)
                if moved < best:
                    best = moved
            if char == other:
                last_match_column = j
            row[j + 1] = best
        last_row_of[char] = i
        if min(row[1:]) > limit:
            return limit + 1
    return rows[n + 1][m + 1]


def damerau_levenshtein(left: str, right: str) -> int:
    """The true Damerau–Levenshtein distance between ``left`` and ``right`` (a count of
    edits, ≥ 0), as DuckDB's ``damerau_levenshtein``."""
    return _distance(left, right, len(left) + len(right))


def within_edits(left: str, right: str, edits: int) -> bool:
    """Whether ``damerau_levenshtein(left, right) <= edits``, computing no further
    than needed to tell."""
    return _distance(left, right, edits) <= edits


def jaro_similarity(left: str, right: str) -> float:
    """The Jaro similarity (0.0–1.0) as DuckDB's ``jaro_similarity``: ``left`` is the
    pattern, ``right`` the text whose characters are matched in order."""
    p_len, t_len = len(left), len(right)
    if not p_len or not t_len:
        return 0.0
    if p_len == 1 and t_len == 1:
        return 1.0 if left == right else 0.0
    bound = max(p_len, t_len) // 2 - 1  # ≥ 0: one length is at least 2
    taken = [False] * p_len
    matched_text: list[str] = []  # characters of ``right`` that found a partner, in order
    for j, char in enumerate(right):
        for i in range(max(0, j - bound), min(p_len, j + bound + 1)):
            if not taken[i] and left[i] == char:
                taken[i] = True
                matched_text.append(char)
                break
    common = len(matched_text)
    if not common:
        return 0.0
    matched_pattern = [char for char, hit in zip(left, taken, strict=True) if hit]
    transpositions = sum(a != b for a, b in zip(matched_pattern, matched_text, strict=True))
    transpositions //= 2
    similarity = 0.0
    similarity += common / p_len
    similarity += common / t_len
    similarity += (common - transpositions) / common
    return similarity / 3.0


def _multiply_add(a: float, b: float, c: float) -> float:
    """``a * b + c`` rounded once, as a fused multiply-add instruction computes it
    (``math.fma`` arrives only in Python 3.13). Floats are dyadic rationals, so the
    exact value is a ratio of integers, and integer true division rounds correctly."""
    a_num, a_den = a.as_integer_ratio()
    b_num, b_den = b.as_integer_ratio()
    c_num, c_den = c.as_integer_ratio()
    return (a_num * b_num * c_den + c_num * a_den * b_den) / (a_den * b_den * c_den)


def jaro_winkler_similarity(left: str, right: str) -> float:
    """The Jaro–Winkler similarity (0.0–1.0) as DuckDB's ``jaro_winkler_similarity``
    (see the module text)."""
    prefix = 0
    longest = min(len(left), len(right), PREFIX_MAX)
    while prefix < longest and left[prefix] == right[prefix]:
        prefix += 1
    similarity = jaro_similarity(left, right)
    if similarity > BOOST_THRESHOLD and prefix:
        similarity = _multiply_add(prefix * PREFIX_WEIGHT, 1.0 - similarity, similarity)
    return similarity
