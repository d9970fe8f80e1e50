"""The request context middleware, as a plain ASGI middleware.

Every HTTP request gets a request id and a language; every response gets the security
headers, the CSRF and language cookies when they change, ``X-Request-ID``,
``Content-Language`` and ``Vary``; every request is logged once with its route template,
status and duration (milliseconds). An exception that escapes a route before its
response has started becomes the translated 500 page.

It wraps the ``send`` callable instead of building a response object around the route
(as Starlette's ``BaseHTTPMiddleware`` does), which saves a task and two memory streams
per request: the path taken by every request when an interview window opens.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

import structlog
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from movilidad.i18n import parse_accept_language
from movilidad.kernel.languages import SUPPORTED_LANGUAGES
from movilidad.web.security import CSRF_COOKIE

log = structlog.get_logger("movilidad.web")

LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def choose_language(request: Request, default: str) -> tuple[str, bool]:
    """The request's language and whether it was chosen now (``?lang=``).

    Order: a supported ``?lang=`` parameter, then the ``lang`` cookie (the saved choice),
    then ``Accept-Language``, then the configured default.
    """
    asked = request.query_params.get("lang", "").strip().lower()
    if asked in SUPPORTED_LANGUAGES:
        return asked, True
    saved = request.cookies.get(LANGUAGE_COOKIE, "")
    if saved in SUPPORTED_LANGUAGES:
        return saved, False
    accepted = parse_accept_language(request.headers.get("accept-language", ""))
    return (accepted[0] if accepted else default), False


def route_template(scope: Scope) -> str:
    """The path template of the route that matched (``"unmatched"`` before routing)."""
    return str(getattr(scope.get("route"), "path", "unmatched"))


def _set_cookie_header(name: str, value: str, **options: Any) -> str:
    """The ``Set-Cookie`` header value Starlette would write for these options."""
    carrier = Response()
    carrier.set_cookie(name, value, **options)
    return carrier.headers["set-cookie"]


class RequestContext:
    """ASGI middleware; ``error_page(request)`` renders the 500 page in the request's
    language. ``default_language`` is an ISO 639-1 code; ``secure_cookies`` adds the
    ``Secure`` flag (the site is served over HTTPS)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        default_language: str,
        secure_cookies: bool,
        error_page: Callable[[Request], Response],
    ) -> None:
        self.app = app
        self.default_language = default_language
        self.secure_cookies = secure_cookies
        self.error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request = Request(scope)
        request_id = secrets.token_hex(8)
        request.state.request_id = request_id
        language, chosen = choose_language(request, self.default_language)
        request.state.language = language
        status = 500
        response_started = False

        async def send_with_context(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                self._decorate(MutableHeaders(scope=message), request, language, chosen)
            await send(message)

        try:
            await self.app(scope, receive, send_with_context)
        except Exception:
            log.exception("unhandled_error", request_id=request_id, route=route_template(scope))
            if response_started:
                raise
            await self.error_page(request)(scope, receive, send_with_context)
        log.info(
            "request",
            request_id=request_id,
            method=scope["method"],
            route=route_template(scope),
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
            lang=language,
        )

    def _decorate(
        self, headers: MutableHeaders, request: Request, language: str, chosen: bool
    ) -> None:
        for name, value in SECURITY_HEADERS.items():
            headers.setdefault(name, value)
        token = getattr(request.state, "csrf_token", None)
        if token is not None and request.cookies.get(CSRF_COOKIE) != token:
            headers.append(
                "set-cookie",
                _set_cookie_header(
                    CSRF_COOKIE, token, httponly=True, samesite="strict", secure=self.secure_cookies
                ),
            )
        headers["X-Request-ID"] = request.state.request_id
        headers.setdefault("Content-Language", language)
        headers.setdefault("Vary", "Accept-Language, Cookie")
        if chosen:
            headers.append(
                "set-cookie",
                _set_cookie_header(
                    LANGUAGE_COOKIE,
                    language,
                    max_age=LANGUAGE_COOKIE_MAX_AGE,
                    httponly=True,
                    samesite="lax",
                    secure=self.secure_cookies,
                ),
            )
