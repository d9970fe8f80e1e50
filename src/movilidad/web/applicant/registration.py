"""Registration pages: the main applicant, the people travelling with them, a review,
and an idempotent submission that shows the case reference and access code once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from movilidad.applicants.models import DocumentType
from movilidad.documents.files import MAX_BYTES, UploadRejected
from movilidad.documents.services import discard_draft_files, draft_file, store_draft_file
from movilidad.households.models import Relationship
from movilidad.kernel.clock import today_utc
from movilidad.offices.models import Office
from movilidad.precheck.models import PrecheckSession
from movilidad.precheck.services import intake_pathway, precheck_result
from movilidad.registration import services as registration
from movilidad.screening.engine import Outcome
from movilidad.web.applicant.routes import (
    REGION,
    _catalogue,
    _office_country,
    _precheck,
)
from movilidad.web.deps import Render, UoW
from movilidad.web.security import PUBLIC, requires, verify_csrf

router = APIRouter()
CsrfChecked = Depends(verify_csrf)
PERSON_FIELDS = ("given_names", "first_surname", "second_surname", "date_of_birth", "sex",
                 "nationality", "relationship", "phone", "email", "channel", "document_type",
                 "document_number", "document_country")  # fmt: skip


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _ready(request: Request, uow: UoW, country: str) -> tuple[str, list[Office], PrecheckSession]:
    """The office country and the pre-check, if it allows registering here."""
    code, offices = _office_country(request, uow, country)
    precheck = _precheck(request, uow, code)
    if precheck is None:
        raise HTTPException(status_code=303, headers={"Location": f"/{country.lower()}/privacy"})
    catalogue = _catalogue(request)
    result = precheck_result(
        precheck, catalogue, request.app.state.settings.screening_day(), "en"
    ).results.get(intake_pathway(code))
    if result is not None and result.outcome in (Outcome.INELIGIBLE, Outcome.NOT_OPEN):
        result_page = f"/{country.lower()}/check/result"
        raise HTTPException(status_code=303, headers={"Location": result_page})
    return code, offices, precheck


def _context(request: Request, code: str, offices: list[Office], **extra: Any) -> dict[str, Any]:
    from movilidad.i18n import collation_key, country_name

    language = request.state.language
    countries = sorted(
        ((c, country_name(c, language)) for c in REGION), key=lambda i: collation_key(i[1])
    )
    return {
        "country": code,
        "offices": offices,
        "countries": countries,
        "relationships": [r.value for r in registration.MEMBER_RELATIONSHIPS],
        "document_types": [t.value for t in DocumentType],
        "errors": {},
        "form": {},
        "error_text": registration.ERRORS,
        **extra,
    }


async def _posted(request: Request) -> AsyncIterator[FormData]:
    """The posted form; its temporary files are closed once the response is sent."""
    form = await request.form()
    try:
        yield form
    finally:
        await form.close()


Posted = Annotated[FormData, Depends(_posted)]


def _form(posted: FormData) -> dict[str, str]:
    return {k: str(posted.get(k, ""))[:400] for k in PERSON_FIELDS}


async def _document_file(
    form: FormData, uow: UoW, precheck: PrecheckSession, person: dict[str, Any],
    errors: dict[str, str],
) -> None:  # fmt: skip
    """Keep the scan chosen in this form (cleaned and encrypted at once, so it is not
    sent twice if another field needs fixing), or the one kept from an earlier try."""
    upload = form.get("document_file")
    person["document_file"] = None
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_BYTES + 1)
        try:
            person["document_file"] = store_draft_file(uow, precheck.id, data).id
        except UploadRejected as rejected:
            errors["document_file"] = rejected.reason
    elif form.get("document_file_remove") != "1":
        kept = draft_file(uow, precheck.id, form.get("document_file_kept"))
        person["document_file"] = kept.id if kept is not None else None
    if person["document_file"] is not None and not person.get("document_type"):
        errors.setdefault("document_type", "document_type")


def _tidy_files(uow: UoW, precheck: PrecheckSession) -> None:
    """Delete scans no longer named by the draft (replaced, or their person removed)."""
    draft = precheck.registration or {}
    people = [draft.get("principal") or {}, *draft.get("members", [])]
    keep = {p["document_file"] for p in people if p.get("document_file")}
    discard_draft_files(uow, precheck.id, keep)


@router.get("/{country}/register", name="applicant.register", response_class=HTMLResponse)
@requires(PUBLIC)
def register(request: Request, country: str, uow: UoW, render: Render) -> Response:
    """The main applicant's identity and how to reach them."""
    code, offices, precheck = _ready(request, uow, country)
    if precheck.case_id is not None:
        return _see_other(f"/{country.lower()}/register/done")
    draft = precheck.registration or {}
    form = dict(draft.get("principal", {}))
    form.setdefault("office", draft.get("office", ""))
    form.setdefault("date_of_birth", precheck.answers.get("date_of_birth", ""))
    nationalities = precheck.answers.get("nationalities") or [""]
    form.setdefault("nationality", nationalities[0])
    return render.render(
        request, "applicant/register/principal.html", _context(request, code, offices, form=form)
    )


@router.post("/{country}/register", name="applicant.register.save", dependencies=[CsrfChecked])
@requires(PUBLIC)
async def register_save(
    request: Request, country: str, uow: UoW, render: Render, posted: Posted
) -> Response:
    code, offices, precheck = _ready(request, uow, country)
    form = _form(posted)
    checked = registration.check_person(
        form, principal=True, office_alpha2=registration.alpha2(code), today=today_utc()
    )
    errors = dict(checked.errors)
    await _document_file(posted, uow, precheck, checked.person, errors)
    office_code = str(posted.get("office", ""))[:40]
    if len(offices) > 1 and office_code not in {o.code for o in offices}:
        errors["office"] = "choose"
    form["office"] = office_code
    if errors:
        form["document_file"] = checked.person["document_file"] or ""
        return render.render(
            request,
            "applicant/register/principal.html",
            _context(request, code, offices, form=form, errors=errors),
            status_code=400,
        )
    precheck.registration = {
        **(precheck.registration or {}), "principal": checked.person,
        "office": office_code if len(offices) > 1 else offices[0].code,
    }  # fmt: skip
    _tidy_files(uow, precheck)
    return _see_other(f"/{country.lower()}/register/members")


