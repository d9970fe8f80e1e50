"""Staff pages for consent to recipients and referrals; the partner liaison's view.

Office staff record the household's consent to a recipient, refer the case with a
package, and download it (JSON, PDF). A partner liaison sees only the packages sent to
their own organisation, and nothing else of the case.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from movilidad.audit.services import record_event
from movilidad.cases.errors import CaseChanged, TransitionNotAllowed
from movilidad.cases.models import TERMINAL, Case
from movilidad.cases.repository import CaseRepository
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.clock import today_utc
from movilidad.kernel.permissions import Permission
from movilidad.referrals.models import Referral
from movilidad.referrals.pdf import package_pdf
from movilidad.referrals.recipients import Recipients
from movilidad.referrals.services import (
    ReferralDraft,
    ReferralRefused,
    record_consent,
    refer_case,
    referral_to,
    referrals_of_case,
    referrals_to,
    withdraw_consent,
)
from movilidad.web.deps import Render, UoW
from movilidad.web.security import requires, verify_csrf
from movilidad.web.staff.deps import StaffActor, require_recent_confirmation
from movilidad.web.staff.routes import _detail_page

router = APIRouter(prefix="/staff")
CsrfChecked = Depends(verify_csrf)


def _(message: str) -> str:
    return message


REFERRAL_ERRORS = {
    "not_authorised": _("This organisation does not receive that pathway from this office."),
    "no_consent": _("The household has not agreed to share its data with this organisation."),
    "government_consent": _(
        "This organisation is the government of a country of the household: it needs the "
        "household's specific consent to share with that government."
    ),
    "pathway": _("This pathway is not in force: it cannot receive referrals."),
    "changed": _(
        "Someone else changed this case while you were working. Check its new status below."
    ),
    "not_allowed": _("The case cannot be referred from its current status."),
    "choose": _("Choose an organisation and a pathway."),
    "closed": _("This case is closed: nothing more can be shared."),
}


def _recipients(request: Request) -> Recipients:
    recipients: Recipients = request.app.state.recipients
    return recipients


def _case(uow: UoW, actor: StaffActor, permission: Permission, reference: str) -> Case:
    case = CaseRepository(uow.session).get_case_in_scope(actor.scope(permission), reference[:40])
    if case is None:
        raise HTTPException(status_code=404)
    return case


def _back(case: Case, anchor: str = "referrals") -> RedirectResponse:
    return RedirectResponse(f"/staff/cases/{case.display_reference}#{anchor}", status_code=303)


@router.post("/cases/{reference}/consents", name="staff.case.consent",
             dependencies=[CsrfChecked])  # fmt: skip
@requires(Permission.CASE_UPDATE)
def consent(
    request: Request,
    reference: str,
    uow: UoW,
    render: Render,
    actor: StaffActor,
    recipient_id: Annotated[str, Form(max_length=64)] = "",
    specific_government: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    """Record the household's consent, given at interview, to one recipient."""
    case = _case(uow, actor, Permission.CASE_UPDATE, reference)
    recipient = _recipients(request).get(recipient_id)
    notice = request.app.state.notices.current(today_utc())
    try:
        if recipient is None:
            raise ReferralRefused("choose")
        if case.status in TERMINAL:
            raise ReferralRefused("closed")
        record_consent(uow, case, recipient, notice_version=notice.version,
                       specific_government=specific_government == "1",
                       staff_id=actor.staff_user_id)  # fmt: skip
    except ReferralRefused as refused:
        return _detail_page(request, uow, render, actor, case, status_code=400,
                            referral_error=REFERRAL_ERRORS[refused.reason])  # fmt: skip
    return _back(case)


@router.post("/cases/{reference}/consents/{consent_id}/withdraw",
             name="staff.case.consent.withdraw", dependencies=[CsrfChecked])  # fmt: skip
@requires(Permission.CASE_UPDATE)
def consent_withdraw(
    request: Request, reference: str, consent_id: str, uow: UoW, actor: StaffActor
) -> Response:
    """The household withdrew a consent (packages already sent stay on record)."""
    case = _case(uow, actor, Permission.CASE_UPDATE, reference)
    if not (consent_id.isascii() and consent_id.isdigit()) or len(consent_id) > 12:
        raise HTTPException(status_code=404)
    if not withdraw_consent(uow, case, int(consent_id), staff_id=actor.staff_user_id):
        raise HTTPException(status_code=404)
    return _back(case)


@router.post("/cases/{reference}/referrals", name="staff.case.refer",
             dependencies=[CsrfChecked])  # fmt: skip
