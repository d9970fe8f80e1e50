"""Benchmark: screening one household against the whole catalogue (scalar engine).

Target: median under 1 ms. Run: .venv/bin/python bench/screen_one.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe

from movilidad.config import PROJECT_ROOT
from movilidad.pathways.catalogue import load_catalogue
from movilidad.pathways.facts import validate_facts
from movilidad.screening.engine import Screener

HOUSEHOLDS = [
    {"nationalities": ["VEN"], "date_of_birth": "1990-05-04", "current_country": "COL",
     "present_in_current_country_since": "2022-03-01", "status_in_current_country": "regular",
     "fear_of_persecution": True, "permanent_status_in_another_country": False,
     "relatives_abroad": [{"country": "CAN", "relationship": "sibling",
                           "relative_status": "citizen"}],
     "wants_to_live_in_quebec": False, "valid_passport": True, "removed_from_us_on": None},
    {"nationalities": ["NIC"], "current_country": "CRI",
     "present_in_current_country_since": "2023-07-01",
     "status_in_current_country": "asylum_seeker"},
    {"nationalities": ["HTI"], "current_country": "HTI", "us_supporter_confirmed": True,
     "valid_passport": True, "removed_from_us_on": None, "last_irregular_entry_us_on": None,
     "last_irregular_entry_mexico_panama_on": None, "permanent_status_in_another_country": False,
     "status_in_current_country": "citizen"},
    {},
]  # fmt: skip
DATES = [date(2023, 7, 15), date(2024, 1, 10), date(2025, 3, 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5000)
    rounds = parser.parse_args().rounds
    catalogue = load_catalogue(PROJECT_ROOT / "catalogue")
    screener = Screener(catalogue)
    facts = [validate_facts(catalogue.facts, h) for h in HOUSEHOLDS]
    for _ in range(200):  # warm-up
        screener.screen(facts[0], DATES[0], "es")
    timings: list[float] = []
    for i in range(rounds):
        household, as_of = facts[i % len(facts)], DATES[i % len(DATES)]
        started = time.perf_counter()
        screener.screen(household, as_of, "es")
        timings.append(time.perf_counter() - started)
    timings.sort()
    criteria = sum(len(v.criteria) for p in catalogue.pathways.values() for v in p.versions)
    print(describe())
    print(f"catalogue: {len(catalogue.pathways)} pathways, {criteria} criteria in all versions")
    print(
        f"screen one household, whole catalogue, {rounds} rounds: "
        f"median {statistics.median(timings) * 1000:.3f} ms, "
        f"p95 {timings[int(rounds * 0.95)] * 1000:.3f} ms, "
        f"max {timings[-1] * 1000:.3f} ms (target: median < 1 ms)"
    )


if __name__ == "__main__":
    main()
