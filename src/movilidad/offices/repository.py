"""Queries over offices."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from movilidad.offices.models import Office


class OfficeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, office: Office) -> Office:
        self.session.add(office)
        return office

    def get_office_by_code(self, code: str) -> Office | None:
        return self.session.scalar(select(Office).where(Office.code == code))

    def list_offices(self, country: str | None = None) -> list[Office]:
        query = select(Office).order_by(Office.country, Office.city, Office.name)
        if country is not None:
            query = query.where(Office.country == country)
        return list(self.session.scalars(query))
