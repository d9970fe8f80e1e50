"""Use cases for staff accounts: ensure the role rows exist, create a user."""

from __future__ import annotations

import re

from movilidad.audit.services import record_event
from movilidad.db.uow import UnitOfWork
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.countries import validate_alpha3
from movilidad.kernel.languages import is_supported
from movilidad.kernel.permissions import RoleName
from movilidad.offices.repository import OfficeRepository
from movilidad.staff.errors import InvalidAssignment, UsernameTaken
from movilidad.staff.models import Role, RoleAssignment, Scope, StaffUser
from movilidad.staff.passwords import hash_password
from movilidad.staff.repository import StaffRepository

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

ROLE_DESCRIPTIONS: dict[RoleName, str] = {
    RoleName.CASEWORKER: "Handles cases of their office from registration to referral.",
    RoleName.SUPERVISOR: "A caseworker who also closes cases in bulk and reads the audit trail.",
    RoleName.OFFICE_MANAGER: "Runs an office: casework, supervision and its statistics.",
    RoleName.PARTNER_LIAISON: "Receives referrals for a partner organisation.",
    RoleName.DATA_ANALYST: "Reads aggregate statistics only; no personal data.",
    RoleName.ADMINISTRATOR: "Manages users and configuration; no case data.",
}


def ensure_roles(uow: UnitOfWork) -> dict[RoleName, Role]:
    """Create any missing role row; return all roles by name. Idempotent."""
    repo = StaffRepository(uow.session)
    roles: dict[RoleName, Role] = {}
    for name in RoleName:
        role = repo.get_role(name)
        if role is None:
            role = Role(name=name, description=ROLE_DESCRIPTIONS[name])
            uow.session.add(role)
        roles[name] = role
    uow.session.flush()
    return roles


def create_staff_user(
    uow: UnitOfWork,
    *,
    username: str,
    full_name: str,
    email: str,
    password: str,
    role: RoleName,
    office_code: str | None = None,
    country: str | None = None,
    preferred_language: str = "es",
    actor_staff_id: int | None = None,
    organisation: str | None = None,
) -> StaffUser:
    """Create an active staff user with one role assignment.

    Scope: ``office_code`` → that office; else ``country`` (alpha-3) → that country;
    else all offices. ``organisation``: a partner liaison's recipient id (they see only
    the referral packages sent to it). Raises :class:`UsernameTaken`, :class:`InvalidAssignment`
    (malformed username, unknown office, language) or
    :class:`~movilidad.staff.errors.WeakPassword`. Recorded in the audit trail.
    """
    if not _USERNAME.match(username):
        raise InvalidAssignment(
            "a username is 2–64 characters: lower-case letters, digits, '.', '_' or '-'"
        )
    if not is_supported(preferred_language):
        raise InvalidAssignment(f"unsupported language {preferred_language!r}")
    repo = StaffRepository(uow.session)
    if repo.get_staff_user_by_username(username) is not None:
        raise UsernameTaken(f"the username {username!r} is taken")
    roles = ensure_roles(uow)
    if office_code is not None:
        office = OfficeRepository(uow.session).get_office_by_code(office_code)
        if office is None:
            raise InvalidAssignment(f"no office with code {office_code!r}")
        assignment = RoleAssignment(role=roles[role], scope=Scope.OFFICE, office_id=office.id)
    elif country is not None:
        assignment = RoleAssignment(
            role=roles[role], scope=Scope.COUNTRY, country=validate_alpha3(country)
        )
    else:
        assignment = RoleAssignment(role=roles[role], scope=Scope.ALL)
    user = StaffUser(
        username=username,
        full_name=full_name.strip(),
        email=email.strip(),
        password_hash=hash_password(password),
        preferred_language=preferred_language,
        is_active=True,
        failed_sign_ins=0,
        organisation=organisation,
    )
    user.assignments.append(assignment)
    uow.session.add(user)
    uow.session.flush()
    record_event(
        uow.session,
        action="user.create",
        object_type="staff_user",
        object_id=user.id,
        actor_kind=ActorKind.STAFF if actor_staff_id else ActorKind.SYSTEM,
        actor_staff_id=actor_staff_id,
        detail={"role": str(role), "scope": str(assignment.scope)},
    )
    return user


def reset_password(uow: UnitOfWork, *, username: str, password: str) -> StaffUser:
    """Set a new password for ``username`` (and clear its failed sign-in count).
    Raises :class:`InvalidAssignment` when the user does not exist."""
    user = StaffRepository(uow.session).get_staff_user_by_username(username)
    if user is None:
        raise InvalidAssignment(f"no staff user {username!r}")
    user.password_hash = hash_password(password)
    user.failed_sign_ins = 0
    record_event(
        uow.session,
        action="user.reset_password",
        object_type="staff_user",
        object_id=user.id,
        actor_kind=ActorKind.SYSTEM,
    )
    return user
