"""Screening: which pathways a household may fit on a date, and why."""
