"""ISO 3166-1 alpha-3 country codes and IANA time zones, validated with pycountry/zoneinfo."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pycountry

from movilidad.kernel.errors import DomainError


class InvalidCountry(DomainError):
    code = "invalid_country"


class InvalidTimeZone(DomainError):
    code = "invalid_time_zone"


@lru_cache(maxsize=1)
def _alpha3_codes() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.countries)


def validate_alpha3(code: str) -> str:
    """Return ``code`` if it is an ISO 3166-1 alpha-3 code (upper case), else raise
    :class:`InvalidCountry`."""
    if code not in _alpha3_codes():
        raise InvalidCountry(f"{code!r} is not an ISO 3166-1 alpha-3 country code")
    return code


def validate_time_zone(name: str) -> str:
    """Return ``name`` if it is an IANA time zone (e.g. ``America/Bogota``), else raise
    :class:`InvalidTimeZone`."""
    if name not in available_timezones():
        raise InvalidTimeZone(f"{name!r} is not an IANA time zone")
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError:
        raise InvalidTimeZone(f"{name!r} is not an IANA time zone") from None
    return name
