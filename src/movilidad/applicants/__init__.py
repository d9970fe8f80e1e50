"""Applicants: the people who apply, with their identity documents."""
