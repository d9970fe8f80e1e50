from __future__ import annotations

from datetime import UTC, datetime

import pytest

from movilidad.cases.errors import ReasonRequired, TransitionNotAllowed
from movilidad.cases.models import Case, CaseStatus, CloseReason, allowed_next
from movilidad.kernel.actors import ActorKind
from movilidad.kernel.references import new_reference
from tests.factories import make_household, make_office


def _case() -> Case:
    return Case.open(
        reference=new_reference(),
        household=make_household(),
        office=make_office(),
        now=datetime(2026, 3, 2, 14, 0, tzinfo=UTC),
    )


def test_a_new_case_is_submitted_with_its_first_event() -> None:
    case = _case()
    assert case.status is CaseStatus.SUBMITTED
    assert [(e.from_status, e.to_status) for e in case.events] == [(None, CaseStatus.SUBMITTED)]


def test_the_happy_path_reaches_travelled_and_records_every_step() -> None:
    case = _case()
    path = [
        CaseStatus.PRE_SCREENED,
        CaseStatus.INTERVIEW_SCHEDULED,
        CaseStatus.INTERVIEWED,
        CaseStatus.REFERRED,
        CaseStatus.DECISION_RECEIVED,
        CaseStatus.TRAVELLED,
    ]
    for status in path:
        pathway = "us-usrap" if status is CaseStatus.REFERRED else None
        case.transition_to(status, actor_kind=ActorKind.STAFF, actor_staff_id=7, pathway_id=pathway)
    assert case.status is CaseStatus.TRAVELLED
    assert case.referred_pathway_id == "us-usrap"
    assert [e.to_status for e in case.events][1:] == path
    assert allowed_next(CaseStatus.TRAVELLED) == frozenset()


def test_skipping_a_step_is_refused() -> None:
    case = _case()
    with pytest.raises(TransitionNotAllowed):
        case.transition_to(CaseStatus.REFERRED, actor_kind=ActorKind.STAFF)
    assert case.status is CaseStatus.SUBMITTED
    assert len(case.events) == 1


def test_closing_needs_a_reason_and_is_final() -> None:
    case = _case()
    with pytest.raises(ReasonRequired):
        case.transition_to(CaseStatus.CLOSED, actor_kind=ActorKind.STAFF)
    case.transition_to(
        CaseStatus.CLOSED, actor_kind=ActorKind.STAFF, close_reason=CloseReason.WITHDRAWN
    )
    assert case.close_reason is CloseReason.WITHDRAWN
    with pytest.raises(TransitionNotAllowed):
        case.transition_to(CaseStatus.PRE_SCREENED, actor_kind=ActorKind.STAFF)


def test_a_reason_is_only_given_when_closing() -> None:
    with pytest.raises(TransitionNotAllowed):
        _case().transition_to(
            CaseStatus.PRE_SCREENED,
            actor_kind=ActorKind.STAFF,
            close_reason=CloseReason.DUPLICATE,
        )


def test_a_missed_interview_returns_the_case_to_the_queue() -> None:
    case = _case()
    case.transition_to(CaseStatus.PRE_SCREENED, actor_kind=ActorKind.STAFF)
    case.transition_to(CaseStatus.INTERVIEW_SCHEDULED, actor_kind=ActorKind.SYSTEM)
    case.transition_to(CaseStatus.PRE_SCREENED, actor_kind=ActorKind.STAFF, note="no-show")
    assert case.status is CaseStatus.PRE_SCREENED


def test_display_reference_is_grouped() -> None:
    case = _case()
    assert case.display_reference.replace("-", "") == case.reference


def test_a_referral_names_its_pathway() -> None:
    case = _case()
    for status in (CaseStatus.PRE_SCREENED, CaseStatus.INTERVIEW_SCHEDULED, CaseStatus.INTERVIEWED):
        case.transition_to(status, actor_kind=ActorKind.STAFF)
    with pytest.raises(ReasonRequired):
        case.transition_to(CaseStatus.REFERRED, actor_kind=ActorKind.STAFF)
    with pytest.raises(TransitionNotAllowed):
        _case().transition_to(
            CaseStatus.PRE_SCREENED, actor_kind=ActorKind.STAFF, pathway_id="us-usrap"
        )
