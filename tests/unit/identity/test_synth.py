"""The synthetic registry: reproducible, the documented error model, and its truth."""

from __future__ import annotations

from collections import Counter

from movilidad.identity.synth import ErrorModel, generate, strip_accents, true_pairs


def test_the_same_seed_gives_the_same_registry_and_another_seed_another() -> None:
    assert list(generate(500, 3)) == list(generate(500, 3))
    assert list(generate(500, 3)) != list(generate(500, 4))
    assert len(list(generate(1234, 9))) == 1234


def test_duplicates_follow_the_error_model_and_the_truth_names_them() -> None:
    records = list(generate(20_000, 5))
    copies = [r for r in records if r.record_id != r.person_id]
    people = Counter(r.person_id for r in records)
    duplicated = sum(1 for n in people.values() if n > 1) / len(people)
    assert 0.12 < duplicated < 0.18  # ErrorModel.duplicate_share = 0.15
    errors = Counter(e for r in copies for e in r.error.split(",") if e)
    assert 0.33 < errors["accents_lost"] / len(copies) < 0.47
    assert 0.20 < errors["relative"] / len(copies) < 0.30
    assert errors["second_surname_dropped"] > 0
    assert errors["day_month_swapped"] > 0
    pairs = true_pairs(records)
    by_id = {r.record_id: r for r in records}
    assert pairs
    assert all(by_id[a].person_id == by_id[b].person_id for a, b in pairs)
    assert sum(n * (n - 1) // 2 for n in people.values()) == len(pairs)


def test_names_follow_each_nationality_s_conventions() -> None:
    records = list(generate(5_000, 2, ErrorModel(duplicate_share=0.0)))
    haitian = [r for r in records if r.nationality == "HTI"]
    hispanic = [r for r in records if r.nationality in {"VEN", "COL"}]
    assert haitian
    assert all(not r.second_surname for r in haitian)
    assert all(r.second_surname for r in hispanic)
    assert all(r.phone.startswith("+") for r in records)
    shares = Counter(r.nationality for r in records)
    assert shares.most_common(1)[0][0] == "VEN"


def test_strip_accents() -> None:
    assert strip_accents("Peña Núñez Désir") == "Pena Nunez Desir"
