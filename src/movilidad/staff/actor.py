"""The signed-in staff member as the rest of the code sees them: permissions and, for
each permission, the offices whose records it reaches."""

from __future__ import annotations

from dataclasses import dataclass, field

from movilidad.kernel.permissions import ROLE_PERMISSIONS, Permission
from movilidad.staff.models import Scope, StaffUser


@dataclass(frozen=True)
class ScopeSet:
    """Where a permission applies: everywhere, or some offices and/or countries."""

    everywhere: bool = False
    office_ids: frozenset[int] = frozenset()
    countries: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.everywhere or self.office_ids or self.countries)


@dataclass(frozen=True)
class Actor:
    staff_user_id: int
    username: str
    full_name: str
    permissions: frozenset[Permission]
    scopes: dict[Permission, ScopeSet] = field(default_factory=dict)
    #: The recipient organisation a partner liaison works for (None for office staff).
    organisation: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def scope(self, permission: Permission) -> ScopeSet:
        """Where ``permission`` applies (empty when the actor lacks it)."""
        return self.scopes.get(permission, ScopeSet())

    @classmethod
    def of(cls, user: StaffUser) -> Actor:
        """Build from a user's role assignments: each assignment grants its role's
        permissions within its own scope (office, country or all)."""
        everywhere: set[Permission] = set()
        offices: dict[Permission, set[int]] = {}
        countries: dict[Permission, set[str]] = {}
        granted: set[Permission] = set()
        if user.is_active:
            for assignment in user.assignments:
                for permission in ROLE_PERMISSIONS[assignment.role.name]:
                    granted.add(permission)
                    if assignment.scope is Scope.ALL:
                        everywhere.add(permission)
                    elif assignment.scope is Scope.OFFICE and assignment.office_id is not None:
                        offices.setdefault(permission, set()).add(assignment.office_id)
                    elif assignment.country is not None:
                        countries.setdefault(permission, set()).add(assignment.country)
        scopes = {
            permission: ScopeSet(
                permission in everywhere,
                frozenset(offices.get(permission, ())),
                frozenset(countries.get(permission, ())),
            )
            for permission in granted
        }
        return cls(
            user.id, user.username, user.full_name, frozenset(scopes), scopes, user.organisation
        )
