"""Supervisors: an office's booking mode, its request windows, the allocation run and
its published report."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/staff")
