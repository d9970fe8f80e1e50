"""Who performs an action."""

from __future__ import annotations

from enum import StrEnum


class ActorKind(StrEnum):
    APPLICANT = "applicant"
    STAFF = "staff"
    SYSTEM = "system"
