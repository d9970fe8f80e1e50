"""Model files: trained on the registry (with small-cell suppression), chosen by
``MOVILIDAD_IDENTITY_MODEL``, and their prior scaled to the registry's size."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest

from movilidad.config import load_settings
from movilidad.identity import features, model, synth
from movilidad.kernel.errors import ConfigError
from movilidad.web.app import create_app
from tests.conftest import TEST_DATA_KEY


@pytest.fixture
def restore_model() -> Iterator[None]:
    yield
    model.configure_model(None)


def _rows(size: int) -> list[dict[str, object]]:
    records = synth.generate(size, 3)
    return features.feature_rows({**asdict(r), "unique_id": str(r.record_id)} for r in records)


def test_a_model_trained_on_the_registry_keeps_only_names_shared_by_ten_people(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from movilidad.identity import linkage

    monkeypatch.setattr(linkage, "U_MAX_PAIRS", 300_000)
    rows = _rows(2_000)
    trained = model.train_on_rows(rows)
    assert trained["trained_on"]["dataset"] == "registry"
    assert trained["trained_on"]["size"] == 2_000
    assert trained["trained_on"]["smallest_cell"] == model.SMALLEST_CELL
    for column, table in trained["frequencies"].items():
        counts = Counter(row[column] for row in rows if row[column] is not None)
        assert table, column  # common names are kept
        assert all(counts[value] >= model.SMALLEST_CELL for value in table), column
        rare = [value for value, n in counts.items() if n < model.SMALLEST_CELL]
        assert rare, column
        assert not set(rare) & set(table), column  # rare ones are not


def test_training_on_too_small_a_registry_is_refused() -> None:
    with pytest.raises(model.TooFewRecords, match="holds 999 people"):
        model.train_on_rows(_rows(999))


def test_identity_model_setting_chooses_the_model_file(tmp_path: Path, restore_model: None) -> None:
    shipped = json.loads(model.DEFAULT_MODEL.read_text("utf-8"))
    shipped["trained_on"] = {**shipped["trained_on"], "dataset": "registry", "size": 80_000}
    path = tmp_path / "model.json"
    path.write_text(json.dumps(shipped), "utf-8")
    settings = load_settings(data_dir=tmp_path, data_encryption_key=TEST_DATA_KEY,
                             identity_model=path)  # fmt: skip
    create_app(settings)
    assert model.current_model().trained_on["size"] == 80_000
    model.configure_model(None)
    assert model.current_model().trained_on["dataset"] == "synthetic"


def test_an_unreadable_model_file_stops_the_app_with_the_setting_named(
    tmp_path: Path, restore_model: None
) -> None:
    path = tmp_path / "model.json"
    path.write_text("{not json", "utf-8")
    settings = load_settings(data_dir=tmp_path, data_encryption_key=TEST_DATA_KEY,
                             identity_model=path)  # fmt: skip
    with pytest.raises(ConfigError, match="MOVILIDAD_IDENTITY_MODEL"):
        create_app(settings)


def test_the_prior_falls_with_the_registry_size_above_the_training_size() -> None:
    shipped = model.load_model()
    learnt = shipped.splink["probability_two_random_records_match"]
    size = shipped.trained_on["size"]
    assert shipped.prior_for(300) == learnt
    assert shipped.prior_for(size) == learnt
    assert shipped.prior_for(20 * (size - 1) + 1) == pytest.approx(learnt / 20)
    sized = shipped.for_registry(1_000_000)
    assert sized.scorer.prior_weight < shipped.scorer.prior_weight - 4  # log2(20) bits
    assert sized.splink["probability_two_random_records_match"] < learnt
    assert shipped.for_registry(10) is shipped
