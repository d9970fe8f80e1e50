"""Batch deduplication of the whole registry (``movilidad dedupe run``).

Every applicant with a case becomes a feature row; Splink (DuckDB, in process) scores
every pair the model's blocking rules bring together, with the trained model's m and
u and the registry's own term frequencies; the pairs at or above the review
threshold are written to ``match_candidates`` with their match weight, the part of
each comparison and their cluster (connected components of the pairs at the
likely-duplicate threshold, Splink's ``cluster_pairwise_predictions_at_threshold``).
Members of one household are never a pair.

Re-running writes nothing for a pair whose compared values did not change since it
was stored (same digest), and never brings back a pair decided *different people*
on the same values or decided *same person*.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, insert, select

from movilidad.applicants.models import Applicant, ApplicantNationality, IdentityDocument
from movilidad.cases.models import Case
from movilidad.db.uow import UnitOfWork
from movilidad.households.models import Household, HouseholdMember
from movilidad.identity import features, intake, scoring
from movilidad.identity.model import LIKELY_DUPLICATE, NEEDS_REVIEW, RegistryModel
from movilidad.identity.models import MatchCandidate, MatchSource, MatchStatus
from movilidad.identity.scoring import match_probability

#: Where Splink runs a batch: DuckDB in this process, or Spark (local mode).
Backend = Literal["duckdb", "spark"]


@dataclass(frozen=True)
class BatchReport:
    """What a run did. Counts of records and pairs; ``seconds`` wall time (loading,
    scoring, clustering and writing)."""

    records: int
    pairs_scored: int
    likely_duplicate: int
    needs_review: int
    written: int
    unchanged: int
    skipped_decided: int
    clusters: int
    seconds: float


#: Feature rows (one dict per record), or feature columns (name → a value per record).
Rows = Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Any]]


@dataclass(frozen=True)
class _Person:
    applicant_id: int
    case_id: int
    household_id: int
    position: int  # in the registry's columns


@dataclass
class _Registry:
    """The registry as feature columns (column → one value per person, in applicant id
    order), with each person's case and household: a million feature rows as dicts
    would take gigabytes."""

    people: dict[str, _Person]
    columns: dict[str, list[Any]]

    def row(self, person: _Person) -> dict[str, Any]:
        """The person's feature row."""
        return {name: values[person.position] for name, values in self.columns.items()}


def _registry(uow: UnitOfWork) -> _Registry:
    """Every applicant with a case (principal applicants and household members), read
    column by column rather than as entities, so a registry of a million people fits
    in memory; the feature rows are those :func:`intake.feature_row` gives."""
    session = uow.session
    nationalities = select(
        ApplicantNationality.applicant_id, func.min(ApplicantNationality.country)
    ).group_by(ApplicantNationality.applicant_id)
    first_nationality = {aid: code for aid, code in session.execute(nationalities)}
    first_document: dict[int, str] = {}
    documents = select(IdentityDocument.applicant_id, IdentityDocument.number).order_by(
        IdentityDocument.id
    )
    for applicant_id, number in session.execute(documents):
        first_document.setdefault(applicant_id, number)
    selected = (
        Applicant.id, Applicant.given_names, Applicant.first_surname,
        Applicant.second_surname, Applicant.date_of_birth, Applicant.sex, Applicant.phone,
        Case.id, Case.household_id,
    )  # fmt: skip
    principals = (
        select(*selected)
        .join(Household, Household.principal_applicant_id == Applicant.id)
        .join(Case, Case.household_id == Household.id)
    )
    members = (
        select(*selected)
        .join(HouseholdMember, HouseholdMember.applicant_id == Applicant.id)
        .join(Case, Case.household_id == HouseholdMember.household_id)
    )
    found: list[tuple[int, int, int, dict[str, Any]]] = []
    for query in (principals, members):
        for aid, given, first, second, born, sex, phone, case_id, household_id in session.execute(
            query.execution_options(yield_per=10_000)
        ):
            found.append((aid, case_id, household_id, intake.linkage_record(
                applicant_id=aid, given_names=given, first_surname=first,
                second_surname=second, date_of_birth=born, sex=sex,
                nationality=first_nationality.get(aid), phone=phone,
                document_number=first_document.get(aid),
            )))  # fmt: skip
    found.sort(key=lambda item: item[0])
    people: dict[str, _Person] = {}
    columns: dict[str, list[Any]] = {}
    for position, (aid, case_id, household_id, record) in enumerate(found):
        row = features.features(record)
        for name, value in row.items():
            columns.setdefault(name, []).append(value)
        people[str(aid)] = _Person(aid, case_id, household_id, position)
    return _Registry(people, columns)


def registry_rows(uow: UnitOfWork) -> list[dict[str, Any]]:
    """The feature row of every applicant with a case (for training on the registry)."""
    registry = _registry(uow)
    return [registry.row(person) for person in registry.people.values()]


def splink_settings(model: RegistryModel) -> dict[str, Any]:
    """Splink's settings for a batch run: the model's parameters, with the blocking rules
    of its design as the code defines them today (a model file keeps those it was
    trained with)."""
    return {**model.splink, "blocking_rules_to_generate_predictions": model.design.blocking()}


