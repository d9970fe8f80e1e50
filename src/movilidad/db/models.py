"""Imports every entity so that ``Base.metadata`` is complete (Alembic, tests)."""

from __future__ import annotations

from movilidad.applicants.models import Applicant, ApplicantNationality, IdentityDocument
from movilidad.appointments.models import Appointment, ClosedDay, OpeningHours, Slot
from movilidad.audit.chain import AuditChainHead
from movilidad.audit.models import AuditEvent
from movilidad.cases.models import Case, CaseEvent, CaseMessage
from movilidad.consent.models import ConsentRecord
from movilidad.db.base import Base
from movilidad.documents.models import DocumentFile
from movilidad.households.models import Household, HouseholdMember
from movilidad.identity.models import IdentityKey, MatchCandidate
from movilidad.jobs.models import JobFailure
from movilidad.notifications.models import Notification, VerificationCode
from movilidad.offices.models import Office
from movilidad.pathways.models import PathwayVersionRecord
from movilidad.precheck.models import PrecheckSession
from movilidad.referrals.models import Referral, ReferralConsent
from movilidad.registration.status import StatusSignInFailure
from movilidad.screening.models import RescreenRun, Screening, ScreeningOutcome
from movilidad.staff.models import Role, RoleAssignment, StaffSession, StaffUser

__all__ = [
    "Applicant",
    "ApplicantNationality",
    "Appointment",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "Case",
    "CaseEvent",
    "CaseMessage",
    "ClosedDay",
    "ConsentRecord",
    "DocumentFile",
    "Household",
    "HouseholdMember",
    "IdentityDocument",
    "IdentityKey",
    "JobFailure",
    "MatchCandidate",
    "Notification",
    "Office",
    "OpeningHours",
    "PathwayVersionRecord",
    "PrecheckSession",
    "Referral",
    "ReferralConsent",
    "RescreenRun",
    "Role",
    "RoleAssignment",
    "Screening",
    "ScreeningOutcome",
    "Slot",
    "StaffSession",
    "StaffUser",
    "StatusSignInFailure",
    "VerificationCode",
]
