"""Route permissions (deny by default) and CSRF protection.

Every route declares who may call it with :func:`requires` (a
:class:`~movilidad.kernel.permissions.Permission`, or :data:`PUBLIC`). The test suite
fails for any route without a declaration. Staff routes resolve the signed-in actor
and check the declared permission in :func:`movilidad.web.staff.deps.current_actor`.

CSRF: every visitor gets a random token in an HttpOnly, SameSite=Strict cookie; every
form carries the same token in a hidden field, and :func:`verify_csrf` (a dependency
of every POST route) refuses a request where they differ.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.exceptions import HTTPException

from movilidad.kernel.permissions import Permission

PUBLIC: Final = "public"
STAFF_SIGNED_IN: Final = "staff-signed-in"  # any staff member with a complete sign-in
CSRF_COOKIE: Final = "csrf"
CSRF_FIELD: Final = "csrf_token"

F = TypeVar("F", bound=Callable[..., Any])
Requirement = Permission | str


def requires(requirement: Requirement) -> Callable[[F], F]:
    """Declare what a route needs: a Permission, :data:`STAFF_SIGNED_IN` or :data:`PUBLIC`."""

    def mark(endpoint: F) -> F:
        endpoint.required_permission = requirement  # type: ignore[attr-defined]
        return endpoint

    return mark


def declared_requirement(endpoint: Callable[..., Any] | None) -> Requirement | None:
    return getattr(endpoint, "required_permission", None)


@dataclass(frozen=True)
class RouteEntry:
    path: str
    methods: frozenset[str]
    endpoint: Callable[..., Any]
    requirement: Requirement | None


def route_table(app: FastAPI) -> list[RouteEntry]:
    """Every API route of ``app`` with its full path and declared requirement
    (included routers flattened)."""
    entries: list[RouteEntry] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path is not None:
            entries.append(
                RouteEntry(
                    context.path,
                    frozenset(route.methods or ()),
                    route.endpoint,
                    declared_requirement(route.endpoint),
                )
            )
    return entries


def csrf_token(request: Request) -> str:
    """This visitor's CSRF token (created on first use; the middleware sets the cookie)."""
    token: str | None = getattr(request.state, "csrf_token", None)
    if token is None:
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        request.state.csrf_token = token
    return token


def _same(a: str, b: str) -> bool:
    """Constant-time comparison that also accepts non-ASCII input (as bytes)."""
    return secrets.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


async def verify_csrf(request: Request) -> None:
    """Refuse (403) a form posted from another site (``Origin`` names another host) or
    whose hidden token does not match the visitor's cookie."""
    origin = request.headers.get("origin")
    foreign = origin not in (None, "null") and (
        urlsplit(str(origin)).netloc != request.headers.get("host", "")
    )
    if foreign:
        raise HTTPException(status_code=403)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    form = await request.form()
    sent = form.get(CSRF_FIELD, "")
    if not cookie or not isinstance(sent, str) or not _same(cookie, sent):
        raise HTTPException(status_code=403)
