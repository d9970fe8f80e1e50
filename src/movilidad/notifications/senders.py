"""Delivery of composed messages: e-mail over SMTP (or to the log in development) and
SMS through a provider interface (a file outbox for development and tests, or the log).

Senders raise :class:`DeliveryError` (or any ``OSError``) when a message could not be
handed over; the sending job then retries with back-off.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import threading
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol

from movilidad.config import MailBackend, Settings, SmsBackend
from movilidad.kernel.clock import utcnow
from movilidad.kernel.errors import MovilidadError

log = logging.getLogger(__name__)
SMTP_TIMEOUT_SECONDS = 20


class DeliveryError(MovilidadError):
    """The message was not accepted by the mail server or SMS provider."""


class EmailSender(Protocol):
    def send_email(self, to: str, subject: str, body: str, language: str) -> None: ...


class SmsSender(Protocol):
    def send_sms(self, to_e164: str, body: str) -> None: ...


class SmtpEmailSender:
    """Plain-text e-mail through an SMTP server (``MOVILIDAD_SMTP_*`` settings)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send_email(self, to: str, subject: str, body: str, language: str) -> None:
        settings = self.settings
        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or None)
        message.set_content(body)
        message["Content-Language"] = language  # after set_content, which resets Content-*
        try:
            with smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS
            ) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls()
                if settings.smtp_username:
                    smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
                refused = smtp.send_message(message)
        except smtplib.SMTPException as exc:
            raise DeliveryError(type(exc).__name__) from exc
        if refused:
            raise DeliveryError("recipient refused")


def mask(address: str) -> str:
    """An address as written to logs: ``+57*******199``, ``y***@example.org``."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{address[:3]}{'*' * max(len(address) - 6, 0)}{address[-3:]}"


class LogEmailSender:
    """Development: writes the e-mail to the log (address masked) instead of sending it."""

    def send_email(self, to: str, subject: str, body: str, language: str) -> None:
        log.info("e-mail not sent (MOVILIDAD_MAIL_BACKEND=console) to %s: %s\n%s",
                 mask(to), subject, body)  # fmt: skip


class FileSmsSender:
    """Development and tests: appends each SMS as one JSON line to
    ``<data_dir>/sms-outbox.jsonl`` (flushed and fsynced)."""

    _lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path

    def send_sms(self, to_e164: str, body: str) -> None:
        line = json.dumps({"to": to_e164, "body": body, "at": utcnow().isoformat()},
                          ensure_ascii=False)  # fmt: skip
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as outbox:
            outbox.write(line + "\n")
            outbox.flush()
            os.fsync(outbox.fileno())


class LogSmsSender:
    """Development: writes the SMS to the log (number masked)."""

    def send_sms(self, to_e164: str, body: str) -> None:
        log.info("SMS not sent (MOVILIDAD_SMS_BACKEND=console) to %s: %s", mask(to_e164), body)


def sms_outbox_path(settings: Settings) -> Path:
    return settings.data_dir / "sms-outbox.jsonl"


def email_sender(settings: Settings) -> EmailSender:
    """The configured e-mail sender."""
    if settings.mail_backend is MailBackend.SMTP:
        return SmtpEmailSender(settings)
    return LogEmailSender()


def sms_sender(settings: Settings) -> SmsSender:
    """The configured SMS sender."""
    if settings.sms_backend is SmsBackend.FILE:
        return FileSmsSender(sms_outbox_path(settings))
    return LogSmsSender()
