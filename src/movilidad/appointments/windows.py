"""Request windows: an office's booking policy, households' requests, the allocation run
with its published seed, and ``replay``.

A window's seed is drawn when the window is created; its SHA-256 is public from then
on. When the window has closed, :func:`run_allocation` freezes the inputs (waiting
requests and free seats), draws with the seed (:func:`~movilidad.appointments.
allocation.allocate`), records inputs, seed, result and report in one
:class:`AllocationRun`, and makes an offer to each household served. The seed is
revealed with the run. :func:`replay` recomputes a run and compares.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.exc import IntegrityError

from movilidad.applicants.models import ApplicantNationality
from movilidad.appointments import allocation, repository
from movilidad.appointments.booking import BookingRefused, appointment_params
from movilidad.appointments.models import (
    HOLDING,
    AllocationRun,
    Appointment,
    AppointmentRequest,
    AppointmentStatus,
    BookingMode,
    BookingPolicy,
    RequestStatus,
    RequestWindow,
    Slot,
)
from movilidad.audit.services import record_event
from movilidad.cases.models import Case, CaseStatus, SpecificNeed
from movilidad.db.types import UTCDateTime
from movilidad.db.uow import UnitOfWork
from movilidad.households.models import Household
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.errors import DomainError
from movilidad.notifications.models import NotificationKind
from movilidad.notifications.services import JobSender, queue_notification
from movilidad.offices.models import Office

#: Slots starting sooner than this after a run are not offered: the household must
#: have its whole confirmation deadline before the interview.
LEAD_TIME: Final = timedelta(hours=24)
#: Case statuses that may ask for an interview.
MAY_REQUEST: Final = frozenset({CaseStatus.SUBMITTED, CaseStatus.PRE_SCREENED,
                                CaseStatus.INTERVIEW_SCHEDULED})  # fmt: skip


class RequestRefused(DomainError):
    """``reason``: ``no_window`` (none open now), ``not_open`` (the case cannot ask),
    ``booked`` (it already holds a seat) or ``key_reused``."""

    code = "request_refused"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RunRefused(DomainError):
    """``reason``: ``window_open`` (not closed yet) or ``already_run``."""

    code = "run_refused"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def get_policy(uow: UnitOfWork, office: Office) -> BookingPolicy:
    """The office's booking policy (see :func:`repository.get_policy`)."""
    return repository.get_policy(uow.session, office)


def set_policy(
    uow: UnitOfWork,
    office: Office,
    *,
    mode: BookingMode,
    longest_waiting_percent: int = 30,
    priority_groups: tuple[str, ...] = (),
    offer_hours: int = 23,
    hold_minutes: int = 15,
    staff_id: int | None = None,
) -> BookingPolicy:
    """Choose how ``office`` hands out its slots. Raises ``ValueError`` for a
    percentage outside 0–100, an unknown priority group (not a ``SpecificNeed``), an
    offer deadline outside 1–72 hours or a hold outside 5–60 minutes."""
    known = {need.value for need in SpecificNeed}
    if not 0 <= longest_waiting_percent <= 100:
        raise ValueError("the share for the longest waiting is a percentage, 0–100")
    if any(group not in known for group in priority_groups):
        raise ValueError("unknown priority group")
    if not 1 <= offer_hours <= 72 or not 5 <= hold_minutes <= 60:
        raise ValueError("offer deadline 1–72 hours, hold 5–60 minutes")
    policy = uow.session.get(BookingPolicy, office.id)
    if policy is None:
        policy = BookingPolicy(office_id=office.id)
        uow.session.add(policy)
    policy.mode = mode
    policy.longest_waiting_percent = longest_waiting_percent
    policy.priority_groups = list(dict.fromkeys(priority_groups))
    policy.offer_hours = offer_hours
    policy.hold_minutes = hold_minutes
    uow.session.flush()
    _audit(uow, "booking_policy.set", office.id, staff_id, mode=mode.value,
           longest_waiting_percent=longest_waiting_percent,
           priority_groups=list(policy.priority_groups))  # fmt: skip
    return policy


