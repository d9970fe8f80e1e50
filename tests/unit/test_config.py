from __future__ import annotations

from pathlib import Path

import pytest

from movilidad.config import Environment, generate_data_key, load_settings
from movilidad.kernel.errors import ConfigError


def test_bad_database_url_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(data_dir=tmp_path, database_url="mysql://nobody@nowhere/db")
    assert info.value.setting == "MOVILIDAD_DATABASE_URL"
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="MOVILIDAD_DATABASE_URL: not a database URL"):
        load_settings(data_dir=tmp_path, database_url="this is not a url")


def test_unknown_language_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MOVILIDAD_DEFAULT_LANGUAGE: unknown language 'de'"):
        load_settings(data_dir=tmp_path, default_language="de")


def test_production_requires_a_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MOVILIDAD_SECRET_KEY is required in production"):
        load_settings(env="production", data_dir=tmp_path, database_url="sqlite:///x.db")


def test_production_refuses_a_short_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MOVILIDAD_SECRET_KEY"):
        load_settings(
            env="production",
            data_dir=tmp_path,
            secret_key="changeme",
            data_encryption_key=generate_data_key(),
            database_url="sqlite:///x.db",
        )


def test_production_with_every_secret_starts(tmp_path: Path) -> None:
    settings = load_settings(
        env="production",
        data_dir=tmp_path,
        secret_key="x" * 40,
        data_encryption_key=generate_data_key(),
        database_url="postgresql+psycopg://app@db.internal/movilidad",
    )
    assert settings.env is Environment.PRODUCTION
    assert not (tmp_path / "secret_key").exists()


def test_environment_variables_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOVILIDAD_DEFAULT_LANGUAGE", "ht")
    monkeypatch.setenv("MOVILIDAD_DATA_DIR", str(tmp_path))
    assert load_settings().default_language == "ht"


def test_dev_secrets_are_generated_once_and_reused(tmp_path: Path) -> None:
    first = load_settings(data_dir=tmp_path)
    second = load_settings(data_dir=tmp_path)
    assert first.secret_key is not None
    assert second.secret_key is not None
    assert first.secret_key.get_secret_value() == second.secret_key.get_secret_value()
    assert first.data_key_bytes() == second.data_key_bytes()
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_a_malformed_data_key_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MOVILIDAD_DATA_ENCRYPTION_KEY"):
        load_settings(data_dir=tmp_path, data_encryption_key="too-short")


def test_default_database_is_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite:///{tmp_path.resolve()}/movilidad.sqlite3"
