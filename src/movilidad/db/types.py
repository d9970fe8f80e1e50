"""Portable column types: aware UTC timestamps, encrypted text, JSON and binary."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, LargeBinary, Text
from sqlalchemy.types import TypeDecorator

from movilidad.kernel.crypto import get_cipher


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; always returns aware UTC (SQLite drops the zone).

    Naive datetimes are refused with ``ValueError``: every instant must carry its zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware UTC datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EncryptedText(TypeDecorator[str]):
    """Text encrypted at rest with the process-wide :class:`~movilidad.kernel.crypto.FieldCipher`.

    The database only ever sees ciphertext; pair the column with a blind index column
    when it must be searched.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else get_cipher().encrypt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else get_cipher().decrypt(str(value))


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value encrypted at rest (drafts holding names, phones, document numbers).

    Rows written before a column became encrypted hold plain JSON text; they are read
    as such and encrypted on their next write.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return get_cipher().encrypt(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        text = value if isinstance(value, str) else json.dumps(value)
        if text.startswith("v1:"):
            text = get_cipher().decrypt(text)
        return json.loads(text)


class EncryptedBytes(TypeDecorator[bytes]):
    """Binary data (an uploaded scan) encrypted at rest with AES-256-GCM."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else get_cipher().encrypt_bytes(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> bytes | None:
        return None if value is None else get_cipher().decrypt_bytes(bytes(value))
