"""Intake-time scoring: the trained linkage model applied to one pair of records in pure
Python (tens of microseconds a pair), with the same result as Splink's predictions
(issue #7).

At registration the few candidate records are found through blocking keys stored in
the application database; each is then scored against the new record here, without
DuckDB or Splink. The levels are those of :meth:`linkage.Design.comparisons` (each
level's condition has a Python twin of its SQL; string distances are DuckDB's, see
:mod:`movilidad.identity.strings`), and the arithmetic is Splink's
(``splink/internals/predict.py``, ``comparison_level.py``, ``term_frequencies.py``):

* a level's partial match weight is ``log2(m / u)`` (m and u each floored at 1e-300);
  a null level weighs 0 (no evidence). A level the training never estimated takes
  Splink's default m and u, as a model reloaded from its JSON does;
* a level with a term-frequency column ``c`` (weight ``w``, floor ``u_min``) adds
  ``w · (log2 u_exact − log2 max(f_l, f_r, u_min))``, where ``f`` is the relative
  frequency of the record's value of ``c`` in the registry (a side without a known
  frequency takes the other side's; with neither, no adjustment) and ``u_exact`` the u
  of the comparison's exact-match level on ``c``. So an exact match on a common name
  counts for less than on a rare one;
* the match weight is ``log2(λ / (1 − λ))`` (λ: the probability that two random
  records match) plus, comparison by comparison, the level's weight and adjustment;
  the match probability is ``2^weight / (1 + 2^weight)``.

All weights are in bits (log2 of a Bayes factor). Some levels are not symmetric (the
given-name comparison's "swapped with the other name" compares the left given name
with the right surname): Splink scores a pair once, the record whose unique id (with
its dataset name, when linking two datasets) sorts first on the left; pass the rows
in that order to reproduce its scores exactly.
"""

from __future__ import annotations

import copy
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from movilidad.identity import linkage

#: Relative frequencies: column → value → share of the non-null values of the column.
Frequencies = Mapping[str, Mapping[Any, float]]

# Splink's constants (splink/internals/comparison_level.py, constants.py).
_CLAMP: Final = 1e-300
_NOT_OBSERVED: Final = "level not observed in training dataset"
_NOT_OBSERVED_PROBABILITY: Final = 1e-6
_EXACT: Final = re.compile(r'^\s*"?(\w+)_l"?\s*=\s*"?(\w+)_r"?\s*$', re.IGNORECASE)


def term_frequencies(
    rows: Iterable[Mapping[str, Any]], columns: Iterable[str]
) -> dict[str, dict[Any, float]]:
    """The relative frequency of each value of each of ``columns`` among ``rows``
    (feature rows of the whole registry, as Splink sees them when it trains):
    ``count(value) / count(non-null values)``, as Splink computes its term-frequency
    tables. Missing values (None) are not counted."""
    wanted = list(columns)
    counts: dict[str, Counter[Any]] = {column: Counter() for column in wanted}
    for row in rows:
        for column in wanted:
            value = row[column]
            if value is not None:
                counts[column][value] += 1
    tables: dict[str, dict[Any, float]] = {}
    for column, counted in counts.items():
        total = sum(counted.values())
        tables[column] = {value: n / total for value, n in counted.items()}
    return tables


def column_frequencies(columns: Mapping[str, Sequence[Any]]) -> dict[str, dict[Any, float]]:
    """:func:`term_frequencies` of the registry given as columns (name → one value per
    record)."""
    tables: dict[str, dict[Any, float]] = {}
    for column, values in columns.items():
        counted = Counter(value for value in values if value is not None)
        total = sum(counted.values())
        tables[column] = {value: n / total for value, n in counted.items()}
    return tables


def frequency_columns(model: Mapping[str, Any]) -> list[str]:
    """The columns whose term frequencies ``model`` (Splink's model JSON) adjusts by."""
    columns = {lv["tf_adjustment_column"] for c in model["comparisons"]
               for lv in c["comparison_levels"] if lv.get("tf_adjustment_column")}  # fmt: skip
    return sorted(columns)


