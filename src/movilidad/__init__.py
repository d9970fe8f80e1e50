"""Movilidad: software to run a Safe Mobility Office."""

__version__ = "0.1.0"
