"""The languages Movilidad is translated into, as ISO 639-1 codes.

Haitian Creole is ``ht`` (ISO 639-1; ISO 639-3 ``hat``).
"""

from __future__ import annotations

from typing import Final

SUPPORTED_LANGUAGES: Final[tuple[str, ...]] = ("es", "en", "fr", "ht", "pt")

#: Each language's name written in that language (for the language switcher).
LANGUAGE_NATIVE_NAMES: Final[dict[str, str]] = {
    "es": "Español",
    "en": "English",
    "fr": "Français",
    "ht": "Kreyòl ayisyen",
    "pt": "Português",
}


def is_supported(code: str) -> bool:
    """True when ``code`` (ISO 639-1, lower case) is one of the supported languages."""
    return code in SUPPORTED_LANGUAGES
