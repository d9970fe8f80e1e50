"""Batch screening: criteria compiled to Polars expressions over a frame of households.

Re-screening a caseload evaluates every criterion as one vectorised expression over
all households instead of looping the scalar engine. Semantics are those of
:mod:`movilidad.pathways.conditions` (the property tests check that both agree):

* every answered fact ``f`` is a column ``f`` plus a Boolean column ``f__known``
  (false = unknown; true with a null value = answered "none");
* a truth value is a nullable Boolean where null means unknown; Polars' ``&``, ``|``
  and ``~`` follow Kleene logic, as the scalar engine does;
* dates are ISO text, compared as text; list facts are list columns (of structs for
  ``relatives_abroad``).

Output codes: criterion status 0 = met, 1 = not met, 2 = unknown; outcome codes in
:data:`OUTCOME_CODES`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import polars as pl

from movilidad.pathways.catalogue import Catalogue, Pathway, PathwayVersion
from movilidad.pathways.conditions import COMPARISONS, ConditionError
from movilidad.pathways.facts import FactSpec
from movilidad.screening.engine import CriterionStatus, Outcome

OUTCOME_CODES: Final = (Outcome.ELIGIBLE, Outcome.INELIGIBLE, Outcome.NEEDS_INFORMATION,
                        Outcome.NOT_OPEN)  # fmt: skip
STATUS_CODES: Final = (CriterionStatus.MET, CriterionStatus.NOT_MET, CriterionStatus.UNKNOWN)

_SCALAR_TYPES: Final[dict[str, pl.DataType]] = {
    "country": pl.String(),
    "date": pl.String(),
    "bool": pl.Boolean(),
    "integer": pl.Int64(),
    "enum": pl.String(),
}


def _dtype(spec: FactSpec) -> pl.DataType:
    if spec.type == "countries":
        return pl.List(pl.String())
    if spec.type == "list":
        return pl.List(pl.Struct({name: _dtype(f) for name, f in spec.fields.items()}))
    return _SCALAR_TYPES[spec.type]


def facts_frame(catalogue: Catalogue, households: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """A frame of validated household facts (see :func:`validate_facts`): one row per
    household, value and ``__known`` columns for every answered fact."""
    columns: dict[str, pl.Series] = {}
    for name, spec in catalogue.facts.facts.items():
        if spec.derived:
            continue
        columns[name] = pl.Series(name, [h.get(name) for h in households], dtype=_dtype(spec))
        columns[f"{name}__known"] = pl.Series(
            f"{name}__known", [name in h for h in households], dtype=pl.Boolean()
        )
    return pl.DataFrame(columns)


def _years_since(column: str, as_of: date) -> pl.Expr:
    born = pl.col(column).str.to_date("%Y-%m-%d", strict=False)
    before_birthday = (born.dt.month() > as_of.month) | (
        (born.dt.month() == as_of.month) & (born.dt.day() > as_of.day)
    )
    return (pl.lit(as_of.year) - born.dt.year() - before_birthday.cast(pl.Int32)).cast(pl.Int64)


def with_derived_columns(frame: pl.DataFrame | pl.LazyFrame, as_of: date) -> pl.LazyFrame:
    """Add the derived facts (age, removed_from_us_within_5_years) for ``as_of``."""
    lazy = frame.lazy()
    return lazy.with_columns(
        _years_since("date_of_birth", as_of).alias("age"),
        pl.col("date_of_birth__known").alias("age__known"),
        pl.when(pl.col("removed_from_us_on").is_null())
        .then(False)
        .otherwise(
            (pl.col("removed_from_us_on") <= as_of.isoformat())
            & (_years_since("removed_from_us_on", as_of) < 5)
        )
        .alias("removed_from_us_within_5_years"),
        pl.col("removed_from_us_on__known").alias("removed_from_us_within_5_years__known"),
    )


@dataclass(frozen=True)
class _Value:
    expr: pl.Expr
    unknown: pl.Expr  # Boolean: the value is unknown
    literal: Any = None
    is_literal: bool = False
    is_list_literal: bool = False


_FALSE: Final = pl.lit(False)
_NULL_BOOL: Final = pl.lit(None, dtype=pl.Boolean())


def _unknown_or(unknown: pl.Expr, value: pl.Expr) -> pl.Expr:
    return pl.when(unknown).then(_NULL_BOOL).otherwise(value)


class _Compiler:
    def value(self, node: Any, element: bool) -> _Value:
        if isinstance(node, Mapping) and "var" in node and len(node) == 1:
            args = node["var"]
            name = args[0] if isinstance(args, list) else args
            if element:
                expr = pl.element() if name == "" else pl.element().struct.field(str(name))
                return _Value(expr, expr.is_null())
            return _Value(pl.col(str(name)), ~pl.col(f"{name}__known"))
        if isinstance(node, Mapping):
            return _Value(self.truth(node, element), _FALSE)
        if isinstance(node, list):
            return _Value(pl.lit(None), _FALSE, literal=node, is_literal=True, is_list_literal=True)
        return _Value(pl.lit(node), _FALSE, literal=node, is_literal=True)

    def truth(self, node: Any, element: bool = False) -> pl.Expr:
        if not isinstance(node, Mapping):
            return pl.lit(bool(node))
        ((op, args),) = node.items()
        if not isinstance(args, list):
            args = [args]
        if op == "and":
            result = self.truth(args[0], element)
            for arg in args[1:]:
                result = result & self.truth(arg, element)
            return result
        if op == "or":
            result = self.truth(args[0], element)
            for arg in args[1:]:
                result = result | self.truth(arg, element)
            return result
        if op == "!":
            return ~self.truth(args[0], element)
        if op in ("some", "all", "none"):
            return self._quantifier(op, args, element)
        if op == "in":
            return self._in(self.value(args[0], element), self.value(args[1], element))
        if op in COMPARISONS:
            return self._compare(op, self.value(args[0], element), self.value(args[1], element))
        if op == "var":
            value = self.value(node, element)
            return _unknown_or(value.unknown, value.expr.cast(pl.Boolean).fill_null(False))
        raise ConditionError(f"unsupported operator {op!r}")

    def _compare(self, op: str, left: _Value, right: _Value) -> pl.Expr:
        unknown = left.unknown | right.unknown
        if op in ("==", "!=") and (
            (left.is_literal and left.literal is None)
            or (right.is_literal and right.literal is None)
        ):
            other = right if left.is_literal and left.literal is None else left
            is_none = other.expr.is_null()
            return _unknown_or(unknown, is_none if op == "==" else ~is_none)
        l, r = left.expr, right.expr  # noqa: E741
        if op == "==":
            return _unknown_or(unknown, (l == r).fill_null(False))
        if op == "!=":
            return _unknown_or(unknown, (l != r).fill_null(True))
        compared = {"<": l < r, "<=": l <= r, ">": l > r, ">=": l >= r}[op]
        return _unknown_or(unknown, compared.fill_null(False))

    def _in(self, needle: _Value, haystack: _Value) -> pl.Expr:
        unknown = needle.unknown | haystack.unknown
        if haystack.is_list_literal:
            values = list(haystack.literal)
            return _unknown_or(unknown, needle.expr.is_in(values).fill_null(False))
        return _unknown_or(unknown, haystack.expr.list.contains(needle.expr).fill_null(False))

    def _quantifier(self, op: str, args: list[Any], element: bool) -> pl.Expr:
        source = self.value(args[0], element)
        inner = self.truth(args[1], element=True)
        items = source.expr
        any_true = items.list.eval(inner.fill_null(False)).list.any().fill_null(False)
        any_unknown = items.list.eval(inner.is_null()).list.any().fill_null(False)
        some = (
            pl.when(source.unknown)
            .then(_NULL_BOOL)
            .when(any_true)
            .then(True)
            .when(any_unknown)
            .then(_NULL_BOOL)
            .otherwise(False)
        )
        if op == "some":
            return some
        if op == "none":
            return ~some
        any_false = items.list.eval((~inner).fill_null(False)).list.any().fill_null(False)
        empty = items.list.len().fill_null(0) == 0
        return (
            pl.when(source.unknown)
            .then(_NULL_BOOL)
            .when(empty | any_false)
            .then(False)
            .when(any_unknown)
            .then(_NULL_BOOL)
            .otherwise(True)
        )


def _status_code(truth: pl.Expr) -> pl.Expr:
    return pl.when(truth.is_null()).then(2).when(truth).then(0).otherwise(1).cast(pl.Int8)


@dataclass(frozen=True)
class BatchPlan:
    """Compiled expressions for one as-of date: per pathway, the version in force and
    its criteria's status expressions."""

    as_of: date
    versions: dict[str, PathwayVersion | None]
    expressions: list[pl.Expr]


