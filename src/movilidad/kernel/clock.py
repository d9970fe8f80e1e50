"""The one source of "now". Every timestamp Movilidad stores is timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """Current instant as an aware ``datetime`` in UTC."""
    return datetime.now(UTC)


def today_utc() -> date:
    """Current calendar date in UTC (offices convert to their own zone for display)."""
    return utcnow().date()
