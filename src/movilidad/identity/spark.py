"""Batch deduplication on Apache Spark: the DuckDB run's model, levels and clusters.

``movilidad dedupe run --backend spark`` scores the registry with Splink's Spark backend
(``SparkAPI``) instead of DuckDB: the same model (λ, m and u), blocking rules, term
frequencies and thresholds, and the same result. Spark runs inside this process in
local mode (:func:`local_session`): two worker threads, a small driver, no web UI,
bound to the loopback address, its intermediate tables (Splink writes them as Parquet
to the checkpoint directory) in a temporary folder removed afterwards. It is a path to
registries too large for one machine; on one machine DuckDB is much faster (Spark runs
some seventy small jobs a batch run, and takes seconds to start).

The model's levels are SQL written for DuckDB (:mod:`movilidad.identity.linkage`). Two
of its functions are not Spark's, so :func:`spark_settings` rewrites each level's SQL,
function by function (:data:`SPARK_FUNCTIONS`), into a call that gives the same value on
every input a level sees:

* ``damerau_levenshtein`` keeps its name: Splink's Spark jar registers a function of
  that name (``LevDamerauDistance``) computing the *true* (unrestricted)
  Damerau–Levenshtein distance with the same Lowrance–Wagner recurrence as DuckDB and
  :func:`movilidad.identity.strings.damerau_levenshtein`. It counts UTF-16 code units
  where DuckDB counts code points; the two differ only for characters outside the Basic
  Multilingual Plane, which feature rows never hold (names are folded to a–z, dates and
  document numbers are letters and digits). On NULL it returns 100 where DuckDB returns
  NULL: ``<= n`` is false either way, and no level negates a condition.
* ``jaro_winkler_similarity`` becomes :data:`JARO_WINKLER_UDF`, a Python UDF that runs
  :func:`movilidad.identity.strings.jaro_winkler_similarity` (DuckDB's value, bit for
  bit). The jar's ``jaro_winkler`` is Apache Commons Text's, another variant: on a
  synthetic registry it differed from DuckDB's on one pair of names in thirty, and put
  ``rosalba``/``roslba`` below 0.92 where DuckDB puts it above.

Any other function in a level is refused (:func:`spark_sql`) rather than guessed. The
blocking rules are plain equalities: Splink writes ``block_on`` for Spark itself, and
the rules written as SQL are portable. ``tests/integration/identity/
test_spark_backend.py`` checks, on a synthetic registry, that both backends score the
same pairs with the same levels and match weights and form the same clusters.

pyspark, py4j and the Java runtime (17 or later) are loaded only inside these
functions, so the web app and the DuckDB run never load them.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from movilidad.identity.strings import jaro_winkler_similarity

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import SparkSession

    from movilidad.identity.batch import Rows
    from movilidad.identity.model import RegistryModel

#: The Python UDF that Spark calls in place of DuckDB's ``jaro_winkler_similarity``.
JARO_WINKLER_UDF: Final = "movilidad_jaro_winkler_similarity"

#: DuckDB function → the Spark function (same arguments, same value on feature rows)
#: that takes its place in a level's SQL; see the module text.
SPARK_FUNCTIONS: Final[Mapping[str, str]] = {
    "damerau_levenshtein": "damerau_levenshtein",  # Splink's jar: LevDamerauDistance
    "jaro_winkler_similarity": JARO_WINKLER_UDF,
}

_CALL: Final = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(")
#: Words before a bracket in a level's SQL that are not calls of a function.
_NOT_CALLS: Final = frozenset({"and", "or", "not", "in"})

#: Spark's logging while it starts: warnings (a level other than a shell's default
#: makes Spark print a notice), but not Hadoop's about its missing native library;
#: errors only once started (``setLogLevel``).
_LOG4J: Final = """\
status = error
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = stderr
appender.console.type = Console
appender.console.name = stderr
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
logger.hadoop.name = org.apache.hadoop.util.NativeCodeLoader
logger.hadoop.level = error
"""


def spark_sql(sql: str) -> str:
    """A level's SQL condition written for DuckDB, rewritten for Spark: each function of
    :data:`SPARK_FUNCTIONS` renamed (``"jaro_winkler_similarity(gn_l, gn_r) >= 0.92"`` →
    ``"movilidad_jaro_winkler_similarity(gn_l, gn_r) >= 0.92"``), the rest as it is
    (columns, ``=``, ``IS NULL``, ``AND``, ``OR``, numbers, ``ELSE``). Raises
    ``ValueError`` for a call of any other function, whose meaning on Spark nobody has
    checked."""
    names = {name.lower() for name in _CALL.findall(sql)} - _NOT_CALLS
    unknown = sorted(names - SPARK_FUNCTIONS.keys())
    if unknown:
        raise ValueError(f"no Spark equivalent known for {unknown} in {sql!r}")

    def rename(call: re.Match[str]) -> str:
        name = call[1]
        return SPARK_FUNCTIONS.get(name.lower(), name) + "("

    return _CALL.sub(rename, sql)


def spark_settings(model: RegistryModel) -> dict[str, Any]:
    """Splink's settings for a Spark run: those of the DuckDB run
    (:func:`movilidad.identity.batch.splink_settings`) with each comparison level's
    ``sql_condition`` rewritten by :func:`spark_sql` (m, u, labels and term-frequency
    settings as they are). A new dict; ``model`` is left as it is. Raises
    ``ValueError`` as :func:`spark_sql` does."""
    from movilidad.identity.batch import splink_settings

    settings = splink_settings(model)
    comparisons = [
        {**comparison, "comparison_levels": [
            {**level, "sql_condition": spark_sql(level["sql_condition"])}
            for level in comparison["comparison_levels"]
        ]}
        for comparison in settings["comparisons"]
    ]  # fmt: skip
    return {**settings, "comparisons": comparisons}


def _jaro_winkler(left: str | None, right: str | None) -> float | None:
    """:data:`JARO_WINKLER_UDF`: DuckDB's ``jaro_winkler_similarity``, NULL on NULL."""
    if left is None or right is None:
        return None
    return jaro_winkler_similarity(left, right)


