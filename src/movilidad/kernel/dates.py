"""Calendar dates written as ISO 8601 ``YYYY-MM-DD`` (and nothing else: Python's
``date.fromisoformat`` also takes ``20230612`` and week dates, which people do not
mean)."""

from __future__ import annotations

import re
from datetime import date
from typing import Final

ISO_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_iso_date(text: str) -> date:
    """``"2023-06-12"`` → ``date(2023, 6, 12)``. Raises ``ValueError`` for any other form
    or an impossible date (``2023-02-30``)."""
    if not isinstance(text, str) or not ISO_DATE.match(text):
        raise ValueError(f"{text!r} is not a date written YYYY-MM-DD")
    return date.fromisoformat(text)


def is_iso_date(text: object) -> bool:
    """True when ``text`` is a real date written ``YYYY-MM-DD``."""
    try:
        parse_iso_date(text)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True
