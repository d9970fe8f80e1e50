"""The registry's linkage model as a file: trained once, loaded by the web app and jobs.

A model file is one JSON object:

* ``design``: the :class:`linkage.Design` it was trained with (``fields``, ``registry``);
* ``splink``: Splink's model JSON (λ, and m and u per comparison level);
* ``frequencies``: the term-frequency tables of the columns the model adjusts by
  (column → value → share of the non-null values), of the registry it was trained on;
* ``trained_on``: where it came from (dataset, size, seed, Splink version, UTC time).

The model shipped with Movilidad (``registry.json`` beside this module) was trained by
``movilidad dedupe train --size 50000 --seed 1`` on the synthetic registry
(:mod:`movilidad.identity.synth`, its documented error model): names, date of birth,
document number, phone, sex and nationality. ``movilidad dedupe run --model FILE``
scores with another model file. ``movilidad dedupe train --from-registry`` trains on
the people registered in the database instead; setting ``MOVILIDAD_IDENTITY_MODEL`` to
that file makes the intake check and the batch run use it (:func:`configure_model`).
Such a file keeps a name's frequency only when at least :data:`SMALLEST_CELL` people
share it.

Two thresholds on the match weight (bits) sort a scored pair: at or above
:data:`LIKELY_DUPLICATE` (match probability ≥ 0.999) it is a *likely duplicate*; at or
above :data:`NEEDS_REVIEW` (probability ≥ 0.5, the threshold of the evaluation's F1)
it *needs review*; below, it is not shown.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, Final, Literal

from movilidad.identity import features, linkage, scoring

DEFAULT_MODEL: Final = Path(__file__).with_name("registry.json")
#: Match weight (bits) from which a pair is a likely duplicate: probability 0.999.
LIKELY_DUPLICATE: Final = 10.0
#: Match weight (bits) from which a pair needs review: probability 0.5.
NEEDS_REVIEW: Final = 0.0

Band = Literal["likely_duplicate", "needs_review"]


def band_of(match_weight: float) -> Band | None:
    """The band of a pair scored ``match_weight`` bits, or None below :data:`NEEDS_REVIEW`."""
    if match_weight >= LIKELY_DUPLICATE:
        return "likely_duplicate"
    if match_weight >= NEEDS_REVIEW:
        return "needs_review"
    return None


@dataclass(frozen=True)
class RegistryModel:
    """A loaded model: its design, a ready :class:`scoring.Scorer` (with the term
    frequencies of the registry it was trained on), provenance and Splink's JSON."""

    design: linkage.Design
    scorer: scoring.Scorer
    trained_on: dict[str, Any]
    #: Splink's model JSON (for a batch run).
    splink: dict[str, Any]

    def prior_for(self, registry_size: int) -> float:
        """λ, the probability that two random records are the same person, for a
        registry of ``registry_size`` people (a count). A person has about as many
        duplicates in a large registry as in a small one, so the true pairs grow with
        the registry and all pairs with its square: λ falls as 1/size. Learnt on the
        ``trained_on["size"]`` records of the training registry, it is scaled down for a
        larger registry and left as learnt for a smaller one (which keeps the check
        cautious there). On the synthetic registry of 1,000,000 records, the shipped
        model's F1 goes from 0.94 unscaled to 0.97 (``bench/identity_registry.py``)."""
        learnt = float(self.splink["probability_two_random_records_match"])
        trained_size = int(self.trained_on.get("size") or 0)
        if trained_size < 2 or registry_size <= trained_size:
            return learnt
        return learnt * (trained_size - 1) / (registry_size - 1)

    def for_registry(self, registry_size: int) -> RegistryModel:
        """This model with λ set by :meth:`prior_for` (the scorer and Splink's JSON)."""
        prior = self.prior_for(registry_size)
        if prior == self.splink["probability_two_random_records_match"]:
            return self
        splink = {**self.splink, "probability_two_random_records_match": prior}
        return replace(self, scorer=self.scorer.with_prior(prior), splink=splink)


