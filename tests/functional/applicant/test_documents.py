"""An identity document with a photo, through the registration forms, to the staff
member who may see it — and to nobody else."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from movilidad.applicants.models import IdentityDocument
from movilidad.audit.models import AuditEvent
from movilidad.cases.models import Case
from movilidad.db.uow import UnitOfWork
from movilidad.documents.models import DocumentFile
from movilidad.kernel.permissions import RoleName
from movilidad.staff.services import create_staff_user
from tests.functional.applicant.test_registration import PRINCIPAL, _ready_to_register
from tests.functional.staff.helpers import PASSWORD, sign_in

GPS_IFD = 0x8825


def _photo() -> bytes:
    exif = Image.Exif()
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (4.0, 36.0, 0.0)})
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    Image.new("RGB", (60, 40), "green").save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def _post_files(client: TestClient, path: str, data: dict[str, str],
                files: dict[str, tuple[str, bytes, str]] | None = None) -> object:  # fmt: skip
    client.get(path)
    return client.post(path, data={"csrf_token": client.cookies["csrf"], **data},
                       files=files or {}, follow_redirects=False)  # fmt: skip


DOCUMENT = {"document_type": "passport", "document_number": "ve 123-456",
            "document_country": "VEN"}  # fmt: skip


def test_a_renamed_file_is_refused_next_to_the_field_and_nothing_else_is_lost(
    client: TestClient,
) -> None:
    _ready_to_register(client)
    fake = ("pasaporte.jpg", b"MZ\x90\x00 a program, not a photo", "image/jpeg")
    response = _post_files(client, "/col/register", {**PRINCIPAL, **DOCUMENT},
                           {"document_file": fake})  # fmt: skip
    assert response.status_code == 400  # type: ignore[attr-defined]
    page = response.text  # type: ignore[attr-defined]
    assert 'id="document_file-error"' in page
    assert "JPEG or PNG" in page
    assert 'value="Yorgelis"' in page
    assert 'value="ve 123-456"' in page


def test_a_file_kept_while_another_field_is_fixed(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    _ready_to_register(client)
    photo = ("foto.jpg", _photo(), "image/jpeg")
    first = _post_files(client, "/col/register", {**PRINCIPAL, **DOCUMENT, "phone": "12"},
                        {"document_file": photo})  # fmt: skip
    assert first.status_code == 400  # type: ignore[attr-defined]
    assert "We have your file" in first.text  # type: ignore[attr-defined]
    found = re.search(r'name="document_file_kept"\s+value="(\d+)"', first.text)  # type: ignore[attr-defined]
    assert found
    kept = found.group(1)
    second = _post_files(client, "/col/register",
                         {**PRINCIPAL, **DOCUMENT, "document_file_kept": kept})  # fmt: skip
    assert second.status_code == 303  # type: ignore[attr-defined]
    review = client.get("/col/register/review").text
    assert "with a photo or scan" in review
    submitted = _post_files(client, "/col/register/review", {})
    assert submitted.status_code == 303  # type: ignore[attr-defined]
    with session_factory() as session:
        document = session.scalars(select(IdentityDocument)).one()
        assert document.number == "ve 123-456"
        stored = session.scalars(select(DocumentFile)).one()
        assert stored.document_id == document.id
        assert stored.precheck_id is None
        assert b"PhoneMaker" not in stored.data
        assert Image.open(io.BytesIO(stored.data)).getexif().get_ifd(GPS_IFD) == {}
        raw = session.execute(text("SELECT data FROM document_files")).scalar_one()
        assert bytes(raw)[:3] != b"\xff\xd8\xff"  # encrypted at rest
        draft = session.execute(text("SELECT registration FROM precheck_sessions")).scalar_one()
        assert "Yorgelis" not in str(draft)
        assert "3105550199" not in str(draft)


def test_someone_elses_file_id_cannot_be_claimed(
    client: TestClient, app: object, session_factory: sessionmaker[Session]
) -> None:
    _ready_to_register(client)
    first = _post_files(client, "/col/register", {**PRINCIPAL, **DOCUMENT},
                        {"document_file": ("a.jpg", _photo(), "image/jpeg")})  # fmt: skip
    assert first.status_code == 303  # type: ignore[attr-defined]
    with session_factory() as session:
        theirs = session.scalars(select(DocumentFile.id)).one()
    with TestClient(app) as stranger:  # type: ignore[arg-type]
        _ready_to_register(stranger)
        claim = {**PRINCIPAL, **DOCUMENT, "document_file_kept": str(theirs)}
        response = _post_files(stranger, "/col/register", claim)
        assert response.status_code == 303  # type: ignore[attr-defined]
        assert "with a photo or scan" not in stranger.get("/col/register/review").text
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(DocumentFile)) == 1


def test_staff_see_the_scan_of_their_office_only_and_each_view_is_recorded(
    client: TestClient, app: object, session_factory: sessionmaker[Session]
) -> None:
    _ready_to_register(client)
    _post_files(client, "/col/register", {**PRINCIPAL, **DOCUMENT},
                {"document_file": ("a.jpg", _photo(), "image/jpeg")})  # fmt: skip
    _post_files(client, "/col/register/review", {})
    with UnitOfWork(session_factory) as uow:
        for username, office in (("cw.tun", "t-tun"), ("cw.far", None)):
            create_staff_user(
                uow, username=username, full_name=username, email=f"{username}@t.example",
                password=PASSWORD, role=RoleName.CASEWORKER, office_code=office,
                country=None if office else "PER",
            )  # fmt: skip
        uow.commit()
    with session_factory() as session:
        case = session.scalars(select(Case)).one()
        reference = case.display_reference
        file_id = session.scalars(select(DocumentFile.id)).one()
    path = f"/staff/cases/{reference}/documents/{file_id}"
    with TestClient(app) as staff:  # type: ignore[arg-type]
        sign_in(staff, "cw.tun")
        detail = staff.get(f"/staff/cases/{reference}").text
        assert path in detail
        shown = staff.get(path)
        assert shown.status_code == 200
        assert shown.headers["content-type"] == "image/jpeg"
        assert shown.headers["cache-control"] == "no-store"
        assert staff.get(f"/staff/cases/{reference}/documents/{file_id + 1}").status_code == 404
    with TestClient(app) as far:  # type: ignore[arg-type]
        sign_in(far, "cw.far")
        assert far.get(path).status_code == 404
    with session_factory() as session:
        views = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "document.view")
        ).all()
        assert [v.object_id for v in views] == [str(file_id)]


def test_a_raw_dump_of_every_table_shows_no_phone_e_mail_or_document_number(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    """Register through the forms, then read every row of every table as the database
    holds it (no decryption): the phone, e-mail and document number never appear."""
    from movilidad.db.base import Base

    _ready_to_register(client)
    person = {**PRINCIPAL, **DOCUMENT, "email": "yorgelis.anez@example.org"}
    _post_files(client, "/col/register", person,
                {"document_file": ("a.jpg", _photo(), "image/jpeg")})  # fmt: skip
    _post_files(client, "/col/register/review", {})
    dump = []
    with session_factory() as session:
        connection = session.connection()
        for table in Base.metadata.sorted_tables:
            for row in connection.exec_driver_sql(f'SELECT * FROM "{table.name}"'):  # noqa: S608
                dump.append(" ".join(str(value) for value in row))
    text_dump = "\n".join(dump).lower()
    assert "yorgelis" in text_dump  # names are stored in clear (searchable), the rest not
    for secret in ("3105550199", "yorgelis.anez", "123-456", "ve123456"):
        assert secret not in text_dump, secret