def _audit(
    uow: UnitOfWork, action: str, office_id: int, staff_id: int | None, **detail: object
) -> None:
    record_event(
        uow.session, action=action, object_type="office", object_id=office_id,
        actor_kind=ActorKind.STAFF if staff_id else ActorKind.SYSTEM, actor_staff_id=staff_id,
        office_id=office_id, detail=detail,
    )  # fmt: skip


def open_window(
    uow: UnitOfWork,
    office: Office,
    *,
    opens_at: datetime,
    closes_at: datetime,
    slots_first: date,
    slots_last: date,
    staff_id: int | None = None,
) -> RequestWindow:
    """Create a request window (aware instants; local slot dates, inclusive) with a
    fresh 256-bit seed whose hash is published at once. Raises ``ValueError`` when it
    closes before it opens, its slot dates are reversed or start before it closes, or
    it overlaps another window of the office."""
    if closes_at <= opens_at or slots_last < slots_first:
        raise ValueError("the window must close after it opens, with slot dates in order")
    tz = ZoneInfo(office.time_zone)
    if datetime.combine(slots_first, time.min, tz) < closes_at.astimezone(tz).replace(
        hour=0, minute=0, second=0, microsecond=0
    ):
        raise ValueError("the slots must come after the window closes")
    overlapping = uow.session.scalar(
        select(RequestWindow.id).where(
            RequestWindow.office_id == office.id,
            RequestWindow.opens_at < closes_at,
            RequestWindow.closes_at > opens_at,
        )
    )
    if overlapping is not None:
        raise ValueError("another window of this office overlaps these dates")
    seed = secrets.token_hex(32)
    window = RequestWindow(
        office_id=office.id, opens_at=opens_at, closes_at=closes_at, slots_first=slots_first,
        slots_last=slots_last, seed=seed, seed_hash=allocation.seed_hash(seed),
        created_by_staff_id=staff_id,
    )  # fmt: skip
    uow.session.add(window)
    uow.session.flush()
    _audit(uow, "request_window.open", office.id, staff_id, window=window.id,
           seed_hash=window.seed_hash)  # fmt: skip
    return window


def close_window_now(
    uow: UnitOfWork, window: RequestWindow, now: datetime, *, staff_id: int | None = None
) -> None:
    """End an open window early (its run can then be made). Idempotent."""
    if window.closes_at > now:
        window.closes_at = max(now, window.opens_at)
        uow.session.flush()
        _audit(uow, "request_window.close", window.office_id, staff_id, window=window.id)


def list_windows(uow: UnitOfWork, office_id: int | None = None) -> list[RequestWindow]:
    """Windows, newest first; of one office when ``office_id`` is given."""
    query = select(RequestWindow).order_by(RequestWindow.opens_at.desc(), RequestWindow.id.desc())
    if office_id is not None:
        query = query.where(RequestWindow.office_id == office_id)
    return list(uow.session.scalars(query))


def open_window_of(uow: UnitOfWork, office_id: int, now: datetime) -> RequestWindow | None:
    """The office's window open at ``now``, if any."""
    return uow.session.scalar(
        select(RequestWindow).where(RequestWindow.office_id == office_id,
                                    RequestWindow.opens_at <= now, RequestWindow.closes_at > now)
    )  # fmt: skip


def next_window_of(uow: UnitOfWork, office_id: int, now: datetime) -> RequestWindow | None:
    """The office's next window not yet open, if one is planned."""
    return uow.session.scalar(
        select(RequestWindow).where(RequestWindow.office_id == office_id,
                                    RequestWindow.opens_at > now)
        .order_by(RequestWindow.opens_at).limit(1)
    )  # fmt: skip


def live_request(uow: UnitOfWork, case_id: int) -> AppointmentRequest | None:
    """The household's waiting or allocated request, if any."""
    return uow.session.scalar(
        select(AppointmentRequest).where(
            AppointmentRequest.case_id == case_id,
            AppointmentRequest.status.in_((RequestStatus.WAITING, RequestStatus.ALLOCATED)),
        )
    )


