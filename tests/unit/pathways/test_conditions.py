"""Three-valued JSON Logic: Kleene truth tables, agreement with a reference JSON Logic
implementation when every fact is known, and monotonicity (learning a fact never
reverses a settled answer)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from json_logic import jsonLogic

from movilidad.pathways.conditions import (
    UNKNOWN,
    ConditionError,
    VarUse,
    evaluate,
    truthy,
    variables,
)

T, F, U = True, False, UNKNOWN


def _lit(value: Any) -> dict[str, Any]:
    """A condition whose truth is ``value`` (T/F) or unknown (U)."""
    if value is U:
        return {"==": [{"var": "missing"}, 1]}
    return {"==": [1, 1 if value else 2]}


@pytest.mark.parametrize(
    ("a", "b", "and_", "or_"),
    [
        (T, T, T, T), (T, F, F, T), (T, U, U, T),
        (F, F, F, F), (F, U, F, U), (U, U, U, U),
    ],
)  # fmt: skip
def test_kleene_truth_tables(a: Any, b: Any, and_: Any, or_: Any) -> None:
    for x, y in ((a, b), (b, a)):
        assert evaluate({"and": [_lit(x), _lit(y)]}, {}) is and_
        assert evaluate({"or": [_lit(x), _lit(y)]}, {}) is or_


def test_not_of_unknown_is_unknown() -> None:
    assert evaluate({"!": _lit(U)}, {}) is U
    assert evaluate({"!": _lit(T)}, {}) is False


def test_comparisons_with_an_unknown_fact_are_unknown() -> None:
    for op in ("==", "!=", "<", "<=", ">", ">=", "in"):
        assert evaluate({op: [{"var": "age"}, 18]}, {}) is U


def test_known_none_compares_by_equality_only() -> None:
    facts = {"asylum_registered_on": None}
    assert evaluate({"==": [{"var": "asylum_registered_on"}, None]}, facts) is True
    assert evaluate({"<=": [{"var": "asylum_registered_on"}, "2023-10-18"]}, facts) is False
    assert evaluate({"==": [{"var": "asylum_registered_on"}, None]}, {}) is U


def test_quantifiers_over_unknown_and_partial_items() -> None:
    relatives = {"relatives_abroad": [{"country": "CAN"}, {"country": "USA", "status": "x"}]}
    some_can_citizen = {
        "some": [
            {"var": "relatives_abroad"},
            {"and": [{"==": [{"var": "country"}, "CAN"]}, {"==": [{"var": "status"}, "x"]}]},
        ]
    }
    assert evaluate(some_can_citizen, {}) is U
    assert evaluate(some_can_citizen, relatives) is U  # the Canadian relative's status is unknown
    assert evaluate(some_can_citizen, {"relatives_abroad": []}) is False
    assert evaluate({"all": [{"var": "relatives_abroad"}, True]}, {"relatives_abroad": []}) is False


def test_variables_resolve_quantifier_scopes() -> None:
    condition = {
        "some": [{"var": "relatives_abroad"}, {"==": [{"var": "country"}, "CAN"]}],
    }
    assert list(variables(condition)) == [
        VarUse("relatives_abroad"),
        VarUse("relatives_abroad.country"),
    ]


@pytest.mark.parametrize(
    "bad",
    [
        {"+": [1, 2]},
        {"==": [1]},
        {"==": [1, 2], "!=": [1, 2]},
        {"some": [[1, 2], True]},
        {"var": ""},
        {"var": 3},
    ],
)
def test_malformed_conditions_are_refused(bad: Any) -> None:
    with pytest.raises(ConditionError):
        list(variables(bad))


# --- property tests ------------------------------------------------------------------

FACTS = {
    "age": st.integers(0, 90),
    "status": st.sampled_from(["regular", "irregular", "asylum_seeker"]),
    "since": st.dates().map(lambda d: d.isoformat()),
    "flag": st.booleans(),
    "nats": st.lists(st.sampled_from(["COL", "VEN", "HTI", "CUB"]), min_size=1, max_size=3),
}
LITERALS = {
    "age": st.integers(0, 90),
    "status": st.sampled_from(["regular", "irregular", "asylum_seeker"]),
    "since": st.dates().map(lambda d: d.isoformat()),
    "flag": st.booleans(),
}


def _leaf() -> st.SearchStrategy[dict[str, Any]]:
    comparisons = st.one_of(
        *[
            st.tuples(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), literal).map(
                lambda t, name=name: {t[0]: [{"var": name}, t[1]]}
            )
            for name, literal in LITERALS.items()
        ]
    )
    membership = st.one_of(
        st.sampled_from(["COL", "VEN", "HTI"]).map(lambda c: {"in": [c, {"var": "nats"}]}),
        st.lists(st.sampled_from(["regular", "irregular"]), max_size=2).map(
            lambda vs: {"in": [{"var": "status"}, vs]}
        ),
        st.sampled_from(["COL", "VEN"]).map(
            lambda c: {"some": [{"var": "nats"}, {"==": [{"var": ""}, c]}]}
        ),
    )
    return st.one_of(comparisons, membership)


conditions = st.recursive(
    _leaf(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"and": xs}),
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"or": xs}),
        inner.map(lambda x: {"!": x}),
    ),
    max_leaves=8,
)
full_facts = st.fixed_dictionaries(FACTS)


@settings(max_examples=400)
@given(conditions, full_facts)
def test_with_every_fact_known_we_agree_with_reference_json_logic(
    condition: dict[str, Any], facts: dict[str, Any]
) -> None:
    ours = truthy(evaluate(condition, facts))
    assert ours is not UNKNOWN
    assert ours == bool(jsonLogic(condition, facts))


@settings(max_examples=400)
@given(conditions, full_facts, st.sets(st.sampled_from(sorted(FACTS))))
def test_an_answer_given_with_unknowns_never_changes_when_they_become_known(
    condition: dict[str, Any], facts: dict[str, Any], hidden: set[str]
) -> None:
    partial = {k: v for k, v in facts.items() if k not in hidden}
    settled = truthy(evaluate(condition, partial))
    if settled is not UNKNOWN:
        assert truthy(evaluate(condition, facts)) is settled
