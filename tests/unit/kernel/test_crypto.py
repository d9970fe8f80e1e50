from __future__ import annotations

import os

import pytest

from movilidad.kernel.crypto import DecryptionError, FieldCipher


@pytest.fixture
def cipher() -> FieldCipher:
    return FieldCipher(os.urandom(32))


def test_round_trip_keeps_unicode(cipher: FieldCipher) -> None:
    stored = cipher.encrypt("Dieujuste Fils-Aimé, +50937001234")
    assert "Dieujuste" not in stored
    assert cipher.decrypt(stored) == "Dieujuste Fils-Aimé, +50937001234"


def test_same_value_encrypts_differently_each_time(cipher: FieldCipher) -> None:
    assert cipher.encrypt("AB123") != cipher.encrypt("AB123")


def test_altered_ciphertext_is_refused(cipher: FieldCipher) -> None:
    stored = cipher.encrypt("secret")
    altered = stored[:-2] + ("A" if stored[-2] != "A" else "B") + stored[-1]
    with pytest.raises(DecryptionError):
        cipher.decrypt(altered)


def test_another_key_cannot_decrypt(cipher: FieldCipher) -> None:
    with pytest.raises(DecryptionError):
        FieldCipher(os.urandom(32)).decrypt(cipher.encrypt("secret"))


def test_blind_index_is_deterministic_and_separated_by_purpose(cipher: FieldCipher) -> None:
    assert cipher.blind_index("phone", "+573001112233") == cipher.blind_index(
        "phone", "+573001112233"
    )
    assert cipher.blind_index("phone", "+573001112233") != cipher.blind_index(
        "email", "+573001112233"
    )


def test_key_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        FieldCipher(b"short")
