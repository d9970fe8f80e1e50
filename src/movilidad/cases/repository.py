"""Queries over cases."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from movilidad.cases.models import Case, CaseStatus


class CaseRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_case_by_reference(self, reference: str) -> Case | None:
        """``reference`` in canonical form (see ``normalize_reference``)."""
        return self.session.scalar(select(Case).where(Case.reference == reference))

    def reference_exists(self, reference: str) -> bool:
        return (
            self.session.scalar(select(func.count()).where(Case.reference == reference)) or 0
        ) > 0

    def count_cases_by_status(self, office_id: int | None = None) -> dict[CaseStatus, int]:
        query = select(Case.status, func.count()).group_by(Case.status)
        if office_id is not None:
            query = query.where(Case.office_id == office_id)
        return {status: count for status, count in self.session.execute(query)}
