"""Intake-time scoring: the model's arithmetic on hand-made models, and the Python twins
of the levels' SQL. That Splink gives the same scores is checked in
tests/integration/identity/test_scoring_agrees_with_splink.py."""

from __future__ import annotations

import math
from typing import Any

import pytest

from movilidad.identity import linkage
from movilidad.identity.features import features
from movilidad.identity.scoring import (
    Scorer,
    frequency_columns,
    match_probability,
    term_frequencies,
)

DESIGN = linkage.Design("names-dob", registry=False)
PRIOR = 0.001


def _model(design: linkage.Design = DESIGN, *, untrained: str | None = None) -> dict[str, Any]:
    """A model JSON for ``design`` as Splink writes it: level n of a comparison (null
    level skipped) gets m = 0.9 / 2^n and u = 0.001 · 3^n; ``untrained`` names a
    comparison whose levels have no m or u (never estimated)."""
    comparisons = []
    for comparison in design.comparisons():
        levels = []
        n = 0
        for level in comparison.levels:
            settings = level.as_splink()
            if not level.splink.get("is_null_level") and comparison.output != untrained:
                settings |= {"m_probability": 0.9 / 2**n, "u_probability": 0.001 * 3**n}
                n += 1
            levels.append(settings)
        comparisons.append({"output_column_name": comparison.output,
                            "comparison_levels": levels})  # fmt: skip
    return {"probability_two_random_records_match": PRIOR, "comparisons": comparisons}


def _bits(position: int) -> float:
    """log2(m/u) of the level at ``position`` (0: the first non-null level)."""
    return math.log2((0.9 / 2**position) / (0.001 * 3**position))


def _person(uid: str, given: str, surname: str, dob: str) -> dict[str, Any]:
    return features({"unique_id": uid, "given_names": given, "first_surname": surname,
                     "date_of_birth": dob})  # fmt: skip


def test_the_match_weight_is_the_prior_plus_each_levels_log2_m_over_u() -> None:
    left = _person("1", "María", "Pérez", "1990-03-07")
    right = _person("2", "Maria", "Peres", "1990-07-03")
    score = Scorer(_model(), DESIGN).score(left, right)
    # given name exact (position 0), surname one edit (1), date of birth day and
    # month swapped (1)
    assert [(c.comparison, c.label) for c in score.comparisons] == [
        ("given_name", "exact"), ("surname", "one edit"),
        ("date_of_birth", "one digit, or day and month swapped"),
    ]  # fmt: skip
    assert [c.level for c in score.comparisons] == [6, 5, 3]  # gamma_*, as Splink numbers
    expected = math.log2(PRIOR / (1 - PRIOR)) + _bits(0) + _bits(1) + _bits(1)
    assert score.match_weight == pytest.approx(expected, abs=1e-12)
    assert score.match_probability == pytest.approx(2**expected / (1 + 2**expected))
    assert all(c.tf_adjustment == 0.0 for c in score.comparisons)  # no frequencies given


def test_a_common_name_counts_for_less_than_a_rare_one() -> None:
    frequencies = {"gn": {"maria": 0.05, "quiteria": 0.0002}, "sn": {"perez": 0.02}}
    scorer = Scorer(_model(), DESIGN, frequencies)
    u_exact = 0.001  # u of the exact level (position 0)
    common = scorer.score(_person("1", "María", "Pérez", "1990-03-07"),
                          _person("2", "María", "Peres", "1990-03-07"))  # fmt: skip
    given, surname = common.comparisons[0], common.comparisons[1]
    assert given.tf_adjustment == pytest.approx(math.log2(u_exact) - math.log2(0.05))
    # one edit: half the adjustment, by the more frequent side (the other is unknown)
    assert surname.label == "one edit"
    assert surname.tf_adjustment == pytest.approx(0.5 * (math.log2(u_exact) - math.log2(0.02)))
    rare = scorer.score(_person("1", "Quiteria", "Pérez", "1990-03-07"),
                        _person("2", "Quiteria", "Peres", "1990-03-07"))  # fmt: skip
    # below tf_minimum_u_value (0.001) the frequency is floored
    assert rare.comparisons[0].tf_adjustment == pytest.approx(0.0)
    assert rare.match_weight > common.match_weight
    unknown = scorer.score(_person("1", "Zoe", "Pérez", "1990-03-07"),
                           _person("2", "Zoe", "Peres", "1990-03-07"))  # fmt: skip
    assert unknown.comparisons[0].tf_adjustment == 0.0  # neither side has a frequency


def test_a_missing_value_is_no_evidence_either_way() -> None:
    left = _person("1", "", "Pérez", "1990-03-07")
    right = _person("2", "María", "Pérez", "")
    score = Scorer(_model(), DESIGN, {"gn": {"maria": 0.5}}).score(left, right)
    given, _, born = score.comparisons
    assert (given.level, given.label, given.weight, given.tf_adjustment) == (-1, "null", 0, 0)
    assert (born.level, born.weight) == (-1, 0.0)


