"""Consent: versioned privacy notices and the record of who agreed to which version."""
