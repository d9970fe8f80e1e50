"""The intake check: is someone in a new registration already registered?

When a household registers (and when a caseworker opens its case), each of its people
is turned into a feature row (:func:`applicant_record`, :func:`features.features`), its
blocking keys are stored (:func:`index_applicant`), the registered people sharing a
block are looked up through ``identity_keys`` (:func:`candidate_ids`, index lookups
only), each is scored with the trained model (:class:`scoring.Scorer`, pure Python)
and the best :data:`TOP` at or above the review threshold are kept as
``match_candidates`` for staff. Nothing of this reaches the applicant: the page they
see is the same whether or not a candidate was found.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import delete, func, insert, select, union_all

from movilidad.applicants.models import Applicant
from movilidad.cases.models import Case
from movilidad.db.uow import UnitOfWork
from movilidad.households.models import Household, HouseholdMember
from movilidad.identity import features, keys
from movilidad.identity.model import RegistryModel, band_of
from movilidad.identity.models import IdentityKey, MatchCandidate, MatchSource, MatchStatus
from movilidad.identity.scoring import Score

#: Candidates kept per person of the new registration (issue #7: top 5).
TOP: Final = 5
#: Registered people scored per person: those sharing the most blocking keys.
LOOKUP: Final = 200


def linkage_record(
    *, applicant_id: int, given_names: str, first_surname: str, second_surname: str | None,
    date_of_birth: date, sex: str, nationality: str | None, phone: str | None,
    document_number: str | None,
) -> dict[str, Any]:  # fmt: skip
    """A linkage record (the fields of :mod:`movilidad.identity.features`) from an
    applicant's stored values: names, date of birth (ISO 8601), sex, first nationality
    (ISO 3166-1 alpha-3), phone (E.164) and first identity document's number;
    ``unique_id`` is the applicant id (a string)."""
    return {
        "unique_id": str(applicant_id),
        "given_names": given_names,
        "first_surname": first_surname,
        "second_surname": second_surname or "",
        "date_of_birth": date_of_birth.isoformat(),
        "sex": str(sex),
        "nationality": nationality,
        "phone": phone,
        "document_number": document_number,
    }


def applicant_record(applicant: Applicant) -> dict[str, Any]:
    """:func:`linkage_record` of ``applicant`` (its nationality first in alphabetical
    order, its document first recorded)."""
    document = applicant.documents[0].number if applicant.documents else None
    nationalities = applicant.nationalities
    return linkage_record(
        applicant_id=applicant.id, given_names=applicant.given_names,
        first_surname=applicant.first_surname, second_surname=applicant.second_surname,
        date_of_birth=applicant.date_of_birth, sex=applicant.sex,
        nationality=nationalities[0] if nationalities else None, phone=applicant.phone,
        document_number=document,
    )  # fmt: skip


def feature_row(applicant: Applicant) -> dict[str, Any]:
    """:func:`features.features` of :func:`applicant_record`."""
    return features.features(applicant_record(applicant))


def values_digest(left: dict[str, Any], right: dict[str, Any]) -> str:
    """SHA-256 (hex) of two feature rows, without their ids: it changes when a value
    the model compares changes."""
    payload = [{k: v for k, v in row.items() if k != "unique_id"} for row in (left, right)]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def index_applicant(uow: UnitOfWork, applicant_id: int, row: dict[str, Any]) -> None:
    """Replace the applicant's stored blocking keys with those of ``row``."""
    session = uow.session
    session.execute(delete(IdentityKey).where(IdentityKey.applicant_id == applicant_id))
    stored = sorted(keys.stored_keys(row))
    if stored:
        session.execute(
            insert(IdentityKey), [{"key": k, "applicant_id": applicant_id} for k in stored]
        )


def candidate_ids(
    uow: UnitOfWork, row: dict[str, Any], exclude: Iterable[int], limit: int = LOOKUP
) -> list[int]:
    """Registered applicants sharing at least one block with ``row``, those sharing the
    most keys first (then the most recent), at most ``limit``, without ``exclude``."""
    wanted = sorted(keys.query_keys(row))
    if not wanted:
        return []
    shared = func.count().label("shared")
    query = (
        select(IdentityKey.applicant_id, shared)
        .where(IdentityKey.key.in_(wanted))
        .group_by(IdentityKey.applicant_id)
        .order_by(shared.desc(), IdentityKey.applicant_id.desc())
        .limit(limit + len(set(exclude)))
    )
    skip = set(exclude)
    found = [aid for aid, _ in uow.session.execute(query) if aid not in skip]
    return found[:limit]


