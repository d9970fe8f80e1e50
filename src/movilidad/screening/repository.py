"""Queries over screenings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from movilidad.screening.models import Screening


class ScreeningRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def list_screenings_of_case(self, case_id: int) -> list[Screening]:
        """Every screening of a case, newest first."""
        return list(
            self.session.scalars(
                select(Screening)
                .where(Screening.case_id == case_id)
                .order_by(Screening.screened_at.desc(), Screening.id.desc())
            )
        )
