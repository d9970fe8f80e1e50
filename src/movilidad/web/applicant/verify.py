"""The public verification page: is this message or appointment slip genuine?

Anyone may ask, without signing in. The answer says only whether the office issued
the code for that reference, when, from which office, and whether it is still valid
— never a name, a status or a result. Wrong guesses are counted per network address
(:data:`MAX_FAILURES` per 15 minutes).
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from movilidad.kernel.clock import utcnow
from movilidad.notifications.services import check_code
from movilidad.registration import status
from movilidad.web.deps import Render, UoW
from movilidad.web.security import PUBLIC, requires

router = APIRouter()
MAX_FAILURES: Final = 30


@router.get("/verify", name="applicant.verify", response_class=HTMLResponse)
@requires(PUBLIC)
def verify(
    request: Request, uow: UoW, render: Render, reference: str = "", code: str = ""
) -> HTMLResponse:
    """The form; with ``reference`` and ``code`` filled in, the answer below it."""
    form = {"reference": reference[:60], "code": code[:60]}
    context: dict[str, object] = {"form": form, "verdict": None, "error": None}
    if not reference and not code:
        return render.render(request, "applicant/verify.html", context)
    secret: bytes = request.app.state.settings.secret_key_bytes()
    address = request.client.host if request.client else "unknown"
    if status.too_many(uow, secret, "verify-ip", address, MAX_FAILURES):
        context["error"] = "wait"
        return render.render(request, "applicant/verify.html", context, status_code=429)
    if not reference.strip() or not code.strip():
        context["error"] = "both"
        return render.render(request, "applicant/verify.html", context, status_code=400)
    verdict = check_code(uow, form["reference"], form["code"], utcnow())
    if verdict.state == "unknown":
        status.note_failure(uow, secret, "verify-ip", address)
    context["verdict"] = verdict
    response = render.render(request, "applicant/verify.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response
