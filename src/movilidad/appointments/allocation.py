"""The allocation run of a request window, as a pure function of its inputs and seed.

Rules, in order (the method CBP One adopted in May 2023 and USCIS used for CHNV:
part of the places to those waiting longest, the rest at random — ``shared``
reference, programmes c and d.2):

1. ``longest_waiting_percent`` of the seats (rounded down) go to the requesting
   households registered longest ago (ties: lower request id);
2. then each configured priority group in turn (``SpecificNeed`` codes), its members
   ranked by their lottery number, until the seats run out;
3. the remaining seats go to the remaining households by lottery number.

A household's lottery number is HMAC-SHA256(seed, ``"request:<id>"``): a uniformly
random order fixed by the seed, independent of when or in which order the requests
came in, which anyone holding the published seed can recompute. Served households take
the seats in order (earliest slot first): longest waiting, then priority, then lottery.

Nothing here touches the database: :func:`allocate` is what a run and its ``replay``
both call.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

LONGEST_WAITING = "longest_waiting"
LOTTERY = "lottery"
PRIORITY_PREFIX = "priority:"


@dataclass(frozen=True)
class Seat:
    """One place in one slot: ``seat`` is 0 … capacity − 1."""

    slot_id: int
    seat: int


@dataclass(frozen=True)
class Candidate:
    """A waiting request. ``registered_at``: ISO 8601 UTC instant the household first
    registered; ``groups``: the priority groups it belongs to; ``nationality``: the
    principal applicant's ISO 3166-1 alpha-3 code (for the report only)."""

    request_id: int
    registered_at: str
    groups: tuple[str, ...] = ()
    nationality: str = ""


@dataclass(frozen=True)
class Placement:
    """A served request, its seat, and the rule that served it."""

    request_id: int
    slot_id: int
    seat: int
    rule: str


@dataclass(frozen=True)
class Inputs:
    """Everything a run depends on besides the seed. Seats in the order they are
    handed out; ``longest_waiting_percent`` 0–100; ``priority_groups`` in order."""

    seats: tuple[Seat, ...]
    candidates: tuple[Candidate, ...]
    longest_waiting_percent: int
    priority_groups: tuple[str, ...]
    office: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "office": self.office,
            "longest_waiting_percent": self.longest_waiting_percent,
            "priority_groups": list(self.priority_groups),
            "seats": [[s.slot_id, s.seat] for s in self.seats],
            "requests": [
                {"request": c.request_id, "registered_at": c.registered_at,
                 "groups": list(c.groups), "nationality": c.nationality}
                for c in self.candidates
            ],
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Inputs:
        """Rebuild stored inputs. Raises ``KeyError``/``TypeError`` for a malformed one."""
        return cls(
            seats=tuple(Seat(int(a), int(b)) for a, b in data["seats"]),
            candidates=tuple(
                Candidate(int(r["request"]), str(r["registered_at"]),
                          tuple(str(g) for g in r["groups"]), str(r["nationality"]))
                for r in data["requests"]
            ),
            longest_waiting_percent=int(data["longest_waiting_percent"]),
            priority_groups=tuple(str(g) for g in data["priority_groups"]),
            office=str(data.get("office", "")),
        )  # fmt: skip


def lottery_number(seed: str, request_id: int) -> str:
    """The request's place in the draw: HMAC-SHA256 keyed by the seed (hex), as hex.
    Lower numbers are drawn first. Raises ``ValueError`` for a seed that is not hex."""
    key = bytes.fromhex(seed)
    return hmac.new(key, f"request:{request_id}".encode(), hashlib.sha256).hexdigest()


def seed_hash(seed: str) -> str:
    """The SHA-256 (hex) of the seed's text, published before the window closes."""
    return hashlib.sha256(seed.encode("ascii")).hexdigest()


