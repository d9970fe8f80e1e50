"""Eligibility conditions: JSON Logic evaluated with three-valued (Kleene) logic.

Conditions are written in JSON Logic (https://jsonlogic.com), restricted to the
operators in :data:`OPERATORS`. Facts that were not answered are *unknown*, never
false: a comparison that touches an unknown fact is unknown; ``and`` is false as soon
as one part is false, otherwise unknown if one part is unknown; ``or`` is true as soon
as one part is true, otherwise unknown if one part is unknown; ``!`` of unknown is
unknown. When every fact is known the result equals standard JSON Logic (the test
suite checks this against the ``panzi-json-logic`` implementation).

Value conventions: dates are ISO 8601 strings (``"2023-06-11"``), compared as text,
which orders them correctly; a fact answered "none" (e.g. never registered) is a
known ``None``; ordering comparisons with ``None`` are false, ``==``/``!=`` compare it.
See ADR 0006 for why JSON Logic was chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final


class Unknown(Enum):
    """The single 'unknown' truth value / fact value."""

    UNKNOWN = "unknown"

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final[Unknown] = Unknown.UNKNOWN

Truth = bool | Unknown

COMPARISONS: Final = frozenset({"==", "!=", "<", "<=", ">", ">="})
LOGICAL: Final = frozenset({"and", "or", "!"})
QUANTIFIERS: Final = frozenset({"some", "all", "none"})
OPERATORS: Final = COMPARISONS | LOGICAL | QUANTIFIERS | {"var", "in"}


class ConditionError(ValueError):
    """A condition is malformed or uses an operator outside :data:`OPERATORS`."""


def _operator(node: Mapping[str, Any]) -> tuple[str, list[Any]]:
    if len(node) != 1:
        raise ConditionError(f"an operation has exactly one operator, got {sorted(node)}")
    ((op, args),) = node.items()
    if op not in OPERATORS:
        raise ConditionError(f"unsupported operator {op!r}")
    if not isinstance(args, list):
        args = [args]
    return str(op), args


def _lookup(scope: Any, path: str) -> Any:
    if path == "":
        return scope
    value = scope
    for part in path.split("."):
        if value is UNKNOWN:
            return UNKNOWN
        if not isinstance(value, Mapping) or part not in value:
            return UNKNOWN
        value = value[part]
    return value


def _equal(left: Any, right: Any) -> bool:
    """Strict equality: same JSON type and value (``1 != "1"``, ``1 != true``)."""
    return type(left) is type(right) and bool(left == right)


def _ordered(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    if isinstance(left, str) != isinstance(right, str):
        return False
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def truthy(value: Any) -> Truth:
    """JSON Logic truthiness, keeping unknown: ``[]``, ``0``, ``""``, ``None`` are false."""
    if value is UNKNOWN:
        return Unknown.UNKNOWN
    truth: bool = bool(value)
    return truth


def evaluate(node: Any, facts: Mapping[str, Any]) -> Any:
    """Evaluate ``node`` against ``facts`` (absent key = unknown). Returns a value or
    :data:`UNKNOWN`; logical operators return ``True``/``False``/``UNKNOWN``.
    Raises :class:`ConditionError` for an unsupported operator."""
    if isinstance(node, list):
        return [evaluate(item, facts) for item in node]
    if not isinstance(node, Mapping):
        return node
    op, args = _operator(node)
    if op == "var":
        path = args[0] if args else ""
        return _lookup(facts, "" if path is None else str(path))
    if op == "and":
        result: Truth = True
        for arg in args:
            value = truthy(evaluate(arg, facts))
            if value is False:
                return False
            if value is UNKNOWN:
                result = UNKNOWN
        return result
    if op == "or":
        result = False
        for arg in args:
            value = truthy(evaluate(arg, facts))
            if value is True:
                return True
            if value is UNKNOWN:
                result = UNKNOWN
        return result
    if op == "!":
        value = truthy(evaluate(args[0], facts))
        return UNKNOWN if value is UNKNOWN else not value
    if op in QUANTIFIERS:
        return _quantify(op, args, facts)
    left, right = evaluate(args[0], facts), evaluate(args[1], facts)
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    if op == "in":
        if isinstance(right, list):
            if any(item is UNKNOWN for item in right):
                return True if left in right else UNKNOWN
            return left in right
        if isinstance(right, str) and isinstance(left, str):
            return left in right
        return False
    if op == "==":
        return _equal(left, right)
    if op == "!=":
        return not _equal(left, right)
    return _ordered(op, left, right)


def _quantify(op: str, args: list[Any], facts: Mapping[str, Any]) -> Truth:
    items = evaluate(args[0], facts)
    if items is UNKNOWN:
        return Unknown.UNKNOWN
    if not isinstance(items, list):
        items = []
    truths: list[Truth] = [truthy(evaluate(args[1], item)) for item in items]
    if op == "some" or op == "none":
        found: Truth = True if True in truths else (UNKNOWN if UNKNOWN in truths else False)
        if op == "some":
            return found
        return UNKNOWN if found is UNKNOWN else not found
    if not truths:  # JSON Logic: "all" of an empty list is false
        return False
    if False in truths:
        return False
    return UNKNOWN if UNKNOWN in truths else True


@dataclass(frozen=True)
class VarUse:
    """A fact referenced by a condition: ``path`` is the fact (``nationalities``) or,
    inside a quantifier, ``<list fact>.<field>`` (``relatives_abroad.country``)."""

    path: str


def variables(node: Any, scope: str | None = None) -> Iterator[VarUse]:
    """Every fact a condition reads, with quantifier scopes resolved
    (``{"some": [{"var": "relatives_abroad"}, {"var": "country"}]}`` reads
    ``relatives_abroad`` and ``relatives_abroad.country``). Raises
    :class:`ConditionError` for malformed conditions."""
    if isinstance(node, list):
        for item in node:
            yield from variables(item, scope)
        return
    if not isinstance(node, Mapping):
        return
    op, args = _operator(node)
    if op == "var":
        if len(args) != 1 or not isinstance(args[0], str):
            raise ConditionError("var takes one fact name")
        name = args[0]
        if scope is None:
            if name == "":
                raise ConditionError('var "" is only meaningful inside some/all/none')
            yield VarUse(name)
        else:
            yield VarUse(scope if name == "" else f"{scope}.{name}")
        return
    arity = {"!": 1, "in": 2, **dict.fromkeys(COMPARISONS, 2), **dict.fromkeys(QUANTIFIERS, 2)}
    if op in arity and len(args) != arity[op]:
        raise ConditionError(f"{op!r} takes {arity[op]} argument(s), got {len(args)}")
    if op in ("and", "or") and len(args) < 1:
        raise ConditionError(f"{op!r} needs at least one argument")
    if op in QUANTIFIERS:
        source = args[0]
        if not (isinstance(source, Mapping) and set(source) == {"var"}):
            raise ConditionError(f"{op!r} iterates over a fact: its first argument is a var")
        inner = [u.path for u in variables(source, scope)]
        yield from (VarUse(p) for p in inner)
        yield from variables(args[1], inner[0])
        return
    for arg in args:
        yield from variables(arg, scope)


def compile_predicate(node: Any) -> Callable[[Mapping[str, Any]], Truth]:
    """Validate ``node`` once and return a function of the facts giving its truth."""
    list(variables(node))

    def predicate(facts: Mapping[str, Any]) -> Truth:
        return truthy(evaluate(node, facts))

    return predicate
