"""Who is signed in, and may they call this route?"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.exceptions import HTTPException

from movilidad.kernel.permissions import Permission
from movilidad.staff.actor import Actor
from movilidad.staff.auth import active_session, recently_confirmed
from movilidad.staff.models import StaffSession
from movilidad.web.deps import UoW
from movilidad.web.security import STAFF_SIGNED_IN, declared_requirement

SESSION_COOKIE = "staff_session"


class SignInRequired(Exception):
    """No valid, complete staff session: the handler redirects to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def staff_session(request: Request, uow: UoW) -> StaffSession | None:
    """The request's active staff session (password given), or None."""
    token = request.cookies.get(SESSION_COOKIE, "")
    settings = request.app.state.settings
    return active_session(uow, token, settings.session_max_age_seconds)


def current_actor(request: Request, uow: UoW) -> Actor:
    """The signed-in actor, checked against the route's declared permission.

    Not signed in (or second factor pending): :class:`SignInRequired`. Signed in but
    without the permission: 404, so the route does not reveal that anything is there.
    """
    session = staff_session(request, uow)
    if session is None or session.second_factor_at is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(quote(target, safe="/"))
    actor = Actor.of(session.user)
    requirement = declared_requirement(request.scope.get("endpoint"))
    if requirement is None:
        raise HTTPException(status_code=404)  # undeclared: deny by default
    if requirement != STAFF_SIGNED_IN and not (
        isinstance(requirement, Permission) and actor.can(requirement)
    ):
        raise HTTPException(status_code=404)
    request.state.actor = actor
    return actor


StaffActor = Annotated[Actor, Depends(current_actor)]


class ConfirmationRequired(Exception):
    """A sensitive action and no recent password: the handler redirects to the
    confirmation page, which comes back to ``next_path``."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def require_recent_confirmation(request: Request, uow: UoW, back: str | None = None) -> None:
    """Call in a sensitive handler, after the actor's permission was checked (so a
    stranger still gets a 404): without a password given in the last
    :data:`~movilidad.staff.auth.REAUTH_SECONDS`, raise :class:`ConfirmationRequired`.
    After a POST the person comes back to ``back`` (the page with the form), else to
    the workspace's home."""
    session = staff_session(request, uow)
    if session is not None and recently_confirmed(session):
        return
    if request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:
        target = back or "/staff"
    raise ConfirmationRequired(quote(target, safe="/"))
