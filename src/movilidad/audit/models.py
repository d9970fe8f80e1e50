"""AuditEvent: one row per access to personal data or change of record. Never updated
or deleted through the ORM (see :func:`_refuse_change`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from movilidad.db.base import Base, str_enum
from movilidad.db.types import UTCDateTime
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.clock import utcnow
from movilidad.kernel.errors import MovilidadError


class AuditEvent(Base):
    """``action`` is dotted (``case.view``, ``user.create``); ``detail`` holds ids and
    codes only, never personal data."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_kind: Mapped[ActorKind] = mapped_column(str_enum(ActorKind, "actor_kind"))
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    request_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Hash chain (see movilidad.audit.chain): set when the event is flushed.
    sequence: Mapped[int | None] = mapped_column(Integer, unique=True)
    previous_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditTrailIsAppendOnly(MovilidadError):
    """Raised when code tries to alter or remove an audit event."""


def _refuse_change(*_args: Any) -> None:
    raise AuditTrailIsAppendOnly("audit events are never updated or deleted")


event.listen(AuditEvent, "before_update", _refuse_change)
event.listen(AuditEvent, "before_delete", _refuse_change)
