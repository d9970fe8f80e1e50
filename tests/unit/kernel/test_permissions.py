from __future__ import annotations

from movilidad.kernel.permissions import ROLE_PERMISSIONS, Permission, RoleName, permissions_for

PERSONAL_DATA = {Permission.CASE_READ, Permission.APPLICANT_READ, Permission.DOCUMENT_VIEW}


def test_every_role_has_an_entry() -> None:
    assert set(ROLE_PERMISSIONS) == set(RoleName)


def test_analyst_and_administrator_see_no_personal_data() -> None:
    assert not permissions_for({RoleName.DATA_ANALYST}) & PERSONAL_DATA
    assert not permissions_for({RoleName.ADMINISTRATOR}) & PERSONAL_DATA


def test_partner_liaison_only_reads_referrals() -> None:
    assert permissions_for({RoleName.PARTNER_LIAISON}) == {Permission.REFERRAL_READ}


def test_no_role_means_no_permission() -> None:
    assert permissions_for(set()) == frozenset()


def test_permission_values_are_area_resource_action() -> None:
    for permission in Permission:
        assert len(permission.value.split(":")) == 3
