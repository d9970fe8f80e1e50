"""Shared building blocks with no framework dependency: ids, references, clock, errors."""
