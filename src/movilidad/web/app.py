"""The application factory.

``create_app(settings)`` builds the FastAPI app: database engine and session factory,
translations, job queue, middleware (request id, language, security headers, request
log, error pages) and routes. Nothing is created at import time.
"""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from movilidad.config import Settings, load_settings
from movilidad.consent.notices import load_notices
from movilidad.db.engine import check_connection, make_engine, make_session_factory
from movilidad.i18n import load_catalogues
from movilidad.identity.model import configure_model
from movilidad.jobs.queue import JobQueue
from movilidad.kernel.crypto import configure_cipher
from movilidad.kernel.errors import ConfigError
from movilidad.logs import configure_logging
from movilidad.pathways.catalogue import Catalogue, CatalogueInvalid, load_catalogue
from movilidad.referrals.recipients import load_recipients
from movilidad.web.applicant import appointments as appointment_routes
from movilidad.web.applicant import registration as registration_routes
from movilidad.web.applicant import routes as applicant_routes
from movilidad.web.applicant import status as status_routes
from movilidad.web.applicant import verify as verify_routes
from movilidad.web.middleware import RequestContext
from movilidad.web.public import routes as public_routes
from movilidad.web.security import PUBLIC, requires
from movilidad.web.staff import appointments as staff_appointment_routes
from movilidad.web.staff import audit as audit_routes
from movilidad.web.staff import bulk as bulk_routes
from movilidad.web.staff import duplicates as duplicate_routes
from movilidad.web.staff import indicators as indicator_routes
from movilidad.web.staff import referrals as referral_routes
from movilidad.web.staff import routes as staff_routes
from movilidad.web.staff import windows as window_routes
from movilidad.web.staff.deps import ConfirmationRequired, SignInRequired
from movilidad.web.templating import TEMPLATE_DIR, Renderer

log = structlog.get_logger("movilidad.web")

_ERROR_TEMPLATES = {400: "errors/400.html", 404: "errors/404.html", 405: "errors/405.html"}


def _load_catalogue_if_present(settings: Settings) -> Catalogue | None:
    """The validated pathway catalogue, or None when the folder has none.
    Raises :class:`ConfigError` when it exists but is invalid."""
    folder = settings.catalogue_dir
    if not folder.is_dir() or not any(folder.glob("*.yaml")):
        return None
    try:
        return load_catalogue(folder)
    except CatalogueInvalid as exc:
        raise ConfigError(
            "MOVILIDAD_CATALOGUE_DIR",
            f"{len(exc.problems)} problem(s) in the catalogue; run `movilidad pathways check`",
        ) from None


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the web application for ``settings`` (default: :func:`load_settings`).

    Raises :class:`~movilidad.kernel.errors.ConfigError` for invalid configuration.
    """
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    configure_cipher(settings.data_key_bytes())
    try:
        configure_model(settings.identity_model)
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(
            "MOVILIDAD_IDENTITY_MODEL", f"not a readable model file ({exc})"
        ) from None
    engine = make_engine(settings.effective_database_url)
    catalogues = load_catalogues(settings.locale_dir)

    app = FastAPI(
        title="Movilidad",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        redirect_slashes=False,  # a redirect would echo the Host header
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.renderer = Renderer(catalogues)
    app.state.jobs = JobQueue(settings, app.state.session_factory)
    app.state.catalogue = _load_catalogue_if_present(settings)
    app.state.notices = load_notices(settings.notices_dir)
    app.state.recipients = load_recipients(
        settings.notices_dir,
        set(app.state.catalogue.pathways) if app.state.catalogue is not None else None,
    )

    renderer: Renderer = app.state.renderer

    app.add_middleware(
        RequestContext,
        default_language=settings.default_language,
        secure_cookies=settings.base_url.startswith("https://"),
        error_page=lambda request: renderer.render(request, "errors/500.html", status_code=500),
    )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        location = (exc.headers or {}).get("Location")
        if 300 <= exc.status_code < 400 and location:
            return RedirectResponse(location, status_code=exc.status_code)
        template = _ERROR_TEMPLATES.get(exc.status_code)
        if template is None:
            template = "errors/500.html" if exc.status_code >= 500 else "errors/400.html"
        response = renderer.render(request, template, status_code=exc.status_code)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(f"/staff/sign-in?next={exc.next_path}", status_code=303)

    @app.exception_handler(ConfirmationRequired)
    async def confirmation_required(request: Request, exc: ConfirmationRequired) -> Response:
        return RedirectResponse(f"/staff/confirm?next={exc.next_path}", status_code=303)

    @app.exception_handler(DataError)
    async def unstorable_input(request: Request, exc: DataError) -> Response:
        # Input the database cannot hold (a NUL character in text on PostgreSQL, a
        # number out of range): the transaction was rolled back; say so plainly.
        log.info("refused_by_database", error=type(exc.orig).__name__)
        return renderer.render(request, "errors/400.html", status_code=400)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return renderer.render(request, "errors/400.html", status_code=400)

    @app.get("/healthz", name="healthz", include_in_schema=False)
    @requires(PUBLIC)
    def healthz() -> JSONResponse:
        """200 ``{"status": "ok"}`` when the database answers, else 503."""
        try:
            check_connection(engine)
        except SQLAlchemyError:
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    app.mount("/static", StaticFiles(directory=TEMPLATE_DIR.parent / "static"), name="static")
    # The interview request is matched first: it is the route hit hardest when a
    # request window opens (route matching is linear in the routes before it).
    app.include_router(appointment_routes.router)
    app.include_router(public_routes.router)
    app.include_router(staff_routes.router)
    app.include_router(referral_routes.router)
    app.include_router(bulk_routes.router)
    app.include_router(audit_routes.router)
    app.include_router(staff_appointment_routes.router)
    app.include_router(window_routes.router)
    app.include_router(duplicate_routes.router)
    app.include_router(indicator_routes.router)
    app.include_router(status_routes.router)
    app.include_router(verify_routes.router)
    app.include_router(registration_routes.router)
    app.include_router(applicant_routes.router)  # last: its /{country} paths match widely
    return app
