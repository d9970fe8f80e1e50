"""`movilidad screen` and `movilidad pathways check` as an operator runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from movilidad.config import PROJECT_ROOT
from tests.functional.test_cli import run_cli

VENEZUELAN = {
    "nationalities": ["VEN"],
    "date_of_birth": "1990-05-04",
    "current_country": "COL",
    "present_in_current_country_since": "2022-03-01",
    "status_in_current_country": "regular",
}


def test_screen_a_household_from_a_file(tmp_path: Path) -> None:
    facts = tmp_path / "household.json"
    facts.write_text(json.dumps(VENEZUELAN), encoding="utf-8")
    result = run_cli("screen", str(facts), "--as-of", "2023-07-15", "--lang", "es")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["as_of"] == "2023-07-15"
    assert payload["results"]["smo-col"]["outcome"] == "eligible"
    assert payload["results"]["smo-col"]["version"] == "2023-06"
    assert payload["results"]["us-chnv"]["outcome"] == "needs_information"
    assert payload["results"]["ca-family"]["outcome"] == "not_open"  # opened 17 Nov 2023


def test_screen_reads_standard_input_and_reports_closed_programmes() -> None:
    result = run_cli("screen", "-", "--as-of", "2025-03-01", stdin=json.dumps(VENEZUELAN))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["results"]["smo-col"] == {
        "outcome": "not_open",
        "version": None,
        "criteria": [],
    }


def test_invalid_json_is_exit_2_with_the_position() -> None:
    result = run_cli("screen", "-", "--as-of", "2023-07-15", stdin='{"nationalities": ["VEN"],}')
    assert result.returncode == 2
    assert "invalid JSON at line 1" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_problem_in_the_facts_is_listed() -> None:
    bad = {"nationalities": ["Venezuela"], "date_of_birth": "04/05/1990", "colour": "red"}
    result = run_cli("screen", "-", "--as-of", "2023-02-30", "--lang", "de", stdin=json.dumps(bad))
    assert result.returncode == 2
    for expected in ("--as-of", "--lang", "nationalities[0]", "date_of_birth", "colour"):
        assert expected in result.stderr, expected
    assert result.stdout == ""


def test_pathways_check_passes_on_the_real_catalogue() -> None:
    result = run_cli("pathways", "check")
    assert result.returncode == 0, result.stderr
    assert "10 pathways" in result.stdout


def test_pathways_check_names_file_line_and_reason(tmp_path: Path) -> None:
    folder = tmp_path / "catalogue"
    shutil.copytree(PROJECT_ROOT / "catalogue", folder)
    path = folder / "smo-ecu.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "effective_from: 2023-10-18", "effective_from: soon"
        ),
        encoding="utf-8",
    )
    result = run_cli("pathways", "check", str(folder))
    assert result.returncode == 1
    assert "smo-ecu.yaml:" in result.stderr
    assert "effective_from" in result.stderr


def test_rescreen_command_runs_once_then_finds_nothing_to_do(tmp_path: Path) -> None:
    env = {"MOVILIDAD_DATA_DIR": str(tmp_path)}
    assert run_cli("db", "upgrade", env=env).returncode == 0
    first = run_cli("screening", "rescreen", env=env)
    assert first.returncode == 0, first.stderr
    assert "re-screened" in first.stdout
    second = run_cli("screening", "rescreen", env=env)
    assert second.returncode == 0
    assert "Nothing changed" in second.stdout


def test_hostile_inputs_are_exit_2_without_a_traceback(tmp_path: Path) -> None:
    cases = {
        "null": "null",
        "duplicate": '{"nationalities": ["VEN"], "nationalities": ["COL"]}',
        "deep": "[" * 100_000,
        "long number": '{"nationalities": [' + "9" * 5000 + "]}",
        "week date": '{"date_of_birth": "1990-W01-1"}',
        "compact date": '{"date_of_birth": "19900504"}',
        "escape in key": '{"\\u001b[31mRED": 1}',
    }
    for name, text in cases.items():
        result = run_cli("screen", "-", "--as-of", "2023-07-15", stdin=text)
        assert result.returncode == 2, (name, result.stderr)
        assert "Traceback" not in result.stderr, name
        assert "\x1b" not in result.stderr, name


def test_invalid_utf8_on_standard_input_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"nationalities": ["VEN"], "x": "Ñ"}'.encode("latin-1"))
    result = run_cli("screen", str(path), "--as-of", "2023-07-15")
    assert result.returncode == 2
    assert "not UTF-8" in result.stderr


def test_as_of_must_be_written_yyyy_mm_dd() -> None:
    for as_of in ("20230715", "2023-W28-6", "2023-02-30"):
        result = run_cli("screen", "-", "--as-of", as_of, stdin="{}")
        assert result.returncode == 2, as_of
        assert "--as-of" in result.stderr


def test_rescreen_on_an_unmigrated_database_says_what_to_do(tmp_path: Path) -> None:
    result = run_cli("screening", "rescreen", env={"MOVILIDAD_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "movilidad db upgrade" in result.stderr
    assert "Traceback" not in result.stderr
