"""Authorised third parties: ``notices/recipients.yaml``.

Each recipient names, in every language, an organisation that may receive referral
packages from offices in ``countries`` for ``pathways``, and which categories of data
it receives (``shares``). ``government_of`` (alpha-3) marks a government: it never
receives the data of a household with that nationality without specific consent.
Source of the rule: the Safe Mobility privacy notice (``shared`` reference, section
e.1: "Except for citizens of Guatemala ... will not share your personal data with the
authorities of the government in your home country").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from movilidad.kernel.countries import InvalidCountry, validate_alpha3
from movilidad.kernel.errors import ConfigError
from movilidad.kernel.languages import SUPPORTED_LANGUAGES

RECIPIENTS_FILE: Final = "recipients.yaml"
SHARES: Final = ("identity", "documents", "contact", "answers")
_SETTING: Final = "MOVILIDAD_NOTICES_DIR"


@dataclass(frozen=True)
class Recipient:
    id: str
    names: dict[str, str]
    government_of: str | None
    countries: frozenset[str]
    pathways: tuple[str, ...]
    shares: frozenset[str]
    sources: tuple[str, ...]

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names["en"]

    def needs_specific_consent(self, nationalities: set[str]) -> bool:
        """True when this recipient is the government of one of ``nationalities``."""
        return self.government_of is not None and self.government_of in nationalities


@dataclass(frozen=True)
class Recipients:
    by_id: dict[str, Recipient]

    def get(self, recipient_id: str) -> Recipient | None:
        return self.by_id.get(recipient_id)

    def for_office(self, country: str) -> list[Recipient]:
        """Recipients that offices in ``country`` (alpha-3) may refer to, by id."""
        return sorted((r for r in self.by_id.values() if country in r.countries),
                      key=lambda r: r.id)  # fmt: skip


def _fail(where: str, reason: str) -> ConfigError:
    return ConfigError(_SETTING, f"{RECIPIENTS_FILE}: {where}: {reason}")


def _country(value: Any, where: str) -> str:
    try:
        return validate_alpha3(str(value))
    except InvalidCountry:
        raise _fail(where, f"{value!r} is not an ISO 3166-1 alpha-3 code") from None


def load_recipients(directory: Path, known_pathways: set[str] | None = None) -> Recipients:
    """Read and validate the recipients. ``known_pathways``: the catalogue's pathway ids,
    to refuse a recipient of a pathway that does not exist. Raises
    :class:`~movilidad.kernel.errors.ConfigError`."""
    path = directory / RECIPIENTS_FILE
    try:
        document = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    except (OSError, YAMLError) as exc:
        raise ConfigError(_SETTING, f"cannot read {path}: {exc}") from None
    found: dict[str, Recipient] = {}
    for raw in document.get("recipients") or []:
        rid = str(raw.get("id", ""))
        where = f"recipient {rid!r}"
        if not rid or rid in found:
            raise _fail(where, "each recipient needs a unique id")
        names = raw.get("names") or {}
        missing = [lang for lang in SUPPORTED_LANGUAGES if not str(names.get(lang, "")).strip()]
        if missing:
            raise _fail(where, f"names missing in {', '.join(missing)}")
        shares = frozenset(str(s) for s in raw.get("shares") or [])
        if not shares or not shares <= set(SHARES):
            raise _fail(where, f"shares must be some of {', '.join(SHARES)}")
        pathways = tuple(str(p) for p in raw.get("pathways") or [])
        unknown = [p for p in pathways if known_pathways is not None and p not in known_pathways]
        if not pathways or unknown:
            raise _fail(where, f"unknown or missing pathways {unknown}")
        government = raw.get("government_of")
        found[rid] = Recipient(
            id=rid,
            names={lang: " ".join(str(names[lang]).split()) for lang in SUPPORTED_LANGUAGES},
            government_of=_country(government, where) if government else None,
            countries=frozenset(_country(c, where) for c in raw.get("countries") or []),
            pathways=pathways,
            shares=shares,
            sources=tuple(str(s) for s in raw.get("sources") or []),
        )
    return Recipients(found)