def request_appointment(
    uow: UnitOfWork, case: Case, *, key: str, now: datetime
) -> AppointmentRequest:
    """Put the household in its office's queue during an open window.

    Asking again (any key) returns the live request: speed and repetition earn
    nothing. ``key`` (≤ 64 characters) makes a retried submission the same request.
    Raises :class:`RequestRefused`.
    """
    by_key = uow.session.scalar(
        select(AppointmentRequest).where(AppointmentRequest.idempotency_key == key[:64])
    )
    if by_key is not None:
        if by_key.case_id != case.id:
            raise RequestRefused("key_reused")
        return by_key
    existing = live_request(uow, case.id)
    if existing is not None:
        return existing
    if case.status not in MAY_REQUEST:
        raise RequestRefused("not_open")
    window = open_window_of(uow, case.office_id, now)
    if window is None:
        raise RequestRefused("no_window")
    if uow.session.scalar(
        select(Appointment.id).where(
            Appointment.case_id == case.id, Appointment.status.in_(HOLDING)
        )
    ):
        raise RequestRefused("booked")  # fmt: skip
    request = AppointmentRequest(
        office_id=case.office_id, case_id=case.id, window_id=window.id,
        status=RequestStatus.WAITING, idempotency_key=key[:64], requested_at=now,
    )  # fmt: skip
    try:
        with uow.session.begin_nested():
            uow.session.add(request)
    except IntegrityError:
        # A concurrent submission of the same household or key won the race.
        again = uow.session.scalar(
            select(AppointmentRequest).where(AppointmentRequest.idempotency_key == key[:64])
        ) or live_request(uow, case.id)
        if again is None or again.case_id != case.id:
            raise RequestRefused("key_reused") from None
        return again
    return request


_FAST_REQUEST: Final = text(
    "INSERT INTO appointment_requests (office_id, case_id, window_id, status, "
    "idempotency_key, requested_at, after_no_show) "
    "SELECT c.office_id, c.id, w.id, 'waiting', :key, :now, :no FROM cases c "
    "JOIN request_windows w ON w.office_id = c.office_id "
    "WHERE c.id = :case_id AND c.status IN ('submitted', 'pre_screened', 'interview_scheduled') "
    "AND w.opens_at <= :now AND w.closes_at > :now "
    "AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.case_id = c.id "
    "AND a.status IN ('offered', 'confirmed')) "
    "ON CONFLICT DO NOTHING"
).bindparams(bindparam("now", type_=UTCDateTime()))


def request_appointment_at_once(uow: UnitOfWork, case_id: int, *, key: str, now: datetime) -> bool:
    """The common case of :func:`request_appointment` in one statement, for the rush
    when a window opens: insert the household's request if its case may ask, a window
    of its office is open, it holds no seat and has no live request (the partial unique
    index) and ``key`` is new. Returns True when it inserted; False means "nothing was
    inserted" — call :func:`request_appointment` to learn why or to get the existing
    request. The same preconditions as :func:`request_appointment` (``MAY_REQUEST``).

    On SQLite the statement is committed when this returns, so the database's write
    lock is held for that statement only (:meth:`UnitOfWork.execute_short_write`)."""
    inserted = uow.execute_short_write(
        _FAST_REQUEST, {"key": key[:64], "now": now, "no": False, "case_id": case_id}
    )
    return inserted == 1


def withdraw_request(uow: UnitOfWork, request: AppointmentRequest, now: datetime) -> None:
    """Take a waiting request out of the queue (the household no longer wants one)."""
    if request.status is RequestStatus.WAITING:
        request.status = RequestStatus.WITHDRAWN
        request.ended_at = now


