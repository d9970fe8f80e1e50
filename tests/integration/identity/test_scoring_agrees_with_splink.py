"""The intake-time scorer (:mod:`movilidad.identity.scoring`) gives Splink's scores.

A model is trained on a synthetic registry of 5,000 records (fields "all" and
"names-dob") and on FEBRL3 (the address comparisons); Splink then scores every blocked
pair, and the pure-Python scorer, given the model's JSON and term frequencies computed
from the same records, must reach the same level of every comparison and the same
match weight, within 1e-9 bits (the two compute in the same floating-point operations;
the difference observed is 0).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
import pytest
from splink import DuckDBAPI, Linker

from movilidad.identity import evaluate, features, linkage, synth
from movilidad.identity.scoring import Scorer, frequency_columns, term_frequencies

SIZE = 5_000
SEED = 5
#: Random pairs for estimating u: fewer than in production (5 million) to keep the
#: test quick; the agreement does not depend on how well the model is trained.
U_PAIRS = 1_200_000
TOLERANCE = 1e-9  # bits


@dataclass(frozen=True)
class Case:
    design: linkage.Design
    rows: list[dict[str, Any]]
    trained: linkage.Trained

    def scorer(self) -> Scorer:
        model = self.trained.model
        frequencies = term_frequencies(self.rows, frequency_columns(model))
        return Scorer(model, self.design, frequencies)

    def pairs(self, predicted: pd.DataFrame) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """The rows of each predicted pair, in Splink's order (left, right)."""
        by_id = {row["unique_id"]: row for row in self.rows}
        ids = zip(predicted.unique_id_l, predicted.unique_id_r, strict=True)
        return [(by_id[left], by_id[right]) for left, right in ids]


def _trained(rows: list[dict[str, Any]], design: linkage.Design) -> Case:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(linkage, "U_MAX_PAIRS", U_PAIRS)
        trained = linkage.train([pd.DataFrame(rows)], design)
    return Case(design, rows, trained)


@pytest.fixture(scope="module", params=["all", "names-dob"])
def registry(request: pytest.FixtureRequest) -> Case:
    records = list(synth.generate(SIZE, SEED))
    rows = features.feature_rows([{**asdict(r), "unique_id": str(r.record_id)} for r in records])
    return _trained(rows, linkage.Design(request.param, registry=True))


@pytest.fixture(scope="module")
def febrl3() -> Case:
    loaded = evaluate.load("febrl3", "all")
    return _trained(loaded.frames[0].to_dict("records"), loaded.design)


def _broadly_blocked(case: Case) -> pd.DataFrame:
    """Splink's predictions over the broad FEBRL blocking rules, which bring together
    many more pairs of the registry, most of them different people, than its own."""
    rules = [rule if isinstance(rule, str) else linkage.block_on(*rule)
             for rule in linkage.FEBRL_BLOCKING]  # fmt: skip
    settings = {**case.trained.model, "blocking_rules_to_generate_predictions": rules}
    linker = Linker(DuckDBAPI().register(pd.DataFrame(case.rows)), settings)
    return linker.inference.predict().as_pandas_dataframe()  # type: ignore[no-untyped-call]


def _assert_same_scores(case: Case, *, broad: bool = False) -> int:
    predicted = _broadly_blocked(case) if broad else linkage.predict(case.trained)
    scorer = case.scorer()
    gammas = [column for column in predicted.columns if column.startswith("gamma_")]
    worst_weight = worst_probability = 0.0
    for (left, right), splink in zip(case.pairs(predicted), predicted.to_dict("records"),
                                     strict=True):  # fmt: skip
        score = scorer.score(left, right)
        levels = {f"gamma_{part.comparison}": part.level for part in score.comparisons}
        assert levels == {gamma: splink[gamma] for gamma in gammas}, (left, right)
        worst_weight = max(worst_weight, abs(score.match_weight - splink["match_weight"]))
        difference = abs(score.match_probability - splink["match_probability"])
        worst_probability = max(worst_probability, difference)
    assert worst_weight <= TOLERANCE
    assert worst_probability <= 1e-12
    return len(predicted)


def test_every_blocked_pair_of_the_registry_gets_splinks_levels_and_weight(registry: Case) -> None:
    assert _assert_same_scores(registry) > 1_000
    assert _assert_same_scores(registry, broad=True) > 10_000


def test_every_blocked_pair_of_febrl3_gets_splinks_levels_and_weight(febrl3: Case) -> None:
    assert _assert_same_scores(febrl3) > 20_000


def test_each_comparison_gets_splinks_partial_weight_and_frequency_adjustment(
    registry: Case,
) -> None:
    # Splink keeps each comparison's weight (mw_*) and term-frequency adjustment
    # (mw_tf_adj_*) when asked to: predict again from the saved model JSON.
    settings = {**registry.trained.model, "retain_intermediate_calculation_columns": True}
    linker = Linker(DuckDBAPI().register(pd.DataFrame(registry.rows)), settings)
    predicted = linker.inference.predict().as_pandas_dataframe()  # type: ignore[no-untyped-call]
    scorer = registry.scorer()
    worst, adjusted = 0.0, 0
    for (left, right), splink in zip(registry.pairs(predicted), predicted.to_dict("records"),
                                     strict=True):  # fmt: skip
        for part in scorer.score(left, right).comparisons:
            expected = splink.get(f"mw_tf_adj_{part.comparison}", 0.0)
            worst = max(worst, abs(part.weight - splink[f"mw_{part.comparison}"]),
                        abs(part.tf_adjustment - expected))  # fmt: skip
            adjusted += part.tf_adjustment != 0.0
    assert worst <= TOLERANCE
    assert adjusted > 1_000  # the adjustments were exercised


def test_the_intake_blocking_keys_find_exactly_splinks_blocked_pairs(registry: Case) -> None:
    # The intake check finds candidates through stored keys (movilidad.identity.keys);
    # the batch run blocks with Splink. Both must put the same pairs together.
    from movilidad.identity import keys

    rules = {rule.name for rule in registry.design.registry_rules()}

    def kept(found: set[str]) -> set[str]:
        return {key for key in found if key.split(":", 1)[0] in rules}

    holders: dict[str, set[str]] = {}
    for row in registry.rows:
        for key in kept(keys.plain_stored_keys(row)):
            holders.setdefault(key, set()).add(row["unique_id"])
    by_keys = {
        frozenset((row["unique_id"], other))
        for row in registry.rows
        for key in kept(keys.plain_query_keys(row))
        for other in holders.get(key, ())
        if other != row["unique_id"]
    }
    predicted = linkage.predict(registry.trained)
    ids = zip(predicted.unique_id_l.astype(str), predicted.unique_id_r.astype(str), strict=True)
    by_splink = {frozenset(pair) for pair in ids}
    assert by_keys == by_splink