@dataclass(frozen=True)
class ComparisonScore:
    """How one comparison scored a pair: ``level`` is Splink's comparison vector value
    (``gamma_<comparison>``: −1 for the null level, then from the number of other
    levels minus one down to 0 for "else"), ``weight`` the level's log2(m/u) and
    ``tf_adjustment`` the term-frequency adjustment, both in bits."""

    comparison: str
    level: int
    label: str
    weight: float
    tf_adjustment: float


@dataclass(frozen=True)
class Score:
    """A pair's total ``match_weight`` (bits, the prior included), its
    ``match_probability`` (0–1) and the part of each comparison, in the model's
    order."""

    match_weight: float
    match_probability: float
    comparisons: tuple[ComparisonScore, ...]


@dataclass(frozen=True)
class _Adjustment:
    column: str
    weight: float
    minimum: float
    log2_exact_u: float


@dataclass(frozen=True)
class _Level:
    test: linkage.Test
    gamma: int
    label: str
    weight: float
    adjustment: _Adjustment | None


@dataclass(frozen=True)
class _Comparison:
    output: str
    levels: tuple[_Level, ...]


def _interpolate(start: float, end: float, count: int) -> list[float]:
    step = (end - start) / (count - 1)
    return [start + i * step for i in range(count)]


def _default_m_u(count: int) -> tuple[list[float], list[float]]:
    """Splink's starting m and u for a comparison of ``count`` non-null levels, indexed
    by comparison vector value (``_default_m_values``, ``_default_u_values``)."""
    m = [(1 - 0.95) / (count - 1)] * (count - 1) + [0.95]
    weights = ([-5.0] if count == 2 else _interpolate(-5, 3, count - 1)) + [10.0]
    u = [m_value / 2**weight for m_value, weight in zip(m, weights, strict=True)]
    return m, u


def _probability(value: Any, default: float) -> float:
    if value is None:
        return default
    if value == _NOT_OBSERVED:
        return _NOT_OBSERVED_PROBABILITY
    return float(value)


def match_probability(match_weight: float) -> float:
    """The match probability (0–1) of a match weight in bits, as Splink computes it."""
    if match_weight >= 0:
        return 1.0 / (1.0 + math.pow(2.0, -match_weight))
    odds = math.pow(2.0, match_weight)
    return odds / (1.0 + odds)


