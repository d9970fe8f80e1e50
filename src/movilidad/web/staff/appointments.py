"""Staff: the day's agenda per office and interviewer, check-in, attended, no-show,
moving an appointment, and booking for a household that cannot use a phone."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/staff")
