"""Rotating the data-encryption key: every encrypted field and blind index moves to the
new key in one go, and searches still find people afterwards."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from movilidad.applicants.models import DocumentType, IdentityDocument
from movilidad.cases.models import Case
from movilidad.cases.repository import CaseFilters, CaseRepository
from movilidad.config import generate_data_key
from movilidad.db.rotation import rotate_data_key
from movilidad.db.uow import UnitOfWork
from movilidad.kernel.crypto import DecryptionError, FieldCipher, configure_cipher, get_cipher
from movilidad.staff.actor import ScopeSet
from tests.conftest import TEST_DATA_KEY
from tests.functional.staff.helpers import build_world

EVERYWHERE = ScopeSet(everywhere=True)


def test_every_field_and_index_moves_to_the_new_key(
    session_factory: sessionmaker[Session],
) -> None:
    world = build_world(session_factory)
    with UnitOfWork(session_factory) as uow:
        case = uow.session.get(Case, world.case_bogota.id)
        assert case is not None
        case.household.principal.set_contact(phone_e164="+573105550199", email="d@example.org")
        case.household.principal.documents.append(
            IdentityDocument.record(type=DocumentType.NATIONAL_ID, number="V-12.345.678",
                                    issuing_country="VEN")
        )  # fmt: skip
        uow.commit()
    old = get_cipher()
    new_key = base64.urlsafe_b64decode(generate_data_key())
    with UnitOfWork(session_factory) as uow:
        connection = uow.session.connection()
        before = connection.execute(
            text("SELECT phone FROM applicants WHERE phone IS NOT NULL")
        ).scalar_one()
        report = rotate_data_key(connection, old, FieldCipher(new_key))
        uow.commit()
    assert report.fields["applicants.phone"] == 1
    assert report.fields["document_files.data"] == 2
    assert report.indexes["identity_documents.number_index"] >= 3
    try:
        configure_cipher(new_key)
        with session_factory() as session:
            after = session.execute(
                text("SELECT phone FROM applicants WHERE phone IS NOT NULL")
            ).scalar_one()
            assert after != before
            with pytest.raises(DecryptionError):
                old.decrypt(after)  # the old key no longer opens anything
            repository = CaseRepository(session)
            for search in ("+57 310 555 0199", "V12345678", "Dayana"):
                found = repository.list_cases_in_scope(
                    EVERYWHERE, CaseFilters(status="all", search=search)
                )
                assert [c.id for c in found.cases] == [world.case_bogota.id], search
            numbers = session.scalars(select(IdentityDocument.number)).all()
            assert "V-12.345.678" in numbers  # decrypts with the new key
    finally:
        configure_cipher(base64.urlsafe_b64decode(TEST_DATA_KEY))
