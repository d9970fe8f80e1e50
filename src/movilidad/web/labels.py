"""Translatable labels for stored codes (msgids in English; see locale/)."""

from __future__ import annotations

from typing import Final


def _(message: str) -> str:
    """Mark ``message`` for extraction; it is translated when rendered."""
    return message


STATUS_LABELS: Final = {
    "submitted": _("Submitted"),
    "pre_screened": _("Pre-screened"),
    "interview_scheduled": _("Interview scheduled"),
    "interviewed": _("Interviewed"),
    "referred": _("Referred"),
    "decision_received": _("Decision received"),
    "travelled": _("Travelled"),
    "closed": _("Closed"),
    "open": _("Open (not closed or travelled)"),
    "all": _("All"),
}

OUTCOME_LABELS: Final = {
    "eligible": _("May fit"),
    "ineligible": _("Does not fit"),
    "needs_information": _("Needs more information"),
    "not_open": _("Not open on that date"),
    "met": _("Met"),
    "not_met": _("Not met"),
    "unknown": _("Unknown"),
}

RELATIONSHIP_LABELS: Final = {
    "spouse": _("Spouse"),
    "common_law_partner": _("Partner"),
    "child": _("Child"),
    "stepchild": _("Stepchild"),
    "grandchild": _("Grandchild"),
    "parent": _("Parent"),
    "other": _("Other relative"),
}

REASON_LABELS: Final = {
    "registration": _("at registration"),
    "catalogue_change": _("after a change in the programmes"),
    "scheduled": _("regular re-check"),
    "staff_request": _("requested by staff"),
}

CLOSE_REASON_LABELS: Final = {
    "not_eligible": _("Not eligible"),
    "withdrawn": _("Withdrawn by the applicant"),
    "no_show_cannot_be_contacted": _("No show / cannot be contacted"),
    "programme_terminated": _("Programme terminated"),
    "duplicate": _("Duplicate"),
    "decision_negative": _("Refused by the destination"),
}

DOCUMENT_TYPE_LABELS: Final = {
    "passport": _("Passport"),
    "national_id": _("National identity card"),
    "birth_certificate": _("Birth certificate"),
    "residence_permit": _("Residence permit"),
    "refugee_or_asylum_id": _("Refugee or asylum seeker document"),
    "travel_document": _("Travel document"),
    "other": _("Other document"),
}

NEED_LABELS: Final = {
    "serious_medical_condition": _("Serious medical condition"),
    "disability": _("Disability"),
    "unaccompanied_or_separated_child": _("Unaccompanied or separated child"),
    "single_caregiver": _("Single caregiver"),
    "older_person_at_risk": _("Older person at risk"),
    "survivor_of_violence": _("Survivor of violence or torture"),
    "pregnancy": _("Pregnancy"),
}

APPOINTMENT_STATUS_LABELS: Final = {
    "offered": _("Offered, waiting for confirmation"),
    "confirmed": _("Confirmed"),
    "expired": _("Not confirmed in time"),
    "cancelled": _("Cancelled"),
    "attended": _("Attended"),
    "no_show": _("Did not come"),
}

RULE_LABELS: Final = {
    "direct": _("Chosen by the household"),
    "manual": _("Booked by the office"),
    "longest_waiting": _("Longest waiting"),
    "lottery": _("Lottery"),
}

MODE_LABELS: Final = {
    "in_person": _("In person"),
    "video": _("Video call"),
    "phone": _("Phone call"),
}
