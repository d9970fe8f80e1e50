"""An office's calendar: opening hours per weekday, closed days, and the slots made
from them. Slot times are stored in UTC and shown in the office's IANA time zone."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Time, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from movilidad.db.base import Base, str_enum
from movilidad.db.types import UTCDateTime
from movilidad.offices.models import Office


class InterviewMode(StrEnum):
    IN_PERSON = "in_person"
    VIDEO = "video"
    PHONE = "phone"


class OpeningHours(Base):
    """One opening period of an office on one weekday (0 = Monday … 6 = Sunday), in
    the office's local time, cut into slots of ``slot_minutes`` with ``capacity``
    interviews each (interviewers or rooms)."""

    __tablename__ = "office_opening_hours"
    __table_args__ = (UniqueConstraint("office_id", "weekday", "opens", "mode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    mode: Mapped[InterviewMode] = mapped_column(str_enum(InterviewMode, "interview_mode"))
    #: ISO 639-1 codes the interviewers (or interpreters) speak in this period.
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)

    office: Mapped[Office] = relationship()


class ClosedDay(Base):
    """A day the office does not interview (holiday, training), in local dates."""

    __tablename__ = "office_closed_days"
    __table_args__ = (UniqueConstraint("office_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")


class Slot(Base):
    """One interview time at an office: ``capacity`` households may be seen at once."""

    __tablename__ = "appointment_slots"
    __table_args__ = (UniqueConstraint("office_id", "starts_at", "mode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    mode: Mapped[InterviewMode] = mapped_column(str_enum(InterviewMode, "slot_mode"))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)


class AppointmentStatus(StrEnum):
    OFFERED = "offered"  # a seat held for the household until ``expires_at``
    CONFIRMED = "confirmed"
    EXPIRED = "expired"  # not confirmed in time: the seat went back
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


#: Statuses that hold a seat; a household has at most one such appointment.
HOLDING = ("offered", "confirmed")
_HOLDING_SQL = "status IN ('offered', 'confirmed')"


class Appointment(Base):
    """One household's seat in one slot.

    The database itself forbids two holding appointments on the same seat of a slot
    and two holding appointments for the same case (partial unique indexes, on
    SQLite and PostgreSQL alike), so no race between requests can double-book.
    ``idempotency_key`` makes a retried request return the first appointment.
    """

    __tablename__ = "appointments"
    __table_args__ = (
        Index("uq_appointments_holding_seat", "slot_id", "seat", unique=True,
              sqlite_where=text(_HOLDING_SQL), postgresql_where=text(_HOLDING_SQL)),
        Index("uq_appointments_holding_case", "case_id", unique=True,
              sqlite_where=text(_HOLDING_SQL), postgresql_where=text(_HOLDING_SQL)),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("appointment_slots.id"), index=True)
    seat: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    status: Mapped[AppointmentStatus] = mapped_column(
        str_enum(AppointmentStatus, "appointment_status")
    )
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    slot: Mapped[Slot] = relationship()
