"""Staff sign-in: password (argon2id), TOTP second factor (RFC 6238 via pyotp), lockout
with back-off, server-side sessions that expire after inactivity.

* After :data:`LOCK_AFTER` failed passwords in a row the account is locked for
  1 minute, then 2, 4, 8… (doubling, at most :data:`MAX_LOCK`). A lock answers with
  the same message as a wrong password, so nobody learns whether the account exists.
* A TOTP code is accepted in the current 30-second step or the one before or after,
  and never twice (``totp_last_step``).
* Session tokens are 32 random bytes; the database keeps only their SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

import pyotp
from sqlalchemy import select

from movilidad.audit.services import record_event
from movilidad.db.uow import UnitOfWork
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.clock import utcnow
from movilidad.staff.models import StaffSession, StaffUser
from movilidad.staff.passwords import hash_password, needs_rehash, verify_password
from movilidad.staff.repository import StaffRepository

LOCK_AFTER: Final = 5
MAX_LOCK: Final = timedelta(hours=1)
TOTP_ISSUER: Final = "Movilidad"
#: Re-authentication is required before sensitive actions when the password was last
#: given longer ago than this.
RECENT_AUTH: Final = timedelta(minutes=10)
#: However active, a session ends after this long (sign in again).
MAX_SESSION_AGE: Final = timedelta(hours=12)
TOTP_SECRET_LENGTH: Final = 32
_BASE32: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

# A hash to verify against when the username does not exist, so the time taken does
# not reveal whether an account exists.
_DUMMY_HASH: Final = hash_password("not a real password, only for timing")


class SignInFailure(StrEnum):
    WRONG_CREDENTIALS = "wrong_credentials"  # also used for locked and inactive accounts


@dataclass(frozen=True)
class SignInResult:
    user: StaffUser | None
    failure: SignInFailure | None = None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password(
    uow: UnitOfWork, username: str, password: str, now: datetime | None = None
) -> SignInResult:
    """Check a username and password; count failures and lock with back-off.

    Returns the user on success. Every failure (unknown user, wrong password, locked
    or inactive account) is the same :data:`SignInFailure.WRONG_CREDENTIALS`. Records
    ``staff.sign_in`` / ``staff.sign_in_failed`` in the audit trail.
    """
    at = now or utcnow()
    user = StaffRepository(uow.session).get_staff_user_by_username(username.strip().lower())
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return SignInResult(None, SignInFailure.WRONG_CREDENTIALS)
    locked = is_locked(user, at)
    password_ok = verify_password(user.password_hash, password)  # always: same time
    if locked or not user.is_active or not password_ok:
        if not locked:
            _count_failure(user, at)
        record_event(
            uow.session,
            action="staff.sign_in_failed",
            object_type="staff_user",
            object_id=user.id,
            actor_kind=ActorKind.STAFF,
            actor_staff_id=user.id,
            detail={"locked": locked, "failures": user.failed_sign_ins},
        )
        return SignInResult(None, SignInFailure.WRONG_CREDENTIALS)
    if not user.needs_second_factor:
        user.failed_sign_ins = 0  # otherwise only a correct second factor resets it
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return SignInResult(user)


def is_locked(user: StaffUser, at: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > at


def _count_failure(user: StaffUser, at: datetime) -> None:
    """One more failed password or code; from :data:`LOCK_AFTER` on, lock the account
    for 1, 2, 4… minutes (at most :data:`MAX_LOCK`)."""
    user.failed_sign_ins += 1
    if user.failed_sign_ins >= LOCK_AFTER:
        doublings = min(user.failed_sign_ins - LOCK_AFTER, 10)
        user.locked_until = at + min(timedelta(minutes=2**doublings), MAX_LOCK)


def start_session(uow: UnitOfWork, user: StaffUser, now: datetime | None = None) -> str:
    """Open a session after a correct password; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    at = now or utcnow()
    uow.session.add(
        StaffSession(
            token_hash=_token_hash(token),
            user=user,
            created_at=at,
            last_seen_at=at,
            password_at=at,
        )
    )
    uow.session.flush()
    return token


def active_session(
    uow: UnitOfWork, token: str, max_idle_seconds: int, now: datetime | None = None
) -> StaffSession | None:
    """The session for ``token`` if it is not revoked, its user is active and not
    locked out, and it was used within ``max_idle_seconds``; marks it as used now.
    None otherwise (a lockout also ends the sessions already open)."""
    if not token:
        return None
    at = now or utcnow()
    found = uow.session.scalar(
        select(StaffSession).where(StaffSession.token_hash == _token_hash(token))
    )
    if found is None or found.revoked_at is not None or not found.user.is_active:
        return None
    too_old = found.created_at + MAX_SESSION_AGE < at
    if (
        too_old
        or is_locked(found.user, at)
        or found.last_seen_at + timedelta(seconds=max_idle_seconds) < at
    ):
        found.revoked_at = at
        return None
    found.last_seen_at = at
    return found


def end_session(uow: UnitOfWork, session: StaffSession, now: datetime | None = None) -> None:
    """Sign out: the token stops working at once."""
    session.revoked_at = now or utcnow()


