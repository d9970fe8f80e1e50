from __future__ import annotations

import pytest
from sqlalchemy import select

from movilidad.audit.models import AuditEvent, AuditTrailIsAppendOnly
from movilidad.db.uow import UnitOfWork
from movilidad.kernel.permissions import Permission, RoleName
from movilidad.staff.errors import InvalidAssignment, UsernameTaken, WeakPassword
from movilidad.staff.models import Scope
from movilidad.staff.passwords import verify_password
from movilidad.staff.services import create_staff_user
from tests.factories import make_office

PASSWORD = "correct horse battery"


def _create(uow: UnitOfWork, **overrides: object) -> object:
    values: dict[str, object] = {
        "username": "ana.caseworker",
        "full_name": "Ana Caseworker",
        "email": "ana@agency.example",
        "password": PASSWORD,
        "role": RoleName.CASEWORKER,
    }
    values.update(overrides)
    return create_staff_user(uow, **values)  # type: ignore[arg-type]


def test_create_user_scoped_to_an_office(uow: UnitOfWork) -> None:
    office = make_office(code="test-lim")
    uow.session.add(office)
    uow.session.flush()
    user = _create(uow, office_code="test-lim")
    assert verify_password(user.password_hash, PASSWORD)  # type: ignore[attr-defined]
    assert user.password_hash.startswith("$argon2id$")  # type: ignore[attr-defined]
    (assignment,) = user.assignments  # type: ignore[attr-defined]
    assert assignment.scope is Scope.OFFICE
    assert assignment.office_id == office.id
    assert Permission.CASE_READ in user.permissions  # type: ignore[attr-defined]


def test_creation_is_audited_without_personal_data(uow: UnitOfWork) -> None:
    user = _create(uow, country="PER")
    event = uow.session.scalar(
        select(AuditEvent).where(AuditEvent.object_id == str(user.id))  # type: ignore[attr-defined]
    )
    assert event is not None
    assert event.action == "user.create"
    assert "ana" not in str(event.detail).lower()


def test_audit_events_cannot_be_altered(uow: UnitOfWork) -> None:
    _create(uow)
    event = uow.session.scalars(select(AuditEvent)).first()
    assert event is not None
    event.action = "user.delete"
    with pytest.raises(AuditTrailIsAppendOnly):
        uow.session.flush()


def test_duplicate_username_is_refused(uow: UnitOfWork) -> None:
    _create(uow)
    with pytest.raises(UsernameTaken):
        _create(uow, email="other@agency.example")


def test_short_password_is_refused(uow: UnitOfWork) -> None:
    with pytest.raises(WeakPassword):
        _create(uow, password="short")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"username": "Ana Caseworker"}, "username"),
        ({"office_code": "nowhere"}, "no office"),
        ({"preferred_language": "de"}, "language"),
    ],
)
def test_invalid_assignments_are_refused(
    uow: UnitOfWork, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidAssignment, match=message):
        _create(uow, **overrides)


def test_inactive_user_has_no_permission(uow: UnitOfWork) -> None:
    user = _create(uow)
    user.is_active = False  # type: ignore[attr-defined]
    assert user.permissions == frozenset()  # type: ignore[attr-defined]
