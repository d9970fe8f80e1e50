"""Reading the audit trail within a staff member's scope."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session

from movilidad.audit.models import AuditEvent
from movilidad.offices.models import Office
from movilidad.staff.actor import ScopeSet

PAGE_SIZE = 100
#: Events about a case that are recorded against another object, with the case id in
#: their detail (a document scan, a referral package).
CASE_RELATED = ("document_file", "referral")


def events_in_scope(scope: ScopeSet) -> ColumnElement[bool]:
    """SQL condition: the event happened in an office within ``scope``. Events of no
    office (sign-ins, account changes) are visible only with an everywhere scope."""
    if scope.everywhere:
        return true()
    conditions: list[ColumnElement[bool]] = []
    if scope.office_ids:
        conditions.append(AuditEvent.office_id.in_(sorted(scope.office_ids)))
    if scope.countries:
        conditions.append(
            AuditEvent.office_id.in_(
                select(Office.id).where(Office.country.in_(sorted(scope.countries)))
            )
        )
    return or_(*conditions) if conditions else false()


def case_events(
    session: Session, scope: ScopeSet, case_id: int, *, before: int | None = None
) -> list[AuditEvent]:
    """Events about one case, newest first, :data:`PAGE_SIZE` at a time (``before``: an
    event id, for the next page): the case's own events and those of its document
    scans and referrals (which carry the case id in their detail)."""
    related = and_(
        AuditEvent.object_type.in_(CASE_RELATED),
        AuditEvent.detail["case"].as_integer() == case_id,
    )
    query = select(AuditEvent).where(
        events_in_scope(scope),
        or_(and_(AuditEvent.object_type == "case", AuditEvent.object_id == str(case_id)), related),
    )
    if before is not None:
        query = query.where(AuditEvent.id < before)
    return list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(PAGE_SIZE)))


def staff_events(
    session: Session, scope: ScopeSet, staff_id: int, *, before: int | None = None
) -> list[AuditEvent]:
    """What one staff member did, within ``scope``, newest first, :data:`PAGE_SIZE` at a
    time (``before``: an event id, for the next page)."""
    query = select(AuditEvent).where(events_in_scope(scope), AuditEvent.actor_staff_id == staff_id)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    return list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(PAGE_SIZE)))
