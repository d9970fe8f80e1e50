"""Staff pages: sign-in with a second factor, the case queue, a case's detail."""

from __future__ import annotations

import base64
import io
import secrets
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import unquote, urlsplit

import segno
import structlog
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException

from movilidad.audit.services import record_event
from movilidad.cases.errors import CaseChanged, ReasonRequired, TransitionNotAllowed
from movilidad.cases.models import Case, CaseStatus, CloseReason, SpecificNeed, allowed_next
from movilidad.cases.policies import allowed_close_reasons, allowed_statuses
from movilidad.cases.repository import CaseFilters, CaseRepository
from movilidad.cases.services import (
    MAX_NOTE_CHARS,
    assign_case,
    set_specific_needs,
    transition_case,
)
from movilidad.documents.services import file_of_applicants, files_by_document
from movilidad.identity.intake import check_case
from movilidad.identity.model import current_model
from movilidad.identity.repository import (
    candidates_of_case,
    case_ids_with_open_candidates,
    count_open,
)
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.clock import utcnow
from movilidad.kernel.permissions import Permission
from movilidad.notifications.models import NotificationKind
from movilidad.notifications.services import (
    MAX_MESSAGE,
    messages_of_case,
    queue_notification,
    send_office_message,
)
from movilidad.offices.models import Office
from movilidad.offices.repository import OfficeRepository
from movilidad.pathways.catalogue import Catalogue
from movilidad.screening.models import ScreeningOutcome
from movilidad.screening.repository import ScreeningRepository
from movilidad.staff import auth
from movilidad.staff.actor import Actor, ScopeSet
from movilidad.staff.models import StaffUser
from movilidad.web.answers import format_answer
from movilidad.web.deps import Render, UoW
from movilidad.web.labels import REASON_LABELS, RELATIONSHIP_LABELS
from movilidad.web.security import PUBLIC, STAFF_SIGNED_IN, requires, verify_csrf
from movilidad.web.staff.deps import SESSION_COOKIE, StaffActor, staff_session
from movilidad.web.staff.duplicates import BANDS, number_formatter

router = APIRouter(prefix="/staff")
log = structlog.get_logger("movilidad.web")


def _(message: str) -> str:
    """Mark for translation (rendered with the page's gettext)."""
    return message


CsrfChecked = Depends(verify_csrf)


def _safe_next(target: str) -> str:
    """Only redirect to a plain path inside the staff workspace (no open redirect)."""
    path = unquote(target or "")
    parts = urlsplit(path)
    unsafe = (
        parts.scheme
        or parts.netloc
        or not parts.path.startswith("/staff/")
        or "//" in path
        or "\\" in path
        or ".." in parts.path.split("/")
        or any(not ch.isprintable() for ch in path)
    )
    return "/staff/cases" if unsafe else path


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.base_url.startswith("https://"),
        path="/staff",
    )


@router.get("", name="staff.home")
@requires(STAFF_SIGNED_IN)
def home(actor: StaffActor) -> RedirectResponse:
    """Office staff start at the case queue; a partner liaison at their referrals."""
    if not actor.can(Permission.CASE_READ) and actor.can(Permission.REFERRAL_READ):
        return _see_other("/staff/referrals")
    return _see_other("/staff/cases")


@router.get("/sign-in", name="staff.sign_in", response_class=HTMLResponse)
@requires(PUBLIC)
def sign_in_form(request: Request, render: Render, next: str = "") -> HTMLResponse:
    return render.render(request, "staff/sign_in.html", {"next": next, "error": False})