@dataclass(frozen=True)
class Scored:
    """One registered person scored against a new one."""

    applicant: Applicant
    case_id: int
    row: dict[str, Any]
    score: Score


def _cases_of(uow: UnitOfWork, applicant_ids: Sequence[int]) -> dict[int, int]:
    """Applicant id → case id, for principal applicants and household members alike."""
    members = (
        select(HouseholdMember.applicant_id, Case.id)
        .join(Case, Case.household_id == HouseholdMember.household_id)
        .where(HouseholdMember.applicant_id.in_(applicant_ids))
    )
    principals = (
        select(Household.principal_applicant_id, Case.id)
        .join(Case, Case.household_id == Household.id)
        .where(Household.principal_applicant_id.in_(applicant_ids))
    )
    rows = uow.session.execute(union_all(members, principals))
    return {applicant_id: case_id for applicant_id, case_id in rows}


def score_candidates(
    uow: UnitOfWork, model: RegistryModel, applicant: Applicant, row: dict[str, Any],
    exclude: Iterable[int],
) -> list[Scored]:  # fmt: skip
    """The registered people in the blocks of ``row`` (the feature row of
    ``applicant``), scored, best first, those with a case only; ``exclude``: applicant
    ids never to return (the person's own household)."""
    ids = candidate_ids(uow, row, exclude)
    if not ids:
        return []
    cases = _cases_of(uow, ids)
    people = uow.session.scalars(select(Applicant).where(Applicant.id.in_(list(cases)))).all()
    scored: list[Scored] = []
    for other in people:
        other_row = feature_row(other)
        left, right = (row, other_row) if applicant.id < other.id else (other_row, row)
        scored.append(Scored(other, cases[other.id], other_row, model.scorer.score(left, right)))
    scored.sort(key=lambda s: (-s.score.match_weight, -s.applicant.id))
    return scored


def candidate_values(score: Score, digest: str) -> dict[str, Any] | None:
    """The scored columns of a match candidate (``match_weight`` rounded to 1e-4 bits,
    ``match_probability``, ``band``, ``comparisons``, ``values_digest``), or None below
    the review threshold."""
    band = band_of(score.match_weight)
    if band is None:
        return None
    return {
        "match_weight": round(score.match_weight, 4),
        "match_probability": score.match_probability,
        "band": band,
        "comparisons": [
            {"comparison": part.comparison, "level": part.level, "label": part.label,
             "weight": round(part.weight, 3), "tf_adjustment": round(part.tf_adjustment, 3)}
            for part in score.comparisons
        ],
        "values_digest": digest,
    }  # fmt: skip


def record_pair(
    uow: UnitOfWork, a: tuple[int, int, dict[str, Any]], b: tuple[int, int, dict[str, Any]],
    score: Score, source: MatchSource, now: datetime,
) -> MatchCandidate | None:  # fmt: skip
    """Store the scored pair (applicant id, case id, feature row) × 2 as a match
    candidate, or refresh the stored one. Returns the candidate, or None when the pair
    is below the review threshold, was decided *same person*, or was decided
    *different people* on the same values."""
    (first, first_case, first_row), (second, second_case, second_row) = sorted(
        (a, b), key=lambda part: part[0]
    )
    digest = values_digest(first_row, second_row)
    values = candidate_values(score, digest)
    if values is None:
        return None
    existing = uow.session.scalar(
        select(MatchCandidate).where(
            MatchCandidate.applicant_id == first,
            MatchCandidate.other_applicant_id == second,
        )
    )
    if existing is not None:
        if existing.status is MatchStatus.SAME_PERSON:
            return None
        if existing.status is MatchStatus.DIFFERENT_PEOPLE and existing.values_digest == digest:
            return None
        candidate = existing
        if candidate.status is not MatchStatus.OPEN:  # found again: the values changed
            candidate.found_at = now
        candidate.status = MatchStatus.OPEN
        candidate.decided_at = None
        candidate.decided_by_staff_id = None
    else:
        candidate = MatchCandidate(applicant_id=first, other_applicant_id=second)
        candidate.found_at = now  # kept when the pair is scored again
        uow.session.add(candidate)
    candidate.case_id = first_case
    candidate.other_case_id = second_case
    for name, value in values.items():
        setattr(candidate, name, value)
    candidate.source = source
    return candidate