def register_functions(session: SparkSession) -> None:
    """Register :data:`JARO_WINKLER_UDF` in ``session`` (again is harmless). Splink's
    ``SparkAPI`` registers the jar's functions itself."""
    from pyspark.sql.types import DoubleType

    session.udf.register(JARO_WINKLER_UDF, _jaro_winkler, DoubleType())


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    """``os.environ`` with ``values`` set, as it was afterwards (the JVM that Spark
    starts reads it once)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def local_session(
    cores: int = 2,
    memory: str = "1g",
    *,
    java_options: str = "",
    options: Mapping[str, str] | None = None,
) -> Iterator[SparkSession]:
    """A new SparkSession in local mode for the duration of the ``with`` block, stopped
    and its temporary folder removed afterwards.

    ``cores``: worker threads (``local[cores]``, at least 1); ``memory``: the driver's
    heap, a JVM size such as ``"1g"``; ``java_options``: more options for the driver's
    JVM (``"-XX:TieredStopAtLevel=1"`` makes a short run faster); ``options``: more
    Spark settings, which win over these. ``memory`` and ``java_options`` take effect
    when the process starts its JVM, that is in its first session. The session listens
    on 127.0.0.1 only, has no web UI and no console progress bar, logs errors only,
    runs its Python UDFs with this interpreter, has Splink's similarity jar (shipped
    inside the splink package) on its class path and :func:`register_functions` done,
    and keeps its checkpoint directory (where Splink writes its intermediate tables)
    and warehouse in one temporary folder; Spark's own scratch folder, under the
    system's temporary folder, goes when the JVM ends. Nothing is fetched from the
    network.

    Raises ``ValueError`` for ``cores`` < 1, ``RuntimeError`` when this process already
    runs a SparkSession (Spark allows one a process: pass that one to
    :func:`score_registry`), and pyspark's errors when Java cannot be started
    (``JAVA_HOME``, or ``java`` on the path, must be Java 17 or later)."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    if cores < 1:
        raise ValueError(f"cores must be at least 1, not {cores}")
    if SparkSession.getActiveSession() is not None:
        raise RuntimeError("a SparkSession is already running in this process")
    folder = Path(tempfile.mkdtemp(prefix="movilidad-spark-"))
    try:
        (folder / "log4j2.properties").write_text(_LOG4J, "utf-8")
        partitions = str(2 * cores)
        log_config = f"-Dlog4j2.configurationFile=file:{folder / 'log4j2.properties'}"
        settings = {
            "spark.master": f"local[{cores}]",
            "spark.app.name": "movilidad-dedupe",
            "spark.driver.memory": memory,
            "spark.driver.extraJavaOptions": f"{log_config} {java_options}".strip(),
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.shuffle.partitions": partitions,
            "spark.default.parallelism": partitions,
            "spark.sql.session.timeZone": "UTC",
            "spark.sql.execution.arrow.pyspark.enabled": "true",
            "spark.sql.warehouse.dir": str(folder / "warehouse"),
            "spark.jars": similarity_jar_location(),
            "spark.pyspark.python": sys.executable,
            "spark.pyspark.driver.python": sys.executable,
            **(options or {}),
        }
        builder = SparkSession.builder
        for key, value in settings.items():
            builder = builder.config(key, value)
        with _environment(SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable):
            session = builder.getOrCreate()
        try:
            session.sparkContext.setLogLevel("ERROR")
            session.sparkContext.setCheckpointDir(str(folder / "checkpoints"))
            register_functions(session)
            yield session
        finally:
            session.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _frame(rows: Rows) -> pd.DataFrame:
    """``rows`` as a pandas frame, checked: two or more records, values ``str`` or
    ``None``. Raises ``ValueError`` otherwise."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    if len(frame) < 2:
        raise ValueError("a batch run needs at least two records")
    for column in frame.columns:
        if not all(isinstance(value, str | None) for value in frame[column]):
            raise ValueError(f"feature {column!r} has values other than strings and None")
    return frame


def score_registry(
    model: RegistryModel, rows: Rows, session: SparkSession | None = None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """:func:`movilidad.identity.batch.score_registry` on Spark: the same result for the
    same ``model`` and ``rows``.

    ``rows``: two or more records' features (:mod:`movilidad.identity.features`), as
    feature rows (one dict a record, the same keys in each) or feature columns (name →
    one value a record, all of one length); values ``str`` or ``None``, ``unique_id``
    unique. ``session``: the SparkSession to run in; by default the one active in this
    process, else a new :func:`local_session` for this call only (Spark takes some
    seconds to start). A session of the caller's must have a checkpoint directory and
    Splink's similarity jar, as :func:`local_session`'s has.

    Returns the predictions at or above the review threshold (a pandas frame, one row a
    pair: ``unique_id_l`` < ``unique_id_r``, ``match_weight``, ``match_probability``,
    ``gamma_<comparison>`` and the compared columns) and the clusters at the
    likely-duplicate threshold (record id → cluster id, both strings, for the records in
    a cluster of two or more; cluster ids may differ from DuckDB's, their members do
    not). Raises ``ValueError`` for fewer than two records, a value neither a string nor
    ``None`` (a key missing from some rows included), a level with a function that has
    no Spark equivalent, or a session without a checkpoint directory; Splink's and
    Spark's errors otherwise."""
    from pyspark.sql import SparkSession

    frame = _frame(rows)
    settings = spark_settings(model)
    active = session or SparkSession.getActiveSession()
    if active is None:
        with local_session() as created:
            return _score(created, settings, frame)
    return _score(active, settings, frame)


