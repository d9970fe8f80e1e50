"""Applicant pages: landing per office country, privacy notice and consent, pre-check.

Every page works without JavaScript; answers are saved on the server after each
question (post/redirect/get), so a dropped connection loses nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from movilidad.consent.notices import Notices
from movilidad.i18n import collation_key, country_name
from movilidad.kernel.clock import today_utc
from movilidad.kernel.countries import InvalidCountry, validate_alpha3
from movilidad.offices.models import Office
from movilidad.offices.repository import OfficeRepository
from movilidad.pathways.catalogue import Catalogue
from movilidad.pathways.facts import InvalidFacts
from movilidad.precheck import services
from movilidad.precheck.models import PrecheckSession
from movilidad.screening.engine import Outcome
from movilidad.web.answers import format_answer
from movilidad.web.applicant.forms import ERRORS, MAX_RELATIVES, parse_answer
from movilidad.web.deps import Render, UoW
from movilidad.web.security import PUBLIC, requires, verify_csrf

router = APIRouter()
PRECHECK_COOKIE = "precheck"
CsrfChecked = Depends(verify_csrf)
REGION = ("ARG", "BLZ", "BOL", "BRA", "CAN", "CHL", "COL", "CRI", "CUB", "DOM", "ECU", "ESP",
          "GTM", "GUY", "HND", "HTI", "JAM", "MEX", "NIC", "PAN", "PER", "PRY", "SLV", "SUR",
          "TTO", "URY", "USA", "VEN")  # fmt: skip


def _office_country(request: Request, uow: UoW, country: str) -> tuple[str, list[Office]]:
    """The alpha-3 country of the URL (``col`` → ``COL``) if an office works there."""
    code = country.upper()
    try:
        validate_alpha3(code)
    except InvalidCountry:
        raise HTTPException(status_code=404) from None
    notices: Notices = request.app.state.notices
    offices = OfficeRepository(uow.session).list_offices(country=code)
    if not offices or not notices.serves(code):
        raise HTTPException(status_code=404)
    return code, offices


def _catalogue(request: Request) -> Catalogue:
    catalogue: Catalogue | None = request.app.state.catalogue
    if catalogue is None:
        raise HTTPException(status_code=404)
    return catalogue


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/{country}", name="applicant.landing", response_class=HTMLResponse)
@requires(PUBLIC)
def landing(request: Request, country: str, uow: UoW, render: Render) -> HTMLResponse:
    """What the office does and does not do, that it is free, how we contact people."""
    code, offices = _office_country(request, uow, country)
    languages = sorted({lang for office in offices for lang in office.languages})
    return render.render(
        request,
        "applicant/landing.html",
        {"country": code, "offices": offices, "office_languages": languages},
    )


@router.get("/{country}/privacy", name="applicant.privacy", response_class=HTMLResponse)
@requires(PUBLIC)
def privacy(request: Request, country: str, uow: UoW, render: Render) -> HTMLResponse:
    """The privacy notice in force, before any personal question."""
    code, _ = _office_country(request, uow, country)
    notices: Notices = request.app.state.notices
    version = notices.current(today_utc())
    language = request.state.language
    sections = notices.render(version, code, country_name(code, language), language)
    return render.render(
        request,
        "applicant/privacy.html",
        {"country": code, "notice": version, "sections": sections,
         "consent_text": version.consent[language]},
    )  # fmt: skip


@router.post("/{country}/privacy", name="applicant.privacy.agree", dependencies=[CsrfChecked])
@requires(PUBLIC)
def agree(
    request: Request,
    country: str,
    uow: UoW,
    notice_version: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Record consent to the version the applicant read, then start the pre-check."""
    code, _ = _office_country(request, uow, country)
    notices: Notices = request.app.state.notices
    if notices.get(notice_version) is None:
        return _see_other(f"/{country.lower()}/privacy")
    previous = _precheck(request, uow, code)
    if previous is not None and previous.case_id is None:  # agreed before: keep the answers
        return _see_other(f"/{country.lower()}/check")
    # First visit, or a household already registered from this phone: start afresh, so
    # the next person never sees the previous one's answers.
    token, _precheck_session = services.start_precheck(
        uow, country=code, language=request.state.language, notice_version=notice_version
    )
    response = _see_other(f"/{country.lower()}/check")
    response.set_cookie(
        PRECHECK_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.base_url.startswith("https://"),
        path=f"/{country.lower()}",
        max_age=int(services.PRECHECK_LIFETIME.total_seconds()),
    )
    return response


def _precheck(request: Request, uow: UoW, country: str) -> PrecheckSession | None:
    return services.find_precheck(uow, request.cookies.get(PRECHECK_COOKIE, ""), country)