def _members_page(
    request: Request, render: Render, code: str, offices: list[Office], precheck: PrecheckSession,
    **extra: Any,
) -> HTMLResponse:  # fmt: skip
    draft = precheck.registration or {}
    return render.render(
        request,
        "applicant/register/members.html",
        _context(request, code, offices, members=draft.get("members", []), **extra),
        status_code=400 if extra.get("errors") else 200,
    )


@router.get("/{country}/register/members", name="applicant.register.members",
            response_class=HTMLResponse)  # fmt: skip
@requires(PUBLIC)
def members(request: Request, country: str, uow: UoW, render: Render) -> Response:
    """The people travelling with the main applicant: add or remove one at a time."""
    code, offices, precheck = _ready(request, uow, country)
    if "principal" not in (precheck.registration or {}):
        return _see_other(f"/{country.lower()}/register")
    return _members_page(request, render, code, offices, precheck)


@router.post("/{country}/register/members", name="applicant.register.members.save",
             dependencies=[CsrfChecked])  # fmt: skip
@requires(PUBLIC)
async def members_save(
    request: Request, country: str, uow: UoW, render: Render, posted: Posted
) -> Response:
    code, offices, precheck = _ready(request, uow, country)
    draft = dict(precheck.registration or {})
    if "principal" not in draft:
        return _see_other(f"/{country.lower()}/register")
    raw = posted
    listed: list[dict[str, Any]] = list(draft.get("members", []))
    remove = str(raw.get("remove", ""))
    if remove.isdigit() and int(remove) < len(listed):
        listed.pop(int(remove))
        precheck.registration = {**draft, "members": listed}
        _tidy_files(uow, precheck)
        return _see_other(f"/{country.lower()}/register/members")
    form = _form(posted)
    checked = registration.check_person(
        form, principal=False, office_alpha2=registration.alpha2(code), today=today_utc(),
        principal_birth=draft["principal"]["date_of_birth"],
    )  # fmt: skip
    errors = dict(checked.errors)
    await _document_file(posted, uow, precheck, checked.person, errors)
    partners = {Relationship.SPOUSE.value, Relationship.COMMON_LAW_PARTNER.value}
    if len(listed) >= registration.MAX_MEMBERS:
        errors["relationship"] = "too_many"
    elif form["relationship"] in partners and any(m["relationship"] in partners for m in listed):
        errors["relationship"] = "partner_twice"
    if errors:
        form["document_file"] = checked.person["document_file"] or ""
        return _members_page(request, render, code, offices, precheck, form=form, errors=errors)
    precheck.registration = {**draft, "members": [*listed, checked.person]}
    return _see_other(f"/{country.lower()}/register/members")


@router.get("/{country}/register/review", name="applicant.register.review",
            response_class=HTMLResponse)  # fmt: skip
@requires(PUBLIC)
def review(request: Request, country: str, uow: UoW, render: Render) -> Response:
    """Everything once more before sending, with links to change it."""
    code, offices, precheck = _ready(request, uow, country)
    draft = precheck.registration or {}
    if "principal" not in draft:
        return _see_other(f"/{country.lower()}/register")
    if precheck.case_id is not None:
        return _see_other(f"/{country.lower()}/register/done")
    return render.render(
        request,
        "applicant/register/review.html",
        _context(request, code, offices, principal=draft["principal"],
                 members=draft.get("members", []), office_code=draft.get("office")),
    )  # fmt: skip


@router.post("/{country}/register/review", name="applicant.register.submit",
             dependencies=[CsrfChecked])  # fmt: skip
@requires(PUBLIC)
def submit(request: Request, country: str, uow: UoW) -> Response:
    """Send the registration. A double click or a re-sent form returns the same case."""
    _code, offices, precheck = _ready(request, uow, country)
    if precheck.case_id is not None:  # sent already: a double click or a re-sent form
        return _see_other(f"/{country.lower()}/register/done")
    if "principal" not in (precheck.registration or {}):
        return _see_other(f"/{country.lower()}/register")
    chosen = (precheck.registration or {}).get("office")
    registration.submit_registration(
        uow,
        precheck.id,
        office=next((o for o in offices if o.code == chosen), offices[0]),
        catalogue=_catalogue(request),
        language=request.state.language,
        today=today_utc(),
        screening_date=request.app.state.settings.screening_day(),
        jobs=request.app.state.jobs,
        client_address=request.client.host if request.client else None,
    )
    return _see_other(f"/{country.lower()}/register/done")


@router.get("/{country}/register/done", name="applicant.register.done",
            response_class=HTMLResponse)  # fmt: skip
@requires(PUBLIC)
def done(request: Request, country: str, uow: UoW, render: Render) -> Response:
    """The case reference, and the access code shown this one time."""
    code, offices, precheck = _ready(request, uow, country)
    case = registration.case_of(uow, precheck)
    if case is None:
        return _see_other(f"/{country.lower()}/register/review")
    access_code = precheck.pending_access_code
    precheck.pending_access_code = None  # never shown again
    response = render.render(
        request,
        "applicant/register/done.html",
        _context(request, code, offices, case=case, access_code=access_code),
    )
    response.headers["Cache-Control"] = "no-store"
    return response