def _score(
    session: SparkSession, settings: dict[str, Any], records: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, str]]:
    from pyspark.sql.types import StringType, StructField, StructType
    from splink import Linker, SparkAPI

    from movilidad.identity.model import LIKELY_DUPLICATE, NEEDS_REVIEW
    from movilidad.identity.scoring import match_probability

    checkpoints = session.sparkContext.getCheckpointDir()
    if checkpoints is None:
        raise ValueError("the SparkSession needs a checkpoint directory (setCheckpointDir)")
    register_functions(session)
    # In through Arrow, then to Parquet beside Splink's own tables: the blocking joins
    # read the registry eleven times over, from files rather than from the driver.
    schema = StructType([StructField(str(column), StringType()) for column in records.columns])
    stored = f"{checkpoints}/movilidad_registry_{uuid.uuid4().hex}"
    session.createDataFrame(records, schema).write.parquet(stored)
    api = SparkAPI(spark_session=session)  # type: ignore[no-untyped-call]
    table = api.register(session.read.parquet(stored))
    linker = Linker(table, settings)
    predicted = linker.inference.predict(
        threshold_match_probability=match_probability(NEEDS_REVIEW)
    )
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predicted, threshold_match_probability=match_probability(LIKELY_DUPLICATE)
    ).as_pandas_dataframe()  # type: ignore[no-untyped-call]
    frame: pd.DataFrame = predicted.as_pandas_dataframe()  # type: ignore[no-untyped-call]
    sizes = clustered.groupby("cluster_id")["unique_id"].transform("size")
    together = clustered[sizes > 1]
    clusters = dict(zip(together.unique_id.astype(str), together.cluster_id.astype(str),
                        strict=True))  # fmt: skip
    return frame, clusters
