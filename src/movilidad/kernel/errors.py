"""Base error types. Contexts subclass :class:`DomainError`; none carries an HTTP code."""

from __future__ import annotations


class MovilidadError(Exception):
    """Root of every error Movilidad raises on purpose."""


class ConfigError(MovilidadError):
    """A setting is missing or invalid.

    ``setting`` is the environment variable name (e.g. ``MOVILIDAD_DATABASE_URL``);
    ``str(error)`` is one line naming it, suitable for a start-up message.
    """

    def __init__(self, setting: str, reason: str) -> None:
        self.setting = setting
        self.reason = reason
        super().__init__(f"{setting}: {reason}")


class DomainError(MovilidadError):
    """A business rule refused an operation. ``code`` is stable and translatable."""

    code: str = "domain_error"


class NotFound(DomainError):
    """The thing does not exist, or the actor may not know that it exists."""

    code = "not_found"


class InvalidReference(DomainError):
    """A reference code is malformed or its check character does not match."""

    code = "invalid_reference"
