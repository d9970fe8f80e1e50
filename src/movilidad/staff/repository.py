"""Queries over staff users and roles."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from movilidad.kernel.permissions import RoleName
from movilidad.staff.models import Role, StaffUser


class StaffRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_staff_user_by_username(self, username: str) -> StaffUser | None:
        return self.session.scalar(select(StaffUser).where(StaffUser.username == username))

    def get_role(self, name: RoleName) -> Role | None:
        return self.session.scalar(select(Role).where(Role.name == name))

    def list_staff_users(self) -> list[StaffUser]:
        return list(self.session.scalars(select(StaffUser).order_by(StaffUser.username)))
