"""Accepting an uploaded file: the type is decided by its content, never by its name.

Accepted: JPEG, PNG and PDF up to :data:`MAX_BYTES`. Images are decoded and encoded
again (Pillow), which drops every metadata block (EXIF with GPS position and camera
serial, XMP, ICC, comments) and applies the EXIF orientation first, so the picture
stays upright. They are also reduced to at most :data:`MAX_SIDE` pixels on the long
side. PDFs are parsed (pypdf) and rewritten page by page, without the document
information, XMP metadata, annotations, JavaScript or embedded files.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from movilidad.kernel.errors import DomainError

MAX_BYTES: Final = 8 * 1024 * 1024  # 8 MiB, as received
MAX_PIXELS: Final = 50_000_000  # decoded size refused beyond this (decompression bombs)
MAX_SIDE: Final = 3000  # pixels on the long side after cleaning
MAX_PDF_PAGES: Final = 30
JPEG_QUALITY: Final = 85


class ContentType(StrEnum):
    JPEG = "image/jpeg"
    PNG = "image/png"
    PDF = "application/pdf"


class UploadRejected(DomainError):
    """The file cannot be accepted. ``reason`` is one of ``too_large``,
    ``file_type`` (not a JPEG, PNG or PDF by its content) or ``damaged``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CleanFile:
    content_type: ContentType
    data: bytes


def sniff(data: bytes) -> ContentType | None:
    """The type announced by the first bytes (magic numbers), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return ContentType.JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ContentType.PNG
    if data.startswith(b"%PDF-"):
        return ContentType.PDF
    return None


def clean_upload(data: bytes) -> CleanFile:
    """Check and clean one uploaded file (``data``: the bytes as received).

    Returns the cleaned file (new bytes). Raises :class:`UploadRejected` when it is
    empty or larger than :data:`MAX_BYTES`, not a JPEG/PNG/PDF by content, or cannot
    be decoded (damaged, encrypted PDF, too many pixels or pages).
    """
    if len(data) > MAX_BYTES:
        raise UploadRejected("too_large")
    kind = sniff(data)
    if kind is None:
        raise UploadRejected("file_type")
    if kind is ContentType.PDF:
        return CleanFile(kind, _clean_pdf(data))
    return CleanFile(kind, _clean_image(data, kind))


def _clean_image(data: bytes, kind: ContentType) -> bytes:
    expected = "JPEG" if kind is ContentType.JPEG else "PNG"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[expected]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS or width < 1 or height < 1:
                    raise UploadRejected("damaged")
                image.load()
                picture = ImageOps.exif_transpose(image)
    except UploadRejected:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError, Image.DecompressionBombWarning,
            EOFError) as exc:  # fmt: skip
        raise UploadRejected("damaged") from exc
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if kind is ContentType.JPEG:
        if picture.mode not in ("RGB", "L"):
            picture = picture.convert("RGB")
        picture.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        if picture.mode not in ("RGB", "RGBA", "L", "LA"):
            picture = picture.convert("RGBA")
        picture.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _clean_pdf(data: bytes) -> bytes:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise UploadRejected("damaged")
        if not 1 <= len(reader.pages) <= MAX_PDF_PAGES:
            raise UploadRejected("damaged")
        writer = PdfWriter()
        for page in reader.pages:
            writer.add_page(page)
        writer.remove_annotations(subtypes=None)
        for page in writer.pages:
            for key in ("/AA", "/Metadata", "/PieceInfo"):
                if key in page:
                    del page[key]
        writer.metadata = None  # no /Info dictionary (author, producer, dates)
        out = io.BytesIO()
        writer.write(out)
    except UploadRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError, AssertionError) as exc:  # fmt: skip
        raise UploadRejected("damaged") from exc
    return out.getvalue()