def train_registry_model(size: int, seed: int) -> dict[str, Any]:
    """Train on a synthetic registry of ``size`` records (seed ``seed``) with every
    registry field; returns the model file's object (see the module text). Takes
    about a minute for 50,000 records on two cores."""
    from movilidad.identity import synth

    records = list(synth.generate(size, seed))
    rows = features.feature_rows({**asdict(r), "unique_id": str(r.record_id)} for r in records)
    return _train(rows, {"dataset": "synthetic", "size": size, "seed": seed}, smallest_cell=1)


#: A registry-trained model file keeps the frequency of a name only when at least this
#: many people share it (small-cell suppression): the file is not encrypted, and a
#: list of rare names with their counts would say who is registered. A name left out
#: gets no frequency adjustment, the same as a name never seen.
SMALLEST_CELL: Final = 10
#: Fewer people than this are too few to learn m and u from.
MINIMUM_TRAINING_RECORDS: Final = 1_000


class TooFewRecords(ValueError):
    """The registry is too small to train on (the message says how many it holds)."""


def train_on_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Train on the feature rows of the registry's people (:func:`intake.feature_row`,
    one per applicant); returns the model file's object, its term frequencies
    suppressed below :data:`SMALLEST_CELL` people. Raises :class:`TooFewRecords` below
    :data:`MINIMUM_TRAINING_RECORDS` rows."""
    if len(rows) < MINIMUM_TRAINING_RECORDS:
        raise TooFewRecords(
            f"the registry holds {len(rows)} people; training needs at least "
            f"{MINIMUM_TRAINING_RECORDS}"
        )
    return _train(rows, {"dataset": "registry", "size": len(rows)}, smallest_cell=SMALLEST_CELL)


def _train(
    rows: list[dict[str, Any]], provenance: dict[str, Any], *, smallest_cell: int
) -> dict[str, Any]:
    import pandas as pd

    design = linkage.Design("all", registry=True)
    trained = linkage.train([pd.DataFrame(rows)], design)
    columns = scoring.frequency_columns(trained.model)
    frequencies = scoring.term_frequencies(rows, columns)
    if smallest_cell > 1:
        counted = {column: sum(row[column] is not None for row in rows) for column in columns}
        frequencies = {
            column: {value: share for value, share in table.items()
                     if round(share * counted[column]) >= smallest_cell}
            for column, table in frequencies.items()
        }  # fmt: skip
    return {
        "design": {"fields": design.fields, "registry": design.registry},
        "splink": trained.model,
        "frequencies": frequencies,
        "trained_on": {
            **provenance, "smallest_cell": smallest_cell, "splink": metadata.version("splink"),
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    }  # fmt: skip


def write_model(model: dict[str, Any], path: Path) -> None:
    """Write a model object (:func:`train_registry_model`) as JSON to ``path``."""
    path.write_text(json.dumps(model, ensure_ascii=False, sort_keys=True) + "\n", "utf-8")


def read_model(path: Path) -> RegistryModel:
    """Load the model file at ``path``. Raises ``OSError`` when it cannot be read,
    ``ValueError`` (``json.JSONDecodeError`` included) when it is not a model of the
    current design, ``KeyError`` when a part is missing."""
    data = json.loads(path.read_text("utf-8"))
    design = linkage.Design(data["design"]["fields"], registry=bool(data["design"]["registry"]))
    scorer = scoring.Scorer(data["splink"], design, data.get("frequencies") or None)
    return RegistryModel(design, scorer, dict(data.get("trained_on", {})), data["splink"])


@cache
def load_model(path: Path = DEFAULT_MODEL) -> RegistryModel:
    """:func:`read_model`, once per process and path."""
    return read_model(path)


_configured: Path = DEFAULT_MODEL


def configure_model(path: Path | None) -> RegistryModel:
    """Make the model file at ``path`` (None: the shipped one) the one
    :func:`current_model` returns, for the intake check and the batch run; loads it
    now, so a bad file is reported when the process starts. Raises as
    :func:`read_model`."""
    global _configured
    model = load_model(path or DEFAULT_MODEL)
    _configured = path or DEFAULT_MODEL
    return model


def current_model() -> RegistryModel:
    """The model set by :func:`configure_model` (``MOVILIDAD_IDENTITY_MODEL``), else
    the shipped one."""
    return load_model(_configured)