def _local_day_bounds(office: Office, first: date, last: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(office.time_zone)
    start = datetime.combine(first, time.min, tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tz).astimezone(UTC)
    return start, end


def free_seats(uow: UnitOfWork, window: RequestWindow, now: datetime) -> list[allocation.Seat]:
    """The seats of the window's slots not held by anyone, in time order (slot start,
    slot id, seat), leaving out slots that start within :data:`LEAD_TIME`. Seats
    given back by expired or cancelled offers are free again."""
    start, end = _local_day_bounds(window.office, window.slots_first, window.slots_last)
    start = max(start, now + LEAD_TIME)
    slots = list(
        uow.session.execute(
            select(Slot.id, Slot.capacity).where(
                Slot.office_id == window.office_id, Slot.starts_at >= start, Slot.starts_at < end
            ).order_by(Slot.starts_at, Slot.id)
        )
    )  # fmt: skip
    held: set[tuple[int, int]] = set()
    if slots:
        held = {
            (row.slot_id, row.seat)
            for row in uow.session.execute(
                select(Appointment.slot_id, Appointment.seat).where(
                    Appointment.slot_id.in_([s.id for s in slots]),
                    Appointment.status.in_(HOLDING),
                )
            )
        }
    return [
        allocation.Seat(slot.id, seat)
        for slot in slots
        for seat in range(slot.capacity)
        if (slot.id, seat) not in held
    ]


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="seconds")


def _candidates(uow: UnitOfWork, window: RequestWindow) -> list[allocation.Candidate]:
    """The office's waiting requests made before the window closed, of cases that may
    still ask, in one query (a run may see tens of thousands)."""
    nationality = (
        select(func.min(ApplicantNationality.country))
        .where(ApplicantNationality.applicant_id == Household.principal_applicant_id)
        .correlate(Household).scalar_subquery()
    )  # fmt: skip
    rows = uow.session.execute(
        select(AppointmentRequest.id, Case.created_at, Case.specific_needs, nationality)
        .join(Case, Case.id == AppointmentRequest.case_id)
        .join(Household, Household.id == Case.household_id)
        .where(AppointmentRequest.office_id == window.office_id,
               AppointmentRequest.status == RequestStatus.WAITING,
               AppointmentRequest.requested_at < window.closes_at,
               Case.status.in_(MAY_REQUEST))
        .order_by(AppointmentRequest.id)
    )  # fmt: skip
    return [
        allocation.Candidate(
            request_id=request_id,
            registered_at=_iso(created_at),
            groups=tuple(sorted(needs or ())),
            nationality=country or "",
        )
        for request_id, created_at, needs, country in rows
    ]


def run_allocation(
    uow: UnitOfWork,
    jobs: JobSender | None,
    window: RequestWindow,
    now: datetime,
    *,
    staff_id: int | None = None,
) -> AllocationRun:
    """Allocate the window's free seats among the office's waiting requests.

    Offers expire after the policy's ``offer_hours``; each served household is told
    on its channel. Requests not served stay waiting for the next window. Raises
    :class:`RunRefused` while the window is open or when it already has a run.
    """
    if now < window.closes_at:
        raise RunRefused("window_open")
    if uow.session.scalar(select(AllocationRun.id).where(AllocationRun.window_id == window.id)):
        raise RunRefused("already_run")
    office = window.office
    policy = get_policy(uow, office)
    inputs = allocation.Inputs(
        seats=tuple(free_seats(uow, window, now)),
        candidates=tuple(_candidates(uow, window)),
        longest_waiting_percent=policy.longest_waiting_percent,
        priority_groups=tuple(policy.priority_groups),
        office=office.code,
    )
    placements = allocation.allocate(inputs, window.seed)
    result = allocation.result_json(placements)
    inputs_json = inputs.to_json()
    run = AllocationRun(
        window_id=window.id, ran_at=now, seed=window.seed, inputs=inputs_json,
        inputs_sha256=allocation.digest(inputs_json), result=result,
        result_sha256=allocation.digest(result), report=allocation.report(inputs, placements),
        ran_by_staff_id=staff_id,
    )  # fmt: skip
    uow.session.add(run)
    uow.session.flush()
    _audit(uow, "allocation.run", office.id, staff_id, window=window.id, run=run.id,
           result_sha256=run.result_sha256, allocated=len(placements))  # fmt: skip
    _make_offers(uow, jobs, run, placements, now, timedelta(hours=policy.offer_hours))
    return run


