"""StaffUser, Role and RoleAssignment entities.

A role is granted with a scope: one office, one country (ISO 3166-1 alpha-3), or all.
The permissions of each role are in :mod:`movilidad.kernel.permissions`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from movilidad.db.base import Base, str_enum
from movilidad.db.types import EncryptedText, UTCDateTime
from movilidad.kernel.clock import utcnow
from movilidad.kernel.permissions import Permission, RoleName, permissions_for


class Scope(StrEnum):
    OFFICE = "office"
    COUNTRY = "country"
    ALL = "all"


class Role(Base):
    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[RoleName] = mapped_column(str_enum(RoleName, "role_name"), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")


class RoleAssignment(Base):
    __tablename__ = "role_assignments"
    __table_args__ = (
        CheckConstraint(
            "(scope = 'office' AND office_id IS NOT NULL AND country IS NULL)"
            " OR (scope = 'country' AND country IS NOT NULL AND office_id IS NULL)"
            " OR (scope = 'all' AND office_id IS NULL AND country IS NULL)",
            name="scope_target",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id"))
    scope: Mapped[Scope] = mapped_column(str_enum(Scope, "scope"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    country: Mapped[str | None] = mapped_column(String(3))

    role: Mapped[Role] = relationship(lazy="joined")


class StaffUser(Base):
    """A person who works in an office. ``password_hash`` is argon2id (PHC string)."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    preferred_language: Mapped[str] = mapped_column(String(8), default="es")
    #: A partner liaison's organisation: the id of a referral recipient
    #: (``notices/recipients.yaml``); None for staff of the offices.
    organisation: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: TOTP shared secret (base32), encrypted at rest; None until enrolled.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText)
    #: Last TOTP time step accepted, so a code cannot be replayed.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assignments: Mapped[list[RoleAssignment]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def needs_second_factor(self) -> bool:
        """Every role that can see personal data must use TOTP (here: every role but
        the data analyst, who sees aggregates only)."""
        return bool(self.permissions - {Permission.REPORT_READ})

    @property
    def role_names(self) -> frozenset[RoleName]:
        return frozenset(a.role.name for a in self.assignments)

    @property
    def permissions(self) -> frozenset[Permission]:
        """Every permission granted by the user's roles (none when inactive)."""
        if not self.is_active:
            return frozenset()
        return permissions_for(self.role_names)


class StaffSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored.
    ``second_factor_at`` is set once the TOTP code was checked; a session expires after
    ``MOVILIDAD_SESSION_MAX_AGE_SECONDS`` without activity or when revoked."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    second_factor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[StaffUser] = relationship(lazy="joined")
