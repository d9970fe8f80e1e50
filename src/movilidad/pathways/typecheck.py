"""Static checks of a condition against the facts schema.

A condition that parses can still be wrong: a misspelt option (``asylum_seekr``), a
country code that does not exist (``CRII``), a date written ``2023-6-12``, a number
compared with a list. Such a criterion would silently never be met, or crash the
batch engine. :func:`condition_problems` finds these before the catalogue is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from movilidad.kernel.countries import InvalidCountry, validate_alpha3
from movilidad.kernel.dates import is_iso_date
from movilidad.pathways.conditions import COMPARISONS, QUANTIFIERS
from movilidad.pathways.facts import FactSpec, FactsSchema

_ORDERED_TYPES: Final = frozenset({"integer", "date"})
MAX_NODES: Final = 5000


class _Element:
    """The item type inside a quantifier: a country (of a countries fact) or an object."""

    def __init__(self, spec: FactSpec) -> None:
        self.spec = spec


def _resolve(node: Any, schema: FactsSchema, element: _Element | None) -> FactSpec | None:
    """The spec of a ``var`` node, or None if it is not a var."""
    if not (isinstance(node, Mapping) and set(node) == {"var"}):
        return None
    args = node["var"]
    name = args[0] if isinstance(args, list) and args else args
    if not isinstance(name, str):
        return None
    if element is not None:
        if name == "":
            if element.spec.type == "countries":
                return FactSpec(name="item", type="country")
            return None
        return element.spec.fields.get(name)
    return schema.facts.get(name)


def _literal_problem(spec: FactSpec, value: Any, op: str) -> str | None:
    where = f"'{spec.name}'"
    if value is None:
        if op not in ("==", "!="):
            return f"{where} is compared with null using {op!r}; only == and != can test for none"
        return None if spec.nullable else f"{where} is never null"
    if spec.type in ("countries", "list"):
        return f"{where} is a list: use in/some/all/none, not {op!r}"
    if op not in ("==", "!=", "in") and spec.type not in _ORDERED_TYPES:
        return f"{where} ({spec.type}) cannot be ordered with {op!r}"
    if spec.type == "bool" and not isinstance(value, bool):
        return f"{where} is true or false, not {value!r}"
    if spec.type == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
        return f"{where} is a whole number, not {value!r}"
    if spec.type == "enum" and value not in spec.values:
        return f"{value!r} is not an option of {where} ({', '.join(spec.values)})"
    if spec.type == "date" and not is_iso_date(value):
        return f'{where} is compared with {value!r}: write dates as "YYYY-MM-DD"'
    if spec.type == "country":
        if not isinstance(value, str):
            return f"{where} is a country code, not {value!r}"
        try:
            validate_alpha3(value)
        except InvalidCountry:
            return f"{value!r} is not an ISO 3166-1 alpha-3 country code"
    return None


def _is_literal(node: Any) -> bool:
    return not isinstance(node, (Mapping, list))


def condition_problems(
    node: Any, schema: FactsSchema, element: _Element | None = None
) -> list[str]:
    """Every type problem in ``node`` (already known to parse); empty when fine."""
    problems: list[str] = []
    if isinstance(node, list):
        for item in node:
            problems += condition_problems(item, schema, element)
        return problems
    if not isinstance(node, Mapping) or len(node) != 1:
        return problems
    ((op, args),) = node.items()
    args = args if isinstance(args, list) else [args]
    if op in COMPARISONS and len(args) == 2:
        left, right = args
        for var_node, other in ((left, right), (right, left)):
            spec = _resolve(var_node, schema, element)
            if spec is not None and _is_literal(other):
                problem = _literal_problem(spec, other, op)
                if problem:
                    problems.append(problem)
            elif spec is not None and spec.type in ("countries", "list"):
                problems.append(f"'{spec.name}' is a list: use in/some/all/none, not {op!r}")
        if _is_literal(left) and _is_literal(right):
            problems.append(f"{op!r} compares two constants")
        return problems
    if op == "in" and len(args) == 2:
        needle, haystack = args
        needle_spec = _resolve(needle, schema, element)
        haystack_spec = _resolve(haystack, schema, element)
        if isinstance(haystack, list):
            if needle_spec is None:
                problems.append("'in' with a list of constants needs a fact on the left")
            else:
                for value in haystack:
                    problem = _literal_problem(needle_spec, value, "in")
                    if problem:
                        problems.append(problem)
        elif haystack_spec is not None:
            if haystack_spec.type != "countries":
                problems.append(f"'{haystack_spec.name}' is not a list of countries")
            elif _is_literal(needle):
                problem = _literal_problem(FactSpec(name="country", type="country"), needle, "in")
                if problem:
                    problems.append(problem)
            elif needle_spec is not None and needle_spec.type != "country":
                problems.append(f"'{needle_spec.name}' is not a country")
        else:
            problems.append("'in' looks in a list of constants or in a list fact")
        return problems
    if op in QUANTIFIERS and len(args) == 2:
        spec = _resolve(args[0], schema, element)
        if spec is None or spec.type not in ("countries", "list"):
            problems.append(f"{op!r} iterates over a list fact")
            return problems
        return problems + condition_problems(args[1], schema, _Element(spec))
    for arg in args:
        problems += condition_problems(arg, schema, element)
    return problems


def count_nodes(node: Any, limit: int = MAX_NODES) -> int:
    """Number of nodes in a condition, stopping once ``limit`` is passed."""
    stack = [node]
    seen = 0
    while stack and seen <= limit:
        current = stack.pop()
        seen += 1
        if isinstance(current, Mapping):
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return seen
