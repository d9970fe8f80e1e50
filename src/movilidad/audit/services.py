"""Recording audit events."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from movilidad.audit import chain as _chain  # noqa: F401 - registers the hash chain
from movilidad.audit.models import AuditEvent
from movilidad.kernel.actors import ActorKind


def record_event(
    session: Session,
    *,
    action: str,
    object_type: str,
    object_id: str | int,
    actor_kind: ActorKind,
    actor_staff_id: int | None = None,
    office_id: int | None = None,
    request_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current unit of work (committed with it).

    ``detail`` must hold ids and codes only, never names, contacts or free text.
    """
    audit_event = AuditEvent(
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        actor_kind=actor_kind,
        actor_staff_id=actor_staff_id,
        office_id=office_id,
        request_id=request_id,
        detail=detail or {},
    )
    session.add(audit_event)
    return audit_event
