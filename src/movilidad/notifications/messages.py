"""The text of each notification, in the applicant's language.

Every message names the office, says the service is free, and points to the public
verification page with a code, so a scammer's copy can be told apart. No message ever
carries the access code, a name, a document number or a screening result: a phone can
be seen by others. Texts stay under 400 characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from movilidad.i18n import Catalogues, format_local_time
from movilidad.notifications.models import NotificationKind


def _(message: str) -> str:
    """Mark ``message`` for extraction; it is translated when the message is composed."""
    return message


SUBJECTS: Final = {
    NotificationKind.REGISTRATION_RECEIVED: _("We received your registration"),
    NotificationKind.OFFICE_MESSAGE: _("You have a new message from the office"),
    NotificationKind.CASE_CLOSED: _("Your case is closed"),
    NotificationKind.APPOINTMENT_OFFERED: _("You have an interview offer"),
    NotificationKind.APPOINTMENT_CONFIRMED: _("Your interview is confirmed"),
    NotificationKind.APPOINTMENT_REMINDER: _("Reminder: your interview"),
    NotificationKind.APPOINTMENT_CHANGED: _("Your interview has moved"),
    NotificationKind.APPOINTMENT_CANCELLED: _("Your interview is cancelled"),
}

BODIES: Final = {
    NotificationKind.REGISTRATION_RECEIVED: _(
        "Safe Mobility Office: we received your registration {reference}. "
        "We will write to you here. See your status at {status_url}"
    ),
    NotificationKind.OFFICE_MESSAGE: _(
        "Safe Mobility Office: you have a new message about case {reference}. "
        "Read it at {status_url}"
    ),
    NotificationKind.CASE_CLOSED: _(
        "Safe Mobility Office: case {reference} is closed. "
        "See the reason and where to get help at {status_url}"
    ),
    NotificationKind.APPOINTMENT_OFFERED: _(
        "Safe Mobility Office: case {reference} is offered an interview on {when} in {place}. "
        "Confirm it by {deadline} at {status_url}"
    ),
    NotificationKind.APPOINTMENT_CONFIRMED: _(
        "Safe Mobility Office: your interview for case {reference} is confirmed: {when} at "
        "{place}. Your slip is at {status_url}"
    ),
    NotificationKind.APPOINTMENT_REMINDER: _(
        "Safe Mobility Office: reminder, interview for case {reference} on {when} in {place}. "
        "Bring everyone's papers. Cannot come? Cancel at {status_url}"
    ),
    NotificationKind.APPOINTMENT_CHANGED: _(
        "Safe Mobility Office: the interview for case {reference} has moved to {when} at "
        "{place}. See the new slip at {status_url}"
    ),
    NotificationKind.APPOINTMENT_CANCELLED: _(
        "Safe Mobility Office: the interview for case {reference} on {when} is cancelled. "
        "See what to do next at {status_url}"
    ),
}

FOOTER: Final = _(
    "Our services are free: nobody may ask you for money. We never ask for your access "
    "code. Is this message real? Check code {code} at {verify_url}"
)


@dataclass(frozen=True)
class Composed:
    subject: str
    body: str


def compose(
    catalogues: Catalogues,
    *,
    kind: str,
    language: str,
    reference: str,
    verification_code: str,
    base_url: str,
    params: Mapping[str, str] | None = None,
) -> Composed:
    """The subject and plain-text body of one notification.

    ``reference``: the case reference as shown (``ABC-DEF-GHJ``); ``base_url``: the
    public address of the site (no trailing slash needed); ``params``: for appointment
    kinds ``starts_at`` and ``deadline`` (ISO 8601 UTC), ``time_zone`` (IANA, the
    office's: times are written in its local time) and ``place``. Raises ``KeyError``
    for an unknown kind or language or a missing parameter.
    """
    translations = catalogues.get(language)
    notification_kind = NotificationKind(kind)
    root = base_url.rstrip("/")
    values = {
        "reference": reference,
        "status_url": f"{root}/status",
        "verify_url": f"{root}/verify",
        "code": verification_code,
        "place": "",
        "when": "",
        "deadline": "",
    }
    extra = params or {}
    if "starts_at" in extra:
        zone = extra["time_zone"]
        values["place"] = extra.get("place", "")
        values["when"] = format_local_time(datetime.fromisoformat(extra["starts_at"]), zone,
                                           language, short=True)  # fmt: skip
        if "deadline" in extra:
            values["deadline"] = format_local_time(
                datetime.fromisoformat(extra["deadline"]), zone, language, short=True
            )
    body = translations.gettext(BODIES[notification_kind]).format(**values)
    footer = translations.gettext(FOOTER).format(**values)
    subject = translations.gettext(SUBJECTS[notification_kind])
    return Composed(subject=f"{subject} — {reference}", body=f"{body}\n\n{footer}")
