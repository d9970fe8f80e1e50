from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from movilidad.config import PROJECT_ROOT
from movilidad.pathways.catalogue import check_catalogue, load_catalogue

REAL = PROJECT_ROOT / "catalogue"
IDS = {"smo-col", "smo-cri", "smo-gtm", "smo-ecu", "us-usrap", "us-chnv", "us-frp",
       "ca-family", "es-labour", "us-h2"}  # fmt: skip


def test_the_real_catalogue_is_valid_and_complete() -> None:
    catalogue, problems = check_catalogue(REAL)
    assert problems == []
    assert catalogue is not None
    assert set(catalogue.pathways) == IDS
    for pathway in catalogue.pathways.values():
        for version in pathway.versions:
            assert version.sources
            for criterion in version.criteria:
                assert criterion.sources, (pathway.id, version.version, criterion.id)


@pytest.mark.parametrize(
    ("pathway", "last_day"),
    [("us-chnv", date(2025, 3, 24)), ("us-frp", date(2025, 12, 14)),
     ("us-usrap", date(2025, 1, 26)), ("smo-col", date(2025, 1, 28))],
)  # fmt: skip
def test_terminated_programmes_end_on_their_published_dates(pathway: str, last_day: date) -> None:
    catalogue = load_catalogue(REAL)
    assert catalogue.pathways[pathway].version_on(last_day) is not None
    assert (
        catalogue.pathways[pathway].version_on(date.fromordinal(last_day.toordinal() + 1)) is None
    )


def test_guatemala_narrowed_to_guatemalans() -> None:
    gtm = load_catalogue(REAL).pathways["smo-gtm"]
    first, later = gtm.version_on(date(2023, 7, 1)), gtm.version_on(date(2024, 6, 1))
    assert first is not None
    assert later is not None
    assert first.version != later.version


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    folder = tmp_path / "catalogue"
    shutil.copytree(REAL, folder)
    return folder


def _problems(folder: Path) -> list[str]:
    catalogue, problems = check_catalogue(folder)
    assert catalogue is None
    return [str(p) for p in problems]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_overlapping_versions_are_reported(broken: Path) -> None:
    _edit(broken / "smo-gtm.yaml", "effective_to: 2023-12-31", "effective_to: 2024-02-01")
    assert any("smo-gtm.yaml:" in p and "overlap" in p for p in _problems(broken))


def test_unknown_fact_is_reported_with_its_line(broken: Path) -> None:
    _edit(broken / "us-h2.yaml", "{var: interested_in_temporary_work_us}", "{var: likes_work}")
    lines = (broken / "us-h2.yaml").read_text(encoding="utf-8").splitlines()
    expected = next(i for i, line in enumerate(lines, 1) if "likes_work" in line)
    assert f"us-h2.yaml:{expected}: pathway 'us-h2', version '2023-06', criterion " \
           "'wants_temporary_work': unknown fact 'likes_work'" in _problems(broken)  # fmt: skip


def test_condition_that_does_not_parse_is_reported(broken: Path) -> None:
    _edit(broken / "us-h2.yaml", '{">=": [{var: age}, 18]}', '{"+": [{var: age}, 18]}')
    assert any("does not parse" in p and "'+'" in p for p in _problems(broken))


def test_missing_translation_is_reported(broken: Path) -> None:
    path = broken / "es-labour.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    dropped = next(i for i, line in enumerate(lines) if line.strip().startswith("ht:"))
    path.write_text("".join(lines[:dropped] + lines[dropped + 1 :]), encoding="utf-8")
    assert any("es-labour.yaml" in p and "missing ht translation" in p for p in _problems(broken))


def test_missing_source_and_bad_date_are_reported(broken: Path) -> None:
    _edit(broken / "ca-family.yaml", "effective_from: 2023-11-17", "effective_from: 2023-11-31")
    problems = _problems(broken)
    assert any("ca-family.yaml" in p and "not a date" in p for p in problems)


def test_invalid_yaml_is_reported_with_its_line(broken: Path) -> None:
    (broken / "smo-cri.yaml").write_text("id: smo-cri\nnames: [unclosed\n", encoding="utf-8")
    assert any(p.startswith("smo-cri.yaml:") and "not valid YAML" in p for p in _problems(broken))


def test_file_name_must_match_the_id(broken: Path) -> None:
    (broken / "smo-cri.yaml").rename(broken / "smo-xyz.yaml")
    assert any("smo-xyz.yaml" in p and "file name" in p for p in _problems(broken))


def test_an_empty_or_comment_only_file_is_reported(broken: Path) -> None:
    (broken / "smo-col.yaml").write_text("", encoding="utf-8")
    (broken / "smo-cri.yaml").write_text("# nothing here\n", encoding="utf-8")
    problems = _problems(broken)
    assert "smo-col.yaml:0: the file is empty" in problems
    assert "smo-cri.yaml:0: the file is empty" in problems


def test_a_misspelt_key_is_reported(broken: Path) -> None:
    _edit(broken / "smo-cri.yaml", "effective_to: 2025-01-28", "effective_too: 2025-01-28")
    assert any("unknown key 'effective_too'" in p for p in _problems(broken))


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("[CUB, HTI, VEN]]}]}", "[CUB, HTI, VENN]]}]}", "'VENN' is not an ISO 3166-1 alpha-3"),
        ("status_in_current_country}, asylum_seeker]}",
         "status_in_current_country}, asylum_seekr]}", "'asylum_seekr' is not an option"),
        ('"2023-06-12"]}', '"2023-6-12"]}', "write dates as"),
        ('{">=": [{var: age}, 18]}', '{">=": [{var: age}, "18"]}', "whole number"),
        ('{">=": [{var: age}, 18]}', '{">=": [{var: age}, 18.0]}', "whole number"),
        ('{">=": [{var: age}, 18]}', '{"<": [{var: nationalities}, 5]}', "is a list"),
    ],
)  # fmt: skip
def test_conditions_are_checked_against_the_facts_schema(
    broken: Path, old: str, new: str, reason: str
) -> None:
    for path in broken.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if old in text:
            path.write_text(text.replace(old, new, 1), encoding="utf-8")
            break
    else:
        pytest.fail(f"nothing to edit: {old}")
    assert any(reason in p for p in _problems(broken)), reason


def test_a_folder_named_like_a_pathway_file_is_reported(broken: Path) -> None:
    (broken / "odd.yaml").mkdir()
    assert "odd.yaml:0: not a file" in _problems(broken)


def test_an_alias_bomb_is_refused_quickly(broken: Path) -> None:
    # 30 levels of anchors, each used twice by the next: 2**30 nodes if expanded.
    anchors = ["x-bomb:", '  - &a0 {">=": [{var: age}, 1]}']
    anchors += [f"  - &a{i} {{and: [*a{i - 1}, *a{i - 1}]}}" for i in range(1, 30)]
    path = broken / "us-h2.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('condition: {">=": [{var: age}, 18]}', "condition: *a29", 1)
    path.write_text("\n".join(anchors) + "\n" + text, encoding="utf-8")
    assert any("too large" in p for p in _problems(broken))


def test_the_unknown_message_may_only_use_question(broken: Path) -> None:
    _edit(broken / "facts.yaml", '{question}"', '{question} {0}"')
    assert any("may only contain {question}" in p for p in _problems(broken))


def test_registration_facts_keep_their_types(broken: Path) -> None:
    _edit(
        broken / "facts.yaml",
        "  nationalities:\n    type: countries",
        "  nationalities:\n    type: country",
    )
    assert any("comes from registration" in p for p in _problems(broken))
