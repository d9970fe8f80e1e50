"""Notification texts: in the applicant's language, pointing to the verification page,
never carrying the access code."""

from __future__ import annotations

import pytest

from movilidad.config import PROJECT_ROOT
from movilidad.i18n import load_catalogues
from movilidad.kernel.languages import SUPPORTED_LANGUAGES
from movilidad.notifications.messages import compose
from movilidad.notifications.models import NotificationKind

CATALOGUES = load_catalogues(PROJECT_ROOT / "locale")


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("kind", list(NotificationKind))
def test_every_message_names_the_case_and_the_verification_page(
    language: str, kind: NotificationKind
) -> None:
    text = compose(CATALOGUES, kind=kind.value, language=language, reference="ABC-DEF-GHJ",
                   verification_code="K7QM-2XPA", base_url="https://smo.example/")  # fmt: skip
    assert "ABC-DEF-GHJ" in text.subject
    assert "ABC-DEF-GHJ" in text.body
    assert "https://smo.example/verify" in text.body
    assert "K7QM-2XPA" in text.body
    assert "https://smo.example/status" in text.body
    assert len(text.body) < 400


def test_the_same_message_reads_differently_in_each_language() -> None:
    bodies = {
        compose(CATALOGUES, kind="registration_received", language=language,
                reference="ABC-DEF-GHJ", verification_code="K7QM-2XPA",
                base_url="https://smo.example").body
        for language in SUPPORTED_LANGUAGES
    }  # fmt: skip
    assert len(bodies) == len(SUPPORTED_LANGUAGES)


def test_addresses_are_masked_in_development_logs() -> None:
    from movilidad.notifications.senders import mask

    assert mask("+573105550199") == "+57*******199"
    assert mask("yorgelis@example.org") == "y***@example.org"


APPOINTMENT = {
    "starts_at": "2026-12-01T14:00:00+00:00",  # 08:00 in Guatemala City (UTC−6)
    "time_zone": "America/Guatemala",
    "place": "Ciudad de Guatemala",
    "deadline": "2026-11-30T20:37:00+00:00",
}


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize(
    "kind", [k for k in NotificationKind if k.value.startswith("appointment_")]
)
def test_appointment_messages_give_the_local_time_and_place_briefly(
    language: str, kind: NotificationKind
) -> None:
    text = compose(CATALOGUES, kind=kind.value, language=language, reference="ABC-DEF-GHJ",
                   verification_code="K7QM-2XPA", base_url="https://smo.example",
                   params=APPOINTMENT)  # fmt: skip
    assert "08:00" in text.body  # the office's wall time, not UTC (14:00)
    assert "14:00" not in text.body
    if kind is not NotificationKind.APPOINTMENT_CANCELLED:
        assert "Ciudad de Guatemala" in text.body
    if kind is NotificationKind.APPOINTMENT_OFFERED:
        assert "14:37" in text.body  # the confirmation deadline, local
    assert "{" not in text.body
    assert len(text.body) <= 400