@requires(Permission.CASE_TRANSITION)
def refer(
    request: Request,
    reference: str,
    uow: UoW,
    render: Render,
    actor: StaffActor,
    target: Annotated[str, Form(max_length=140)] = "",
    version: Annotated[int, Form(ge=0)] = 0,
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Refer the case: ``target`` is ``<recipient id>|<pathway id>``."""
    case = _case(uow, actor, Permission.CASE_TRANSITION, reference)
    recipient_id, _sep, pathway_id = target.partition("|")
    recipient = _recipients(request).get(recipient_id)
    error: str | None = None
    try:
        if recipient is None or not pathway_id or request.app.state.catalogue is None:
            raise ReferralRefused("choose")
        refer_case(
            uow, case, ReferralDraft(recipient, pathway_id), catalogue=request.app.state.catalogue,
            as_of=request.app.state.settings.screening_day(), expected_version=version,
            staff_id=actor.staff_user_id, permissions=actor.permissions, note=note,
            request_id=request.state.request_id,
        )  # fmt: skip
    except ReferralRefused as refused:
        error = refused.reason
    except CaseChanged:
        error = "changed"
    except TransitionNotAllowed:
        error = "not_allowed"
    if error is not None:
        uow.rollback()
        fresh = _case(uow, actor, Permission.CASE_READ, reference)
        return _detail_page(
            request, uow, render, actor, fresh, referral_error=REFERRAL_ERRORS[error],
            status_code=409 if error == "changed" else 400,
        )  # fmt: skip
    return _back(case)


def _export(
    request: Request, uow: UoW, actor: StaffActor, referral: Referral, kind: str
) -> Response:
    require_recent_confirmation(request, uow)
    record_event(
        uow.session, action="referral.export", object_type="referral", object_id=referral.id,
        actor_kind=ActorKind.STAFF, actor_staff_id=actor.staff_user_id,
        office_id=referral.case.office_id, request_id=request.state.request_id,
        detail={"format": kind, "case": referral.case_id},
    )  # fmt: skip
    headers = {"Cache-Control": "no-store"}
    name = f"referral-{referral.package['case_reference']}-{referral.id}"
    if kind == "pdf":
        recipient = _recipients(request).get(referral.recipient_id)
        body = package_pdf(referral.package, recipient.name("en") if recipient else "")
        headers["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return Response(body, media_type="application/pdf", headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{name}.json"'
    text = json.dumps(referral.package, ensure_ascii=False, indent=2, sort_keys=True)
    return Response(text, media_type="application/json", headers=headers)


def _case_referral(uow: UoW, case: Case, referral_id: str) -> Referral:
    found = next((r for r in referrals_of_case(uow, case.id) if str(r.id) == referral_id), None)
    if found is None:
        raise HTTPException(status_code=404)
    return found


@router.get("/cases/{reference}/referrals/{referral_id}/package.pdf",
            name="staff.case.referral.pdf")  # fmt: skip
@requires(Permission.CASE_READ)
def case_referral_pdf(
    request: Request, reference: str, referral_id: str, uow: UoW, actor: StaffActor
) -> Response:
    case = _case(uow, actor, Permission.CASE_READ, reference)
    return _export(request, uow, actor, _case_referral(uow, case, referral_id), "pdf")


@router.get("/cases/{reference}/referrals/{referral_id}/package.json",
            name="staff.case.referral.json")  # fmt: skip
@requires(Permission.CASE_READ)
def case_referral_json(
    request: Request, reference: str, referral_id: str, uow: UoW, actor: StaffActor
) -> Response:
    case = _case(uow, actor, Permission.CASE_READ, reference)
    return _export(request, uow, actor, _case_referral(uow, case, referral_id), "json")


def _liaison_referral(uow: UoW, actor: StaffActor, referral_id: str) -> Referral:
    found = (
        referral_to(uow, actor.organisation, int(referral_id))
        if actor.organisation
        and referral_id.isascii()
        and referral_id.isdigit()
        and len(referral_id) < 12
        else None
    )
    if found is None:
        raise HTTPException(status_code=404)
    return found


@router.get("/referrals", name="staff.referral.list", response_class=HTMLResponse)
@requires(Permission.REFERRAL_READ)
def referral_list(request: Request, uow: UoW, render: Render, actor: StaffActor) -> HTMLResponse:
    """The packages sent to the liaison's organisation, newest first."""
    referrals = referrals_to(uow, actor.organisation) if actor.organisation else []
    recipient = _recipients(request).get(actor.organisation or "")
    return render.render(
        request, "staff/referrals/list.html",
        {"referrals": referrals,
         "organisation": recipient.name(request.state.language) if recipient else ""},
    )  # fmt: skip


@router.get("/referrals/{referral_id}", name="staff.referral.detail", response_class=HTMLResponse)
@requires(Permission.REFERRAL_READ)
def referral_detail(
    request: Request, referral_id: str, uow: UoW, render: Render, actor: StaffActor
) -> HTMLResponse:
    """One package as the organisation received it (the view is recorded)."""
    referral = _liaison_referral(uow, actor, referral_id)
    require_recent_confirmation(request, uow)
    record_event(
        uow.session, action="referral.view", object_type="referral", object_id=referral.id,
        actor_kind=ActorKind.STAFF, actor_staff_id=actor.staff_user_id,
        office_id=referral.case.office_id, request_id=request.state.request_id,
        detail={"purpose": "receiving organisation", "case": referral.case_id},
    )  # fmt: skip
    package: dict[str, Any] = referral.package
    response = render.render(request, "staff/referrals/detail.html",
                             {"referral": referral, "package": package})  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/referrals/{referral_id}/package.pdf", name="staff.referral.pdf")
@requires(Permission.REFERRAL_READ)
def referral_pdf(request: Request, referral_id: str, uow: UoW, actor: StaffActor) -> Response:
    return _export(request, uow, actor, _liaison_referral(uow, actor, referral_id), "pdf")


@router.get("/referrals/{referral_id}/package.json", name="staff.referral.json")
@requires(Permission.REFERRAL_READ)
def referral_json(request: Request, referral_id: str, uow: UoW, actor: StaffActor) -> Response:
    return _export(request, uow, actor, _liaison_referral(uow, actor, referral_id), "json")