def test_a_level_never_estimated_weighs_splinks_default() -> None:
    scorer = Scorer(_model(untrained="date_of_birth"), DESIGN)
    left = _person("1", "Ana", "Soto", "1990-03-07")
    # Splink's defaults for five levels: 10 bits for the first, then −5 to 3 bits.
    for dob, bits in [("1990-03-07", 10.0), ("1990-03-08", 3.0), ("1990-03-18", 1 / 3),
                      ("1990-11-21", -7 / 3), ("1975-11-21", -5.0)]:  # fmt: skip
        part = scorer.score(left, _person("2", "Ana", "Soto", dob)).comparisons[2]
        assert part.weight == pytest.approx(bits, abs=1e-9), (dob, part)


def test_a_model_of_another_design_is_refused() -> None:
    other = linkage.Design("all", registry=True)
    with pytest.raises(ValueError, match="not the design"):
        Scorer(_model(other), DESIGN)
    changed = _model()
    changed["comparisons"][0]["comparison_levels"][3]["sql_condition"] = "gn_l = gn_r"
    with pytest.raises(ValueError, match="levels of 'given_name'"):
        Scorer(changed, DESIGN)


def test_every_design_compiles_and_scores_identical_records_as_a_match() -> None:
    record = {"unique_id": "1", "given_names": "Jean Marc", "first_surname": "Saint-Fleur",
              "second_surname": "Pierre", "date_of_birth": "1988-12-01", "sex": "M",
              "nationality": "HTI", "phone": "+50212345678", "document_number": "AB 123",
              "street_number": "12", "address_1": "main st", "suburb": "x", "postcode": "2000",
              "state": "nsw"}  # fmt: skip
    for fields in ("all", "names-dob"):
        for registry, address in ((True, False), (False, True)):
            design = linkage.Design(fields, registry=registry, address=address)
            row = features(record, address=address)
            score = Scorer(_model(design), design).score(row, dict(row, unique_id="2"))
            assert all(c.label in ("exact", f"Exact match on {c.comparison}")
                       for c in score.comparisons), score  # fmt: skip
            assert score.match_probability > 0.99


def test_term_frequencies_are_shares_of_the_values_present() -> None:
    rows: list[dict[str, str | None]] = [{"gn": "ana"}, {"gn": "ana"}, {"gn": "eva"}, {"gn": None}]
    assert term_frequencies(rows, ["gn"]) == {"gn": {"ana": 2 / 3, "eva": 1 / 3}}
    assert frequency_columns(_model()) == ["gn", "sn"]


def test_match_probability_is_the_logistic_of_the_weight_in_bits() -> None:
    assert match_probability(0.0) == 0.5
    assert match_probability(10.0) == pytest.approx(1024 / 1025)
    assert match_probability(-10.0) == pytest.approx(1 / 1025)
    assert match_probability(-2000.0) == 0.0  # no overflow either way
    assert match_probability(2000.0) == 1.0


def test_each_condition_is_written_in_sql_and_python_alike() -> None:
    swapped = linkage.any_of(
        linkage.edits("dob", 1),
        linkage.all_of(linkage.equal("dob_y"), linkage.equal("dob_m", "dob_d")),
    )
    assert swapped.sql == (
        "damerau_levenshtein(dob_l, dob_r) <= 1 OR (dob_y_l = dob_y_r AND dob_m_l = dob_d_r)"
    )
    left = {"dob": "19900307", "dob_y": "1990", "dob_m": "03", "dob_d": "07"}
    assert swapped.test(left, {"dob": "19900703", "dob_y": "1990", "dob_m": "07", "dob_d": "03"})
    assert not swapped.test(left, {"dob": None, "dob_y": None, "dob_m": None, "dob_d": None})
    assert linkage.jaro_winkler("gn", 0.92).sql == "jaro_winkler_similarity(gn_l, gn_r) >= 0.92"
    assert linkage.is_null("gn").test({"gn": None}, {"gn": "ana"})
    assert not linkage.equal("gn").test({"gn": None}, {"gn": None})  # NULL = NULL is not TRUE


def test_swapped_names_are_read_from_left_given_name_to_right_surname() -> None:
    # Levels are not all symmetric, hence Splink's fixed order of the pair.
    swapped = linkage.edits("gn", 1, "sn")
    assert swapped.sql == "damerau_levenshtein(gn_l, sn_r) <= 1"
    first, second = {"gn": "perez", "sn": "gomez"}, {"gn": "maria", "sn": "peres"}
    assert swapped.test(first, second)
    assert not swapped.test(second, first)
