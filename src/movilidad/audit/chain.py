"""The hash chain over the audit trail.

Each event carries ``sequence`` (1, 2, 3… without gaps), the hash of the event before
it and its own hash: SHA-256 over the previous hash and the event's canonical JSON.
Altering an event changes its hash; removing one leaves a gap or breaks the link;
reordering breaks the links. :func:`verify_chain` names the first bad event.

Sequence numbers are taken under a row lock on ``audit_chain_head`` (PostgreSQL
``SELECT … FOR UPDATE``; SQLite serialises writers), so concurrent requests cannot fork
the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Integer, String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from movilidad.audit.models import AuditEvent
from movilidad.db.base import Base

GENESIS: Final = "0" * 64


class AuditChainHead(Base):
    """One row: the last sequence number and hash of the chain."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


def event_hash(previous_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 hex of the previous hash and the canonical JSON of ``fields``."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((previous_hash + canonical).encode("utf-8")).hexdigest()


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")


def hashed_fields(audit_event: AuditEvent) -> dict[str, Any]:
    """The fields an event's hash covers (everything but the chain columns)."""
    return {
        "sequence": audit_event.sequence,
        "occurred_at": _iso(audit_event.occurred_at),
        "actor_kind": str(audit_event.actor_kind),
        "actor_staff_id": audit_event.actor_staff_id,
        "action": audit_event.action,
        "object_type": audit_event.object_type,
        "object_id": audit_event.object_id,
        "office_id": audit_event.office_id,
        "request_id": audit_event.request_id,
        "detail": audit_event.detail,
    }


def _chain_new_events(session: Session, _context: Any, _instances: Any) -> None:
    new = [obj for obj in session.new if isinstance(obj, AuditEvent) and obj.sequence is None]
    if not new:
        return
    head = session.scalar(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update())
    if head is None:
        head = AuditChainHead(id=1, last_sequence=0, last_hash=GENESIS)
        session.add(head)
    for audit_event in new:
        if audit_event.occurred_at is None:
            from movilidad.kernel.clock import utcnow

            audit_event.occurred_at = utcnow()
        if audit_event.detail is None:
            audit_event.detail = {}
        audit_event.sequence = head.last_sequence + 1
        audit_event.previous_hash = head.last_hash
        audit_event.hash = event_hash(head.last_hash, hashed_fields(audit_event))
        head.last_sequence = audit_event.sequence
        head.last_hash = audit_event.hash


event.listen(Session, "before_flush", _chain_new_events)


@dataclass(frozen=True)
class ChainReport:
    events: int
    first_bad_sequence: int | None
    reason: str

    @property
    def ok(self) -> bool:
        return self.first_bad_sequence is None


def verify_events(events: Iterable[AuditEvent], head: AuditChainHead | None) -> ChainReport:
    """Check events given in sequence order against each other and the head."""
    previous = GENESIS
    expected = 1
    count = 0
    for audit_event in events:
        count += 1
        if audit_event.sequence != expected:
            return ChainReport(count, expected, f"event {expected} is missing or out of order")
        if audit_event.previous_hash != previous:
            return ChainReport(count, expected, f"event {expected} does not link to the one before")
        if audit_event.hash != event_hash(previous, hashed_fields(audit_event)):
            return ChainReport(count, expected, f"event {expected} was altered")
        previous = audit_event.hash
        expected += 1
    last = expected - 1
    if head is not None and (head.last_sequence != last or head.last_hash != previous):
        return ChainReport(count, last + 1, f"events after {last} were removed")
    return ChainReport(count, None, "the audit trail is intact")


def verify_chain(session: Session) -> ChainReport:
    """Verify the whole audit trail in the database (streams events in order)."""
    head = session.get(AuditChainHead, 1)
    events = session.scalars(
        select(AuditEvent).order_by(AuditEvent.sequence).execution_options(yield_per=1000)
    )
    try:
        return verify_events(events, head)
    finally:
        events.close()  # stopping at the first bad event leaves the cursor open
