"""PathwayVersionRecord: each catalogue version as loaded into the database.

A row is immutable and keyed by the SHA-256 of its canonical JSON content
(:func:`version_content`). Screening results point at the exact row they were made
with, so an explanation shown years later is the one the applicant was given, even
if the catalogue file was corrected since.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from movilidad.db.base import Base
from movilidad.db.types import UTCDateTime
from movilidad.kernel.clock import utcnow
from movilidad.pathways.catalogue import Pathway, PathwayVersion


def version_content(pathway: Pathway, version: PathwayVersion) -> dict[str, Any]:
    """Canonical JSON of one version with the pathway's names (all languages)."""
    return {
        "pathway_id": pathway.id,
        "names": pathway.names,
        "destinations": list(pathway.destinations),
        "version": version.version,
        "effective_from": version.effective_from.isoformat(),
        "effective_to": version.effective_to.isoformat() if version.effective_to else None,
        "sources": list(version.sources),
        "criteria": [
            {
                "id": c.id,
                "condition": c.condition,
                "sources": list(c.sources),
                "met": c.met,
                "not_met": c.not_met,
            }
            for c in version.criteria
        ],
    }


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 hex of the canonical (sorted, compact) JSON encoding."""
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


class PathwayVersionRecord(Base):
    __tablename__ = "pathway_versions"
    __table_args__ = (UniqueConstraint("pathway_id", "version", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def explanation(self, criterion_id: str, met: bool, language: str) -> str:
        """The stored explanation of a criterion, in ``language``; "" if absent."""
        for criterion in self.content.get("criteria", []):
            if criterion.get("id") == criterion_id:
                texts = criterion.get("met" if met else "not_met", {})
                return str(texts.get(language, ""))
        return ""

    def name(self, language: str) -> str:
        return str(self.content.get("names", {}).get(language, self.pathway_id))
