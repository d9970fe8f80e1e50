"""Scans and photos of identity documents: checked by content, cleaned, encrypted."""
