"""The Office entity."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from movilidad.db.base import Base
from movilidad.db.types import UTCDateTime
from movilidad.kernel.clock import utcnow
from movilidad.kernel.countries import validate_alpha3, validate_time_zone
from movilidad.kernel.errors import DomainError
from movilidad.kernel.languages import is_supported


class Office(Base):
    """A Safe Mobility Office in one city.

    ``country`` is ISO 3166-1 alpha-3; ``time_zone`` an IANA name used to show local
    times (instants are stored in UTC); ``languages`` the ISO 639-1 codes the office
    serves in, first one the office's main language.
    """

    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(3), index=True)
    city: Mapped[str] = mapped_column(String(120))
    time_zone: Mapped[str] = mapped_column(String(64))
    languages: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @classmethod
    def open(
        cls,
        *,
        code: str,
        name: str,
        country: str,
        city: str,
        time_zone: str,
        languages: list[str],
    ) -> Office:
        """Validate and build an office. Raises a :class:`DomainError` subclass."""
        if not languages or not all(is_supported(lang) for lang in languages):
            raise DomainError(f"office languages must be among the supported ones: {languages}")
        return cls(
            code=code,
            name=name,
            country=validate_alpha3(country),
            city=city,
            time_zone=validate_time_zone(time_zone),
            languages=list(languages),
        )
