"""Uploaded files: accepted by content, cleaned of metadata, refused with a reason."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from movilidad.documents.files import MAX_BYTES, ContentType, UploadRejected, clean_upload

GPS_IFD = 0x8825


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 20), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x0112] = 6  # orientation: rotate 90°
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (4.0, 36.0, 0.0), 3: "W", 4: (74.0, 4.0, 0.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_a_photo_loses_its_gps_position_and_camera_but_stays_upright() -> None:
    original = _jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)
    cleaned = clean_upload(original)
    assert cleaned.content_type is ContentType.JPEG
    picture = Image.open(io.BytesIO(cleaned.data))
    assert dict(picture.getexif()) == {}
    assert b"PhoneMaker" not in cleaned.data
    assert picture.size == (20, 40)  # the orientation was applied before dropping it


def test_a_png_is_re_encoded_without_text_chunks() -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Maria Perez")
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "blue").save(out, format="PNG", pnginfo=info)
    cleaned = clean_upload(out.getvalue())
    assert cleaned.content_type is ContentType.PNG
    assert b"Maria" not in cleaned.data


def test_a_pdf_is_rewritten_without_its_metadata_and_scripts() -> None:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Author": "Maria Perez", "/Title": "pasaporte"})
    script = DictionaryObject()
    script[NameObject("/S")] = NameObject("/JavaScript")
    script[NameObject("/JS")] = TextStringObject("app.alert('hi');")
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(script)
    out = io.BytesIO()
    writer.write(out)
    assert b"JavaScript" in out.getvalue()
    cleaned = clean_upload(out.getvalue())
    assert cleaned.content_type is ContentType.PDF
    assert b"Maria" not in cleaned.data
    assert b"JavaScript" not in cleaned.data
    assert len(PdfReader(io.BytesIO(cleaned.data)).pages) == 1


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"MZ\x90\x00 this is a program renamed photo.jpg", "file_type"),
        (b"<html><script>alert(1)</script></html>", "file_type"),
        (b"", "file_type"),
        (b"\xff\xd8\xff\xe0 not really a jpeg", "damaged"),
        (b"\x89PNG\r\n\x1a\n truncated", "damaged"),
        (b"%PDF-1.7 nothing else", "damaged"),
        (b"\xff\xd8\xff" + b"\x00" * (MAX_BYTES + 1), "too_large"),
    ],
)
def test_what_is_not_a_clean_jpeg_png_or_pdf_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(UploadRejected) as refused:
        clean_upload(data)
    assert refused.value.reason == reason


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    out = io.BytesIO()
    Image.new("L", (12_000, 12_000)).save(out, format="PNG")  # 144 Mpx, a few KB
    with pytest.raises(UploadRejected) as refused:
        clean_upload(out.getvalue())
    assert refused.value.reason == "damaged"


@settings(max_examples=200, deadline=None)
@given(prefix=st.sampled_from([b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"%PDF-", b""]),
       body=st.binary(max_size=2000))  # fmt: skip
def test_random_bytes_are_accepted_or_refused_never_crash(prefix: bytes, body: bytes) -> None:
    reason = ""
    try:
        cleaned = clean_upload(prefix + body)
    except UploadRejected as refused:
        reason = refused.reason
    else:
        assert cleaned.data
    assert reason in {"", "file_type", "damaged"}
