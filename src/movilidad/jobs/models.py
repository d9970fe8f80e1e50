"""JobFailure: each failed attempt of a background job, for administrators to see."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from movilidad.db.base import Base
from movilidad.db.types import UTCDateTime
from movilidad.kernel.clock import utcnow


class JobFailure(Base):
    """One failed attempt. ``final`` is true when no retry is left. ``error`` holds the
    exception type and message (jobs take ids, never personal data, as arguments)."""

    __tablename__ = "job_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(String(64), index=True)
    job_name: Mapped[str] = mapped_column(String(128), index=True)
    error: Mapped[str] = mapped_column(Text)
    retries_left: Mapped[int] = mapped_column(Integer)
    final: Mapped[bool] = mapped_column(Boolean)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
