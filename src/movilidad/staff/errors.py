"""Errors of the staff context."""

from __future__ import annotations

from movilidad.kernel.errors import DomainError


class UsernameTaken(DomainError):
    code = "username_taken"


class WeakPassword(DomainError):
    code = "weak_password"


class InvalidAssignment(DomainError):
    code = "invalid_assignment"
