"""Synthetic demonstration data: offices, staff accounts and applicants."""
