from __future__ import annotations

import pytest

from movilidad.kernel.countries import InvalidCountry, InvalidTimeZone
from movilidad.kernel.errors import DomainError
from tests.factories import make_office


def test_office_validates_country_time_zone_and_languages() -> None:
    with pytest.raises(InvalidCountry):
        make_office(country="Peru")
    with pytest.raises(InvalidTimeZone):
        make_office(time_zone="America/Atlantis")
    with pytest.raises(DomainError):
        make_office(languages=["de"])
    assert make_office(languages=["es", "ht"]).languages == ["es", "ht"]