def score_registry(
    model: RegistryModel, rows: Rows, backend: Backend = "duckdb"
) -> tuple[Any, dict[str, str]]:
    """Splink's predictions for every blocked pair of ``rows`` (feature rows, or feature
    columns: name → one value per record) at or above the review
    threshold, with ``model``'s parameters (a pandas frame: ``unique_id_l``,
    ``unique_id_r``, ``match_weight``, ``match_probability``), and the clusters at the
    likely-duplicate threshold (record id → cluster id, for records in a cluster of
    two or more). ``backend``: Splink's engine, DuckDB in this process or Spark
    (:func:`movilidad.identity.spark.score_registry`: the same pairs, weights and
    clusters, cluster ids aside)."""
    if backend == "spark":
        from movilidad.identity import spark

        return spark.score_registry(model, rows)
    import pandas as pd
    from splink import DuckDBAPI, Linker

    table = DuckDBAPI().register(pd.DataFrame(rows), dataset_display_name="registry")
    linker = Linker(table, splink_settings(model))
    predicted = linker.inference.predict(
        threshold_match_probability=match_probability(NEEDS_REVIEW)
    )
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predicted, threshold_match_probability=match_probability(LIKELY_DUPLICATE)
    ).as_pandas_dataframe()  # type: ignore[no-untyped-call]
    sizes = clustered.groupby("cluster_id")["unique_id"].transform("size")
    together = clustered[sizes > 1]
    clusters = dict(zip(together.unique_id.astype(str), together.cluster_id.astype(str),
                        strict=True))  # fmt: skip
    return predicted.as_pandas_dataframe(), clusters  # type: ignore[no-untyped-call]


def run(
    uow: UnitOfWork, model: RegistryModel, now: datetime, backend: Backend = "duckdb"
) -> BatchReport:
    """Deduplicate the registry (see the module text) with Splink on ``backend``
    (:func:`score_registry`); the caller commits. Returns the report. Raises
    ``sqlalchemy`` errors and Splink's (and Spark's) errors."""
    started = time.perf_counter()
    registry = _registry(uow)
    people = registry.people
    model = model.for_registry(len(people))
    frequencies = scoring.column_frequencies(
        {name: registry.columns[name] for name in scoring.frequency_columns(model.splink)}
    )
    scorer = scoring.Scorer(model.splink, model.design, frequencies)  # λ for this registry
    frame, clusters = (
        score_registry(model, registry.columns, backend) if len(people) > 1 else (None, {})
    )
    pairs: list[tuple[str, str, float]] = []
    if frame is not None:
        for left, right, weight in zip(frame.unique_id_l.astype(str),
                                       frame.unique_id_r.astype(str),
                                       frame.match_weight, strict=True):  # fmt: skip
            if people[left].household_id != people[right].household_id:
                pairs.append((left, right, float(weight)))
    stored = select(
        MatchCandidate.applicant_id, MatchCandidate.other_applicant_id,
        MatchCandidate.values_digest,
    )  # fmt: skip
    existing = {(a, b): digest for a, b, digest in uow.session.execute(stored)}
    new: list[dict[str, Any]] = []
    written = unchanged = skipped = likely = review = 0
    for left, right, _ in pairs:
        a, b = sorted((people[left], people[right]), key=lambda p: p.applicant_id)
        a_row, b_row = registry.row(a), registry.row(b)
        score = scorer.score(a_row, b_row)
        if score.match_weight >= LIKELY_DUPLICATE:
            likely += 1
        elif score.match_weight >= NEEDS_REVIEW:
            review += 1
        digest = intake.values_digest(a_row, b_row)
        key = (a.applicant_id, b.applicant_id)
        if key not in existing:
            values = intake.candidate_values(score, digest)
            if values is None:
                skipped += 1  # on the threshold: Splink rounded up, Python down
                continue
            new.append({
                **values, "applicant_id": a.applicant_id, "other_applicant_id": b.applicant_id,
                "case_id": a.case_id, "other_case_id": b.case_id, "source": MatchSource.BATCH,
                "status": MatchStatus.OPEN, "found_at": now,
                "cluster": clusters.get(str(a.applicant_id)),
            })  # fmt: skip
            continue
        if existing[key] == digest:
            unchanged += 1
            continue
        candidate = intake.record_pair(
            uow, (a.applicant_id, a.case_id, a_row), (b.applicant_id, b.case_id, b_row), score,
            MatchSource.BATCH, now,
        )  # fmt: skip
        if candidate is None:
            skipped += 1
            continue
        candidate.cluster = clusters.get(str(a.applicant_id))
        written += 1
    for start in range(0, len(new), 10_000):
        uow.session.execute(insert(MatchCandidate), new[start : start + 10_000])
    written += len(new)
    uow.session.flush()
    return BatchReport(
        records=len(people), pairs_scored=len(pairs), likely_duplicate=likely,
        needs_review=review, written=written, unchanged=unchanged, skipped_decided=skipped,
        clusters=len(set(clusters.values())), seconds=round(time.perf_counter() - started, 2),
    )  # fmt: skip
