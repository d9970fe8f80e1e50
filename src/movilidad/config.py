"""Typed settings for every entry point (web, worker, CLI).

All settings come from the environment with the prefix ``MOVILIDAD_`` (for example
``MOVILIDAD_DATABASE_URL``) or from a ``.env`` file in the working directory.
:func:`load_settings` is the only constructor the application uses: it validates
every value and raises :class:`ConfigError` with one line naming the faulty setting,
so start-up never ends in a traceback.

In ``dev`` and ``test`` environments the secret key and the data-encryption key are
generated on first use into files under ``data_dir`` (mode 0600) and reused after.
In ``production`` both must be given and may not be one of the development values.
"""

from __future__ import annotations

import base64
import os
import secrets
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from movilidad.kernel.errors import ConfigError
from movilidad.kernel.languages import SUPPORTED_LANGUAGES

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENV_PREFIX = "MOVILIDAD_"

_SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
_DATA_KEY_FILE = "data_encryption_key"
_MIN_SECRET_LENGTH = 32


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    PRODUCTION = "production"


class MailBackend(StrEnum):
    CONSOLE = "console"
    SMTP = "smtp"


class SmsBackend(StrEnum):
    CONSOLE = "console"
    FILE = "file"


class JobsBackend(StrEnum):
    IMMEDIATE = "immediate"  # run in the process that enqueues, after commit
    SQLITE = "sqlite"  # an SQLite queue file under data_dir, run by `movilidad worker`
    REDIS = "redis"  # Redis, run by `movilidad worker` processes


class Settings(BaseSettings):
    """Every setting Movilidad reads. Field names map to ``MOVILIDAD_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        extra="ignore",
        frozen=True,
    )

    env: Environment = Environment.DEV
    data_dir: Path = Path("var")
    database_url: str = ""  # empty: sqlite file <data_dir>/movilidad.sqlite3
    secret_key: SecretStr | None = None
    data_encryption_key: SecretStr | None = None  # urlsafe base64 of 32 bytes
    default_language: str = "es"
    base_url: str = "http://127.0.0.1:8000"
    mail_backend: MailBackend = MailBackend.CONSOLE
    mail_from: str = "no-reply@movilidad.invalid"
    smtp_host: str = "127.0.0.1"
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 25
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    sms_backend: SmsBackend = SmsBackend.FILE
    jobs_backend: JobsBackend = JobsBackend.IMMEDIATE
    redis_url: str = "redis://127.0.0.1:6379/0"
    catalogue_dir: Path = PROJECT_ROOT / "catalogue"
    notices_dir: Path = PROJECT_ROOT / "notices"
    #: Fixed date for eligibility in training and demonstration sites (the real
    #: programmes have closed); empty in production: screening uses today's date.
    screening_date: date | None = None
    locale_dir: Path = PROJECT_ROOT / "locale"
    session_max_age_seconds: Annotated[int, Field(ge=60)] = 30 * 60
    #: Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses);
    #: empty: the header is ignored and the connection's address counts.
    trusted_proxies: str = ""
    log_level: str = "INFO"
    #: Record-linkage model file for the intake check and ``dedupe run`` (``movilidad
    #: dedupe train``); empty: the model shipped with Movilidad.
    identity_model: Path | None = None

    @field_validator("data_dir", mode="before")
    @classmethod
    def _non_empty_dir(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("must name a folder (it is empty)")
        return value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(
                f"unknown language {value!r}; use one of {', '.join(SUPPORTED_LANGUAGES)}"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _valid_database_url(cls, value: str) -> str:
        if not value:
            return value
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "not a database URL; expected sqlite:///path or "
                "postgresql+psycopg://user@host/dbname"
            ) from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(
                f"unsupported database {url.get_backend_name()!r}; use sqlite or postgresql"
            )
        return value

    @field_validator("log_level")
    @classmethod
    def _valid_log_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("use DEBUG, INFO, WARNING or ERROR")
        return upper

    @model_validator(mode="after")
    def _production_secrets(self) -> Settings:
        if self.env is not Environment.PRODUCTION:
            return self
        if self.secret_key is None or len(self.secret_key.get_secret_value()) < _MIN_SECRET_LENGTH:
            raise ValueError(
                f"MOVILIDAD_SECRET_KEY is required in production "
                f"(at least {_MIN_SECRET_LENGTH} characters)"
            )
        if self.data_encryption_key is None:
            raise ValueError("MOVILIDAD_DATA_ENCRYPTION_KEY is required in production")
        if not self.database_url:
            raise ValueError("MOVILIDAD_DATABASE_URL is required in production")
        return self

    @field_validator("data_encryption_key")
    @classmethod
    def _valid_data_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            _decode_data_key(value.get_secret_value())
        return value

    # Derived values ---------------------------------------------------------------

    @property
    def effective_database_url(self) -> str:
        """The SQLAlchemy URL to use: the configured one or the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'movilidad.sqlite3').resolve()}"

    def screening_day(self) -> date:
        """The date eligibility is judged on: ``screening_date`` if set, else today (UTC)."""
        from movilidad.kernel.clock import today_utc

        return self.screening_date or today_utc()

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    def secret_key_bytes(self) -> bytes:
        """The key that signs cookies and tokens (bytes, at least 32)."""
        if self.secret_key is None:  # only reachable before resolve_secrets()
            raise ConfigError("MOVILIDAD_SECRET_KEY", "not set")
        return self.secret_key.get_secret_value().encode()

    def data_key_bytes(self) -> bytes:
        """The 32-byte key that encrypts sensitive fields at rest."""
        if self.data_encryption_key is None:
            raise ConfigError("MOVILIDAD_DATA_ENCRYPTION_KEY", "not set")
        return _decode_data_key(self.data_encryption_key.get_secret_value())


