"""The applicant's own view of their case: sign-in with reference, access code and date
of birth, limited against guessing.

At most :data:`MAX_PER_REFERENCE` failed sign-ins per reference and
:data:`MAX_PER_ADDRESS` per network address in :data:`WINDOW`; then the form says to
wait. Failures are stored as keyed hashes (no reference or address in clear). A
signed-in applicant holds a token ``case_id.expiry.hmac`` (HMAC-SHA256 with the
secret key) valid for :data:`SESSION_SECONDS`.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from movilidad.cases.models import Case
from movilidad.cases.repository import CaseRepository
from movilidad.db.base import Base
from movilidad.db.types import UTCDateTime
from movilidad.db.uow import UnitOfWork
from movilidad.kernel.clock import utcnow
from movilidad.kernel.errors import InvalidReference
from movilidad.kernel.references import normalize_reference
from movilidad.registration.services import verify_access_code

WINDOW: Final = timedelta(minutes=15)
MAX_PER_REFERENCE: Final = 5
MAX_PER_ADDRESS: Final = 20
SESSION_SECONDS: Final = 30 * 60


class StatusSignInFailure(Base):
    """One failed sign-in to the status page, keyed by a hash of what was tried."""

    __tablename__ = "status_sign_in_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def _key(secret: bytes, kind: str, value: str) -> str:
    return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def reference_key(reference: str) -> str:
    """The form a reference is counted under: canonical when valid, else as typed."""
    try:
        return normalize_reference(reference)
    except InvalidReference:
        return "".join(ch for ch in reference.strip().upper() if ch.isprintable())[:40]


def blocked(uow: UnitOfWork, secret: bytes, reference: str, address: str) -> bool:
    """True when too many recent failures came for this reference (as typed) or from
    this address."""
    reference = reference_key(reference)
    since = utcnow() - WINDOW
    for kind, value, limit in (("ref", reference, MAX_PER_REFERENCE),
                               ("ip", address, MAX_PER_ADDRESS)):  # fmt: skip
        count = uow.session.scalar(
            select(func.count()).where(
                StatusSignInFailure.key == _key(secret, kind, value),
                StatusSignInFailure.failed_at >= since,
            )
        )
        if (count or 0) >= limit:
            return True
    return False


def note_failure(uow: UnitOfWork, secret: bytes, kind: str, value: str) -> None:
    """Count one failed attempt of ``kind`` (e.g. ``verify-ip``) for ``value``."""
    uow.session.add(StatusSignInFailure(key=_key(secret, kind, value)))


def too_many(uow: UnitOfWork, secret: bytes, kind: str, value: str, limit: int) -> bool:
    """True when ``limit`` failures of ``kind`` for ``value`` happened in :data:`WINDOW`."""
    count = uow.session.scalar(
        select(func.count()).where(
            StatusSignInFailure.key == _key(secret, kind, value),
            StatusSignInFailure.failed_at >= utcnow() - WINDOW,
        )
    )
    return (count or 0) >= limit


def sign_in(
    uow: UnitOfWork,
    secret: bytes,
    *,
    reference: str,
    access_code: str,
    born: date | None,
    address: str,
) -> Case | None:
    """The case if reference, access code and the main applicant's date of birth all
    match; otherwise None, and the failure is counted (for the reference as typed
    and for the address)."""  # fmt: skip
    canonical = reference_key(reference)
    case = CaseRepository(uow.session).get_case_by_reference(canonical)
    ok = (
        case is not None
        and born is not None
        and case.household.principal.date_of_birth == born
        and verify_access_code(case.access_code_hash, access_code[:40])
    )
    if ok:
        return case
    for kind, value in (("ref", canonical), ("ip", address)):
        uow.session.add(StatusSignInFailure(key=_key(secret, kind, value)))
    return None


def session_token(secret: bytes, case_id: int, now: datetime | None = None) -> str:
    expiry = int(((now or utcnow()) + timedelta(seconds=SESSION_SECONDS)).timestamp())
    payload = f"{case_id}.{expiry}"
    return f"{payload}.{_key(secret, 'status-session', payload)}"


def case_id_from_token(secret: bytes, token: str, now: datetime | None = None) -> int | None:
    """The case id of a valid, unexpired token; None otherwise."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    payload = f"{parts[0]}.{parts[1]}"
    expected = _key(secret, "status-session", payload)
    if not hmac.compare_digest(expected.encode(), parts[2].encode()):
        return None
    if int(parts[1]) < int((now or utcnow()).timestamp()):
        return None
    return int(parts[0])