class Scorer:
    """The trained model, ready to score pairs of feature rows.

    ``model`` is Splink's model JSON (:attr:`linkage.Trained.model`: λ in
    ``probability_two_random_records_match``, and per comparison the levels with
    ``m_probability``, ``u_probability`` and the term-frequency settings); ``design`` the
    :class:`linkage.Design` it was trained with, whose levels give the Python
    conditions; ``frequencies`` the registry's term frequencies
    (:func:`term_frequencies` of the :func:`frequency_columns`), or None for no
    term-frequency adjustment at all. Raises ``ValueError`` when the model's
    comparisons or levels are not the design's."""

    def __init__(
        self,
        model: Mapping[str, Any],
        design: linkage.Design,
        frequencies: Frequencies | None = None,
    ) -> None:
        self._frequencies: Frequencies = frequencies or {}
        self.prior_weight: float = math.log2(
            model["probability_two_random_records_match"]
            / (1 - model["probability_two_random_records_match"])
        )
        designed = {comparison.output: comparison for comparison in design.comparisons()}
        outputs = [c["output_column_name"] for c in model["comparisons"]]
        if sorted(outputs) != sorted(designed):
            raise ValueError(f"model comparisons {outputs} are not the design's {list(designed)}")
        self._comparisons = tuple(
            self._compile(c, designed[c["output_column_name"]]) for c in model["comparisons"]
        )

    def with_prior(self, probability: float) -> Scorer:
        """The same scorer with λ (the probability that two random records match, 0–1
        exclusive) set to ``probability``. Raises ``ValueError`` outside (0, 1)."""
        if not 0.0 < probability < 1.0:
            raise ValueError(f"λ must be between 0 and 1, not {probability}")
        scorer = copy.copy(self)
        scorer.prior_weight = math.log2(probability / (1 - probability))
        return scorer

    @staticmethod
    def _compile(settings: Mapping[str, Any], comparison: linkage.Comparison) -> _Comparison:
        levels: Sequence[Mapping[str, Any]] = settings["comparison_levels"]
        output = comparison.output
        if [lv["sql_condition"] for lv in levels] != [lv.sql for lv in comparison.levels]:
            raise ValueError(f"the model's levels of {output!r} are not the design's")
        if levels[-1]["sql_condition"].strip().upper() != "ELSE":
            raise ValueError(f"{output!r} has no ELSE level")
        # Comparison vector values: −1 for the null level, then count − 1 down to 0.
        count = sum(not lv.get("is_null_level") for lv in levels)
        countdown = iter(range(count - 1, -1, -1))
        gammas = [-1 if lv.get("is_null_level") else next(countdown) for lv in levels]
        default_m, default_u = _default_m_u(count)
        m: list[float] = []  # null levels: unused
        u: list[float] = []
        for lv, gamma in zip(levels, gammas, strict=True):
            m.append(_probability(lv.get("m_probability"), default_m[gamma]) if gamma >= 0 else 1.0)
            u.append(_probability(lv.get("u_probability"), default_u[gamma]) if gamma >= 0 else 1.0)

        def exact_u(column: str) -> float:
            """The u of the first level that is an exact match on ``column`` alone."""
            for n, lv in enumerate(levels):
                found = _EXACT.match(lv["sql_condition"].lower())
                if gammas[n] >= 0 and found and found[1] == found[2] == column.lower():
                    return u[n]
            raise ValueError(f"{output!r}: no exact-match level on {column!r}")

        compiled: list[_Level] = []
        for n, (lv, designed) in enumerate(zip(levels, comparison.levels, strict=True)):
            label = lv.get("label_for_charts") or designed.label
            if gammas[n] < 0:
                compiled.append(_Level(designed.test, -1, label, 0.0, None))
                continue
            weight = math.log2(max(m[n], _CLAMP) / max(u[n], _CLAMP))
            adjustment = None
            column = lv.get("tf_adjustment_column")
            tf_weight = float(lv.get("tf_adjustment_weight", 1.0))
            if column and tf_weight != 0 and lv["sql_condition"].strip().upper() != "ELSE":
                u_exact = u[n] if lv.get("disable_tf_exact_match_detection") else exact_u(column)
                minimum = float(lv.get("tf_minimum_u_value", 0.0))
                adjustment = _Adjustment(column, tf_weight, minimum, math.log2(u_exact))
            compiled.append(_Level(designed.test, gammas[n], label, weight, adjustment))
        return _Comparison(output, tuple(compiled))

    def _adjust(
        self, adjustment: _Adjustment, left: Mapping[str, Any], right: Mapping[str, Any]
    ) -> float:
        table = self._frequencies.get(adjustment.column)
        if table is None:
            return 0.0
        left_share = table.get(left[adjustment.column])
        right_share = table.get(right[adjustment.column])
        if left_share is None:
            if right_share is None:
                return 0.0
            left_share = right_share
        elif right_share is None:
            right_share = left_share
        share = max(left_share, right_share, adjustment.minimum)
        return adjustment.weight * (adjustment.log2_exact_u - math.log2(share))

    def score(self, left: Mapping[str, Any], right: Mapping[str, Any]) -> Score:
        """Score the pair of feature rows (``features.features`` dicts; None is a missing
        value). Returns the match weight (bits), the match probability and, per
        comparison, the level reached with its weight and term-frequency adjustment
        (bits). Raises ``KeyError`` if a row lacks a column the model compares."""
        total = self.prior_weight
        parts: list[ComparisonScore] = []
        for comparison in self._comparisons:
            reached = comparison.levels[-1]
            for candidate in comparison.levels:
                if candidate.test(left, right):
                    reached = candidate
                    break
            adjusted = 0.0
            if reached.adjustment is not None:
                adjusted = self._adjust(reached.adjustment, left, right)
            total += reached.weight
            total += adjusted
            parts.append(ComparisonScore(comparison.output, reached.gamma, reached.label,
                                         reached.weight, adjusted))  # fmt: skip
        return Score(total, match_probability(total), tuple(parts))
