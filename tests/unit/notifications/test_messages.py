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
