"""The record linkage model (Fellegi–Sunter, trained and run by Splink on DuckDB).

Comparisons, each with ordered levels whose match weights log2(m/u) Splink estimates
without labels (u by random sampling, m by expectation maximisation):

* **given name** and **first surname**: exact (term-frequency adjusted, so a match on
  "González" counts for less than one on "Quiñónez"), one edit (Damerau–Levenshtein,
  half the frequency adjustment), Jaro–Winkler ≥ 0.92, swapped with the other field
  (given name written as surname), equal NYSIIS or metaphone code, Jaro–Winkler ≥ 0.8,
  else; with two surnames also "the surnames swapped";
* **second surname** and **other given names** (registry only): exact, one edit, else —
  missing on either side is a null level (no evidence either way);
* **date of birth**: exact, one digit or day and month swapped, two digits, same year,
  else;
* with ``fields="all"``: the document number (exact, one or two edits), phone and sex
  (registry; not nationality, see :meth:`Design.comparisons`), or the FEBRL address
  fields.

Each level is declared once (:class:`Level`) with its condition written twice: the SQL
Splink runs on DuckDB and a Python predicate over two feature rows, built together by
the same small functions (:func:`equal`, :func:`edits`, :func:`jaro_winkler`,
:func:`any_of`, ...; string distances from :mod:`movilidad.identity.strings`, equal to
DuckDB's). :mod:`movilidad.identity.scoring` scores a pair with them, without a
database, exactly as Splink's predictions do.

Blocking (which pairs are compared at all) is the union of rules on exact date of
birth, name prefixes, phonetic codes, swapped names and, with all fields, document
number and phone. The registry's rules (:data:`REGISTRY_BLOCKING`) pair each with an
initial or the birth year so blocks stay small at a million records; FEBRL's
(:data:`FEBRL_BLOCKING`) are broader, about 2–4 pairs per record on its 5,000.

Training follows the configuration measured on FEBRL (``docs/adr``): λ from
deterministic rules at an assumed recall of 0.8, u from up to 5 million random pairs,
then EM blocked on exact date of birth (which estimates every comparison but date of
birth), the levels learnt frozen, and a second EM session for date of birth
(:meth:`Design.date_of_birth_training`).
Source of the method: Fellegi & Sunter, "A Theory for Record Linkage", JASA 64 (1969);
Splink documentation, "Fellegi-Sunter model" and "Blocking rules".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

from movilidad.identity.strings import jaro_winkler_similarity, within_edits

if TYPE_CHECKING:
    import pandas as pd
    from splink import Linker

# Splink, DuckDB and pandas are imported where a model is trained or run, not here: the
# web app scores at intake with the Python twins of the levels and never loads them.

Fields = Literal["all", "names-dob"]

#: A pair is a match when its match probability reaches this (match weight ≥ 0: the
#: Bayes decision at equal costs).
MATCH_PROBABILITY: Final = 0.5
U_MAX_PAIRS: Final = 5_000_000
SEED: Final = 42

logging.getLogger("splink").setLevel(logging.WARNING)


Row = Mapping[str, Any]
Test = Callable[[Row, Row], bool]


@dataclass(frozen=True)
class Condition:
    """A condition on a pair of feature rows, written twice: as Splink's SQL (``x_l``
    is column ``x`` of the left record, ``x_r`` of the right) and as a Python predicate
    over the two rows (``features.features`` dicts; ``None`` is SQL's NULL). The
    conditions never negate, so "NULL counts as false" in Python gives exactly SQL's
    "the WHEN clause holds only when TRUE"."""

    sql: str
    test: Test


def is_null(column: str) -> Condition:
    """``column`` missing on either side."""

    def test(left: Row, right: Row) -> bool:
        return left[column] is None or right[column] is None

    return Condition(f"{column}_l IS NULL OR {column}_r IS NULL", test)


def equal(column: str, other: str | None = None) -> Condition:
    """Left ``column`` equals right ``other`` (default: the same column)."""
    right_column = other or column

    def test(left: Row, right: Row) -> bool:
        value = left[column]
        return value is not None and value == right[right_column]

    return Condition(f"{column}_l = {right_column}_r", test)


def edits(column: str, at_most: int, other: str | None = None) -> Condition:
    """Left ``column`` within ``at_most`` Damerau–Levenshtein edits of right ``other``
    (default: the same column); DuckDB's true Damerau–Levenshtein distance."""
    right_column = other or column

    def test(left: Row, right: Row) -> bool:
        value, other_value = left[column], right[right_column]
        if value is None or other_value is None:
            return False
        return within_edits(value, other_value, at_most)

    return Condition(f"damerau_levenshtein({column}_l, {right_column}_r) <= {at_most}", test)


def jaro_winkler(column: str, at_least: float) -> Condition:
    """Jaro–Winkler similarity of ``column`` on both sides at least ``at_least``."""

    def test(left: Row, right: Row) -> bool:
        value, other_value = left[column], right[column]
        if value is None or other_value is None:
            return False
        return jaro_winkler_similarity(value, other_value) >= at_least

    return Condition(f"jaro_winkler_similarity({column}_l, {column}_r) >= {at_least}", test)


def any_of(*conditions: Condition) -> Condition:
    """Any of ``conditions`` (SQL ``OR``, unbracketed)."""
    tests = tuple(c.test for c in conditions)

    def test(left: Row, right: Row) -> bool:
        return any(t(left, right) for t in tests)

    return Condition(" OR ".join(c.sql for c in conditions), test)


def all_of(*conditions: Condition) -> Condition:
    """All of ``conditions`` (SQL ``AND``, in brackets)."""
    tests = tuple(c.test for c in conditions)

    def test(left: Row, right: Row) -> bool:
        return all(t(left, right) for t in tests)

    return Condition("(" + " AND ".join(c.sql for c in conditions) + ")", test)


def _always(left: Row, right: Row) -> bool:
    return True


#: The last level of every comparison.
ELSE: Final = Condition("ELSE", _always)


@dataclass(frozen=True)
class Level:
    """One comparison level: its chart label, its condition (SQL and Python) and any
    further Splink level settings (``is_null_level``, ``tf_adjustment_column``,
    ``tf_adjustment_weight``, ``tf_minimum_u_value``)."""

    label: str
    condition: Condition
    splink: Mapping[str, Any] = field(default_factory=dict)

    @property
    def sql(self) -> str:
        return self.condition.sql

    @property
    def test(self) -> Test:
        return self.condition.test

    def as_splink(self) -> dict[str, Any]:
        """The level as Splink's settings dict."""
        return {"sql_condition": self.sql, "label_for_charts": self.label, **self.splink}


def level(label: str, condition: Condition, **splink: Any) -> Level:
    """:class:`Level` with the Splink settings as keywords."""
    return Level(label, condition, splink)


@dataclass(frozen=True)
class Comparison:
    """One comparison: the output column name Splink gives it (``gamma_<output>`` in
    predictions) and its levels, most specific first, the null level (if any) first
    of all. Splink takes the first level whose condition holds; so does
    :mod:`movilidad.identity.scoring`."""

    output: str
    levels: tuple[Level, ...]
    description: str | None = None

    def as_splink(self) -> Any:
        """The comparison as a Splink ``CustomComparison``."""
        return _custom_comparison(
            [lv.as_splink() for lv in self.levels],
            output_column_name=self.output,
            comparison_description=self.description,
        )


def _custom_comparison(levels: list[Any], **options: Any) -> Any:
    """Splink's ``CustomComparison``, keeping the description it is given (Splink 5.0
    stores it but reports its class name instead)."""
    import splink.comparison_library as cl

    class Described(cl.CustomComparison):
        def create_description(self) -> str:
            description: str = self._description or "CustomComparison"
            return description

    return Described(levels, **options)


def _null(column: str, label: str = "null") -> Level:
    return level(label, is_null(column), is_null_level=True)


def _name(column: str, other: str, output: str, second: str | None) -> Comparison:
    frequency = {"tf_adjustment_column": column, "tf_minimum_u_value": 0.001}
    levels = [
        _null(column),
        level("exact", equal(column), tf_adjustment_weight=1.0, **frequency),
        level("one edit", edits(column, 1), tf_adjustment_weight=0.5, **frequency),
        level("Jaro-Winkler >= 0.92", jaro_winkler(column, 0.92)),
        level("swapped with the other name", edits(column, 1, other)),
    ]
    if second is not None:
        swapped = any_of(edits(column, 1, second), edits(second, 1, column))
        levels.append(level("surnames swapped", swapped))
    phonetic = any_of(equal(f"{column}_ny"), equal(f"{column}_mp"))
    levels += [
        level("same NYSIIS or metaphone code", phonetic),
        level("Jaro-Winkler >= 0.8", jaro_winkler(column, 0.8)),
        level("else", ELSE),
    ]
    return Comparison(output, tuple(levels))


def _optional(column: str, output: str) -> Comparison:
    return Comparison(output, (
        _null(column),
        level("exact", equal(column)),
        level("one edit", edits(column, 1)),
        level("else", ELSE),
    ))  # fmt: skip


def _date_of_birth() -> Comparison:
    swapped = all_of(equal("dob_y"), equal("dob_m", "dob_d"), equal("dob_d", "dob_m"))
    return Comparison("date_of_birth", (
        _null("dob"),
        level("exact", equal("dob")),
        level("one digit, or day and month swapped", any_of(edits("dob", 1), swapped)),
        level("two digits", edits("dob", 2)),
        level("same year", equal("dob_y")),
        level("else", ELSE),
    ))  # fmt: skip


# The next three are Splink's ExactMatch, DamerauLevenshteinAtThresholds and
# JaroWinklerAtThresholds written out (same levels, labels and descriptions), so that
# every level has its Python twin.


def _exact_match(column: str, *, frequency: bool = False) -> Comparison:
    adjusted: dict[str, Any] = (
        {"tf_adjustment_column": column, "tf_adjustment_weight": 1.0} if frequency else {}
    )
    return Comparison(column, (
        _null(column, f"{column} is NULL"),
        level(f"Exact match on {column}", equal(column), **adjusted),
        level("All other comparisons", ELSE),
    ), "ExactMatch")  # fmt: skip


def _edits_at(column: str, thresholds: Sequence[int]) -> Comparison:
    within = [level(f"Damerau-Levenshtein distance of {column} <= {n}", edits(column, n))
              for n in thresholds]  # fmt: skip
    listed = ", ".join(str(n) for n in thresholds)
    return Comparison(column, (
        _null(column, f"{column} is NULL"),
        level(f"Exact match on {column}", equal(column)),
        *within,
        level("All other comparisons", ELSE),
    ), f"Exact match '{column}' vs. Damerau-Levenshtein distance at thresholds {listed} "
       "vs. anything else")  # fmt: skip


def _jaro_winkler_at(column: str, thresholds: Sequence[float]) -> Comparison:
    above = [level(f"Jaro-Winkler distance of {column} >= {t}", jaro_winkler(column, t))
             for t in thresholds]  # fmt: skip
    return Comparison(column, (
        _null(column, f"{column} is NULL"),
        level(f"Exact match on {column}", equal(column)),
        *above,
        level("All other comparisons", ELSE),
    ), "JaroWinklerAtThresholds")  # fmt: skip


def block_on(*columns: str) -> Any:
    """Splink's ``block_on`` (equality on every one of ``columns``)."""
    from splink import block_on as splink_block_on

    return splink_block_on(*columns)


#: Blocking rules of the FEBRL files (5,000 records, one surname): a tuple of columns is
#: equality on all of them (``block_on``); a string is Splink SQL. Broad rules suit a
#: file that small; on a registry they would compare hundreds of millions of pairs.
FEBRL_BLOCKING: Final[tuple[tuple[str, ...] | str, ...]] = (
    ("b_dob",),
    ("b_gn3", "b_sn3"),
    "l.b_gn_sx = r.b_sn_sx AND l.b_sn_sx = r.b_gn_sx",
    ("b_gn", "b_sn1"),
    ("b_sn", "b_gn1"),
    ("b_sn_ny", "b_dob_y"),
    ("b_gn_ny", "b_dob_y"),
    ("b_dob_y", "b_dob_m", "b_sn1"),
    ("b_sn_ny", "b_dob_md"),
)


@dataclass(frozen=True)
class BlockingRule:
    """A blocking rule of the registry: two records are compared when ``left``'s
    columns of one equal ``right``'s columns of the other (the same columns when
    ``right`` is empty), every value present. ``identifying``: a rule on the document
    number or phone, used only with ``fields="all"``. :mod:`movilidad.identity.keys`
    writes each rule as a stored key, so the intake check finds the pairs Splink's
    batch run compares."""

    name: str
    left: tuple[str, ...]
    right: tuple[str, ...] = ()
    identifying: bool = False

    @property
    def other(self) -> tuple[str, ...]:
        """The columns of the other record."""
        return self.right or self.left

    def as_splink(self) -> Any:
        """Splink's ``block_on`` for a rule on the same columns, else its SQL."""
        if not self.right:
            return block_on(*self.left)
        return " AND ".join(f"l.{a} = r.{b}" for a, b in zip(self.left, self.right, strict=True))


#: Blocking rules of the registry. Each rule joins name or date evidence with a second,
#: independent part (an initial, the birth year), so that blocks stay small as the
#: registry grows: on the synthetic registry about 1.5 pairs per record at 100,000
#: records and 5 at 1,000,000, with 99.4 % of the true pairs in some block
#: (``bench/identity_registry.py``). What each rule survives: exact date of birth
#: with the given name's or the first surname's initial (any error in the names but
#: their first letter); phonetic given name, first surname prefix and birth year (a
#: wrong day or month); year and month of birth with one name's prefix and the other's
#: initial (a wrong day, "born on the 1st" from a relative who does not know the day);
#: phonetic surname, day and month and initial (a wrong year); given name and surname
#: swapped, or the two surnames swapped, with the birth year; and with all fields the
#: document number, or the phone with an initial (an intermediary's phone is on many
#: unrelated forms).
REGISTRY_BLOCKING: Final[tuple[BlockingRule, ...]] = (
    BlockingRule("dobgn1", ("b_dob", "b_gn1")),
    BlockingRule("dobsn1", ("b_dob", "b_sn1")),
    BlockingRule("gnnyysn3", ("b_gn_ny", "b_dob_y", "b_sn3")),
    BlockingRule("ymsn3gn1", ("b_dob_y", "b_dob_m", "b_sn3", "b_gn1")),
    BlockingRule("ymsn1gn3", ("b_dob_y", "b_dob_m", "b_sn1", "b_gn3")),
    BlockingRule("snnymdgn1", ("b_sn_ny", "b_dob_md", "b_gn1")),
    BlockingRule("sxswapy", ("b_gn_sx", "b_sn_sx", "b_dob_y"), ("b_sn_sx", "b_gn_sx", "b_dob_y")),
    BlockingRule("snswapy", ("b_sn", "b_sn2", "b_dob_y"), ("b_sn2", "b_sn", "b_dob_y")),
    BlockingRule("doc", ("b_document",), identifying=True),
    BlockingRule("phonegn1", ("b_phone", "b_gn1"), identifying=True),
    BlockingRule("phonesn1", ("b_phone", "b_sn1"), identifying=True),
)
DETERMINISTIC: Final = (
    "l.gn = r.gn AND l.dob = r.dob",
    "l.sn = r.sn AND l.dob = r.dob",
    "l.gn = r.gn AND l.sn = r.sn",
)


@dataclass(frozen=True)
class Design:
    """Which comparisons and blocking rules a dataset gets. ``registry``: the two-surname
    fields of our registrations (False for FEBRL's single surname); ``address``: the
    FEBRL address fields."""

    fields: Fields
    registry: bool
    address: bool = False

    def comparisons(self) -> list[Comparison]:
        """The comparisons, each level with its SQL (for Splink) and its Python twin
        (for :mod:`movilidad.identity.scoring`), in Splink's order."""
        made = [
            _name("gn", "sn", "given_name", None),
            _name("sn", "gn", "surname", "sn2" if self.registry else None),
            _date_of_birth(),
        ]
        if self.registry:
            made += [_optional("sn2", "second_surname"), _optional("gn2", "other_given_names")]
        if self.fields == "all":
            made.append(_edits_at("document", [1, 2]))
            if self.registry:
                # Not nationality: names are drawn from one's nationality's pool, so
                # agreeing on it and on the names is one piece of evidence counted twice
                # (Fellegi–Sunter assumes comparisons independent given the match
                # status). With it, pairs of different Haitians sharing a common name
                # and birth year passed as duplicates: F1 0.92 for HTI at 1,000,000
                # records, 0.97 without it.
                made += [_exact_match("phone"), _exact_match("sex")]
            if self.address:
                made += [
                    _exact_match("street_number", frequency=True),
                    _edits_at("postcode", [1, 2]),
                    _jaro_winkler_at("address_1", [0.9, 0.7]),
                    _jaro_winkler_at("suburb", [0.9, 0.7]),
                    _exact_match("state"),
                ]
        return made

    def splink_comparisons(self) -> list[Any]:
        """:meth:`comparisons` as Splink comparison objects."""
        return [comparison.as_splink() for comparison in self.comparisons()]

    def date_of_birth_training(self) -> Any:
        """The blocking rule of the EM session that estimates the date-of-birth levels
        (the name levels stay as learnt). It must gather pairs that are nearly all
        the same person without looking at the date: the document number where
        there is one, else the full name with both surnames in the registry (common
        first names and surnames would otherwise teach the model that the same
        person often has an unrelated date of birth), else name prefixes (FEBRL,
        whose names are rarely shared)."""
        if self.registry and self.fields == "all":
            return block_on("b_document")
        if self.registry:
            return block_on("b_gn", "b_sn", "b_sn2")
        return block_on("b_gn3", "b_sn3")

    def registry_rules(self) -> tuple[BlockingRule, ...]:
        """The registry's blocking rules for these fields (:data:`REGISTRY_BLOCKING`,
        the identifying ones only with ``fields="all"``)."""
        return tuple(rule for rule in REGISTRY_BLOCKING
                     if self.fields == "all" or not rule.identifying)  # fmt: skip

    def blocking(self) -> list[Any]:
        """Splink's blocking rules: :meth:`registry_rules` for the registry, else
        :data:`FEBRL_BLOCKING` (with the document number, and the postcode for the
        address fields, when ``fields="all"``)."""
        if self.registry:
            return [rule.as_splink() for rule in self.registry_rules()]
        rules: list[Any] = [rule if isinstance(rule, str) else block_on(*rule)
                            for rule in FEBRL_BLOCKING]  # fmt: skip
        if self.fields == "all":
            rules.append(block_on("b_document"))
            if self.address:
                rules.append(block_on("b_postcode"))
        return rules


@dataclass
class Trained:
    """A trained model (Splink's JSON, with λ, m and u per level) and the linker that
    holds the registered data."""

    linker: Linker
    model: dict[str, Any]
    seconds: float


def train(
    frames: Sequence[pd.DataFrame],
    design: Design,
    *,
    names: Sequence[str] | None = None,
    recall: float = 0.8,
) -> Trained:
    """Train the model on ``frames`` (one frame: deduplication; two: linkage of one to
    the other) of feature rows (:mod:`movilidad.identity.features`). ``names`` are the
    datasets' display names (for linkage). Returns the trained linker, its model and
    the seconds it took."""
    from splink import DuckDBAPI, Linker, SettingsCreator

    started = time.perf_counter()
    db = DuckDBAPI()
    labels = list(names or [f"dataset_{n}" for n in range(len(frames))])
    tables = [db.register(frame, dataset_display_name=label)
              for frame, label in zip(frames, labels, strict=True)]  # fmt: skip
    settings = SettingsCreator(
        link_type="link_only" if len(tables) > 1 else "dedupe_only",
        comparisons=design.splink_comparisons(),
        blocking_rules_to_generate_predictions=design.blocking(),
        retain_intermediate_calculation_columns=False,
    )
    source = tables if len(tables) > 1 else tables[0]
    linker = Linker(source, settings)
    linker.training.estimate_probability_two_random_records_match(list(DETERMINISTIC),
                                                                  recall=recall)  # fmt: skip
    linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=SEED)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    model = linker.misc.save_model_to_json()
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("m_probability") is not None and not level.get("is_null_level"):
                level["fix_m_probability"] = True
    linker = Linker(source, model)
    linker.training.estimate_parameters_using_expectation_maximisation(
        design.date_of_birth_training()
    )
    return Trained(linker, linker.misc.save_model_to_json(), time.perf_counter() - started)


def predict(trained: Trained, threshold: float = 0.0) -> pd.DataFrame:
    """Score every blocked pair; keep those with match probability ≥ ``threshold``.
    Columns: ``unique_id_l``, ``unique_id_r``, ``source_dataset_l``/``_r`` (linkage),
    ``match_probability``, ``match_weight`` and one ``gamma_<comparison>`` per
    comparison (the level reached, −1 for null)."""
    scored = trained.linker.inference.predict(threshold_match_probability=threshold or None)
    frame: pd.DataFrame = scored.as_pandas_dataframe()  # type: ignore[no-untyped-call]
    return frame


@dataclass(frozen=True)
class Scores:
    """Pairwise quality against the truth. ``pairs_compared``: pairs after blocking."""

    precision: float
    recall: float
    f1: float
    pairs_compared: int
    true_positives: int
    false_positives: int
    false_negatives: int


def score(predicted: set[frozenset[str]], truth: set[frozenset[str]], compared: int) -> Scores:
    """Precision, recall and F1 of ``predicted`` pairs against ``truth`` (both as
    frozensets of two ids)."""
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(round(precision, 4), round(recall, 4), round(f1, 4), compared, hits,
                  len(predicted) - hits, len(truth) - hits)  # fmt: skip
