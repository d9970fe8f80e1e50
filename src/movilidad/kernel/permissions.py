"""THE Permission enum and the one map from role to permissions.

Values are ``area:resource:action``. Routes and services declare the permission they
need; a role grants exactly the permissions listed in :data:`ROLE_PERMISSIONS`. Deny by
default: a permission not listed for a role is refused.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Permission(StrEnum):
    CASE_READ = "cases:case:read"
    CASE_UPDATE = "cases:case:update"
    CASE_TRANSITION = "cases:case:transition"
    CASE_BULK_CLOSE = "cases:case:bulk-close"
    APPOINTMENT_MANAGE = "appointments:appointment:manage"
    WINDOW_MANAGE = "appointments:window:manage"
    APPLICANT_READ = "applicants:applicant:read"
    DUPLICATE_REVIEW = "identity:match:review"
    DUPLICATE_UNDO = "identity:match:undo"
    INDICATOR_READ = "identity:indicator:read"
    DOCUMENT_VIEW = "applicants:document:view"
    REFERRAL_READ = "referrals:referral:read"
    REPORT_READ = "reporting:aggregate:read"
    USER_MANAGE = "admin:user:manage"
    CONFIG_MANAGE = "admin:config:manage"
    AUDIT_READ = "audit:event:read"
    JOB_READ = "admin:job:read"


class RoleName(StrEnum):
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    OFFICE_MANAGER = "office_manager"
    PARTNER_LIAISON = "partner_liaison"
    DATA_ANALYST = "data_analyst"
    ADMINISTRATOR = "administrator"


_CASEWORK: Final = frozenset(
    {
        Permission.CASE_READ,
        Permission.CASE_UPDATE,
        Permission.CASE_TRANSITION,
        Permission.APPLICANT_READ,
        Permission.DOCUMENT_VIEW,
        Permission.APPOINTMENT_MANAGE,
        Permission.DUPLICATE_REVIEW,
    }
)

ROLE_PERMISSIONS: Final[dict[RoleName, frozenset[Permission]]] = {
    RoleName.CASEWORKER: _CASEWORK,
    RoleName.SUPERVISOR: _CASEWORK
    | {
        Permission.CASE_BULK_CLOSE,
        Permission.AUDIT_READ,
        Permission.WINDOW_MANAGE,
        Permission.DUPLICATE_UNDO,
        Permission.INDICATOR_READ,
    },
    RoleName.OFFICE_MANAGER: _CASEWORK
    | {
        Permission.CASE_BULK_CLOSE,
        Permission.AUDIT_READ,
        Permission.REPORT_READ,
        Permission.WINDOW_MANAGE,
        Permission.DUPLICATE_UNDO,
        Permission.INDICATOR_READ,
    },
    RoleName.PARTNER_LIAISON: frozenset({Permission.REFERRAL_READ}),
    RoleName.DATA_ANALYST: frozenset({Permission.REPORT_READ}),
    RoleName.ADMINISTRATOR: frozenset(
        {
            Permission.USER_MANAGE,
            Permission.CONFIG_MANAGE,
            Permission.AUDIT_READ,
            Permission.JOB_READ,
        }
    ),
}


def permissions_for(roles: set[RoleName] | frozenset[RoleName]) -> frozenset[Permission]:
    """Union of the permissions granted by ``roles`` (empty set: no permission)."""
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)
