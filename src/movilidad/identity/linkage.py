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
* with ``fields="all"``: the document number (exact, one or two edits), phone, sex and
  nationality (registry), or the FEBRL address fields.

Blocking (which pairs are compared at all) is the union of rules on exact date of
birth, name prefixes, phonetic codes with the birth year, swapped names and, with all
fields, document number and phone; about 2–4 pairs per record on FEBRL.

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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

Fields = Literal["all", "names-dob"]

#: A pair is a match when its match probability reaches this (match weight ≥ 0: the
#: Bayes decision at equal costs).
MATCH_PROBABILITY: Final = 0.5
U_MAX_PAIRS: Final = 5_000_000
SEED: Final = 42

logging.getLogger("splink").setLevel(logging.WARNING)


def _level(sql: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, **extra}


def _name(column: str, other: str, output: str, second: str | None) -> Any:
    left, right, other_right = f"{column}_l", f"{column}_r", f"{other}_r"
    frequency = {"tf_adjustment_column": column, "tf_minimum_u_value": 0.001}
    levels: list[Any] = [
        _level(f"{left} IS NULL OR {right} IS NULL", "null", is_null_level=True),
        _level(f"{left} = {right}", "exact", tf_adjustment_weight=1.0, **frequency),
        _level(f"damerau_levenshtein({left}, {right}) <= 1", "one edit",
               tf_adjustment_weight=0.5, **frequency),
        _level(f"jaro_winkler_similarity({left}, {right}) >= 0.92", "Jaro-Winkler >= 0.92"),
        _level(f"damerau_levenshtein({left}, {other_right}) <= 1", "swapped with the other name"),
    ]  # fmt: skip
    if second is not None:
        levels.append(_level(
            f"damerau_levenshtein({left}, {second}_r) <= 1 OR "
            f"damerau_levenshtein({second}_l, {right}) <= 1",
            "surnames swapped",
        ))  # fmt: skip
    levels += [
        _level(f"{column}_ny_l = {column}_ny_r OR {column}_mp_l = {column}_mp_r",
               "same NYSIIS or metaphone code"),
        _level(f"jaro_winkler_similarity({left}, {right}) >= 0.8", "Jaro-Winkler >= 0.8"),
        _level("ELSE", "else"),
    ]  # fmt: skip
    return cl.CustomComparison(levels, output_column_name=output)


def _optional(column: str, output: str) -> Any:
    return cl.CustomComparison([
        _level(f"{column}_l IS NULL OR {column}_r IS NULL", "null", is_null_level=True),
        _level(f"{column}_l = {column}_r", "exact"),
        _level(f"damerau_levenshtein({column}_l, {column}_r) <= 1", "one edit"),
        _level("ELSE", "else"),
    ], output_column_name=output)  # fmt: skip


def _date_of_birth() -> Any:
    return cl.CustomComparison([
        _level("dob_l IS NULL OR dob_r IS NULL", "null", is_null_level=True),
        _level("dob_l = dob_r", "exact"),
        _level("damerau_levenshtein(dob_l, dob_r) <= 1 OR (dob_y_l = dob_y_r AND "
               "dob_m_l = dob_d_r AND dob_d_l = dob_m_r)", "one digit, or day and month swapped"),
        _level("damerau_levenshtein(dob_l, dob_r) <= 2", "two digits"),
        _level("dob_y_l = dob_y_r", "same year"),
        _level("ELSE", "else"),
    ], output_column_name="date_of_birth")  # fmt: skip


NAME_DOB_BLOCKING: Final = (
    block_on("b_dob"),
    block_on("b_gn3", "b_sn3"),
    "l.b_gn_sx = r.b_sn_sx AND l.b_sn_sx = r.b_gn_sx",
    block_on("b_gn", "b_sn1"),
    block_on("b_sn", "b_gn1"),
    block_on("b_sn_ny", "b_dob_y"),
    block_on("b_gn_ny", "b_dob_y"),
    block_on("b_dob_y", "b_dob_m", "b_sn1"),
    block_on("b_sn_ny", "b_dob_md"),
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

    def comparisons(self) -> list[Any]:
        made = [
            _name("gn", "sn", "given_name", None),
            _name("sn", "gn", "surname", "sn2" if self.registry else None),
            _date_of_birth(),
        ]
        if self.registry:
            made += [_optional("sn2", "second_surname"), _optional("gn2", "other_given_names")]
        if self.fields == "all":
            made.append(cl.DamerauLevenshteinAtThresholds("document", [1, 2]))
            if self.registry:
                made += [cl.ExactMatch("phone"), cl.ExactMatch("sex"), cl.ExactMatch("nationality")]
            if self.address:
                made += [
                    cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
                    cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]),
                    cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
                    cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
                    cl.ExactMatch("state"),
                ]
        return made

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

    def blocking(self) -> list[Any]:
        rules: list[Any] = list(NAME_DOB_BLOCKING)
        if self.registry:
            rules.append("l.b_sn = r.b_sn2 AND l.b_sn2 = r.b_sn")
        if self.fields == "all":
            rules.append(block_on("b_document"))
            if self.registry:
                rules.append(block_on("b_phone"))
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
    started = time.perf_counter()
    db = DuckDBAPI()
    labels = list(names or [f"dataset_{n}" for n in range(len(frames))])
    tables = [db.register(frame, dataset_display_name=label)
              for frame, label in zip(frames, labels, strict=True)]  # fmt: skip
    settings = SettingsCreator(
        link_type="link_only" if len(tables) > 1 else "dedupe_only",
        comparisons=design.comparisons(),
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