def _question_page(
    request: Request,
    render: Render,
    country: str,
    catalogue: Catalogue,
    precheck: PrecheckSession,
    fact: str,
    *,
    error: str | None = None,
    submitted: dict[str, Any] | None = None,
) -> HTMLResponse:
    spec = catalogue.facts.facts[fact]
    language = request.state.language
    answered = len(precheck.answers) + len(precheck.skipped)
    countries = sorted(
        ((code, country_name(code, language)) for code in REGION),
        key=lambda item: collation_key(item[1]),
    )
    return render.render(
        request,
        "applicant/check/question.html",
        {
            "country": country,
            "fact": fact,
            "spec": spec,
            "question": spec.question[language],
            "help": spec.help.get(language, ""),
            "options": [(v, spec.options[v][language]) for v in spec.values],
            "none_label": spec.options["none"][language] if "none" in spec.options else "",
            "field_options": {
                name: [(v, f.options[v][language]) for v in f.values]
                for name, f in spec.fields.items()
                if f.type == "enum"
            },
            "countries": countries,
            "current": (submitted if submitted is not None else precheck.answers.get(fact)),
            "answered_before": fact in precheck.answers,
            "error": ERRORS[error] if error else None,
            "answered": answered,
            "relative_rows": range(MAX_RELATIVES),
            "today": request.app.state.settings.screening_day().isoformat(),
        },
        status_code=400 if error else 200,
    )


@router.get("/{country}/check", name="applicant.check", response_class=HTMLResponse)
@requires(PUBLIC)
def check(request: Request, country: str, uow: UoW, render: Render, q: str = "") -> Response:
    """One question per page, each at its own address (``?q=<fact>``) so the browser's
    Back button returns to the previous question. Without ``q``: go to the next one."""
    code, _ = _office_country(request, uow, country)
    catalogue = _catalogue(request)
    precheck = _precheck(request, uow, code)
    if precheck is None:
        return _see_other(f"/{country.lower()}/privacy")
    upcoming = services.next_question(
        precheck, catalogue, request.app.state.settings.screening_day()
    )
    if q and (q in precheck.answers or q in precheck.skipped or q == upcoming):
        return _question_page(request, render, code, catalogue, precheck, q)
    if upcoming is None:
        return _see_other(f"/{country.lower()}/check/result")
    return _see_other(f"/{country.lower()}/check?q={upcoming}")


@router.post("/{country}/check", name="applicant.check.answer", dependencies=[CsrfChecked])
@requires(PUBLIC)
async def answer(request: Request, country: str, uow: UoW, render: Render) -> Response:
    """Store one answer (or "I do not know"), then go to the next question."""
    code, _ = _office_country(request, uow, country)
    catalogue = _catalogue(request)
    precheck = _precheck(request, uow, code)
    if precheck is None:
        return _see_other(f"/{country.lower()}/privacy")
    form = await request.form()
    fact = form.get("fact", "")
    spec = catalogue.facts.facts.get(fact) if isinstance(fact, str) else None
    if spec is None or spec.derived or not isinstance(fact, str):
        return _see_other(f"/{country.lower()}/check")
    if form.get("action") == "skip":
        services.skip_question(precheck, fact)
        return _see_other(f"/{country.lower()}/check")
    parsed = parse_answer(spec, form, request.app.state.settings.screening_day())
    if parsed.error is None:
        try:
            services.record_answer(precheck, catalogue, fact, parsed.value)
        except InvalidFacts:
            parsed = type(parsed)(error="choose")
    if parsed.error is not None:
        submitted = {k: v for k, v in form.items() if isinstance(v, str) and len(v) < 300}
        return _question_page(
            request, render, code, catalogue, precheck, fact, error=parsed.error,
            submitted=submitted,
        )  # fmt: skip
    return _see_other(f"/{country.lower()}/check")


@router.get("/{country}/check/result", name="applicant.check.result", response_class=HTMLResponse)
@requires(PUBLIC)
def result(request: Request, country: str, uow: UoW, render: Render) -> Response:
    """Which pathways the household may fit, and why not the others, in plain words."""
    code, _ = _office_country(request, uow, country)
    catalogue = _catalogue(request)
    precheck = _precheck(request, uow, code)
    if precheck is None:
        return _see_other(f"/{country.lower()}/privacy")
    language = request.state.language
    day = request.app.state.settings.screening_day()
    screening = services.precheck_result(precheck, catalogue, day, language)
    groups: dict[str, list[tuple[str, Any]]] = {o.value: [] for o in Outcome}
    for pathway_id, outcome in screening.results.items():
        groups[outcome.outcome.value].append(
            (catalogue.pathways[pathway_id].names[language], outcome)
        )
    intake = screening.results.get(services.intake_pathway(code))
    return render.render(
        request,
        "applicant/check/result.html",
        {
            "country": code,
            "groups": groups,
            "intake": intake,
            "answers": [
                (
                    catalogue.facts.facts[name].question[language],
                    name,
                    format_answer(
                        catalogue,
                        name,
                        precheck.answers.get(name),
                        language,
                        render.gettext(request),
                    ),
                )
                for name in catalogue.facts.facts
                if name in precheck.answers or name in precheck.skipped
            ],
            "skipped": set(precheck.skipped),
        },
    )
