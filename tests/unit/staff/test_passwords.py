from __future__ import annotations

import pytest

from movilidad.staff.errors import WeakPassword
from movilidad.staff.passwords import hash_password, needs_rehash, verify_password


def test_hash_is_argon2id_and_verifies() -> None:
    hashed = hash_password("maracuyá y guayaba")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "maracuyá y guayaba")
    assert not verify_password(hashed, "maracuya y guayaba")
    assert not needs_rehash(hashed)


def test_garbage_hash_never_raises() -> None:
    assert not verify_password("not a hash", "anything at all")


def test_short_passwords_are_refused() -> None:
    with pytest.raises(WeakPassword):
        hash_password("elevenchars")
