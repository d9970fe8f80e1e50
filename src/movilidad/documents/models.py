"""DocumentFile: one cleaned scan or photo, encrypted at rest.

Before submission it belongs to the pre-check that uploaded it (``precheck_id``);
on submission it is attached to the identity document it shows (``document_id``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from movilidad.db.base import Base
from movilidad.db.types import EncryptedBytes, UTCDateTime
from movilidad.kernel.clock import utcnow


class DocumentFile(Base):
    __tablename__ = "document_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    precheck_id: Mapped[int | None] = mapped_column(
        ForeignKey("precheck_sessions.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("identity_documents.id", ondelete="CASCADE"), index=True
    )
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(EncryptedBytes)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
