"""The applicant's status page: sign in with reference, access code and date of birth;
see the case status and the screening results with reasons in their language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from movilidad.cases.repository import CaseRepository
from movilidad.kernel.dates import is_iso_date, parse_iso_date
from movilidad.notifications.services import messages_of_case
from movilidad.precheck.services import office_pathways
from movilidad.referrals.services import consents_of_case
from movilidad.registration import status
from movilidad.screening.engine import Outcome
from movilidad.screening.repository import ScreeningRepository
from movilidad.web.applicant.appointments import interview_context
from movilidad.web.deps import Render, UoW
from movilidad.web.security import PUBLIC, requires, verify_csrf

router = APIRouter()
STATUS_COOKIE = "case_status"


def _secret(request: Request) -> bytes:
    key: bytes = request.app.state.settings.secret_key_bytes()
    return key


@router.get("/status", name="applicant.status.sign_in", response_class=HTMLResponse)
@requires(PUBLIC)
def status_form(request: Request, render: Render) -> HTMLResponse:
    return render.render(request, "applicant/status/sign_in.html", {"error": None, "form": {}})


@router.post("/status", name="applicant.status.submit", dependencies=[Depends(verify_csrf)])
@requires(PUBLIC)
def status_sign_in(
    request: Request,
    uow: UoW,
    render: Render,
    reference: Annotated[str, Form(max_length=60)] = "",
    access_code: Annotated[str, Form(max_length=60)] = "",
    date_of_birth: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Check the three answers (with limits against guessing), then show the case."""
    secret = _secret(request)
    address = request.client.host if request.client else "unknown"
    form = {"reference": reference, "date_of_birth": date_of_birth}
    if status.blocked(uow, secret, reference, address):
        return render.render(
            request, "applicant/status/sign_in.html", {"error": "wait", "form": form},
            status_code=429,
        )  # fmt: skip
    born = parse_iso_date(date_of_birth) if is_iso_date(date_of_birth) else None
    case = status.sign_in(
        uow, secret, reference=reference, access_code=access_code, born=born, address=address
    )
    if case is None:
        uow.commit()  # keep the failure count
        return render.render(
            request, "applicant/status/sign_in.html", {"error": "wrong", "form": form},
            status_code=400,
        )  # fmt: skip
    response = RedirectResponse("/status/case", status_code=303)
    response.set_cookie(
        STATUS_COOKIE,
        status.session_token(secret, case.id),
        max_age=status.SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.base_url.startswith("https://"),
        path="/status",
    )
    return response


@router.get("/status/case", name="applicant.status.case", response_class=HTMLResponse)
@requires(PUBLIC)
def status_case(request: Request, uow: UoW, render: Render, done: str = "") -> Response:
    """The case, for the applicant signed in on this phone (30 minutes)."""
    case_id = status.case_id_from_token(_secret(request), request.cookies.get(STATUS_COOKIE, ""))
    case = CaseRepository(uow.session).get_case_by_id(case_id) if case_id else None
    if case is None:
        return RedirectResponse("/status", status_code=303)
    screenings = ScreeningRepository(uow.session).list_screenings_of_case(case.id)
    latest = screenings[0] if screenings else None
    language = request.state.language
    catalogue = request.app.state.catalogue
    relevant = office_pathways(catalogue, case.office.country) if catalogue else set()
    results = []
    for outcome in latest.outcomes if latest else []:
        version = outcome.pathway_version
        if outcome.outcome is Outcome.NOT_OPEN or version is None:
            continue
        if outcome.pathway_id not in relevant:
            continue  # another country's office
        reasons = sorted({
            version.explanation(c["id"], c["status"] == "met", language)
            for c in outcome.criteria
            if c["status"] == ("met" if outcome.outcome is Outcome.ELIGIBLE else "not_met")
        })  # fmt: skip
        results.append((version.name(language), outcome.outcome.value, reasons))
    order = {Outcome.ELIGIBLE.value: 0, Outcome.NEEDS_INFORMATION.value: 1}
    results.sort(key=lambda item: (order.get(item[1], 2), item[0]))
    response = render.render(
        request,
        "applicant/status/case.html",
        {
            "case": case,
            "results": results,
            "messages": messages_of_case(uow, case.id),
            "consents": [
                (recipient.name(language) if recipient else c.recipient_id, c)
                for c in consents_of_case(uow, case.id)
                for recipient in [request.app.state.recipients.get(c.recipient_id)]
            ],
            **interview_context(uow, case, done),
        },
    )
    response.headers["Cache-Control"] = "no-store"
    return response
