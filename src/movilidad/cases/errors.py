"""Errors of the cases context."""

from __future__ import annotations

from movilidad.kernel.errors import DomainError


class TransitionNotAllowed(DomainError):
    code = "transition_not_allowed"


class ReasonRequired(DomainError):
    code = "reason_required"


class CaseChanged(DomainError):
    """Someone else changed the case since the form was loaded (optimistic lock)."""

    code = "case_changed"
