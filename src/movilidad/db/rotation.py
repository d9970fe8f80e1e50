"""Re-encrypting every encrypted field under a new data-encryption key.

Every column typed :class:`~movilidad.db.types.EncryptedText`,
:class:`~movilidad.db.types.EncryptedJSON` or :class:`~movilidad.db.types.EncryptedBytes`
is read with the old key and written with the new one, and every blind index is
computed again (they are keyed by the data key too), in one transaction: either all
rows move to the new key or none does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, LargeBinary, Table, Text, delete, select, update
from sqlalchemy.sql.expression import type_coerce

from movilidad.db.base import Base
from movilidad.db.types import EncryptedBytes, EncryptedJSON, EncryptedText
from movilidad.kernel.crypto import FieldCipher

#: Blind indexes: (table, index column) → (source column, purpose, normaliser).
BLIND_INDEXES: dict[tuple[str, str], tuple[str, str, Callable[[str], str]]] = {}


def _register_blind_indexes() -> None:
    from movilidad.applicants.models import (
        DOCUMENT_INDEX,
        EMAIL_INDEX,
        PHONE_INDEX,
        normalize_document_number,
    )
    from movilidad.notifications.services import CODE_INDEX, normalize_code

    BLIND_INDEXES.update({
        ("applicants", "phone_index"): ("phone", PHONE_INDEX, lambda v: v),
        ("applicants", "email_index"): ("email", EMAIL_INDEX, lambda v: v),
        ("identity_documents", "number_index"): ("number", DOCUMENT_INDEX,
                                                 normalize_document_number),
        ("verification_codes", "code_index"): ("code", CODE_INDEX, normalize_code),
    })  # fmt: skip


@dataclass
class RotationReport:
    #: "table.column" → number of values re-encrypted.
    fields: dict[str, int] = field(default_factory=dict)
    #: "table.column" → number of blind index values recomputed.
    indexes: dict[str, int] = field(default_factory=dict)


def _encrypted_columns(table: Table) -> list[str]:
    kinds = (EncryptedText, EncryptedJSON, EncryptedBytes)
    return [c.name for c in table.columns if isinstance(c.type, kinds)]


def rotate_data_key(connection: Connection, old: FieldCipher, new: FieldCipher) -> RotationReport:
    """Re-encrypt all encrypted columns and recompute all blind indexes on
    ``connection`` (the caller commits). Raises
    :class:`~movilidad.kernel.crypto.DecryptionError` if a value does not decrypt with
    ``old`` (then nothing must be committed)."""
    import movilidad.db.models  # noqa: F401 - every table in Base.metadata

    if not BLIND_INDEXES:
        _register_blind_indexes()
    report = RotationReport()
    for table in Base.metadata.sorted_tables:
        columns = _encrypted_columns(table)
        if not columns:
            continue
        key = table.primary_key.columns.values()[0]
        raw = [
            type_coerce(table.c[name], LargeBinary if isinstance(table.c[name].type, EncryptedBytes)
                        else Text).label(name)
            for name in columns
        ]  # fmt: skip
        indexes = {ix: spec for (tname, ix), spec in BLIND_INDEXES.items() if tname == table.name}
        for row in connection.execute(select(key, *raw)).mappings():
            values: dict[str, object] = {}
            plain: dict[str, str] = {}
            for name in columns:
                stored = row[name]
                if stored is None:
                    continue
                kind = table.c[name].type
                if isinstance(kind, EncryptedBytes):
                    values[name] = new.encrypt_bytes(old.decrypt_bytes(bytes(stored)))
                else:
                    text = str(stored)
                    if isinstance(kind, EncryptedJSON) and not text.startswith("v1:"):
                        clear = json.dumps(json.loads(text), ensure_ascii=False, sort_keys=True)
                    else:
                        clear = old.decrypt(text)
                    plain[name] = clear
                    values[name] = new.encrypt(clear)
                label = f"{table.name}.{name}"
                report.fields[label] = report.fields.get(label, 0) + 1
            for index_column, (source, purpose, normalise) in indexes.items():
                if source in plain:
                    values[index_column] = new.blind_index(purpose, normalise(plain[source]))
                    label = f"{table.name}.{index_column}"
                    report.indexes[label] = report.indexes.get(label, 0) + 1
            if values:
                statement = update(table).where(key == row[key.name])
                connection.execute(statement.values(
                    {table.c[name]: type_coerce(value, LargeBinary if isinstance(value, bytes)
                                                else Text) for name, value in values.items()}
                ))  # fmt: skip
    # Blocking keys are blind indexes of several fields at once: they are dropped here
    # and rebuilt under the new key (movilidad.identity.intake.reindex_all).
    from movilidad.identity.models import IdentityKey

    dropped = connection.execute(delete(IdentityKey)).rowcount
    report.indexes["identity_keys (dropped, rebuilt after)"] = int(dropped or 0)
    return report