class BatchScreener:
    """Vectorised screening of many households against one catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    def plan(self, as_of: date) -> BatchPlan:
        compiler = _Compiler()
        versions: dict[str, PathwayVersion | None] = {}
        expressions: list[pl.Expr] = []
        for pathway_id, pathway in sorted(self.catalogue.pathways.items()):
            version = pathway.version_on(as_of)
            versions[pathway_id] = version
            expressions.extend(self._pathway_expressions(pathway, version, compiler))
        return BatchPlan(as_of, versions, expressions)

    @staticmethod
    def _pathway_expressions(
        pathway: Pathway, version: PathwayVersion | None, compiler: _Compiler
    ) -> list[pl.Expr]:
        if version is None:
            return [pl.lit(OUTCOME_CODES.index(Outcome.NOT_OPEN), dtype=pl.Int8).alias(pathway.id)]
        statuses = [
            _status_code(compiler.truth(c.condition)).alias(f"{pathway.id}.{c.id}")
            for c in version.criteria
        ]
        codes = [pl.col(f"{pathway.id}.{c.id}") for c in version.criteria]
        any_not_met = pl.any_horizontal([code == 1 for code in codes])
        any_unknown = pl.any_horizontal([code == 2 for code in codes])
        outcome = (
            pl.when(any_not_met)
            .then(OUTCOME_CODES.index(Outcome.INELIGIBLE))
            .when(any_unknown)
            .then(OUTCOME_CODES.index(Outcome.NEEDS_INFORMATION))
            .otherwise(OUTCOME_CODES.index(Outcome.ELIGIBLE))
            .cast(pl.Int8)
            .alias(pathway.id)
        )
        return [*statuses, outcome]

    def screen(self, frame: pl.DataFrame | pl.LazyFrame, as_of: date) -> pl.DataFrame:
        """Screen every row of ``frame`` (see :func:`facts_frame`) on ``as_of``.

        Returns one Int8 column per pathway (outcome code) and one per criterion of the
        version in force (``<pathway>.<criterion>``, status code), in input order.
        """
        plan = self.plan(as_of)
        outputs = [e.meta.output_name() for e in plan.expressions]
        statuses = [
            e
            for e, name in zip(plan.expressions, outputs, strict=True)
            if name not in plan.versions
        ]
        outcomes = [
            e for e, name in zip(plan.expressions, outputs, strict=True) if name in plan.versions
        ]
        return (
            with_derived_columns(frame, as_of)
            .with_columns(statuses)
            .with_columns(outcomes)  # literals (closed pathways) broadcast to every row
            .select(outputs)
            .collect()
        )
