"""Encryption of sensitive fields at rest, and blind indexes to find them again.

* :meth:`FieldCipher.encrypt` uses AES-256-GCM (``cryptography``) with a random 96-bit
  nonce per value; the stored text is ``v1:`` + urlsafe base64 of nonce‖ciphertext‖tag.
  Tampering or a wrong key raises :class:`DecryptionError`.
* :meth:`FieldCipher.blind_index` is HMAC-SHA256 of a normalised value under a key
  derived (HKDF-SHA256) from the data key and a purpose label, so equal values can be
  looked up without decrypting and indexes for different purposes do not correlate.

Key: 32 bytes, from ``MOVILIDAD_DATA_ENCRYPTION_KEY`` (see :mod:`movilidad.config`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from movilidad.kernel.errors import MovilidadError

_PREFIX: Final = "v1:"
_NONCE_BYTES: Final = 12


class DecryptionError(MovilidadError):
    """A stored value could not be decrypted (wrong key or altered data)."""


def _derive(key: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(key)


class FieldCipher:
    """Encrypts and decrypts text fields; computes blind indexes. Thread-safe."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the data-encryption key must be 32 bytes")
        self._aead = AESGCM(_derive(key, b"movilidad field encryption v1"))
        self._index_root = _derive(key, b"movilidad blind index v1")

    def encrypt(self, plaintext: str) -> str:
        """Encrypt UTF-8 text; returns ASCII text safe to store in a column."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), None)
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, stored: str) -> str:
        """Inverse of :meth:`encrypt`. Raises :class:`DecryptionError`."""
        if not stored.startswith(_PREFIX):
            raise DecryptionError("unknown ciphertext format")
        try:
            raw = base64.urlsafe_b64decode(stored[len(_PREFIX) :].encode("ascii"))
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None)
        except (InvalidTag, ValueError) as exc:
            raise DecryptionError("the value cannot be decrypted with this key") from exc
        return plain.decode("utf-8")

    def encrypt_bytes(self, plaintext: bytes) -> bytes:
        """Encrypt a binary value (a scanned document); returns nonce‖ciphertext‖tag."""
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, None)

    def decrypt_bytes(self, stored: bytes) -> bytes:
        """Inverse of :meth:`encrypt_bytes`. Raises :class:`DecryptionError`."""
        try:
            return self._aead.decrypt(stored[:_NONCE_BYTES], stored[_NONCE_BYTES:], None)
        except (InvalidTag, ValueError) as exc:
            raise DecryptionError("the value cannot be decrypted with this key") from exc

    def blind_index(self, purpose: str, normalized_value: str) -> str:
        """Hex HMAC-SHA256 (64 chars) of an already-normalised value for ``purpose``."""
        key = hmac.new(self._index_root, purpose.encode(), hashlib.sha256).digest()
        return hmac.new(key, normalized_value.encode("utf-8"), hashlib.sha256).hexdigest()


_cipher: FieldCipher | None = None


def configure_cipher(key: bytes) -> FieldCipher:
    """Install the process-wide cipher used by encrypted columns; returns it."""
    global _cipher
    _cipher = FieldCipher(key)
    return _cipher


def get_cipher() -> FieldCipher:
    """The configured cipher. Raises ``RuntimeError`` before :func:`configure_cipher`."""
    if _cipher is None:
        raise RuntimeError("the field cipher is not configured; call configure_cipher()")
    return _cipher
