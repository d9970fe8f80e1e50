"""Staff: the review queue of suspected duplicate registrations (identity resolution).

The intake check (:mod:`movilidad.identity.intake`) stores pairs of people who may be
registered twice. Here staff see the open pairs of their offices, highest match weight
first, compare the two records side by side with the model's reasons, and decide:
*same person* (one case is kept, the other closed as a duplicate), *different people*,
or, for supervisors, undo a decision.

A pair is visible only when both of its cases are within the actor's scope; anything
else is a 404. Every view of a pair is an audit event (ids and codes only); every
decision is one too (written by :mod:`movilidad.identity.review`). Each decision
redirects with a short code in ``?done=`` or ``?error=`` (post/redirect/get).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from movilidad.applicants.models import normalize_document_number
from movilidad.audit.services import record_event
from movilidad.i18n import country_name, format_long_date
from movilidad.identity import repository
from movilidad.identity.intake import applicant_record
from movilidad.identity.models import MatchCandidate, MatchStatus
from movilidad.identity.names import fold
from movilidad.identity.review import (
    DecisionRefused,
    decide_different_people,
    decide_same_person,
    undo_decision,
)
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.clock import utcnow
from movilidad.kernel.permissions import Permission
from movilidad.staff.actor import Actor
from movilidad.staff.models import StaffUser
from movilidad.web.deps import Render, UoW
from movilidad.web.labels import STATUS_LABELS
from movilidad.web.security import requires, verify_csrf
from movilidad.web.staff.deps import StaffActor

router = APIRouter(prefix="/staff/duplicates")
CsrfChecked = Depends(verify_csrf)
REVIEW: Final = Permission.DUPLICATE_REVIEW
UNDO: Final = Permission.DUPLICATE_UNDO


def _(message: str) -> str:
    """Mark for translation (rendered with the page's gettext)."""
    return message


BANDS: Final = {
    "likely_duplicate": _("Likely duplicate"),
    "needs_review": _("Needs review"),
}

DECISIONS: Final = {
    MatchStatus.OPEN: _("Not decided yet"),
    MatchStatus.SAME_PERSON: _("Same person"),
    MatchStatus.DIFFERENT_PEOPLE: _("Different people"),
}

#: Outcome codes of a decision, and what the page then says.
DONE: Final = {
    "same": _("Recorded as the same person. The other case is closed as a duplicate."),
    "same_left": _(
        "Recorded as the same person. The other case had already travelled or was closed, "
        "so it was left as it is."
    ),
    "different": _(
        "Recorded as different people. The pair will not be suggested again unless the "
        "details compared change."
    ),
    "undone": _(
        "The decision is undone and the pair is back in the queue. A case closed by the "
        "decision is open again, in the status it had."
    ),
}

#: Reasons a decision was refused (:class:`DecisionRefused` codes), and what the page
#: then says.
ERRORS: Final = {
    "decided": _("This pair has already been decided. Check the decision below."),
    "not_decided": _("This pair has not been decided, so there is nothing to undo."),
    "keep": _("Choose which of the two cases to keep."),
    "reopened": _(
        "The decision cannot be undone: the case it closed is no longer closed as a duplicate."
    ),
}

#: The compared fields of :func:`movilidad.identity.intake.applicant_record`, in the
#: order shown, with their labels.
FIELDS: Final = (
    ("given_names", _("Given names")),
    ("first_surname", _("First surname")),
    ("second_surname", _("Second surname")),
    ("date_of_birth", _("Date of birth")),
    ("sex", _("Sex")),
    ("nationality", _("Nationality")),
    ("phone", _("Phone")),
    ("document_number", _("Identity document number")),
)
_NAME_FIELDS: Final = frozenset({"given_names", "first_surname", "second_surname"})

SEX_LABELS: Final = {"female": _("Female"), "male": _("Male"), "other": _("Other (X)")}

#: The model's comparisons (:meth:`movilidad.identity.linkage.Design.comparisons`).
COMPARISONS: Final = {
    "given_name": _("Given names"),
    "surname": _("First surname"),
    "date_of_birth": _("Date of birth"),
    "second_surname": _("Second surname"),
    "other_given_names": _("Other given names"),
    "document": _("Identity document number"),
    "phone": _("Phone"),
    "sex": _("Sex"),
    "nationality": _("Nationality"),
}

#: The levels of the comparisons, as the model labels them.
LEVELS: Final = {
    "null": _("missing in one record"),
    "exact": _("exactly the same"),
    "one edit": _("one character different"),
    "Jaro-Winkler >= 0.92": _("very similar spelling"),
    "swapped with the other name": _("given names and surname swapped"),
    "surnames swapped": _("surnames swapped"),
    "same NYSIIS or metaphone code": _("sound the same"),
    "Jaro-Winkler >= 0.8": _("similar spelling"),
    "else": _("different"),
    "one digit, or day and month swapped": _("one digit different, or day and month swapped"),
    "two digits": _("two digits different"),
    "same year": _("same year only"),
    "All other comparisons": _("different"),
}


def _level_label(label: str) -> str:
    """The msgid describing a comparison level (the model's own label when unknown)."""
    if label.endswith(" is NULL"):
        return LEVELS["null"]
    if label.startswith("Exact match on "):
        return LEVELS["exact"]
    if label.startswith("Damerau-Levenshtein distance of "):
        return _("up to two characters different") if label.endswith("2") else LEVELS["one edit"]
    return LEVELS.get(label, label)


def parse_id(raw: str) -> int | None:
    """A database id typed as ASCII digits and small enough for an integer column;
    None for anything else (letters, other digits, a number of 2**31 or more)."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    value = int(raw)
    return value if 0 < value < 2**31 else None


def _candidate(uow: UoW, actor: Actor, raw: str, permission: Permission = REVIEW) -> MatchCandidate:
    """The candidate with id ``raw`` if both its cases are within the actor's scope for
    ``permission``; a malformed id, a missing candidate or anyone else's: 404."""
    candidate_id = parse_id(raw)
    candidate = (
        repository.get_candidate(uow.session, actor.scope(permission), candidate_id)
        if candidate_id is not None
        else None
    )
    if candidate is None:
        raise HTTPException(status_code=404)
    return candidate


def _back(candidate_id: int, **outcome: str) -> RedirectResponse:
    """Back to the pair's page with an outcome code (post/redirect/get)."""
    return RedirectResponse(f"/staff/duplicates/{candidate_id}?{urlencode(outcome)}",
                            status_code=303)  # fmt: skip


def number_formatter(language: str) -> Callable[..., str]:
    """Decimal numbers with one decimal, in the page's language (``signed``: +/−)."""
    locale = "fr" if language == "ht" else language

    def number(value: float, signed: bool = False) -> str:
        text = format_decimal(value, format="#,##0.0;-#,##0.0", locale=locale)
        return f"+{text}" if signed and round(value, 1) > 0 else text.replace("-", "−")

    return number


def _percent(number: Callable[..., str]) -> Callable[[float], str]:
    """A probability as a percentage that never rounds to a certainty it is not."""

    def percent(probability: float) -> str:
        value = probability * 100
        if value >= 99.95 and probability < 1:
            return f"> {number(99.9)} %"
        if 0 < value < 0.05:
            return f"< {number(0.1)} %"
        return f"{number(value)} %"

    return percent


def _normal(field: str, value: Any) -> str:
    """A compared value after light normalisation: case, accents, spacing and
    punctuation do not count; phone numbers by their digits."""
    if value is None:
        return ""
    text = str(value)
    if field in _NAME_FIELDS:
        return fold(text)
    if field == "document_number":
        return normalize_document_number(text)
    if field == "phone":
        return "".join(ch for ch in text if ch.isdigit())
    return " ".join(text.casefold().split())


def agreement(field: str, left: Any, right: Any) -> str:
    """``agree``, ``disagree`` or ``missing`` (in one record or both)."""
    a, b = _normal(field, left), _normal(field, right)
    if not a or not b:
        return "missing"
    return "agree" if a == b else "disagree"


@dataclass(frozen=True)
class Row:
    """One line of the side-by-side comparison."""

    label: str
    left: str
    right: str
    #: ``agree`` / ``disagree`` / ``missing``, or "" for context not compared.
    mark: str


@dataclass(frozen=True)
class Part:
    """One comparison of the model: its level and its weight (bits)."""

    label: str
    level: str
    weight: float
    tf_adjustment: float

    @property
    def total(self) -> float:
        return self.weight + self.tf_adjustment


def _parts(candidate: MatchCandidate) -> tuple[list[Part], float]:
    """The model's comparisons of the pair, and the prior (bits): the match weight is
    the prior plus every part's weight and frequency adjustment."""
    parts = []
    for item in candidate.comparisons or []:
        name = str(item.get("comparison", ""))
        parts.append(Part(
            COMPARISONS.get(name, name), _level_label(str(item.get("label", ""))),
            float(item.get("weight", 0.0)), float(item.get("tf_adjustment", 0.0)),
        ))  # fmt: skip
    prior = candidate.match_weight - sum(part.total for part in parts)
    return parts, prior


def _rows(candidate: MatchCandidate, gettext: Callable[[str], str], language: str) -> list[Row]:
    left = applicant_record(candidate.applicant)
    right = applicant_record(candidate.other_applicant)

    def shown(field: str, value: Any) -> str:
        if value in (None, ""):
            return "—"
        if field == "sex":
            return gettext(SEX_LABELS.get(str(value), str(value)))
        if field == "nationality":
            return f"{country_name(str(value), language)} ({value})"
        return str(value)

    rows = [
        Row(gettext(label), shown(field, left[field]), shown(field, right[field]),
            agreement(field, left[field], right[field]))
        for field, label in FIELDS
    ]  # fmt: skip
    case, other = candidate.case, candidate.other_case

    def office(c: Any) -> str:
        return f"{c.office.city}, {country_name(c.office.country, language)}"

    def status(c: Any) -> str:
        return gettext(STATUS_LABELS.get(str(c.status), str(c.status)))

    rows += [
        Row(gettext(_("Office")), office(case), office(other),
            "agree" if case.office_id == other.office_id else "disagree"),
        Row(gettext(_("Case status")), status(case), status(other), ""),
        Row(gettext(_("Registered")), format_long_date(case.created_at.date(), language),
            format_long_date(other.created_at.date(), language), ""),
    ]  # fmt: skip
    return rows


@router.get("", name="staff.duplicates", response_class=HTMLResponse)
@requires(REVIEW)
def queue(
    request: Request,
    uow: UoW,
    render: Render,
    actor: StaffActor,
    band: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    """The open pairs of the actor's offices, highest match weight first."""
    chosen = band if band in BANDS else ""
    scope = actor.scope(REVIEW)
    candidates = repository.open_candidates(uow.session, scope, band=chosen)
    record_event(
        uow.session, action="identity.match.list", object_type="match_candidate",
        object_id="*", actor_kind=ActorKind.STAFF, actor_staff_id=actor.staff_user_id,
        request_id=request.state.request_id,
        detail={"count": len(candidates), "band": chosen or "any"},
    )  # fmt: skip
    number = number_formatter(request.state.language)
    return render.render(
        request, "staff/duplicates/list.html",
        {"candidates": candidates, "band": chosen, "bands": BANDS, "number": number,
         "percent": _percent(number), "total": repository.count_open(uow.session, scope),
         "limit": repository.QUEUE_SIZE},
    )  # fmt: skip


@router.get("/{candidate_id}", name="staff.duplicates.detail", response_class=HTMLResponse)
@requires(REVIEW)
def candidate_detail(
    request: Request,
    uow: UoW,
    render: Render,
    actor: StaffActor,
    candidate_id: str,
    done: Annotated[str, Query(max_length=20)] = "",
    error: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """The two records side by side, the model's reasons, and the decision forms."""
    candidate = _candidate(uow, actor, candidate_id)
    record_event(
        uow.session, action="identity.match.view", object_type="match_candidate",
        object_id=candidate.id, actor_kind=ActorKind.STAFF, actor_staff_id=actor.staff_user_id,
        office_id=candidate.case.office_id, request_id=request.state.request_id,
        detail={"purpose": "duplicate_review",
                "cases": [candidate.case_id, candidate.other_case_id]},
    )  # fmt: skip
    gettext = render.gettext(request)
    number = number_formatter(request.state.language)
    parts, prior = _parts(candidate)
    decider = (
        uow.session.get(StaffUser, candidate.decided_by_staff_id)
        if candidate.decided_by_staff_id is not None
        else None
    )
    return render.render(
        request, "staff/duplicates/detail.html",
        {"candidate": candidate, "rows": _rows(candidate, gettext, request.state.language),
         "parts": parts, "prior": prior, "number": number, "percent": _percent(number),
         "band_label": BANDS.get(candidate.band, candidate.band),
         "decision_label": DECISIONS[candidate.status],
         "decider": decider.full_name if decider is not None else "",
         "is_open": candidate.status is MatchStatus.OPEN,
         "can_undo": actor.can(UNDO) and candidate.status is not MatchStatus.OPEN,
         "done": DONE.get(done), "error": ERRORS.get(error)},
    )  # fmt: skip


@router.post("/{candidate_id}/same", name="staff.duplicates.same", dependencies=[CsrfChecked])
@requires(REVIEW)
def same_person(
    request: Request,
    uow: UoW,
    actor: StaffActor,
    candidate_id: str,
    keep_case_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """The two records are one person: keep the chosen case, close the other one as a
    duplicate."""
    candidate = _candidate(uow, actor, candidate_id)
    found = candidate.id
    keep = parse_id(keep_case_id.strip())
    try:
        decide_same_person(
            uow, candidate, keep_case_id=keep if keep is not None else 0,
            staff_id=actor.staff_user_id, now=utcnow(), request_id=request.state.request_id,
        )  # fmt: skip
    except DecisionRefused as refused:
        uow.rollback()
        return _back(found, error=refused.reason)
    return _back(found, done="same" if candidate.closed_case_id is not None else "same_left")


@router.post("/{candidate_id}/different", name="staff.duplicates.different",
             dependencies=[CsrfChecked])  # fmt: skip
@requires(REVIEW)
def different_people(request: Request, uow: UoW, actor: StaffActor, candidate_id: str) -> Response:
    """The two records are two people: the pair leaves the queue."""
    candidate = _candidate(uow, actor, candidate_id)
    found = candidate.id
    try:
        decide_different_people(uow, candidate, staff_id=actor.staff_user_id, now=utcnow(),
                                request_id=request.state.request_id)  # fmt: skip
    except DecisionRefused as refused:
        uow.rollback()
        return _back(found, error=refused.reason)
    return _back(found, done="different")


@router.post("/{candidate_id}/undo", name="staff.duplicates.undo", dependencies=[CsrfChecked])
@requires(UNDO)
def undo(request: Request, uow: UoW, actor: StaffActor, candidate_id: str) -> Response:
    """Supervisors: open the pair again; a case its decision closed is reopened."""
    if not actor.can(UNDO):  # also refused by the route's requirement
        raise HTTPException(status_code=404)
    candidate = _candidate(uow, actor, candidate_id, UNDO)
    found = candidate.id
    try:
        undo_decision(uow, candidate, staff_id=actor.staff_user_id, now=utcnow(),
                      request_id=request.state.request_id)  # fmt: skip
    except DecisionRefused as refused:
        uow.rollback()
        return _back(found, error=refused.reason)
    return _back(found, done="undone")
