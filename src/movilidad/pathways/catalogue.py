"""The pathway catalogue: one YAML file per pathway under ``catalogue/``, plus the
facts schema ``catalogue/facts.yaml``.

A pathway file holds an ``id`` (the file name), translated ``names`` and
``descriptions``, ``destinations`` (alpha-3), ``agencies``, and dated ``versions``.
Each version has ``effective_from`` and an optional ``effective_to`` (both ISO dates,
both **inclusive**: the version is in force on every day from the first to the last),
``sources`` (URLs), optional ``notes``, and ``criteria``. A criterion has an ``id``, a
JSON Logic ``condition`` (see :mod:`movilidad.pathways.conditions`), the ``sources`` it
comes from, and plain-language explanations ``met`` and ``not_met`` in every language.

:func:`load_catalogue` returns a validated :class:`Catalogue` or raises
:class:`CatalogueInvalid` whose ``problems`` carry file, line and reason.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import YAMLError

from movilidad.kernel.countries import InvalidCountry, validate_alpha3
from movilidad.kernel.dates import parse_iso_date
from movilidad.kernel.languages import SUPPORTED_LANGUAGES
from movilidad.pathways.conditions import ConditionError, Truth, compile_predicate, variables
from movilidad.pathways.facts import DERIVED, FACT_TYPES, FactSpec, FactsSchema
from movilidad.pathways.typecheck import MAX_NODES, condition_problems, count_nodes

FACTS_FILE: Final = "facts.yaml"
PATHWAY_KEYS: Final = frozenset(
    {"id", "names", "descriptions", "destinations", "agencies", "versions"}
)
VERSION_KEYS: Final = frozenset(
    {"version", "effective_from", "effective_to", "sources", "notes", "criteria"}
)
CRITERION_KEYS: Final = frozenset({"id", "condition", "sources", "explanations"})
EXPLANATION_KEYS: Final = frozenset({"met", "not_met"})
FACTS_FILE_KEYS: Final = frozenset({"messages", "facts"})
FACT_KEYS: Final = frozenset(
    {"type", "values", "nullable", "derived", "fields", "question", "options", "help"}
)
#: Facts the product fills from registration data: their types may not change.
REGISTRATION_FACT_TYPES: Final = {
    "nationalities": "countries",
    "date_of_birth": "date",
    "current_country": "country",
}

Text = dict[str, str]


@dataclass(frozen=True)
class CatalogueProblem:
    file: str
    line: int  # 1-based; 0 when the whole file is concerned
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class CatalogueInvalid(ValueError):
    def __init__(self, problems: list[CatalogueProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Criterion:
    id: str
    condition: Any
    sources: tuple[str, ...]
    met: Text
    not_met: Text
    facts: tuple[str, ...]  # top-level facts the condition reads, in first-use order
    predicate: Callable[[Mapping[str, Any]], Truth] = field(compare=False, repr=False)


@dataclass(frozen=True)
class PathwayVersion:
    version: str
    effective_from: date
    effective_to: date | None
    sources: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    notes: str = ""

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


@dataclass(frozen=True)
class Pathway:
    id: str
    names: Text
    descriptions: Text
    destinations: tuple[str, ...]
    agencies: tuple[str, ...]
    versions: tuple[PathwayVersion, ...]

    def version_on(self, day: date) -> PathwayVersion | None:
        """The version in force on ``day`` (a calendar date), or None."""
        for version in self.versions:
            if version.in_force_on(day):
                return version
        return None


@dataclass(frozen=True)
class Catalogue:
    facts: FactsSchema
    pathways: dict[str, Pathway]
    digest: str  # SHA-256 of every file's bytes, in file-name order


class _Reader:
    """Collects problems with file and line while reading one YAML document."""

    def __init__(self, file: str, problems: list[CatalogueProblem]) -> None:
        self.file = file
        self.problems = problems

    def problem(self, node: Any, reason: str, key: str | None = None) -> None:
        line = 0
        try:
            if key is not None and isinstance(node, CommentedMap) and key in node:
                line = node.lc.key(key)[0] + 1
            elif isinstance(node, (CommentedMap, CommentedSeq)):
                line = node.lc.line + 1
        except (AttributeError, KeyError, TypeError):
            line = 0
        problem = CatalogueProblem(self.file, line, reason)
        if problem not in self.problems:
            self.problems.append(problem)

    def keys(self, node: Any, allowed: frozenset[str], where: str) -> None:
        """Report every key of ``node`` that is not in ``allowed`` (a misspelt key
        would otherwise be ignored, e.g. ``effective_too``)."""
        if isinstance(node, Mapping):
            for key in node:
                if str(key) not in allowed:
                    self.problem(node, f"{where}: unknown key '{key}'", str(key))

    def mapping(self, node: Any, key: str, required: bool = True) -> CommentedMap | None:
        value = node.get(key) if isinstance(node, Mapping) else None
        if value is None:
            if required:
                self.problem(node, f"missing '{key}'")
            return None
        if not isinstance(value, CommentedMap):
            self.problem(node, f"'{key}' must be a mapping", key)
            return None
        return value

    def text(self, node: Any, key: str, where: str) -> Text:
        value = self.mapping(node, key)
        if value is None:
            return {}
        result: Text = {}
        for language in SUPPORTED_LANGUAGES:
            item = value.get(language)
            if not isinstance(item, str) or not item.strip():
                self.problem(value, f"{where}: missing {language} translation of '{key}'")
            else:
                result[language] = " ".join(item.split())
        for extra in set(value) - set(SUPPORTED_LANGUAGES):
            self.problem(value, f"{where}: unsupported language '{extra}'", str(extra))
        return result

    def strings(self, node: Any, key: str, where: str, urls: bool = False) -> tuple[str, ...]:
        value = node.get(key) if isinstance(node, Mapping) else None
        if not isinstance(value, list) or not value:
            self.problem(node, f"{where}: '{key}' must be a non-empty list", key)
            return ()
        result: list[str] = []
        for item in value:
            if not isinstance(item, str) or not item.strip():
                self.problem(node, f"{where}: '{key}' holds an empty or non-text entry", key)
            elif urls and not item.startswith(("https://", "http://")):
                self.problem(node, f"{where}: source {item!r} is not a URL", key)
            else:
                result.append(item.strip())
        return tuple(result)

    def day(self, node: Any, key: str, where: str, required: bool = True) -> date | None:
        value = node.get(key) if isinstance(node, Mapping) else None
        if value is None:
            if required:
                self.problem(node, f"{where}: missing '{key}'")
            return None
        try:
            return parse_iso_date(str(value))
        except ValueError:
            self.problem(node, f"{where}: '{key}' is not a date (YYYY-MM-DD)", key)
            return None


class _DatesAsText(RoundTripConstructor):
    """Leaves dates as text, so a bad date is reported with its line instead of failing
    the whole file; :meth:`_Reader.day` parses them."""


_DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _DatesAsText
    return yaml


def _load_yaml(path: Path, problems: list[CatalogueProblem]) -> Any:
    try:
        return _yaml().load(path.read_text(encoding="utf-8"))
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problems.append(CatalogueProblem(path.name, line, f"not valid YAML: {exc}"))
    except RecursionError:
        problems.append(CatalogueProblem(path.name, 0, "nested too deeply to read"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(CatalogueProblem(path.name, 0, f"cannot read: {exc}"))
    return None


def _plain(node: Any) -> Any:
    """ruamel round-trip nodes → plain JSON-like values (for conditions)."""
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, date):
        return node.isoformat()
    return node


def _read_fact(reader: _Reader, name: str, node: Any, nested: bool) -> FactSpec | None:
    where = f"fact '{name}'"
    if not isinstance(node, CommentedMap):
        reader.problem(node, f"{where} must be a mapping")
        return None
    reader.keys(node, FACT_KEYS, where)
    kind = node.get("type")
    if not isinstance(kind, str) or kind not in FACT_TYPES or (nested and kind == "list"):
        reader.problem(node, f"{where}: unknown type {kind!r}", "type")
        return None
    values: tuple[str, ...] = ()
    if kind == "enum":
        raw_values = node.get("values")
        if not isinstance(raw_values, list) or not raw_values:
            reader.problem(node, f"{where}: an enum lists its 'values'", "values")
        else:
            values = tuple(str(v) for v in raw_values)
    fields: dict[str, FactSpec] = {}
    if kind == "list":
        items = reader.mapping(node, "fields")
        for field_name, field_node in (items or {}).items():
            spec = _read_fact(reader, f"{name}.{field_name}", field_node, nested=True)
            if spec is not None:
                fields[str(field_name)] = spec
    derived = bool(node.get("derived", False))
    if derived and name not in DERIVED:
        reader.problem(node, f"{where}: no computation is known for this derived fact")
    question: Text = {}
    if not derived and not nested:
        question = reader.text(node, "question", where)
    options: dict[str, Text] = {}
    if kind == "enum" and not derived:
        labels = reader.mapping(node, "options")
        for value in values:
            if labels is None:
                break
            if value not in labels:
                reader.problem(labels, f"{where}: no label for option '{value}'")
            else:
                options[value] = reader.text(labels, value, f"{where} option '{value}'")
    help_text: Text = reader.text(node, "help", where) if "help" in node else {}
    if node.get("nullable") and not nested and not derived:
        labels = reader.mapping(node, "options")
        if labels is not None and "none" in labels:
            options["none"] = reader.text(labels, "none", f"{where} option 'none'")
        else:
            reader.problem(node, f"{where}: a nullable fact labels its 'none' answer in options")
    return FactSpec(
        name=name.split(".")[-1],
        type=str(kind),
        values=values,
        nullable=bool(node.get("nullable", False)),
        derived=derived,
        fields=fields,
        question=question,
        options=options,
        help=help_text,
    )


def _read_facts(directory: Path, problems: list[CatalogueProblem]) -> FactsSchema:
    path = directory / FACTS_FILE
    reader = _Reader(FACTS_FILE, problems)
    document = _load_yaml(path, problems) if path.exists() else None
    if document is None:
        if not path.exists():
            problems.append(CatalogueProblem(FACTS_FILE, 0, "the facts schema is missing"))
        elif not any(p.file == FACTS_FILE for p in problems):
            problems.append(CatalogueProblem(FACTS_FILE, 0, "the facts schema is empty"))
        return FactsSchema({})
    if not isinstance(document, CommentedMap):
        reader.problem(document, "the facts schema is a mapping with 'facts' and 'messages'")
        return FactsSchema({})
    reader.keys(document, FACTS_FILE_KEYS, "facts schema")
    facts_node = reader.mapping(document, "facts")
    facts: dict[str, FactSpec] = {}
    for name, node in (facts_node or {}).items():
        spec = _read_fact(reader, str(name), node, nested=False)
        if spec is not None:
            facts[str(name)] = spec
    for name in DERIVED:
        if name not in facts or not facts[name].derived:
            reader.problem(facts_node, f"the derived fact '{name}' must be declared derived")
    for name, kind in REGISTRATION_FACT_TYPES.items():
        if name not in facts or facts[name].type != kind:
            reader.problem(
                facts_node, f"fact '{name}' comes from registration and must be of type {kind}"
            )
    messages_node = reader.mapping(document, "messages")
    messages: dict[str, Text] = {}
    for key in messages_node or {}:
        messages[str(key)] = reader.text(messages_node, str(key), "messages")
    for text in messages.get("unknown", {}).values():
        try:
            text.format(question="?")
        except (IndexError, KeyError, ValueError):
            reader.problem(
                messages_node, "messages: 'unknown' may only contain {question}", "unknown"
            )
        if "{question}" not in text:
            reader.problem(messages_node, "messages: 'unknown' must contain {question}", "unknown")
    return FactsSchema(facts, messages)


def _read_criterion(
    reader: _Reader, node: Any, schema: FactsSchema, where: str
) -> Criterion | None:
    if not isinstance(node, CommentedMap):
        reader.problem(node, f"{where}: a criterion is a mapping")
        return None
    criterion_id = node.get("id")
    if not isinstance(criterion_id, str) or not criterion_id:
        reader.problem(node, f"{where}: a criterion needs an 'id'")
        return None
    where = f"{where}, criterion '{criterion_id}'"
    reader.keys(node, CRITERION_KEYS, where)
    if count_nodes(node.get("condition")) > MAX_NODES:
        reader.problem(node, f"{where}: the condition is too large (aliases?)", "condition")
        return None
    try:
        condition = _plain(node.get("condition"))
    except RecursionError:
        reader.problem(node, f"{where}: the condition is nested too deeply", "condition")
        return None
    used: list[str] = []
    try:
        for use in variables(condition):
            if use.path not in schema.paths():
                reader.problem(node, f"{where}: unknown fact '{use.path}'", "condition")
            top = use.path.split(".")[0]
            if top not in used:
                used.append(top)
        if not isinstance(condition, Mapping):
            raise ConditionError("a condition is a JSON Logic operation")
        predicate = compile_predicate(condition)
    except ConditionError as exc:
        reader.problem(node, f"{where}: condition does not parse: {exc}", "condition")
        return None
    for problem in condition_problems(condition, schema):
        reader.problem(node, f"{where}: {problem}", "condition")
    explanations = reader.mapping(node, "explanations")
    reader.keys(explanations, EXPLANATION_KEYS, where)
    met = reader.text(explanations, "met", where) if explanations is not None else {}
    not_met = reader.text(explanations, "not_met", where) if explanations is not None else {}
    return Criterion(
        id=criterion_id,
        condition=condition,
        sources=reader.strings(node, "sources", where, urls=True),
        met=met,
        not_met=not_met,
        facts=tuple(used),
        predicate=predicate,
    )


def _read_pathway(
    path: Path, schema: FactsSchema, problems: list[CatalogueProblem]
) -> Pathway | None:
    before = len(problems)
    document = _load_yaml(path, problems)
    reader = _Reader(path.name, problems)
    if document is None:
        if len(problems) == before:
            reader.problem(None, "the file is empty")
        return None
    if not isinstance(document, CommentedMap):
        reader.problem(document, "a pathway file is a mapping")
        return None
    reader.keys(document, PATHWAY_KEYS, f"pathway '{path.stem}'")
    pathway_id = document.get("id")
    if pathway_id != path.stem:
        reader.problem(document, f"'id' must equal the file name '{path.stem}'", "id")
    where = f"pathway '{path.stem}'"
    names = reader.text(document, "names", where)
    descriptions = reader.text(document, "descriptions", where)
    destinations = reader.strings(document, "destinations", where)
    for code in destinations:
        try:
            validate_alpha3(code)
        except InvalidCountry:
            reader.problem(
                document, f"{where}: destination {code!r} is not alpha-3", "destinations"
            )
    agencies = reader.strings(document, "agencies", where)
    versions: list[PathwayVersion] = []
    raw_versions = document.get("versions")
    if not isinstance(raw_versions, list) or not raw_versions:
        reader.problem(document, f"{where}: 'versions' must be a non-empty list", "versions")
        raw_versions = []
    for raw in raw_versions:
        version = _read_version(reader, raw, schema, where)
        if version is not None:
            versions.append(version)
    labels = [v.version for v in versions]
    for label in {label for label in labels if labels.count(label) > 1}:
        reader.problem(document, f"{where}: version '{label}' appears twice", "versions")
    ordered = sorted(versions, key=lambda v: v.effective_from)
    for earlier, later in itertools.pairwise(ordered):
        if earlier.effective_to is None or earlier.effective_to >= later.effective_from:
            reader.problem(
                document,
                f"{where}: versions '{earlier.version}' and '{later.version}' overlap",
                "versions",
            )
    return Pathway(
        id=path.stem,
        names=names,
        descriptions=descriptions,
        destinations=destinations,
        agencies=agencies,
        versions=tuple(ordered),
    )


def _read_version(
    reader: _Reader, node: Any, schema: FactsSchema, where: str
) -> PathwayVersion | None:
    if not isinstance(node, CommentedMap):
        reader.problem(node, f"{where}: a version is a mapping")
        return None
    label = node.get("version")
    if not isinstance(label, str) or not label:
        reader.problem(node, f"{where}: a version needs a 'version' label (text)")
        return None
    where = f"{where}, version '{label}'"
    reader.keys(node, VERSION_KEYS, where)
    start = reader.day(node, "effective_from", where)
    end = reader.day(node, "effective_to", where, required=False)
    if start is not None and end is not None and end < start:
        reader.problem(node, f"{where}: effective_to is before effective_from", "effective_to")
    sources = reader.strings(node, "sources", where, urls=True)
    criteria: list[Criterion] = []
    raw_criteria = node.get("criteria")
    if not isinstance(raw_criteria, list) or not raw_criteria:
        reader.problem(node, f"{where}: 'criteria' must be a non-empty list", "criteria")
        raw_criteria = []
    for raw in raw_criteria:
        criterion = _read_criterion(reader, raw, schema, where)
        if criterion is not None:
            criteria.append(criterion)
    ids = [c.id for c in criteria]
    for duplicate in {i for i in ids if ids.count(i) > 1}:
        reader.problem(node, f"{where}: criterion '{duplicate}' appears twice", "criteria")
    if start is None:
        return None
    notes = node.get("notes", "")
    return PathwayVersion(
        version=label,
        effective_from=start,
        effective_to=end,
        sources=sources,
        criteria=tuple(criteria),
        notes=" ".join(str(notes).split()),
    )


def check_catalogue(directory: Path) -> tuple[Catalogue | None, list[CatalogueProblem]]:
    """Read and validate every file; return the catalogue (None if any problem) and
    the problems found, in file order."""
    problems: list[CatalogueProblem] = []
    if not directory.is_dir():
        return None, [CatalogueProblem(str(directory), 0, "the catalogue folder does not exist")]
    schema = _read_facts(directory, problems)
    pathways: dict[str, Pathway] = {}
    digest = hashlib.sha256()
    files = sorted(p for p in directory.glob("*.yaml") if p.name != FACTS_FILE)
    for path in [directory / FACTS_FILE, *files]:
        if path.exists() and not path.is_file():
            problems.append(CatalogueProblem(path.name, 0, "not a file"))
            continue
        try:
            if path.exists():
                digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        except OSError as exc:
            problems.append(CatalogueProblem(path.name, 0, f"cannot read: {exc.strerror}"))
    files = [p for p in files if p.is_file()]
    for path in files:
        pathway = _read_pathway(path, schema, problems)
        if pathway is not None:
            pathways[pathway.id] = pathway
    if problems:
        return None, problems
    return Catalogue(schema, pathways, digest.hexdigest()), []


def load_catalogue(directory: Path) -> Catalogue:
    """The validated catalogue in ``directory``. Raises :class:`CatalogueInvalid`."""
    catalogue, problems = check_catalogue(directory)
    if catalogue is None:
        raise CatalogueInvalid(problems)
    return catalogue
