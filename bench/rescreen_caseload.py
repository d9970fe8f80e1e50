"""Benchmark: re-screening a large synthetic caseload with the batch (Polars) engine.

Target: 1,000,000 households against the whole catalogue in under 60 s on a 2-core
machine, peak memory under 4 GB, and the same results as the scalar engine on a
random sample. Run: .venv/bin/python bench/rescreen_caseload.py [--households N]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe

from movilidad.config import PROJECT_ROOT
from movilidad.pathways.catalogue import Catalogue, load_catalogue
from movilidad.screening.batch import OUTCOME_CODES, STATUS_CODES, BatchScreener
from movilidad.screening.engine import Outcome, Screener

NATIONALITIES = ["VEN", "COL", "CUB", "HTI", "NIC", "GTM", "HND", "SLV", "ECU", "PER"]
COUNTRIES = ["COL", "CRI", "GTM", "ECU", "HTI", "VEN", "NIC", "DOM", "PER", "USA"]
AS_OF = date(2024, 6, 1)  # every pathway but one has a version in force


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_frame(catalogue: Catalogue, n: int, rng: random.Random) -> pl.DataFrame:
    """``n`` random households in the batch engine's frame layout; about 15% of the
    facts are unknown and about half of the nullable dates are "none"."""

    def known() -> pl.Series:
        return pl.Series(rng.choices([True, False], weights=[85, 15], k=n), dtype=pl.Boolean)

    def dates(start: date, span_days: int, none_share: float = 0.0) -> pl.Expr:
        offsets = pl.Series([rng.randrange(span_days) for _ in range(n)], dtype=pl.Int64)
        text = (pl.lit(start) + pl.duration(days=offsets)).dt.strftime("%Y-%m-%d")
        if not none_share:
            return text
        is_none = pl.Series([rng.random() < none_share for _ in range(n)], dtype=pl.Boolean)
        return pl.when(is_none).then(pl.lit(None, dtype=pl.String)).otherwise(text)

    first = pl.Series(rng.choices(NATIONALITIES, k=n))
    second = pl.Series(rng.choices([*NATIONALITIES, *([None] * 30)], k=n), dtype=pl.String)
    has_relative = pl.Series([rng.random() < 0.3 for _ in range(n)], dtype=pl.Boolean)
    columns: dict[str, Any] = {
        "nationalities": pl.concat_list(pl.lit(first), pl.lit(second)).list.drop_nulls(),
        "current_country": pl.lit(pl.Series(rng.choices(COUNTRIES, k=n))),
        "present_in_current_country_since": dates(date(2016, 1, 1), 3000),
        "status_in_current_country": pl.lit(pl.Series(rng.choices(
            catalogue.facts.facts["status_in_current_country"].values, k=n))),
        "asylum_registered_on": dates(date(2017, 1, 1), 2500, none_share=0.5),
        "date_of_birth": dates(date(1950, 1, 1), 27000),
        "relatives_abroad": pl.when(pl.lit(has_relative)).then(pl.concat_list(pl.struct(
            country=pl.lit(pl.Series(rng.choices(["CAN", "USA", "ESP"], k=n))),
            relationship=pl.lit(pl.Series(rng.choices(
                ["sibling", "parent", "child", "other"], k=n))),
            relative_status=pl.lit(pl.Series(rng.choices(
                ["citizen", "permanent_resident", "other"], k=n))),
        ))).otherwise(pl.concat_list(pl.struct(
            country=pl.lit(None, dtype=pl.String), relationship=pl.lit(None, dtype=pl.String),
            relative_status=pl.lit(None, dtype=pl.String))).list.head(0)),
        "removed_from_us_on": dates(date(2012, 1, 1), 4000, none_share=0.95),
        "last_irregular_entry_us_on": dates(date(2020, 1, 1), 1800, none_share=0.9),
        "last_irregular_entry_mexico_panama_on": dates(date(2020, 1, 1), 1800, none_share=0.8),
        "i130_petitioner_status": pl.lit(pl.Series(rng.choices(
            ["citizen", "permanent_resident"], k=n))),
        "i130_relationship": pl.lit(pl.Series(rng.choices(
            ["spouse", "child", "adult_child", "sibling", "parent"], k=n))),
    }  # fmt: skip
    for name, spec in catalogue.facts.facts.items():
        if spec.type == "bool" and not spec.derived:
            columns[name] = pl.lit(pl.Series(rng.choices([True, False], k=n)))
    frame = pl.select(**columns)
    return frame.with_columns(
        known().alias(f"{name}__known")
        for name, spec in catalogue.facts.facts.items()
        if not spec.derived
    )


def _facts_of(row: dict[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for name, spec in catalogue.facts.facts.items():
        if spec.derived or not row[f"{name}__known"]:
            continue
        value = row[name]
        facts[name] = sorted(set(value)) if spec.type == "countries" else value
    return facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2000)
    args = parser.parse_args()
    catalogue = load_catalogue(PROJECT_ROOT / "catalogue")
    rng = random.Random(20231018)
    started = time.perf_counter()
    frame = synthetic_frame(catalogue, args.households, rng)
    generated = time.perf_counter() - started
    memory_before = _peak_mib()

    started = time.perf_counter()
    result = BatchScreener(catalogue).screen(frame, AS_OF)
    elapsed = time.perf_counter() - started
    memory_peak = _peak_mib()

    sample = rng.sample(range(args.households), min(args.sample, args.households))
    scalar = Screener(catalogue)
    mismatches = 0
    for index in sample:
        facts = _facts_of(frame.row(index, named=True), catalogue)
        expected = scalar.screen(facts, AS_OF, "en")
        row = result.row(index, named=True)
        for pathway_id, outcome in expected.results.items():
            if OUTCOME_CODES[row[pathway_id]] is not outcome.outcome:
                mismatches += 1
            for criterion in outcome.criteria:
                if STATUS_CODES[row[f"{pathway_id}.{criterion.id}"]] is not criterion.status:
                    mismatches += 1
    outcomes = result.select(pl.col(p).value_counts().alias(p) for p in sorted(catalogue.pathways))
    eligible = sum(
        int((result[p] == OUTCOME_CODES.index(Outcome.ELIGIBLE)).sum()) for p in catalogue.pathways
    )
    print(describe())
    print(f"polars {pl.__version__}, {pl.thread_pool_size()} threads")
    print(f"households: {args.households:,} (generated in {generated:.1f} s), as of {AS_OF}")
    print(f"criteria evaluated per household: {result.width - len(catalogue.pathways)}")
    print(
        f"batch re-screening: {elapsed:.2f} s "
        f"({args.households / elapsed:,.0f} households/s; target < 60 s for 1,000,000)"
    )
    print(
        f"peak resident memory: {memory_peak:,.0f} MiB "
        f"(after generating the frame: {memory_before:,.0f} MiB; target < 4,096 MiB)"
    )
    print(f"eligible outcomes in all: {eligible:,}; outcome columns: {outcomes.width}")
    print(
        f"scalar engine on a sample of {len(sample):,} households: {mismatches} mismatches "
        "in outcomes and criterion statuses"
    )
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
