"""Storing uploaded scans for a registration in progress and finding them again."""

from __future__ import annotations

from sqlalchemy import delete, select

from movilidad.applicants.models import IdentityDocument
from movilidad.db.uow import UnitOfWork
from movilidad.documents.files import clean_upload
from movilidad.documents.models import DocumentFile


def store_draft_file(uow: UnitOfWork, precheck_id: int, data: bytes) -> DocumentFile:
    """Clean ``data`` (see :func:`~movilidad.documents.files.clean_upload`) and keep it
    for the pre-check ``precheck_id``. Raises
    :class:`~movilidad.documents.files.UploadRejected`."""
    clean = clean_upload(data)
    stored = DocumentFile(
        precheck_id=precheck_id,
        content_type=clean.content_type.value,
        size_bytes=len(clean.data),
        data=clean.data,
    )
    uow.session.add(stored)
    uow.session.flush()
    return stored


def draft_file(uow: UnitOfWork, precheck_id: int, file_id: object) -> DocumentFile | None:
    """The file ``file_id`` (as posted: any value) if it was uploaded by this pre-check
    and is not yet attached to a document; None otherwise."""
    if not isinstance(file_id, int | str) or not str(file_id).isdigit():
        return None
    return uow.session.scalar(
        select(DocumentFile).where(
            DocumentFile.id == int(file_id),
            DocumentFile.precheck_id == precheck_id,
            DocumentFile.document_id.is_(None),
        )
    )


def discard_draft_files(uow: UnitOfWork, precheck_id: int, keep: set[int]) -> int:
    """Delete this pre-check's unattached files not in ``keep``; returns the count."""
    result = uow.session.execute(
        delete(DocumentFile).where(
            DocumentFile.precheck_id == precheck_id,
            DocumentFile.document_id.is_(None),
            DocumentFile.id.not_in(keep or {-1}),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def files_of_document(uow: UnitOfWork, document_id: int) -> list[DocumentFile]:
    return list(
        uow.session.scalars(
            select(DocumentFile).where(DocumentFile.document_id == document_id)
            .order_by(DocumentFile.id)
        )
    )  # fmt: skip


def files_by_document(uow: UnitOfWork, applicant_ids: list[int]) -> dict[int, list[int]]:
    """Identity document id → ids of its scans, for the given applicants."""
    rows = uow.session.execute(
        select(DocumentFile.document_id, DocumentFile.id)
        .join(IdentityDocument, IdentityDocument.id == DocumentFile.document_id)
        .where(IdentityDocument.applicant_id.in_(applicant_ids))
        .order_by(DocumentFile.id)
    ).all()
    found: dict[int, list[int]] = {}
    for document_id, file_id in rows:
        found.setdefault(int(document_id or 0), []).append(int(file_id))
    return found


def file_of_applicants(
    uow: UnitOfWork, file_id: int, applicant_ids: list[int]
) -> DocumentFile | None:
    """The scan ``file_id`` if it shows a document of one of ``applicant_ids``."""
    return uow.session.scalar(
        select(DocumentFile)
        .join(IdentityDocument, IdentityDocument.id == DocumentFile.document_id)
        .where(DocumentFile.id == file_id, IdentityDocument.applicant_id.in_(applicant_ids))
    )
