"""The batch run on Spark (:mod:`movilidad.identity.spark`) gives DuckDB's result.

On a synthetic registry of 4,000 records, scored with the shipped model, both backends
must score the same pairs, reach the same level of every comparison, give the same
match weights (within 1e-9 bits) and form the same clusters (as sets of members: the
cluster ids differ). The string functions Spark calls in place of DuckDB's must give
DuckDB's values on random strings and on names with typing errors. One local Spark
session serves the module (Java 17 starts it in some seconds).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import pytest

from movilidad.identity import batch, features, spark, synth
from movilidad.identity.model import RegistryModel, load_model
from movilidad.identity.names import fold

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# pyspark leaves the sockets it reads results from to the garbage collector.
pytestmark = pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")

SIZE = 4_000
SEED = 11
TOLERANCE = 1e-9  # bits


@pytest.fixture(scope="module")
def session() -> Iterator[SparkSession]:
    # C1 only: a JVM that runs for a minute spends less time compiling.
    with spark.local_session(java_options="-XX:TieredStopAtLevel=1") as started:
        yield started


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    records = synth.generate(SIZE, SEED)
    return features.feature_rows([{**asdict(r), "unique_id": str(r.record_id)} for r in records])


@pytest.fixture(scope="module")
def model(rows: list[dict[str, Any]]) -> RegistryModel:
    return load_model().for_registry(len(rows))


def _by_pair(frame: pd.DataFrame) -> dict[tuple[str, str], dict[str, Any]]:
    ids = zip(frame.unique_id_l.astype(str), frame.unique_id_r.astype(str), strict=True)
    return dict(zip(ids, frame.to_dict("records"), strict=True))


def _groups(clusters: dict[str, str]) -> set[frozenset[str]]:
    members: dict[str, set[str]] = {}
    for record, cluster in clusters.items():
        members.setdefault(cluster, set()).add(record)
    return {frozenset(group) for group in members.values()}


def test_spark_scores_and_clusters_the_registry_as_duckdb_does(
    session: SparkSession, rows: list[dict[str, Any]], model: RegistryModel
) -> None:
    duck_frame, duck_clusters = batch.score_registry(model, rows)
    # As the batch run passes them, in columns. The module's session is the active one:
    # the Spark run uses it.
    columns = {name: [row[name] for row in rows] for name in rows[0]}
    spark_frame, spark_clusters = batch.score_registry(model, columns, backend="spark")

    duck, sparks = _by_pair(duck_frame), _by_pair(spark_frame)
    assert len(duck) == len(duck_frame)  # each pair once
    assert set(sparks) == set(duck)
    assert len(duck) > 500
    gammas = sorted(column for column in duck_frame.columns if column.startswith("gamma_"))
    assert len(gammas) == len(model.splink["comparisons"])
    assert sorted(c for c in spark_frame.columns if c.startswith("gamma_")) == gammas
    different = [pair for pair in duck
                 if any(int(duck[pair][g]) != int(sparks[pair][g]) for g in gammas)]  # fmt: skip
    assert not different, different[:5]
    worst = max(abs(duck[pair]["match_weight"] - sparks[pair]["match_weight"]) for pair in duck)
    assert worst <= TOLERANCE
    # Pairs reached the given-name levels that Spark computes with other functions than
    # DuckDB: one edit (Damerau-Levenshtein, 5), Jaro-Winkler >= 0.92 (4) and >= 0.8 (1).
    assert {5, 4, 1} <= {int(row["gamma_given_name"]) for row in duck.values()}

    groups = _groups(duck_clusters)
    assert _groups(spark_clusters) == groups
    assert sum(len(group) >= 2 for group in groups) >= 20


def _random_pairs(rng: random.Random) -> list[tuple[str, str]]:
    # Characters of the Basic Multilingual Plane only: beyond it Java counts two
    # UTF-16 units where DuckDB counts one code point (feature rows are a-z, 0-9).
    pairs = []
    for alphabet in ("ab", "abc", "abcdefgh", "aeilnorst", "ae\u0301\u00f1", "0123456789"):
        for _ in range(1_000):
            left, right = ("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
                           for _ in range(2))  # fmt: skip
            pairs.append((left, right))
    return pairs


def _name_pairs(rng: random.Random) -> list[tuple[str, str]]:
    names = sorted({fold(r.first_surname).replace(" ", "") for r in synth.generate(1_000, 3)})
    names = [name for name in names if name]
    pairs = []
    for name in names:
        at = rng.randrange(len(name))
        swapped = name[:at] + name[at + 1 : at + 2] + name[at] + name[at + 2 :]
        pairs += [(name, swapped), (name, name[:at] + name[at + 1 :]), (name, rng.choice(names))]
    return pairs


def test_the_functions_spark_calls_give_duckdbs_values(session: SparkSession) -> None:
    rng = random.Random(5)
    pairs = [*_random_pairs(rng), *_name_pairs(rng), ("ca", "abc"), ("abc", None), (None, None)]
    frame = pd.DataFrame(pairs, columns=["a", "b"])
    connection = duckdb.connect()
    connection.register("pairs", frame)
    levels = ["damerau_levenshtein(a, b) <= 1", "jaro_winkler_similarity(a, b) >= 0.92"]
    values = ["damerau_levenshtein(a, b)", "jaro_winkler_similarity(a, b)"]
    query = "SELECT a, b, {} FROM pairs"
    expected = connection.execute(query.format(", ".join(values + levels))).fetchall()
    session.createDataFrame(frame, "a string, b string").createOrReplaceTempView("pairs")
    translated = [spark.spark_sql(sql) for sql in values + levels]
    got = {(row[0], row[1]): tuple(row[2:])
           for row in session.sql(query.format(", ".join(translated))).collect()}  # fmt: skip
    wrong = []
    for a, b, *duck in expected:
        distance, similarity, within, above = got[(a, b)]
        if a is not None and b is not None and [distance, similarity] != duck[:2]:
            wrong.append((a, b, duck, got[(a, b)]))
        # NULL: DuckDB's functions give NULL, the jar's distance 100; no level holds.
        if [bool(within), bool(above)] != [bool(duck[2]), bool(duck[3])]:
            wrong.append((a, b, duck, got[(a, b)]))
    assert not wrong, wrong[:5]
    assert len(expected) > 7_000


def test_levels_are_translated_for_spark_and_unknown_functions_refused() -> None:
    settings = spark.spark_settings(load_model())
    conditions = [level["sql_condition"] for comparison in settings["comparisons"]
                  for level in comparison["comparison_levels"]]  # fmt: skip
    assert not any(re.search(r"\bjaro_winkler_similarity\(", c) for c in conditions)
    assert sum(f"{spark.JARO_WINKLER_UDF}(" in c for c in conditions) == 4
    assert sum("damerau_levenshtein(" in c for c in conditions) > 10
    assert load_model().splink["comparisons"][0]["comparison_levels"][3]["sql_condition"] == (
        "jaro_winkler_similarity(gn_l, gn_r) >= 0.92"
    )  # the model itself is left as it is
    assert spark.spark_sql("(dob_y_l = dob_y_r AND dob_m_l = dob_d_r)") == (
        "(dob_y_l = dob_y_r AND dob_m_l = dob_d_r)"
    )
    with pytest.raises(ValueError, match="levenshtein"):
        spark.spark_sql("levenshtein(gn_l, gn_r) <= 1")
