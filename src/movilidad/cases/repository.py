"""Queries over cases."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.orm import Session, lazyload

from movilidad.applicants.models import (
    DOCUMENT_INDEX,
    PHONE_INDEX,
    Applicant,
    ApplicantNationality,
    IdentityDocument,
    normalize_document_number,
    search_key,
)
from movilidad.cases.models import TERMINAL, Case, CaseStatus
from movilidad.households.models import Household, HouseholdMember
from movilidad.kernel.contact import InvalidPhone, normalize_phone
from movilidad.kernel.crypto import get_cipher
from movilidad.kernel.errors import InvalidReference
from movilidad.kernel.references import normalize_reference
from movilidad.offices.models import Office
from movilidad.staff.actor import ScopeSet

PAGE_SIZE = 25


def in_scope(scope: ScopeSet) -> ColumnElement[bool]:
    """SQL condition: the case belongs to an office within ``scope``. Every staff query
    over cases goes through this, so lists, counts and detail pages agree."""
    if scope.everywhere:
        return true()
    conditions: list[ColumnElement[bool]] = []
    if scope.office_ids:
        conditions.append(Case.office_id.in_(sorted(scope.office_ids)))
    if scope.countries:
        conditions.append(
            Case.office_id.in_(select(Office.id).where(Office.country.in_(sorted(scope.countries))))
        )
    return or_(*conditions) if conditions else false()


@dataclass(frozen=True)
class CaseFilters:
    """Queue filters; empty values mean "any". ``status`` "open" = not travelled/closed."""

    status: str = "open"
    office_code: str = ""
    nationality: str = ""
    reference: str = ""
    page: int = 1
    #: Free search: a name (accents and a missing second surname do not matter), a
    #: document number or a phone number, of anyone in the household.
    search: str = ""
    #: "me" (with ``staff_id``), "none" (unassigned) or "" (anyone).
    assignee: str = ""
    staff_id: int | None = None
    #: "vulnerable" (a specific need recorded), "duplicate" (with ``only_case_ids``) or
    #: "" (any).
    flag: str = ""
    #: When set, only these cases (the "possible duplicate" flag: the cases with an
    #: open match candidate, see ``identity.repository.case_ids_with_open_candidates``).
    only_case_ids: frozenset[int] | None = None


@dataclass(frozen=True)
class CasePage:
    cases: list[Case]
    total: int
    page: int
    pages: int


class CaseRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_case_by_reference(self, reference: str) -> Case | None:
        """``reference`` in canonical form (see ``normalize_reference``)."""
        return self.session.scalar(select(Case).where(Case.reference == reference))

    def get_case_by_id(self, case_id: int) -> Case | None:
        return self.session.get(Case, case_id)

    def get_case_alone(self, case_id: int) -> Case | None:
        """The case without its household, office or history joined in (they load on
        first use): for a request that needs only its own columns."""
        return self.session.get(Case, case_id, options=[lazyload("*")])

    def get_case_in_scope(self, scope: ScopeSet, reference: str) -> Case | None:
        """The case with ``reference`` (as typed) if it is within ``scope``; None for a
        malformed reference, a missing case or one outside the scope alike."""
        try:
            canonical = normalize_reference(reference)
        except InvalidReference:
            return None
        return self.session.scalar(select(Case).where(Case.reference == canonical, in_scope(scope)))

    def list_cases_in_scope(self, scope: ScopeSet, filters: CaseFilters) -> CasePage:
        """One page of the case queue within ``scope``: longest waiting first."""
        query = select(Case).where(in_scope(scope))
        if filters.status == "open":
            query = query.where(Case.status.not_in(list(TERMINAL)))
        elif filters.status in {s.value for s in CaseStatus}:
            query = query.where(Case.status == CaseStatus(filters.status))
        if filters.office_code:
            query = query.where(
                Case.office_id.in_(select(Office.id).where(Office.code == filters.office_code))
            )
        if filters.nationality:
            query = query.where(
                Case.household_id.in_(
                    select(Household.id)
                    .join(Applicant, Applicant.id == Household.principal_applicant_id)
                    .join(ApplicantNationality, ApplicantNationality.applicant_id == Applicant.id)
                    .where(ApplicantNationality.country == filters.nationality)
                )
            )
        if filters.reference:
            try:
                query = query.where(Case.reference == normalize_reference(filters.reference))
            except InvalidReference:
                query = query.where(false())
        if filters.search.strip():
            query = query.where(Case.household_id.in_(_households_matching(filters.search)))
        if filters.assignee == "me" and filters.staff_id is not None:
            query = query.where(Case.assigned_staff_id == filters.staff_id)
        elif filters.assignee == "none":
            query = query.where(Case.assigned_staff_id.is_(None))
        if filters.flag == "vulnerable":
            query = query.where(Case.vulnerable.is_(True))
        if filters.only_case_ids is not None:
            query = query.where(Case.id.in_(sorted(filters.only_case_ids)))
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(1, filters.page), pages)
        cases = list(
            self.session.scalars(
                query.order_by(Case.created_at, Case.id)
                .limit(PAGE_SIZE)
                .offset((page - 1) * PAGE_SIZE)
            )
        )
        return CasePage(cases, total, page, pages)

    def reference_exists(self, reference: str) -> bool:
        return (
            self.session.scalar(select(func.count()).where(Case.reference == reference)) or 0
        ) > 0

    def count_cases_by_status(self, office_id: int | None = None) -> dict[CaseStatus, int]:
        query = select(Case.status, func.count()).group_by(Case.status)
        if office_id is not None:
            query = query.where(Case.office_id == office_id)
        return {status: count for status, count in self.session.execute(query)}


def _applicants_matching(text: str) -> Select[int]:
    """Ids of applicants whose name, document number or phone matches ``text``."""
    conditions: list[ColumnElement[bool]] = []
    tokens = search_key(text).split()[:6]
    if tokens:
        conditions.append(
            and_(*(Applicant.search_name.contains(t, autoescape=True) for t in tokens))
        )
    cipher = get_cipher()
    document = normalize_document_number(text)
    if len(document) >= 4:
        documents = select(IdentityDocument.applicant_id).where(
            IdentityDocument.number_index == cipher.blind_index(DOCUMENT_INDEX, document)
        )
        conditions.append(Applicant.id.in_(documents))
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 7:
        candidates = {f"+{digits}"}
        with contextlib.suppress(InvalidPhone):
            candidates.add(normalize_phone(text))
        conditions.append(
            Applicant.phone_index.in_(
                sorted(cipher.blind_index(PHONE_INDEX, phone) for phone in candidates)
            )
        )
    return select(Applicant.id).where(or_(*conditions) if conditions else false())


def _households_matching(text: str) -> Select[int]:
    applicants = _applicants_matching(text)
    return select(Household.id).where(
        or_(
            Household.principal_applicant_id.in_(applicants),
            Household.id.in_(
                select(HouseholdMember.household_id).where(
                    HouseholdMember.applicant_id.in_(applicants)
                )
            ),
        )
    )


def open_cases_referred_to(session: Session, scope: ScopeSet, pathway_id: str) -> list[Case]:
    """Cases within ``scope`` referred to ``pathway_id`` and not yet travelled or closed
    (statuses ``referred`` and ``decision_received``), oldest first."""
    return list(
        session.scalars(
            select(Case)
            .where(
                in_scope(scope),
                Case.referred_pathway_id == pathway_id,
                Case.status.not_in(list(TERMINAL)),
            )
            .order_by(Case.created_at, Case.id)
        )
    )
