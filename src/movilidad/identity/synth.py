"""A synthetic migrant registry with known duplicates, to measure record linkage.

``generate(size, seed)`` draws people of the region's main nationalities and writes
``size`` registration records: most people once, some two to four times, each copy
corrupted by the error model below. ``person_id`` is the ground truth: two records are
the same person exactly when their ``person_id`` is equal.

Names come from weighted pools: Colombian and Chilean first names and surnames (Faker's
``es_CO`` and ``es_CL`` providers, which carry census frequencies, so "Rodríguez" is
common and "Quiñónez" rare), Mexican ones for Central America, the curated
Venezuelan, Cuban, Nicaraguan, Guatemalan and Haitian pools of
:mod:`movilidad.seed.names`, and French given names and surnames for Haiti. A
Spanish-speaking person has one or two given names and two surnames; a Haitian one,
one or two given names (often hyphenated) and one surname.

Error model — each copy after the first (probabilities per copy):

====================================  ======  =========================================
error                                 p       as seen in registries
====================================  ======  =========================================
typing error in a name field          0.12    insert, delete, substitute or transpose
                                              one letter (per field)
accents dropped                       0.40    "María Pérez" → "Maria Perez"
second surname left out               0.30    "Pérez Gómez" → "Pérez"
surnames swapped                      0.05    "Pérez Gómez" → "Gómez Pérez"
surnames merged into the first field  0.05    first "Pérez Gómez", second empty
second given name left out            0.30    "María José" → "María"
day and month of birth swapped        0.05    1990-03-07 → 1990-07-03 (day ≤ 12)
one digit of the birth date wrong     0.04    1990-03-07 → 1990-08-07
a different phone number              0.35    the person changed SIM
document number missing               0.50    (when the first record had one)
document number written differently   0.50    spaces, dashes, lower case
registered again by a relative        0.25    then: first given name only, second
                                              surname left out with p 0.6, birth day
                                              unknown (1st of the month) with p 0.3,
                                              typing errors twice as likely, no document
====================================  ======  =========================================

Independently, 2 % of all records carry the phone number of an intermediary who
registers many unrelated households (a fraud indicator, and a trap for a linker that
trusts phones).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from itertools import accumulate
from typing import Final

from faker.providers.person.es_CL import Provider as ChileanNames
from faker.providers.person.es_CO import Provider as ColombianNames
from faker.providers.person.es_MX import Provider as MexicanNames
from faker.providers.person.fr_FR import Provider as FrenchNames

from movilidad.seed import names

#: Nationality (ISO 3166-1 alpha-3) → share of the registry, after the Safe Mobility
#: Offices' published intake (``shared`` reference, b.1), rounded.
NATIONALITIES: Final = {
    "VEN": 0.40, "COL": 0.12, "HTI": 0.15, "CUB": 0.08, "NIC": 0.06, "HND": 0.06,
    "GTM": 0.05, "SLV": 0.03, "ECU": 0.05,
}  # fmt: skip

#: Country calling code of the country people register from (most are in Colombia,
#: Costa Rica, Guatemala or Ecuador).
CALLING_CODES: Final = ("+57", "+506", "+502", "+593")


@dataclass(frozen=True)
class ErrorModel:
    """Probabilities of each error in a repeated registration (see the module text)."""

    duplicate_share: float = 0.15
    typo: float = 0.12
    accent_loss: float = 0.40
    drop_second_surname: float = 0.30
    swap_surnames: float = 0.05
    merge_surnames: float = 0.05
    drop_second_given: float = 0.30
    swap_day_month: float = 0.05
    date_digit: float = 0.04
    new_phone: float = 0.35
    document_missing: float = 0.50
    document_reformat: float = 0.50
    by_relative: float = 0.25
    intermediary_phone: float = 0.02


@dataclass(frozen=True)
class Record:
    """One registration. Names as typed; ``date_of_birth`` ISO 8601 (``""`` unknown);
    ``phone`` E.164 (``""`` none); ``document_number`` as typed (``""`` none)."""

    record_id: int
    person_id: int
    nationality: str
    sex: str
    given_names: str
    first_surname: str
    second_surname: str
    date_of_birth: str
    phone: str
    document_number: str
    error: str  # the errors applied to this copy, comma-separated ("" for the original)


def _weighted(pool: object) -> tuple[list[str], list[float]]:
    if isinstance(pool, dict):
        return list(pool), [float(v) for v in pool.values()]
    values = list(pool)  # type: ignore[call-overload]
    return values, [1.0] * len(values)


def _merge(*pools: tuple[list[str], list[float]]) -> tuple[list[str], list[float]]:
    """Pool the lists, each with the same total weight."""
    merged: dict[str, float] = {}
    for values, weights in pools:
        total = sum(weights) or 1.0
        for value, weight in zip(values, weights, strict=True):
            merged[value] = merged.get(value, 0.0) + weight / total
    return list(merged), list(merged.values())


def _pools() -> dict[str, dict[str, tuple[list[str], list[float]]]]:
    co_f, co_m = (
        _weighted(ColombianNames.first_names_female),
        _weighted(ColombianNames.first_names_male),
    )
    cl_f, cl_m = (
        _weighted(ChileanNames.first_names_female),
        _weighted(ChileanNames.first_names_male),
    )
    mx_f, mx_m = (
        _weighted(MexicanNames.first_names_female),
        _weighted(MexicanNames.first_names_male),
    )
    co_s, cl_s, mx_s = (_weighted(ColombianNames.last_names), _weighted(ChileanNames.last_names),
                        _weighted(MexicanNames.last_names))  # fmt: skip
    our_f, our_m = _weighted(names.HISPANIC_FEMALE), _weighted(names.HISPANIC_MALE)
    our_s = _weighted(names.HISPANIC_SURNAMES)
    hispanic = {"female": _merge(co_f, cl_f, our_f), "male": _merge(co_m, cl_m, our_m),
                "surname": _merge(co_s, cl_s, our_s)}  # fmt: skip
    central = {"female": _merge(mx_f, our_f), "male": _merge(mx_m, our_m),
               "surname": _merge(mx_s, our_s, _weighted(names.GUATEMALAN_SURNAMES),
                                 _weighted(names.NICARAGUAN_SURNAMES))}  # fmt: skip
    cuban = {**hispanic, "surname": _merge(co_s, _weighted(names.CUBAN_SURNAMES))}
    haitian = {
        "female": _merge(
            _weighted(names.HAITIAN_FEMALE), _weighted(FrenchNames.first_names_female)
        ),
        "male": _merge(_weighted(names.HAITIAN_MALE), _weighted(FrenchNames.first_names_male)),
        "surname": _merge(_weighted(names.HAITIAN_SURNAMES), _weighted(FrenchNames.last_names)),
    }  # fmt: skip
    return {"VEN": hispanic, "COL": hispanic, "ECU": hispanic, "CUB": cuban, "HTI": haitian,
            "NIC": central, "HND": central, "GTM": central, "SLV": central}  # fmt: skip


_LETTERS: Final = "abcdefghijklmnopqrstuvwxyz"


def strip_accents(text: str) -> str:
    """``"Peña Núñez"`` → ``"Pena Nunez"`` (combining marks removed after NFKD)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(4)
    letter = rng.choice(_LETTERS)
    if kind == 0:
        return text[:i] + letter + text[i:]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2:
        return text[:i] + letter + text[i + 1 :]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]


