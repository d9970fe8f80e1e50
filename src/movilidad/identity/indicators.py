"""Fraud indicators: traces that many unrelated households share, and document numbers
that cannot be valid.

CHNV's internal review found serial sponsors, addresses on hundreds of forms and one IP
address behind 1,328 forms (``../shared/reference/programs.md`` d.6). An indicator is
not a finding: a shelter's phone, an office kiosk or a relative helping neighbours
explains many; staff look at the cases behind each one.

* *Shared contact*: the same phone number or e-mail address (compared by their blind
  indexes) given by people of at least :data:`SHARED_THRESHOLD` households.
* *Shared network*: registrations submitted from the same network address (an IPv4
  address, or the /64 prefix of an IPv6 address), stored at submission as a blind
  index only (:func:`network_index`), by at least :data:`SHARED_THRESHOLD` households.
* *Invalid document*: a national identity number that fails its country's check
  (format and check digit) where python-stdnum has a validator: ARG DNI, BRA CPF, CHL
  RUT, CUB NI, DOM cédula, ECU CI, MEX CURP, PER CUI. Venezuelan and Colombian
  cédulas and passports have no published check and are not judged.

The registration form asks no free-text question, so identical free-text answers
across households cannot occur and are not looked for. Addresses are not collected.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import func, select, union_all

from movilidad.applicants.models import Applicant, DocumentType, IdentityDocument
from movilidad.cases.models import Case
from movilidad.cases.repository import in_scope
from movilidad.db.uow import UnitOfWork
from movilidad.households.models import Household, HouseholdMember
from movilidad.kernel.crypto import get_cipher
from movilidad.staff.actor import ScopeSet

#: Households sharing a trace before it is reported.
SHARED_THRESHOLD: Final = 3
NETWORK_INDEX: Final = "case.submission_network"
#: ISO 3166-1 alpha-3 → python-stdnum module validating its national identity number.
NATIONAL_ID_CHECKS: Final = {
    "ARG": "stdnum.ar.dni", "BRA": "stdnum.br.cpf", "CHL": "stdnum.cl.rut",
    "CUB": "stdnum.cu.ni", "DOM": "stdnum.do.cedula", "ECU": "stdnum.ec.ci",
    "MEX": "stdnum.mx.curp", "PER": "stdnum.pe.cui",
}  # fmt: skip


def network_index(client_address: str | None) -> str | None:
    """The blind index of a client's network address (an IPv4 address, or the /64
    network of an IPv6 address); None when the address is missing or not an IP."""
    if not client_address:
        return None
    try:
        address = ipaddress.ip_address(client_address.strip())
    except ValueError:
        return None
    if address.version == 6:
        normalized = str(ipaddress.ip_network(f"{address}/64", strict=False))
    else:
        normalized = str(address)
    return get_cipher().blind_index(NETWORK_INDEX, normalized)


def document_is_invalid(document_type: str, issuing_country: str, number: str) -> bool:
    """True when a national identity number fails its country's check; False when it
    passes or when there is no check for that country or document type."""
    module_name = NATIONAL_ID_CHECKS.get(issuing_country)
    if document_type != DocumentType.NATIONAL_ID.value or module_name is None:
        return False
    import importlib

    module: Any = importlib.import_module(module_name)
    return not module.is_valid(number)


@dataclass(frozen=True)
class SharedTrace:
    """One trace shared by ``households`` households; ``kind`` is ``phone``, ``email``
    or ``network``; ``cases`` their case references within scope (all of them are)."""

    kind: str
    households: int
    cases: list[str]


@dataclass(frozen=True)
class InvalidDocument:
    """A national identity number that fails its check, and its case."""

    case_reference: str
    issuing_country: str


@dataclass(frozen=True)
class Indicators:
    shared: list[SharedTrace]
    invalid_documents: list[InvalidDocument]


def _people_cases() -> Any:
    """(applicant id, case id) for principal applicants and household members."""
    principals = select(
        Household.principal_applicant_id.label("applicant_id"), Case.id.label("case_id")
    ).join(Case, Case.household_id == Household.id)
    members = select(
        HouseholdMember.applicant_id.label("applicant_id"), Case.id.label("case_id")
    ).join(Case, Case.household_id == HouseholdMember.household_id)
    return union_all(principals, members).subquery()


def _shared(uow: UnitOfWork, scope: ScopeSet, kind: str, index: Any, threshold: int,
            through_people: bool) -> list[SharedTrace]:  # fmt: skip
    if through_people:
        people = _people_cases()
        pairs = (select(index.label("trace"), people.c.case_id)
                 .join(people, people.c.applicant_id == Applicant.id)
                 .where(index.is_not(None)))  # fmt: skip
    else:
        pairs = select(index.label("trace"), Case.id.label("case_id")).where(index.is_not(None))
    traced = pairs.subquery()
    busy = (select(traced.c.trace).group_by(traced.c.trace)
            .having(func.count(func.distinct(traced.c.case_id)) >= threshold))  # fmt: skip
    rows = uow.session.execute(
        select(traced.c.trace, Case.reference)
        .join(Case, Case.id == traced.c.case_id)
        .where(traced.c.trace.in_(busy), in_scope(scope))
        .distinct()
        .order_by(traced.c.trace, Case.reference)
    )
    groups: dict[str, list[str]] = {}
    for trace, reference in rows:
        groups.setdefault(trace, []).append(reference)
    # Only traces whose households are all in scope: a count must not reveal cases
    # elsewhere.
    totals: dict[str, int] = {
        trace: count for trace, count in uow.session.execute(
            select(traced.c.trace, func.count(func.distinct(traced.c.case_id)))
            .where(traced.c.trace.in_(list(groups))).group_by(traced.c.trace)
        )
    }  # fmt: skip
    found = [SharedTrace(kind, len(refs), refs) for trace, refs in groups.items()
             if totals.get(trace) == len(refs)]  # fmt: skip
    return sorted(found, key=lambda t: -t.households)


def indicators(
    uow: UnitOfWork, scope: ScopeSet, *, threshold: int = SHARED_THRESHOLD
) -> Indicators:
    """The indicators within ``scope`` (a trace is listed only when every household
    sharing it is in scope), largest groups first."""
    shared = [
        *_shared(uow, scope, "phone", Applicant.phone_index, threshold, True),
        *_shared(uow, scope, "email", Applicant.email_index, threshold, True),
        *_shared(uow, scope, "network", Case.submission_network, threshold, False),
    ]
    people = _people_cases()
    rows = uow.session.execute(
        select(IdentityDocument, Case.reference)
        .join(people, people.c.applicant_id == IdentityDocument.applicant_id)
        .join(Case, Case.id == people.c.case_id)
        .where(IdentityDocument.type == DocumentType.NATIONAL_ID,
               IdentityDocument.issuing_country.in_(sorted(NATIONAL_ID_CHECKS)), in_scope(scope))
        .order_by(Case.reference)
    )  # fmt: skip
    invalid = [
        InvalidDocument(reference, document.issuing_country)
        for document, reference in rows
        if document_is_invalid(document.type.value, document.issuing_country, document.number)
    ]
    return Indicators(sorted(shared, key=lambda t: -t.households), invalid)


def cases_sharing(traces: Sequence[SharedTrace]) -> set[str]:
    """Every case reference named by ``traces``."""
    return {reference for trace in traces for reference in trace.cases}