def _make_offers(
    uow: UnitOfWork,
    jobs: JobSender | None,
    run: AllocationRun,
    placements: list[allocation.Placement],
    now: datetime,
    hold: timedelta,
) -> None:
    if not placements:
        return
    requests = {
        r.id: r
        for r in uow.session.scalars(
            select(AppointmentRequest).where(
                AppointmentRequest.id.in_([p.request_id for p in placements])
            )
        )
    }
    slots = {
        s.id: s
        for s in uow.session.scalars(
            select(Slot).where(Slot.id.in_({p.slot_id for p in placements}))
        )
    }
    # One query for the households (the session holds objects weakly: keep them here).
    cases = {
        c.id: c
        for c in uow.session.scalars(
            select(Case).where(Case.id.in_({r.case_id for r in requests.values()}))
        )
    }
    appointments = []
    for placement in placements:
        request = requests[placement.request_id]
        request.status = RequestStatus.ALLOCATED
        appointment = Appointment(
            slot_id=placement.slot_id, seat=placement.seat, case_id=request.case_id,
            status=AppointmentStatus.OFFERED, idempotency_key=f"run:{run.id}:{request.id}",
            offered_at=now, expires_at=now + hold, rule=placement.rule, request_id=request.id,
            run_id=run.id, case=cases[request.case_id],
        )  # fmt: skip
        uow.session.add(appointment)
        appointments.append(appointment)
    uow.session.flush()
    for appointment in appointments:
        slot = slots[appointment.slot_id]
        queue_notification(
            uow, jobs, appointment.case, NotificationKind.APPOINTMENT_OFFERED,
            key=f"offer:{appointment.id}",
            params=appointment_params(slot, appointment.case.office,
                                      deadline=appointment.expires_at),
        )  # fmt: skip


def due_windows(uow: UnitOfWork, now: datetime) -> list[RequestWindow]:
    """Windows closed at ``now`` that have no run yet."""
    has_run = select(AllocationRun.id).where(AllocationRun.window_id == RequestWindow.id)
    return list(
        uow.session.scalars(
            select(RequestWindow).where(RequestWindow.closes_at <= now, ~has_run.exists())
            .order_by(RequestWindow.closes_at)
        )
    )  # fmt: skip


def run_of_window(uow: UnitOfWork, window_id: int) -> AllocationRun | None:
    return uow.session.scalar(select(AllocationRun).where(AllocationRun.window_id == window_id))


@dataclass(frozen=True)
class Replay:
    """The outcome of :func:`replay`. ``same``: every check passed; ``checks``: name →
    passed, for ``seed_hash`` (the seed matches the hash published before the window
    closed), ``inputs`` (the stored inputs match their digest), ``result`` (the
    recomputed result matches the stored one) and ``appointments`` (the offers made
    match the result)."""

    run_id: int
    checks: dict[str, bool]
    placements: int

    @property
    def same(self) -> bool:
        return all(self.checks.values())


def replay(uow: UnitOfWork, run_id: int) -> Replay | None:
    """Recompute run ``run_id`` from its stored inputs and seed and compare it with
    what was recorded and done. Returns None for an unknown run."""
    run = uow.session.get(AllocationRun, run_id)
    if run is None:
        return None
    inputs = allocation.Inputs.from_json(run.inputs)
    placements = allocation.allocate(inputs, run.seed)
    result = allocation.result_json(placements)
    made = sorted(
        (row.request_id, row.slot_id, row.seat, row.rule)
        for row in uow.session.execute(
            select(Appointment.request_id, Appointment.slot_id, Appointment.seat,
                   Appointment.rule).where(Appointment.run_id == run.id)
        )
    )  # fmt: skip
    expected = sorted((p.request_id, p.slot_id, p.seat, p.rule) for p in placements)
    checks = {
        "seed_hash": allocation.seed_hash(run.seed) == run.window.seed_hash,
        "inputs": allocation.digest(run.inputs) == run.inputs_sha256,
        "result": result == run.result and allocation.digest(result) == run.result_sha256,
        "appointments": made == expected,
    }
    return Replay(run.id, checks, len(placements))


def count_no_shows(uow: UnitOfWork, case_id: int) -> int:
    """How many interviews the household missed."""
    return int(
        uow.session.scalar(
            select(func.count()).where(Appointment.case_id == case_id,
                                       Appointment.status == AppointmentStatus.NO_SHOW)
        ) or 0
    )  # fmt: skip


__all__ = ["BookingRefused", "RequestRefused", "RunRefused"]