@router.post("/sign-in", name="staff.sign_in.submit", dependencies=[CsrfChecked])
@requires(PUBLIC)
def sign_in(
    request: Request,
    uow: UoW,
    render: Render,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    result = auth.check_password(uow, username, password)
    if result.user is None:
        uow.commit()  # keep the failure count and the audit event
        return render.render(
            request,
            "staff/sign_in.html",
            {"next": next, "error": True, "username": username},
            status_code=400,
        )
    token = auth.start_session(uow, result.user)
    request.state.csrf_token = secrets.token_urlsafe(32)  # a new CSRF token per sign-in
    if not result.user.needs_second_factor:
        session = auth.active_session(
            uow, token, request.app.state.settings.session_max_age_seconds
        )
        assert session is not None
        auth.skip_second_factor(uow, session)
        response = _see_other(_safe_next(next))
    else:
        response = _see_other(f"/staff/two-factor?next={next}" if next else "/staff/two-factor")
    _set_session_cookie(request, response, token)
    return response


def _qr_data_uri(uri: str) -> str:
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@router.get("/two-factor", name="staff.two_factor", response_class=HTMLResponse)
@requires(PUBLIC)
def two_factor_form(request: Request, uow: UoW, render: Render, next: str = "") -> Response:
    session = staff_session(request, uow)
    if session is None:
        return _see_other("/staff/sign-in")
    if session.second_factor_at is not None:
        return _see_other(_safe_next(next))
    return _two_factor_page(request, render, session.user, next, error=False)


def _two_factor_page(
    request: Request, render: Render, user: StaffUser, next: str, *, error: bool, secret: str = ""
) -> HTMLResponse:
    context: dict[str, object] = {
        "next": next,
        "error": error,
        "enrolled": user.totp_secret is not None,
    }
    if user.totp_secret is None:
        secret = secret if auth.is_valid_secret(secret) else auth.new_totp_secret()
        context.update(
            secret=secret,
            secret_groups=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            qr=_qr_data_uri(auth.provisioning_uri(user, secret)),
        )
    return render.render(
        request, "staff/two_factor/verify.html", context, status_code=400 if error else 200
    )


@router.post("/two-factor", name="staff.two_factor.submit", dependencies=[CsrfChecked])
@requires(PUBLIC)
def two_factor(
    request: Request,
    uow: UoW,
    render: Render,
    code: Annotated[str, Form(max_length=20)] = "",
    secret: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    session = staff_session(request, uow)
    if session is None:
        return _see_other("/staff/sign-in")
    user = session.user
    if user.totp_secret is None:
        ok = auth.enrol_second_factor(uow, session, secret, code)
    else:
        ok = auth.verify_second_factor(uow, session, code)
    if not ok:
        uow.commit()
        if session.revoked_at is not None:
            return _see_other("/staff/sign-in")
        return _two_factor_page(request, render, user, next, error=True, secret=secret)
    token = auth.rotate_session(session)
    uow.commit()
    response = _see_other(_safe_next(next))
    _set_session_cookie(request, response, token)
    return response


@router.post("/sign-out", name="staff.sign_out", dependencies=[CsrfChecked])
@requires(PUBLIC)  # also ends a session still waiting for its second factor
def sign_out(request: Request, uow: UoW) -> RedirectResponse:
    session = staff_session(request, uow)
    if session is not None:
        auth.end_session(uow, session)
    response = _see_other("/staff/sign-in")
    response.delete_cookie(
        SESSION_COOKIE,
        path="/staff",
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.base_url.startswith("https://"),
    )
    return response


@router.post("/cases/{reference}/assign", name="staff.case.assign", dependencies=[CsrfChecked])
@requires(Permission.CASE_UPDATE)
def case_assign(
    request: Request,
    reference: str,
    uow: UoW,
    actor: StaffActor,
    action: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Take the case, or return it to the office's common queue."""
    case = CaseRepository(uow.session).get_case_in_scope(
        actor.scope(Permission.CASE_UPDATE), reference[:40]
    )
    if case is None:
        raise HTTPException(status_code=404)
    if action not in ("take", "release"):
        raise HTTPException(status_code=400)
    assign_case(uow, case, staff_id=actor.staff_user_id if action == "take" else None,
                actor_staff_id=actor.staff_user_id)  # fmt: skip
    return _see_other(f"/staff/cases/{case.display_reference}")


@router.post("/cases/{reference}/needs", name="staff.case.needs", dependencies=[CsrfChecked])
@requires(Permission.CASE_UPDATE)
async def case_needs(request: Request, reference: str, uow: UoW, actor: StaffActor) -> Response:
    """Record the household's specific needs (ticked boxes; none ticked clears them)."""
    case = CaseRepository(uow.session).get_case_in_scope(
        actor.scope(Permission.CASE_UPDATE), reference[:40]
    )
    if case is None:
        raise HTTPException(status_code=404)
    form = await request.form()
    chosen = [str(v) for v in form.getlist("need")]
    if any(value not in {n.value for n in SpecificNeed} for value in chosen):
        raise HTTPException(status_code=400)
    set_specific_needs(uow, case, [SpecificNeed(v) for v in chosen],
                       actor_staff_id=actor.staff_user_id)  # fmt: skip
    return _see_other(f"/staff/cases/{case.display_reference}#needs")


@router.get("/confirm", name="staff.confirm", response_class=HTMLResponse)
@requires(STAFF_SIGNED_IN)
def confirm_form(
    request: Request, render: Render, actor: StaffActor, next: str = ""
) -> HTMLResponse:
    """Before a sensitive action: the password again (and a new authenticator code)."""
    return render.render(request, "staff/confirm.html", {"next": next[:2000], "error": False})


@router.post("/confirm", name="staff.confirm.submit", dependencies=[CsrfChecked])
@requires(STAFF_SIGNED_IN)
def confirm(
    request: Request,
    uow: UoW,
    render: Render,
    actor: StaffActor,
    password: Annotated[str, Form(max_length=1000)] = "",
    code: Annotated[str, Form(max_length=20)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    session = staff_session(request, uow)
    if session is None or not auth.confirm_identity(uow, session, password, code):
        uow.commit()  # keep the failure count and the audit event
        return render.render(
            request, "staff/confirm.html", {"next": next, "error": True}, status_code=400
        )
    return _see_other(_safe_next(next))


@router.get("/cases", name="staff.case.list", response_class=HTMLResponse)
@requires(Permission.CASE_READ)
def case_list(
    request: Request,
    uow: UoW,
    render: Render,
    actor: StaffActor,
    status: Annotated[str, Query(max_length=40)] = "open",
    office: Annotated[str, Query(max_length=40)] = "",
    nationality: Annotated[str, Query(max_length=3)] = "",
    reference: Annotated[str, Query(max_length=40)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    search: Annotated[str, Query(max_length=200)] = "",
    assignee: Annotated[str, Query(max_length=8)] = "",
    flag: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    scope = actor.scope(Permission.CASE_READ)
    duplicates = actor.can(Permission.DUPLICATE_REVIEW)
    duplicate_scope = actor.scope(Permission.DUPLICATE_REVIEW)
    flagged = (
        frozenset(case_ids_with_open_candidates(uow.session, duplicate_scope))
        if duplicates
        else frozenset()
    )
    if flag != "vulnerable" and not (flag == "duplicate" and duplicates):
        flag = ""
    filters = CaseFilters(
        status, office, nationality.upper(), reference, page, search,
        assignee=assignee if assignee in ("me", "none") else "",
        staff_id=actor.staff_user_id, flag=flag,
        only_case_ids=flagged if flag == "duplicate" else None,
    )  # fmt: skip
    result = CaseRepository(uow.session).list_cases_in_scope(scope, filters)
    offices = [o for o in OfficeRepository(uow.session).list_offices() if _office_in(scope, o)]
    record_event(
        uow.session,
        action="case.list",
        object_type="case",
        object_id="*",
        actor_kind=ActorKind.STAFF,
        actor_staff_id=actor.staff_user_id,
        request_id=request.state.request_id,
        detail={"count": len(result.cases), "page": result.page},
    )
    return render.render(
        request,
        "staff/case/list.html",
        {"page": result, "filters": filters, "offices": offices, "today": utcnow(),
         "can_review_duplicates": duplicates, "duplicate_ids": flagged,
         "open_duplicates": count_open(uow.session, duplicate_scope) if duplicates else 0},
    )  # fmt: skip


def _office_in(scope: ScopeSet, office: Office) -> bool:
    return scope.everywhere or office.id in scope.office_ids or office.country in scope.countries


@router.get("/cases/{reference}", name="staff.case.detail", response_class=HTMLResponse)
@requires(Permission.CASE_READ)
def case_detail(
    request: Request, reference: str, uow: UoW, render: Render, actor: StaffActor
) -> HTMLResponse:
    case = CaseRepository(uow.session).get_case_in_scope(
        actor.scope(Permission.CASE_READ), reference[:40]
    )
    if case is None:
        raise HTTPException(status_code=404)
    record_event(
        uow.session,
        action="case.view",
        object_type="case",
        object_id=case.id,
        actor_kind=ActorKind.STAFF,
        actor_staff_id=actor.staff_user_id,
        office_id=case.office_id,
        request_id=request.state.request_id,
        detail={"purpose": "casework"},
    )
    _intake_check(uow, case)
    return _detail_page(request, uow, render, actor, case)


def _intake_check(uow: UoW, case: Case) -> None:
    """The intake check, run again when a caseworker opens a case: possible earlier or
    later registrations of its people are stored for review. Without a readable model
    file, or when another request stored the same pair at the same moment, the page is
    shown as it is (the check runs again next time)."""
    try:
        model = current_model()
    except (OSError, ValueError, KeyError) as exc:
        log.warning("linkage_model_unavailable", error=type(exc).__name__)
        return
    try:
        with uow.session.begin_nested():
            check_case(uow, case, model, utcnow())
    except IntegrityError:
        log.info("intake_check_skipped", case=case.id)


def _detail_page(
    request: Request,
    uow: UoW,
    render: Render,
    actor: Actor,
    case: Case,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
    message_error: bool = False,
    referral_error: str | None = None,
) -> HTMLResponse:
    screenings = ScreeningRepository(uow.session).list_screenings_of_case(case.id)
    view = CaseView(request.app.state.catalogue, request.state.language, render.gettext(request))
    catalogue: Catalogue | None = request.app.state.catalogue
    return render.render(
        request,
        "staff/case/detail.html",
        {
            "case": case,
            "screenings": screenings,
            "today": utcnow(),
            "fact_question": view.fact_question,
            "fact_answer": lambda name, value: format_answer(
                catalogue, name, value, request.state.language, render.gettext(request)
            ),
            "missing_questions": view.missing_questions,
            "pathway_name": view.pathway_name,
            "relationship_label": view.relationship_label,
            "reason_label": view.reason_label,
            "can_transition": actor.can(Permission.CASE_TRANSITION),
            "specific_needs": [n.value for n in SpecificNeed],
            "assignee_name": (
                uow.session.get(StaffUser, case.assigned_staff_id).full_name  # type: ignore[union-attr]
                if case.assigned_staff_id and uow.session.get(StaffUser, case.assigned_staff_id)
                else ""
            ),
            "document_files": (
                files_by_document(uow, _household_applicant_ids(case))
                if actor.can(Permission.DOCUMENT_VIEW)
                else {}
            ),
            "next_statuses": [
                s
                for s in allowed_statuses(actor.permissions, allowed_next(case.status))
                if s is not CaseStatus.REFERRED  # through the referral form, with a package
            ],
            "can_refer": actor.can(Permission.CASE_TRANSITION)
            and CaseStatus.REFERRED in allowed_next(case.status),
            **_referral_context(request, uow, case, referral_error),
            "close_reasons": allowed_close_reasons(actor.permissions),
            "pathways": sorted(
                (p.id, p.names.get(request.state.language, p.id))
                for p in (catalogue.pathways.values() if catalogue else [])
            ),
            "error": TRANSITION_ERRORS.get(error or ""),
            "messages": messages_of_case(uow, case.id),
            "can_message": actor.can(Permission.CASE_UPDATE),
            "message_error": message_error,
            "max_message": MAX_MESSAGE,
            "form": form or {},
            "duplicates": (
                candidates_of_case(uow.session, actor.scope(Permission.DUPLICATE_REVIEW), case.id)
                if actor.can(Permission.DUPLICATE_REVIEW)
                else []
            ),
            "band_labels": BANDS,
            "number": number_formatter(request.state.language),
        },
        status_code=status_code,
    )


@router.get("/cases/{reference}/documents/{file_id}", name="staff.case.document")
@requires(Permission.DOCUMENT_VIEW)
def case_document(
    request: Request, reference: str, file_id: str, uow: UoW, actor: StaffActor
) -> Response:
    """One scan of an identity document of the household; every view is recorded."""
    case = CaseRepository(uow.session).get_case_in_scope(
        actor.scope(Permission.DOCUMENT_VIEW), reference[:40]
    )
    stored = (
        file_of_applicants(uow, int(file_id), _household_applicant_ids(case))
        if case is not None and file_id.isascii() and file_id.isdigit() and len(file_id) < 12
        else None
    )
    if case is None or stored is None:
        raise HTTPException(status_code=404)
    record_event(
        uow.session, action="document.view", object_type="document_file", object_id=stored.id,
        actor_kind=ActorKind.STAFF, actor_staff_id=actor.staff_user_id, office_id=case.office_id,
        request_id=request.state.request_id, detail={"purpose": "casework", "case": case.id},
    )  # fmt: skip
    extension = {"image/jpeg": "jpg", "image/png": "png"}.get(stored.content_type, "pdf")
    disposition = "attachment" if extension == "pdf" else "inline"
    return Response(
        stored.data,
        media_type=stored.content_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="document-{stored.id}.{extension}"',
            "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
        },
    )


def _household_applicant_ids(case: Case | None) -> list[int]:
    if case is None:
        return []
    return [case.household.principal.id, *(m.applicant.id for m in case.household.members)]


def _referral_context(request: Request, uow: UoW, case: Case, error: str | None) -> dict[str, Any]:
    """Recipients this office may refer to, the household's consents and referrals."""
    from movilidad.referrals.services import (
        consents_of_case,
        household_nationalities,
        referrals_of_case,
    )

    recipients = request.app.state.recipients
    catalogue: Catalogue | None = request.app.state.catalogue
    language = request.state.language
    available = recipients.for_office(case.office.country)
    nationalities = household_nationalities(case)

    def pathway_name(pathway_id: str) -> str:
        pathway = catalogue.pathways.get(pathway_id) if catalogue else None
        return pathway.names.get(language, pathway_id) if pathway else pathway_id

    def recipient_name(recipient_id: str) -> str:
        recipient = recipients.get(recipient_id)
        return str(recipient.name(language)) if recipient else recipient_id

    return {
        "recipients": [
            (r.id, r.name(language), r.needs_specific_consent(nationalities)) for r in available
        ],
        "referral_targets": [
            (f"{r.id}|{p}", f"{r.name(language)} — {pathway_name(p)}")
            for r in available
            for p in r.pathways
        ],
        "recipient_name": recipient_name,
        "pathway_name_of": pathway_name,
        "consents": consents_of_case(uow, case.id),
        "referrals": referrals_of_case(uow, case.id),
        "referral_error": error,
    }


TRANSITION_ERRORS = {
    "changed": _(
        "Someone else changed this case while you were working. "
        "Check its new status below; your note is kept."
    ),
    "reason": _("Choose a reason to close the case."),
    "pathway": _("Choose the pathway the case is referred to."),
    "not_allowed": _("The case cannot move to that status from where it is now."),
}


@router.post(
    "/cases/{reference}/transition",
    name="staff.case.transition",
    dependencies=[CsrfChecked],
)
@requires(Permission.CASE_TRANSITION)
def case_transition(
    request: Request,
    reference: str,
    uow: UoW,
    render: Render,
    actor: StaffActor,
    to_status: Annotated[str, Form(max_length=40)] = "",
    version: Annotated[int, Form(ge=0)] = 0,
    close_reason: Annotated[str, Form(max_length=40)] = "",
    pathway_id: Annotated[str, Form(max_length=64)] = "",
    note: Annotated[str, Form(max_length=MAX_NOTE_CHARS)] = "",
) -> Response:
    """Move a case one step (post/redirect/get); errors re-render with the note kept."""
    case = CaseRepository(uow.session).get_case_in_scope(
        actor.scope(Permission.CASE_TRANSITION), reference[:40]
    )
    if case is None:
        raise HTTPException(status_code=404)
    form = {"to_status": to_status, "close_reason": close_reason, "pathway_id": pathway_id,
            "note": note}  # fmt: skip
    catalogue: Catalogue | None = request.app.state.catalogue
    error: str | None = None
    try:
        status = CaseStatus(to_status)
        if status is CaseStatus.REFERRED:
            raise ValueError("a referral goes through the referral form, with its package")
        reason = CloseReason(close_reason) if close_reason else None
        if pathway_id and (catalogue is None or pathway_id not in catalogue.pathways):
            raise ValueError(pathway_id)
        transition_case(
            uow, case, new_status=status, expected_version=version,
            actor_staff_id=actor.staff_user_id, actor_permissions=actor.permissions,
            close_reason=reason,
            pathway_id=pathway_id or None, note=note, request_id=request.state.request_id,
        )  # fmt: skip
    except CaseChanged:
        error = "changed"
    except ReasonRequired:
        error = "reason" if to_status == CaseStatus.CLOSED else "pathway"
    except (TransitionNotAllowed, ValueError):
        error = "not_allowed"
    if error is not None:
        uow.rollback()
        fresh = CaseRepository(uow.session).get_case_in_scope(
            actor.scope(Permission.CASE_READ), reference[:40]
        )
        if fresh is None:
            raise HTTPException(status_code=404)
        return _detail_page(
            request, uow, render, actor, fresh, error=error, form=form,
            status_code=409 if error == "changed" else 400,
        )  # fmt: skip
    if status is CaseStatus.CLOSED:
        queue_notification(
            uow, request.app.state.jobs, case, NotificationKind.CASE_CLOSED,
            key=f"closed:{case.id}:{case.version}",
        )  # fmt: skip
    return _see_other(f"/staff/cases/{case.display_reference}")


@router.post("/cases/{reference}/messages", name="staff.case.message", dependencies=[CsrfChecked])
@requires(Permission.CASE_UPDATE)
def case_message(
    request: Request,
    reference: str,
    uow: UoW,
    render: Render,
    actor: StaffActor,
    body: Annotated[str, Form(max_length=MAX_MESSAGE * 2)] = "",
) -> Response:
    """Leave a message for the household on its status page (post/redirect/get)."""
    case = CaseRepository(uow.session).get_case_in_scope(
        actor.scope(Permission.CASE_UPDATE), reference[:40]
    )
    if case is None:
        raise HTTPException(status_code=404)
    try:
        send_office_message(uow, request.app.state.jobs, case,
                            author_staff_id=actor.staff_user_id, body=body)  # fmt: skip
    except ValueError:
        return _detail_page(
            request, uow, render, actor, case, message_error=True,
            form={"message": body[:MAX_MESSAGE * 2]}, status_code=400,
        )  # fmt: skip
    return _see_other(f"/staff/cases/{case.display_reference}#messages")


class CaseView:
    """Labels for a case page in one language, from the catalogue and the messages."""

    def __init__(
        self, catalogue: Catalogue | None, language: str, gettext: Callable[[str], str]
    ) -> None:
        self.catalogue = catalogue
        self.language = language
        self.gettext = gettext

    def fact_question(self, name: str) -> str:
        spec = self.catalogue.facts.facts.get(name) if self.catalogue else None
        return spec.question.get(self.language, name) if spec and spec.question else name

    def missing_questions(self, criterion: dict[str, Any]) -> str:
        return " / ".join(self.fact_question(n) for n in criterion.get("missing_facts", []))

    def pathway_name(self, outcome: ScreeningOutcome) -> str:
        if outcome.pathway_version is not None:
            return outcome.pathway_version.name(self.language)
        pathway = self.catalogue.pathways.get(outcome.pathway_id) if self.catalogue else None
        return (
            pathway.names.get(self.language, outcome.pathway_id) if pathway else outcome.pathway_id
        )

    def relationship_label(self, value: str) -> str:
        return self.gettext(RELATIONSHIP_LABELS.get(str(value), str(value)))

    def reason_label(self, value: str) -> str:
        return self.gettext(REASON_LABELS.get(str(value), str(value)))
