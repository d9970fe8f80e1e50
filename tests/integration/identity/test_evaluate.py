"""The linkage model measured against known truth, as `movilidad dedupe evaluate` prints
it. The full side-by-side figures (FEBRL3 and FEBRL4, all fields and names only, plain
Splink and recordlinkage) are in bench/identity_linkage.py."""

from __future__ import annotations

import json

from movilidad.identity.evaluate import evaluate
from tests.functional.test_cli import run_cli


def test_febrl4_with_names_and_dates_of_birth_only_reaches_f1_0_95() -> None:
    report = evaluate("febrl4", "names-dob")
    assert report["records"] == 10_000
    assert report["true_pairs"] == 5_000
    assert report["f1"] >= 0.95, report
    assert report["pairs_compared"] < 30_000  # blocking keeps about 2 pairs per record


def test_the_command_prints_one_json_object_per_nationality_too() -> None:
    done = run_cli("dedupe", "evaluate", "--dataset", "synthetic", "--fields", "all",
                   "--size", "4000", "--seed", "3")  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) >= {"precision", "recall", "f1", "seconds", "pairs_compared"}
    assert report["f1"] >= 0.9, report
    assert {"VEN", "HTI", "COL"} <= set(report["by_nationality"])
    bad = run_cli("dedupe", "evaluate", "--dataset", "febrl5")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr


def test_synth_writes_a_csv_with_the_ground_truth(tmp_path: object) -> None:
    from pathlib import Path

    target = Path(str(tmp_path)) / "registry.csv"
    done = run_cli("dedupe", "synth", "--size", "300", "--seed", "4", "--output", str(target))
    assert done.returncode == 0, done.stderr
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("record_id,person_id,nationality")
    assert len(lines) == 301
