"""Privacy notices: ``notices/privacy.yaml``, versioned, in every supported language.

A notice version has sections (title and body per language, ``{country}`` and
``{phone}`` filled per office country) and the consent sentence the applicant agrees
to. A section may apply only to countries with a flag (``only_if``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from movilidad.kernel.dates import parse_iso_date
from movilidad.kernel.errors import ConfigError
from movilidad.kernel.languages import SUPPORTED_LANGUAGES

NOTICE_FILE = "privacy.yaml"


@dataclass(frozen=True)
class Section:
    id: str
    title: dict[str, str]
    body: dict[str, str]
    only_if: str | None = None


@dataclass(frozen=True)
class NoticeVersion:
    version: str
    effective_from: date
    sections: tuple[Section, ...]
    consent: dict[str, str]


@dataclass(frozen=True)
class RenderedSection:
    title: str
    body: str


@dataclass(frozen=True)
class Notices:
    versions: tuple[NoticeVersion, ...]  # oldest first
    countries: dict[str, dict[str, Any]]

    def current(self, day: date) -> NoticeVersion:
        """The newest version in force on ``day``. Raises ``LookupError`` if none."""
        candidates = [v for v in self.versions if v.effective_from <= day]
        if not candidates:
            raise LookupError(f"no privacy notice in force on {day}")
        return candidates[-1]

    def get(self, version: str) -> NoticeVersion | None:
        return next((v for v in self.versions if v.version == version), None)

    def serves(self, country: str) -> bool:
        return country in self.countries

    def render(
        self, version: NoticeVersion, country: str, country_name: str, language: str
    ) -> list[RenderedSection]:
        """The sections that apply to ``country``, filled in, in ``language``."""
        data = self.countries[country]
        values = {"country": country_name, "phone": data.get("phone", "")}
        return [
            RenderedSection(
                section.title[language].format(**values), section.body[language].format(**values)
            )
            for section in version.sections
            if section.only_if is None or data.get(section.only_if)
        ]


def _texts(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ConfigError("MOVILIDAD_NOTICES_DIR", f"{where}: expected texts per language")
    missing = [lang for lang in SUPPORTED_LANGUAGES if not str(raw.get(lang, "")).strip()]
    if missing:
        raise ConfigError("MOVILIDAD_NOTICES_DIR", f"{where}: missing {', '.join(missing)}")
    for lang in SUPPORTED_LANGUAGES:
        try:
            str(raw[lang]).format(country="x", phone="x")
        except (KeyError, IndexError, ValueError):
            raise ConfigError(
                "MOVILIDAD_NOTICES_DIR", f"{where} ({lang}): only {{country}} and {{phone}}"
            ) from None
    return {lang: " ".join(str(raw[lang]).split()) for lang in SUPPORTED_LANGUAGES}


def load_notices(directory: Path) -> Notices:
    """Read and validate the privacy notice. Raises :class:`ConfigError`."""
    path = directory / NOTICE_FILE
    try:
        document = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (OSError, YAMLError) as exc:
        raise ConfigError("MOVILIDAD_NOTICES_DIR", f"cannot read {path}: {exc}") from None
    versions = []
    for raw in document.get("versions", []):
        where = f"{NOTICE_FILE} version {raw.get('version')!r}"
        sections = tuple(
            Section(
                id=str(s["id"]),
                title=_texts(s.get("title"), f"{where} section {s.get('id')} title"),
                body=_texts(s.get("body"), f"{where} section {s.get('id')} body"),
                only_if=s.get("only_if"),
            )
            for s in raw.get("sections", [])
        )
        versions.append(
            NoticeVersion(
                version=str(raw["version"]),
                effective_from=parse_iso_date(str(raw["effective_from"])),
                sections=sections,
                consent=_texts(raw.get("consent"), f"{where} consent"),
            )
        )
    if not versions:
        raise ConfigError("MOVILIDAD_NOTICES_DIR", f"{path}: no version")
    versions.sort(key=lambda v: v.effective_from)
    countries = {str(k): dict(v or {}) for k, v in (document.get("countries") or {}).items()}
    return Notices(tuple(versions), countries)