def new_totp_secret() -> str:
    """A fresh base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(TOTP_SECRET_LENGTH)


def is_valid_secret(secret: str) -> bool:
    """A TOTP secret as :func:`new_totp_secret` makes them: 32 base32 letters."""
    return len(secret) == TOTP_SECRET_LENGTH and set(secret) <= _BASE32


def provisioning_uri(user: StaffUser, secret: str) -> str:
    """``otpauth://`` URI for authenticator apps (shown as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


def _accept_code(secret: str, code: str, last_step: int | None, at: datetime) -> int | None:
    """The time step the code belongs to, if valid and newer than ``last_step``."""
    cleaned = "".join(ch for ch in code if ch in "0123456789")
    if len(cleaned) != 6 or len(code.strip()) > 7:
        return None
    totp = pyotp.TOTP(secret)
    step = int(at.timestamp()) // totp.interval
    for candidate in (step - 1, step, step + 1):
        if last_step is not None and candidate <= last_step:
            continue
        if secrets.compare_digest(totp.generate_otp(candidate), cleaned):
            return candidate
    return None


def enrol_second_factor(
    uow: UnitOfWork, session: StaffSession, secret: str, code: str, now: datetime | None = None
) -> bool:
    """Finish TOTP enrolment: keep ``secret`` if ``code`` proves the app has it."""
    at = now or utcnow()
    user = session.user
    if not is_valid_secret(secret) or is_locked(user, at) or user.totp_secret is not None:
        return False
    step = _accept_code(secret, code, None, at)
    if step is None:
        _count_failure(user, at)
        return False
    user.totp_secret = secret
    user.totp_last_step = step
    _second_factor_done(uow, session, at, enrolled=True)
    return True


def verify_second_factor(
    uow: UnitOfWork, session: StaffSession, code: str, now: datetime | None = None
) -> bool:
    """Check a TOTP code for an enrolled user; a used code is refused. Failures count
    towards the same lockout as passwords."""
    at = now or utcnow()
    user = session.user
    if user.totp_secret is None:
        return False
    if is_locked(user, at):
        end_session(uow, session, at)
        return False
    step = _accept_code(user.totp_secret, code, user.totp_last_step, at)
    if step is None:
        _count_failure(user, at)
        if is_locked(user, at):
            _end_pending_sessions(uow, user, at)
        return False
    user.totp_last_step = step
    _second_factor_done(uow, session, at, enrolled=False)
    return True


def _end_pending_sessions(uow: UnitOfWork, user: StaffUser, at: datetime) -> None:
    """Revoke every session of ``user`` still waiting for its second factor."""
    for pending in uow.session.scalars(
        select(StaffSession).where(
            StaffSession.staff_user_id == user.id,
            StaffSession.second_factor_at.is_(None),
            StaffSession.revoked_at.is_(None),
        )
    ):
        pending.revoked_at = at


def rotate_session(session: StaffSession) -> str:
    """Give a session a new token (after the second factor), so a token seen before
    sign-in is worthless afterwards. Returns the new token for the cookie."""
    token = secrets.token_urlsafe(32)
    session.token_hash = _token_hash(token)
    return token


def _second_factor_done(
    uow: UnitOfWork, session: StaffSession, at: datetime, *, enrolled: bool
) -> None:
    session.second_factor_at = at
    session.user.failed_sign_ins = 0
    session.user.last_sign_in_at = at
    record_event(
        uow.session,
        action="staff.sign_in",
        object_type="staff_user",
        object_id=session.user.id,
        actor_kind=ActorKind.STAFF,
        actor_staff_id=session.user.id,
        detail={"totp_enrolled": enrolled},
    )


def skip_second_factor(uow: UnitOfWork, session: StaffSession, now: datetime | None = None) -> None:
    """Complete sign-in for a user whose roles see no personal data (no TOTP needed)."""
    if session.user.needs_second_factor:
        raise PermissionError("this account needs a second factor")
    _second_factor_done(uow, session, now or utcnow(), enrolled=False)


#: Sensitive actions (exports, bulk changes) need a password (and second factor)
#: given within this many seconds.
REAUTH_SECONDS = 5 * 60


def recently_confirmed(session: StaffSession, now: datetime | None = None) -> bool:
    """True when the password was given (at sign-in or on the confirmation page) within
    :data:`REAUTH_SECONDS`."""
    return session.password_at >= (now or utcnow()) - timedelta(seconds=REAUTH_SECONDS)


def confirm_identity(
    uow: UnitOfWork, session: StaffSession, password: str, code: str, now: datetime | None = None
) -> bool:
    """Check the password again (and a new TOTP code when the user has a second factor)
    before a sensitive action. Failures count towards the sign-in lockout; success
    restarts the :data:`REAUTH_SECONDS` window. Recorded in the audit trail."""
    at = now or utcnow()
    user = session.user
    ok = not is_locked(user, at) and verify_password(user.password_hash, password)
    if ok and user.totp_secret is not None:
        step = _accept_code(user.totp_secret, code, user.totp_last_step, at)
        ok = step is not None
        if step is not None:
            user.totp_last_step = step
    if not ok:
        _count_failure(user, at)
    else:
        session.password_at = at
        user.failed_sign_ins = 0
    record_event(
        uow.session, action="staff.reauthenticate" if ok else "staff.reauthenticate_failed",
        object_type="staff_user", object_id=user.id, actor_kind=ActorKind.STAFF,
        actor_staff_id=user.id,
    )  # fmt: skip
    return ok