def _decode_data_key(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.encode() + b"=" * (-len(text) % 4))
    except ValueError:
        raise ValueError("must be urlsafe base64 of 32 random bytes") from None
    if len(raw) != 32:
        raise ValueError("must be urlsafe base64 of exactly 32 random bytes")
    return raw


def generate_data_key() -> str:
    """A new data-encryption key: urlsafe base64 text of 32 random bytes."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _read_or_create(path: Path, make: Any) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value: str = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def load_settings(*, with_secrets: bool = True, **overrides: Any) -> Settings:
    """Read, validate and complete the settings.

    Input: the process environment (and ``.env``), plus keyword overrides that win
    over both (used by the CLI's ``--data-dir`` and by tests). ``with_secrets=False``
    skips creating development secrets (for commands that touch no data).
    Output: a frozen :class:`Settings` whose secrets are all set (unless skipped).
    Raises :class:`ConfigError` naming the first invalid setting.
    """
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        name = f"{ENV_PREFIX}{field.upper()}" if field else "settings"
        raise ConfigError(name, message) from None
    return resolve_secrets(settings) if with_secrets else settings


def resolve_secrets(settings: Settings) -> Settings:
    """Fill missing development secrets from files under ``data_dir`` (created once)."""
    if settings.secret_key is not None and settings.data_encryption_key is not None:
        return settings
    if settings.is_production:  # the validator already refused this
        raise ConfigError("MOVILIDAD_SECRET_KEY", "required in production")
    try:
        secret = settings.secret_key or SecretStr(
            _read_or_create(settings.data_dir / _SECRET_KEY_FILE, lambda: secrets.token_urlsafe(48))
        )
        data_key = settings.data_encryption_key or SecretStr(
            _read_or_create(settings.data_dir / _DATA_KEY_FILE, generate_data_key)
        )
        _decode_data_key(data_key.get_secret_value())
    except OSError as exc:
        raise ConfigError(
            "MOVILIDAD_DATA_DIR", f"cannot write secrets there ({exc.strerror})"
        ) from None
    except ValueError as exc:
        raise ConfigError("MOVILIDAD_DATA_ENCRYPTION_KEY", str(exc)) from None
    return settings.model_copy(update={"secret_key": secret, "data_encryption_key": data_key})
