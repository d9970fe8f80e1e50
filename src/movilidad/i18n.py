"""Translations from the gettext catalogues under ``locale/`` (Babel).

Catalogues are read from ``locale/<lang>/LC_MESSAGES/movilidad.po`` at start-up and
compiled in memory, so no build step is needed. Source strings (msgids) are English.
Dates and country names are localised with Babel's CLDR data.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

import pycountry
from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from movilidad.kernel.errors import ConfigError
from movilidad.kernel.languages import SUPPORTED_LANGUAGES

DOMAIN = "movilidad"


@dataclass(frozen=True)
class Catalogues:
    """The loaded translations of every supported language."""

    by_language: dict[str, NullTranslations]

    def get(self, language: str) -> NullTranslations:
        return self.by_language[language]


def load_catalogues(locale_dir: Path) -> Catalogues:
    """Read and compile ``<locale_dir>/<lang>/LC_MESSAGES/movilidad.po`` for each language.

    Raises :class:`ConfigError` (``MOVILIDAD_LOCALE_DIR``) when a catalogue is missing
    or does not parse.
    """
    loaded: dict[str, NullTranslations] = {}
    for language in SUPPORTED_LANGUAGES:
        path = locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        try:
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=language, domain=DOMAIN)
        except OSError:
            raise ConfigError("MOVILIDAD_LOCALE_DIR", f"missing catalogue {path}") from None
        except Exception as exc:
            raise ConfigError("MOVILIDAD_LOCALE_DIR", f"{path} does not parse: {exc}") from None
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        buffer.seek(0)
        loaded[language] = Translations(buffer, domain=DOMAIN)
    return Catalogues(loaded)


#: CLDR has no Haitian Creole country names; these are the countries of the region
#: and of the pathways, as written in Haitian Creole (others fall back to French).
_HT_COUNTRIES: dict[str, str] = {
    "ARG": "Ajantin",
    "BLZ": "Beliz",
    "BOL": "Bolivi",
    "FRA": "Frans",
    "GUY": "Giyàn",
    "JAM": "Jamayik",
    "PRY": "Paragwe",
    "SUR": "Sirinam",
    "TTO": "Trinidad ak Tobago",
    "URY": "Irigwe",
    "BRA": "Brezil",
    "CAN": "Kanada",
    "CHL": "Chili",
    "COL": "Kolonbi",
    "CRI": "Kosta Rika",
    "CUB": "Kiba",
    "DOM": "Repiblik Dominikèn",
    "ECU": "Ekwatè",
    "ESP": "Espay",
    "GTM": "Gwatemala",
    "HND": "Ondiras",
    "HTI": "Ayiti",
    "MEX": "Meksik",
    "NIC": "Nikaragwa",
    "PAN": "Panama",
    "PER": "Pewou",
    "SLV": "Salvadò",
    "USA": "Etazini",
    "VEN": "Venezwela",
}
_HT_MONTHS = (
    "janvye",
    "fevriye",
    "mas",
    "avril",
    "me",
    "jen",
    "jiyè",
    "out",
    "septanm",
    "oktòb",
    "novanm",
    "desanm",
)


_HT_WEEKDAYS: Final = ("lendi", "madi", "mèkredi", "jedi", "vandredi", "samdi", "dimanch")


def country_name(alpha3: str, language: str) -> str:
    """The country's name in ``language``, e.g. ``COL`` → ``Colombia`` (es), ``Kolonbi`` (ht).

    CLDR names via Babel; Haitian Creole from a curated list, then French. Falls back to
    the ISO 3166 English name, then to the code itself.
    """
    country = pycountry.countries.get(alpha_3=alpha3)
    if country is None:
        return alpha3
    if language == "ht":
        if alpha3 in _HT_COUNTRIES:
            return _HT_COUNTRIES[alpha3]
        language = "fr"
    localized: str | None = Locale.parse(language).territories.get(country.alpha_2)
    return localized or str(country.name)


def format_long_date(value: date, language: str) -> str:
    """A calendar date written out for people: ``4 de marzo de 2026``, ``4 mas 2026``."""
    if language == "ht":
        return f"{value.day} {_HT_MONTHS[value.month - 1]} {value.year}"
    return format_date(value, format="long", locale=language)


def format_local_time(instant: datetime, zone: str, language: str, *, short: bool = False) -> str:
    """An instant (aware) written in the local time of IANA ``zone`` for people, on a
    24-hour clock: ``jueves 3 de diciembre de 2026, 09:30``; ``short`` drops the year
    and abbreviates (``jue, 3 de diciembre, 09:30``), for text messages."""
    local = instant.astimezone(ZoneInfo(zone))
    day = local.date()
    if language == "ht":
        weekday = _HT_WEEKDAYS[day.weekday()]
        written = (
            f"{day.day} {_HT_MONTHS[day.month - 1]}" if short else format_long_date(day, language)
        )
        return f"{weekday} {written}, {local:%H:%M}"
    if short:
        return f"{format_skeleton('MMMMEEEEd', day, locale=language)}, {local:%H:%M}"
    weekday = format_date(day, format="EEEE", locale=language)
    return f"{weekday} {format_long_date(day, language)}, {local:%H:%M}"


def parse_accept_language(header: str) -> list[str]:
    """Supported languages named in an ``Accept-Language`` header, best first.

    ``"fr-CA,fr;q=0.9,en;q=0.5"`` → ``["fr", "en"]``. Malformed parts are ignored.
    """
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        primary = tag.strip().split("-")[0].lower()
        if primary in SUPPORTED_LANGUAGES and quality > 0:
            weighted.append((-quality, position, primary))
    result: list[str] = []
    for _, _, language in sorted(weighted):
        if language not in result:
            result.append(language)
    return result


def collation_key(text: str) -> str:
    """Sort key that ignores accents and case (``État`` sorts with ``Etat``, before
    ``Venezuela``): a simple stand-in for locale collation, enough for country lists."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
