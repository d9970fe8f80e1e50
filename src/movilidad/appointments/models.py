"""An office's calendar: opening hours per weekday, closed days, and the slots made
from them. Slot times are stored in UTC and shown in the office's IANA time zone."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from movilidad.cases.models import Case
from movilidad.db.base import Base, str_enum
from movilidad.db.types import EncryptedText, UTCDateTime
from movilidad.kernel.clock import utcnow
from movilidad.notifications.models import VerificationCode
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


class BookingMode(StrEnum):
    """How an office hands out its slots."""

    DIRECT = "direct"  # while supply exceeds demand: the applicant picks a free slot
    REQUEST_WINDOW = "request_window"  # households request; an allocation run assigns


class BookingPolicy(Base):
    """An office's choice of :class:`BookingMode` and the rules of its allocation runs.

    ``longest_waiting_percent`` of the seats of a run go to the households registered
    longest ago; then ``priority_groups`` (``SpecificNeed`` codes, in order) are served;
    the rest is drawn by lottery. ``offer_hours``: how long an allocated offer waits for
    confirmation; ``hold_minutes``: how long a slot picked in direct booking is held.
    """

    __tablename__ = "booking_policies"

    office_id: Mapped[int] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[BookingMode] = mapped_column(str_enum(BookingMode, "booking_mode"))
    longest_waiting_percent: Mapped[int] = mapped_column(Integer, default=30)
    priority_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    offer_hours: Mapped[int] = mapped_column(Integer, default=23)
    hold_minutes: Mapped[int] = mapped_column(Integer, default=15)


class RequestWindow(Base):
    """A period in which an office's households ask for an interview, and the slots
    (local dates ``slots_first``–``slots_last``) its allocation run will share out.

    The lottery seed is drawn when the window is created. Its SHA-256 (``seed_hash``)
    is published at once; the seed itself stays encrypted until the run, then is
    published too, so anyone can check the draw (``movilidad appointments replay``).
    """

    __tablename__ = "request_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), index=True)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    slots_first: Mapped[date] = mapped_column(Date)
    slots_last: Mapped[date] = mapped_column(Date)
    seed: Mapped[str] = mapped_column(EncryptedText)
    seed_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    office: Mapped[Office] = relationship()

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at


class RequestStatus(StrEnum):
    WAITING = "waiting"  # in the office's queue for the next allocation run
    ALLOCATED = "allocated"  # an allocation run gave it an offer
    WITHDRAWN = "withdrawn"  # the household or the office took it back


_WAITING_SQL = "status IN ('waiting', 'allocated')"


class AppointmentRequest(Base):
    """A household's request for an interview at an office in request-window mode.

    One live request per household (partial unique index). A request not served by a
    run stays in the queue for the next one; a household that missed its interview
    is put back with a new request (``after_no_show``).
    """

    __tablename__ = "appointment_requests"
    __table_args__ = (
        Index("uq_appointment_requests_live_case", "case_id", unique=True,
              sqlite_where=text(_WAITING_SQL), postgresql_where=text(_WAITING_SQL)),
        Index("ix_appointment_requests_office_status", "office_id", "status"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    window_id: Mapped[int | None] = mapped_column(ForeignKey("request_windows.id"), index=True)
    status: Mapped[RequestStatus] = mapped_column(str_enum(RequestStatus, "request_status"))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    after_no_show: Mapped[bool] = mapped_column(default=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()


class AllocationRun(Base):
    """One allocation run of a request window: its exact inputs, seed and result.

    ``inputs`` (seats, requests with registration time, priority groups and
    nationality, the policy) and ``seed`` are all ``replay`` needs; ``result`` maps
    each served request to its seat and the rule that served it; ``report`` holds the
    counts published with the run (no personal data). The SHA-256 digests are of the
    canonical JSON (sorted keys, no spaces).
    """

    __tablename__ = "allocation_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("request_windows.id"), unique=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seed: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict[str, object]] = mapped_column(JSON)
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    result: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    result_sha256: Mapped[str] = mapped_column(String(64))
    report: Mapped[dict[str, object]] = mapped_column(JSON)
    ran_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    window: Mapped[RequestWindow] = relationship()


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
    #: How the seat was given: ``direct``, ``manual``, ``longest_waiting``,
    #: ``priority:<group>`` or ``lottery``.
    rule: Mapped[str] = mapped_column(String(60), default="direct", server_default="direct")
    request_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_requests.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("allocation_runs.id"), index=True)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    interviewer_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    #: The code printed on the slip (issued on confirmation, revoked on cancellation).
    slip_code_id: Mapped[int | None] = mapped_column(ForeignKey("verification_codes.id"))

    slot: Mapped[Slot] = relationship(lazy="joined")
    case: Mapped[Case] = relationship()
    slip_code: Mapped[VerificationCode | None] = relationship()