def registry_size(uow: UnitOfWork) -> int:
    """The number of people registered, estimated by the highest applicant id (one
    index lookup; an upper bound, as records removed under the retention policy leave
    gaps). It sets the model's prior (:meth:`RegistryModel.prior_for`)."""
    return int(uow.session.scalar(select(func.max(Applicant.id))) or 0)


def check_case(
    uow: UnitOfWork, case: Case, model: RegistryModel, now: datetime
) -> list[MatchCandidate]:
    """Run the intake check for every person of ``case``'s household: store their
    blocking keys, score the registered people in their blocks, and store the best
    :data:`TOP` per person at or above the review threshold (other households only),
    with the model's prior set for the registry's size.
    An open candidate of theirs that this check did not find again is scored again on
    today's values: kept (refreshed) at or above the threshold, removed below it (a
    suggestion nobody decided on that no longer holds). Returns the candidates stored
    or refreshed."""
    model = model.for_registry(registry_size(uow))
    household = case.household
    members = [household.principal, *(member.applicant for member in household.members)]
    own = {applicant.id for applicant in members}
    stored: list[MatchCandidate] = []
    for applicant in members:
        row = feature_row(applicant)
        index_applicant(uow, applicant.id, row)
        best = score_candidates(uow, model, applicant, row, own)[:TOP]
        for found in best:
            pair = record_pair(
                uow, (applicant.id, case.id, row), (found.applicant.id, found.case_id, found.row),
                found.score, MatchSource.INTAKE, now,
            )  # fmt: skip
            if pair is not None:
                stored.append(pair)
        stored.extend(_rescore_open(uow, model, applicant, case.id, row, stored, now))
    uow.session.flush()
    return stored


def _rescore_open(
    uow: UnitOfWork, model: RegistryModel, applicant: Applicant, case_id: int,
    row: dict[str, Any], done: list[MatchCandidate], now: datetime,
) -> list[MatchCandidate]:  # fmt: skip
    """Score again the applicant's open candidates not in ``done``; remove those now
    below the review threshold. Returns those kept."""
    seen = {id(candidate) for candidate in done}
    kept: list[MatchCandidate] = []
    open_pairs = uow.session.scalars(
        select(MatchCandidate).where(
            MatchCandidate.status == MatchStatus.OPEN,
            (MatchCandidate.applicant_id == applicant.id)
            | (MatchCandidate.other_applicant_id == applicant.id),
        )
    ).all()
    for candidate in open_pairs:
        if id(candidate) in seen:
            continue
        mine = candidate.applicant_id == applicant.id
        other = candidate.other_applicant if mine else candidate.applicant
        other_case = candidate.other_case_id if mine else candidate.case_id
        other_row = feature_row(other)
        left, right = (row, other_row) if applicant.id < other.id else (other_row, row)
        score = model.scorer.score(left, right)
        if band_of(score.match_weight) is None:
            uow.session.delete(candidate)
            continue
        pair = record_pair(uow, (applicant.id, case_id, row), (other.id, other_case, other_row),
                           score, MatchSource.INTAKE, now)  # fmt: skip
        if pair is not None:
            kept.append(pair)
    return kept


def reindex_all(uow: UnitOfWork) -> int:
    """Rebuild the stored blocking keys of every applicant with a case (after an
    upgrade to a database without them, or a change of data key, which changes every
    blind index). Returns the number of applicants indexed."""
    uow.session.execute(delete(IdentityKey))
    count = 0
    for case in uow.session.scalars(select(Case).order_by(Case.id)):
        household = case.household
        for applicant in (household.principal, *(m.applicant for m in household.members)):
            index_applicant(uow, applicant.id, feature_row(applicant))
            count += 1
    uow.session.flush()
    return count