def digest(data: object) -> str:
    """SHA-256 (hex) of ``data`` as canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def allocate(inputs: Inputs, seed: str) -> list[Placement]:
    """Share ``inputs.seats`` among ``inputs.candidates`` by the rules above.

    Each candidate gets at most one seat; each seat goes to at most one candidate.
    Returns the placements in seat order. Raises ``ValueError`` for a seed that is
    not hex or a percentage outside 0–100.
    """
    if not 0 <= inputs.longest_waiting_percent <= 100:
        raise ValueError("longest_waiting_percent must be 0–100")
    numbers = {c.request_id: lottery_number(seed, c.request_id) for c in inputs.candidates}
    seats = len(inputs.seats)
    chosen: list[tuple[Candidate, str]] = []
    taken: set[int] = set()

    oldest = sorted(inputs.candidates, key=lambda c: (c.registered_at, c.request_id))
    for candidate in oldest[: seats * inputs.longest_waiting_percent // 100]:
        chosen.append((candidate, LONGEST_WAITING))
        taken.add(candidate.request_id)

    drawn = sorted(inputs.candidates, key=lambda c: numbers[c.request_id])
    for group in inputs.priority_groups:
        for candidate in drawn:
            if len(chosen) >= seats:
                break
            if candidate.request_id not in taken and group in candidate.groups:
                chosen.append((candidate, PRIORITY_PREFIX + group))
                taken.add(candidate.request_id)
    for candidate in drawn:
        if len(chosen) >= seats:
            break
        if candidate.request_id not in taken:
            chosen.append((candidate, LOTTERY))
            taken.add(candidate.request_id)
    return [
        Placement(candidate.request_id, seat.slot_id, seat.seat, rule)
        for (candidate, rule), seat in zip(chosen, inputs.seats, strict=False)
    ]


def result_json(placements: Sequence[Placement]) -> list[dict[str, Any]]:
    return [
        {"request": p.request_id, "slot": p.slot_id, "seat": p.seat, "rule": p.rule}
        for p in placements
    ]


def report(inputs: Inputs, placements: Sequence[Placement]) -> dict[str, Any]:
    """The counts published with a run: seats, requests, served and not served, per
    rule, per nationality and per office. No request id, no person."""
    served = {p.request_id for p in placements}
    nationality_requests = Counter(c.nationality for c in inputs.candidates)
    nationality_served = Counter(c.nationality for c in inputs.candidates if c.request_id in served)
    by_nationality = {
        code: {"requests": nationality_requests[code], "allocated": nationality_served[code]}
        for code in sorted(nationality_requests)
    }
    totals = {"requests": len(inputs.candidates), "allocated": len(placements)}
    return {
        "seats": len(inputs.seats),
        "requests": len(inputs.candidates),
        "allocated": len(placements),
        "not_allocated": len(inputs.candidates) - len(placements),
        "by_rule": dict(sorted(Counter(p.rule for p in placements).items())),
        "by_nationality": by_nationality,
        "by_office": {inputs.office: totals} if inputs.office else {},
    }


#: Counts below this (other than zero) are not published: a cell of 1–4 people could
#: point at someone (small-cell suppression, as in UNHCR's statistical disclosure
#: control guidance for refugee data).
SMALL_CELL: Final = 5


def public_report(counts: dict[str, Any], threshold: int = SMALL_CELL) -> dict[str, Any]:
    """The report as published: nationalities with fewer than ``threshold`` requests
    are pooled into ``"other"``, and any count from 1 to ``threshold`` − 1 becomes
    the text ``"<threshold"`` (e.g. ``"<5"``). Totals of seats are kept (they are
    about slots, not people)."""

    def cell(value: int) -> int | str:
        return f"<{threshold}" if 0 < value < threshold else value

    pooled = {"requests": 0, "allocated": 0}
    nationalities: dict[str, dict[str, int | str]] = {}
    for code, row in counts.get("by_nationality", {}).items():
        if row["requests"] < threshold:
            pooled["requests"] += row["requests"]
            pooled["allocated"] += row["allocated"]
        else:
            nationalities[code] = {"requests": cell(row["requests"]),
                                   "allocated": cell(row["allocated"])}  # fmt: skip
    if pooled["requests"]:
        nationalities["other"] = {key: cell(value) for key, value in pooled.items()}
    return {
        "seats": counts.get("seats", 0),
        "requests": cell(counts.get("requests", 0)),
        "allocated": cell(counts.get("allocated", 0)),
        "not_allocated": cell(counts.get("not_allocated", 0)),
        "by_rule": {rule: cell(n) for rule, n in counts.get("by_rule", {}).items()},
        "by_nationality": nationalities,
    }
