"""Applicant pages: landing, privacy notice and consent, the pre-check."""