class _People:
    """Draws original records."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pools = _pools()
        self.codes = list(NATIONALITIES)
        self.shares = list(accumulate(NATIONALITIES.values()))
        self._cumulative: dict[int, tuple[list[str], list[float]]] = {}

    def draw(self, choice: tuple[list[str], list[float]]) -> str:
        values, cumulative = self.cumulative(choice)
        return self.rng.choices(values, cum_weights=cumulative)[0]

    def cumulative(self, choice: tuple[list[str], list[float]]) -> tuple[list[str], list[float]]:
        key = id(choice)
        if key not in self._cumulative:
            self._cumulative[key] = (choice[0], list(accumulate(choice[1])))
        return self._cumulative[key]

    def person(self, record_id: int) -> Record:
        rng = self.rng
        nationality = rng.choices(self.codes, cum_weights=self.shares)[0]
        pool = self.pools[nationality]
        sex = rng.choice(("female", "male"))
        given = self.draw(pool[sex])
        if rng.random() < 0.45 and " " not in given:
            second = self.draw(pool[sex])
            if second != given:
                given = f"{given}-{second}" if nationality == "HTI" else f"{given} {second}"
        first = self.draw(pool["surname"])
        second_surname = "" if nationality == "HTI" else self.draw(pool["surname"])
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 58))
        phone = rng.choice(CALLING_CODES) + str(rng.randrange(3_000_000_000, 3_999_999_999))
        document = ""
        if rng.random() < 0.6:
            document = f"{rng.choice('ABCDEFGHJKLMNPRSTVXYZ')}{rng.randrange(10**7, 10**8)}"
        return Record(record_id, record_id, nationality, sex, given, first, second_surname,
                      born.isoformat(), phone, document, "")  # fmt: skip


def _corrupt(rng: random.Random, original: Record, record_id: int, model: ErrorModel) -> Record:
    errors: list[str] = []
    relative = rng.random() < model.by_relative
    typo = model.typo * (2 if relative else 1)
    given, first, second = original.given_names, original.first_surname, original.second_surname
    if relative:
        errors.append("relative")
        given = given.replace("-", " ").split(" ")[0]
    elif rng.random() < model.drop_second_given and (" " in given or "-" in given):
        errors.append("second_given_dropped")
        given = given.replace("-", " ").split(" ")[0]
    if second:
        if rng.random() < (0.6 if relative else model.drop_second_surname):
            errors.append("second_surname_dropped")
            second = ""
        elif rng.random() < model.swap_surnames:
            errors.append("surnames_swapped")
            first, second = second, first
        elif rng.random() < model.merge_surnames:
            errors.append("surnames_merged")
            first, second = f"{first} {second}", ""
    if rng.random() < model.accent_loss:
        errors.append("accents_lost")
        given, first, second = strip_accents(given), strip_accents(first), strip_accents(second)
    fields = [given, first, second]
    for index in range(3):
        if fields[index] and rng.random() < typo:
            errors.append(("given", "first_surname", "second_surname")[index] + "_typo")
            fields[index] = _typo(rng, fields[index])
    born = original.date_of_birth
    year, month, day = born.split("-")
    if relative and rng.random() < 0.3:
        errors.append("birth_day_unknown")
        day = "01"
    elif rng.random() < model.swap_day_month and int(day) <= 12 and day != month:
        errors.append("day_month_swapped")
        month, day = day, month
    elif rng.random() < model.date_digit:
        errors.append("date_digit")
        digits = list(year + month + day)
        position = rng.randrange(2, 8)
        digits[position] = str(rng.randrange(10))
        candidate = "".join(digits)
        try:
            date(int(candidate[:4]), int(candidate[4:6]), int(candidate[6:]))
            year, month, day = candidate[:4], candidate[4:6], candidate[6:]
        except ValueError:
            errors.pop()
    phone = original.phone
    if rng.random() < model.new_phone:
        errors.append("new_phone")
        phone = rng.choice(CALLING_CODES) + str(rng.randrange(3_000_000_000, 3_999_999_999))
    document = original.document_number
    if document and (relative or rng.random() < model.document_missing):
        document = ""
    elif document and rng.random() < model.document_reformat:
        errors.append("document_reformatted")
        document = f"{document[0].lower()}-{document[1:4]} {document[4:]}"
    return replace(
        original, record_id=record_id, given_names=fields[0], first_surname=fields[1],
        second_surname=fields[2], date_of_birth=f"{year}-{month}-{day}", phone=phone,
        document_number=document, error=",".join(errors),
    )  # fmt: skip


def generate(size: int, seed: int, model: ErrorModel | None = None) -> Iterator[Record]:
    """Yield ``size`` records (``size`` ≥ 0) made from seed ``seed``: the same arguments
    always give the same registry. About ``model.duplicate_share`` of the people are
    registered more than once (2 copies 75 %, 3 copies 20 %, 4 copies 5 %)."""
    model = model or ErrorModel()
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    people = _People(rng)
    intermediaries = [rng.choice(CALLING_CODES) + str(rng.randrange(3_000_000_000, 3_999_999_999))
                      for _ in range(max(1, size // 5000))]  # fmt: skip
    made = 0
    while made < size:
        original = people.person(made)
        copies = [original]
        if rng.random() < model.duplicate_share:
            extra = rng.choices((1, 2, 3), (0.75, 0.20, 0.05))[0]
            copies += [_corrupt(rng, original, made + n + 1, model) for n in range(extra)]
        for record in copies[: size - made]:
            if rng.random() < model.intermediary_phone:
                record = replace(record, phone=rng.choice(intermediaries))
            yield record
        made += len(copies[: size - made])


def true_pairs(records: Sequence[Record]) -> set[tuple[int, int]]:
    """The pairs (lower id, higher id) of records of the same person."""
    by_person: dict[int, list[int]] = {}
    for record in records:
        by_person.setdefault(record.person_id, []).append(record.record_id)
    pairs: set[tuple[int, int]] = set()
    for ids in by_person.values():
        ids.sort()
        pairs.update((a, b) for i, a in enumerate(ids) for b in ids[i + 1 :])
    return pairs


def as_rows(records: Sequence[Record]) -> list[dict[str, object]]:
    return [asdict(record) for record in records]
