"""Apache Spark as the second engine: the same SQL and the same Polars functions, past one machine.

Connected components run the rounds of :mod:`fraudkit.engine.components` as Spark SQL over temp
views, each round persisted and every few rounds checkpointed so the plan does not grow with the
rounds (as Splink does). ``map_components`` runs the caller's Polars function once per group
inside ``groupBy(key).applyInArrow``, converting Arrow tables to Polars frames and back.

pyspark is imported inside the functions that need it: importing this module needs neither
pyspark nor Java, and :func:`check_spark_available` says in one line which is missing.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import polars as pl
import pyarrow as pa

from fraudkit.backend import COMPONENTS_SCHEMA, Backend, ComponentFn
from fraudkit.engine.components import DEFAULT_MAX_ROUNDS, RELATIONS, label_components
from fraudkit.errors import ConfigError, EngineCapabilityError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from fraudkit.engine.lake import Lake
    from fraudkit.engine.shards import ShardFn, Sharding

DEFAULT_MASTER = "local[2]"
LOCAL_SHUFFLE_PARTITIONS = 4
"""Spark's default of 200 shuffle partitions costs seconds per round on small local data."""
MIN_JAVA = 17
LAKE_HINT = "pass --lake DIR, or set lake = DIR in [engine] of the configuration"
INSTALL_HINT = "pip install 'fraudkit[spark]' and a Java 17 runtime (apt-get install openjdk-17-jre-headless)"

CheckpointMode = Literal["reliable", "local"]

_SPARK_MARKER = re.compile(r"\$([A-Za-z_]\w*)")
"""A bound value's marker in the package's SQL (DuckDB's ``$name``); Spark writes it ``:name``."""

_GROUP = "__fraudkit_group"
_ROW_IN = "__fraudkit_row_in"
_ROW_OUT = "__fraudkit_row_out"


@dataclass(frozen=True)
class SparkSettings:
    """How the Spark session is made; built once at the edge (:meth:`from_env` reads the environment)."""

    master: str | None = None
    """``local[2]``, ``yarn``, ``k8s://...``; None: the master spark-submit gave, else ``local[2]``."""
    shuffle_partitions: int | None = None
    """None: 4 on a local master, the cluster's own setting elsewhere."""
    checkpoint_dir: str | None = None
    """Where reliable checkpoints go (an HDFS or S3 path on a cluster); None: a temp dir on a local master."""
    checkpoint_every: int = 1
    """Connected-components queries between checkpoints; those in between are only persisted. Every
    query is best: a persisted frame still carries its whole plan, which the pointer-jump query
    doubles each time, so skipping checkpoints costs more in planning than it saves (measured:
    5-7 s for a 400-edge graph checkpointing every query, 17-23 s every fourth, out of memory with none)."""
    checkpoint: CheckpointMode = "reliable"
    """``reliable`` writes to ``checkpoint_dir`` and survives a lost executor; ``local`` keeps the blocks
    on the executors. Measured on Spark 4.3 local[2], a 100k-edge graph: reliable ran every query in
    0.2-0.6 s, local let the late rounds' queries grow to 60-90 s each (the lineage was not cut)."""
    driver_memory: str | None = None
    """``spark.driver.memory`` for a session this process starts (``4g``); None: Spark's default."""
    app_name: str = "fraudkit"
    lake: str | None = None
    """The Parquet lake the tables are read from and appended to (a folder, ``hdfs://…``, ``s3a://…``);
    None: :meth:`SparkBackend.read` and ``write`` refuse with a hint (``--lake``, ``[engine] lake``)."""

    def __post_init__(self) -> None:
        if self.checkpoint_every < 1:
            raise ConfigError(f"spark checkpoint_every must be at least 1, not {self.checkpoint_every}")
        if self.shuffle_partitions is not None and self.shuffle_partitions < 1:
            raise ConfigError(f"spark shuffle_partitions must be at least 1, not {self.shuffle_partitions}")
        if self.checkpoint not in ("reliable", "local"):
            raise ConfigError(f"spark checkpoint must be 'reliable' or 'local', not {self.checkpoint!r}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SparkSettings:
        """Settings from FRAUDKIT_SPARK_MASTER, FRAUDKIT_SPARK_CHECKPOINT_DIR, FRAUDKIT_SPARK_DRIVER_MEMORY,
        FRAUDKIT_LAKE."""
        env = os.environ if env is None else env
        return cls(
            master=env.get("FRAUDKIT_SPARK_MASTER") or None,
            checkpoint_dir=env.get("FRAUDKIT_SPARK_CHECKPOINT_DIR") or None,
            driver_memory=env.get("FRAUDKIT_SPARK_DRIVER_MEMORY") or None,
            lake=env.get("FRAUDKIT_LAKE") or None,
        )


# --- is Spark usable here? ------------------------------------------------------------------------


def pyspark_installed() -> bool:
    return importlib.util.find_spec("pyspark") is not None


def java_runtime() -> tuple[str, int] | None:
    """The ``java`` Spark would start (JAVA_HOME first, then PATH) and its major version, or None."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home and (Path(home) / "bin" / "java").exists() else shutil.which("java")
    if java is None:
        return None
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60, check=False)
    except OSError:
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if match is None:
        return None
    major = int(match.group(1))
    return java, int(match.group(2) or 0) if major == 1 else major  # "1.8.0" is Java 8


def check_spark_available() -> None:
    """Raise one clear ConfigError naming what the Spark engine lacks here (pyspark, or Java 17+)."""
    if not pyspark_installed():
        raise ConfigError("engine 'spark' needs pyspark, which is not installed", hint=INSTALL_HINT)
    java = java_runtime()
    if java is None:
        raise ConfigError(
            "engine 'spark' needs a Java runtime and none was found (JAVA_HOME or java on PATH)",
            hint="apt-get install openjdk-17-jre-headless, or set JAVA_HOME",
        )
    if java[1] < MIN_JAVA:
        raise ConfigError(
            f"engine 'spark' needs Java {MIN_JAVA} or newer; {java[0]} is Java {java[1]}",
            hint="apt-get install openjdk-17-jre-headless and point JAVA_HOME at it",
        )


# --- the session: made lazily, once per process ---------------------------------------------------

_SESSION: SparkSession | None = None
_SESSION_LOCK = threading.Lock()

_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
"""
"""Errors only: Spark's INFO and WARN lines would bury fraudkit's own output."""


def spark_session(settings: SparkSettings | None = None) -> SparkSession:
    """The process's Spark session, started on first use (5-10 s measured here, JVM included; more when loaded).

    Later calls return the same session whatever their settings: a JVM's master and memory are
    fixed once it runs. Under spark-submit, or in a notebook that made a session, that one is used.
    """
    global _SESSION
    with _SESSION_LOCK:
        if _SESSION is None:
            _SESSION = _start_session(settings or SparkSettings.from_env())
        return _SESSION


def stop_spark_session() -> None:
    """Stop the process's session (tests, benchmarks); the next :func:`spark_session` starts a new one."""
    global _SESSION
    with _SESSION_LOCK:
        if _SESSION is not None:
            _SESSION.stop()
            _SESSION = None


def _start_session(settings: SparkSettings) -> SparkSession:
    check_spark_available()
    from pyspark.sql import SparkSession

    master = settings.master or (None if "PYSPARK_GATEWAY_PORT" in os.environ else DEFAULT_MASTER)
    local = (master or "").startswith("local")
    conf: dict[str, str] = {"spark.sql.session.timeZone": "UTC", "spark.ui.showConsoleProgress": "false"}
    scratch: Path | None = None
    if local:
        scratch = Path(tempfile.mkdtemp(prefix="fraudkit-spark-"))
        atexit.register(shutil.rmtree, scratch, ignore_errors=True)
        (scratch / "log4j2.properties").write_text(_LOG4J, encoding="utf-8")
        # workers must run this interpreter, where fraudkit and polars are installed
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        conf |= {
            "spark.ui.enabled": "false",
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.sql.shuffle.partitions": str(settings.shuffle_partitions or LOCAL_SHUFFLE_PARTITIONS),
            "spark.local.dir": str(scratch / "local"),
            "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile=file:{scratch / 'log4j2.properties'}",
        }
    elif settings.shuffle_partitions:
        conf["spark.sql.shuffle.partitions"] = str(settings.shuffle_partitions)
    if settings.driver_memory:
        conf["spark.driver.memory"] = settings.driver_memory
    builder = SparkSession.builder.appName(settings.app_name)
    if master:
        builder = builder.master(master)
    for name, value in conf.items():
        builder = builder.config(name, value)
    with quiet_pyspark():
        session = builder.getOrCreate()
    context = session.sparkContext
    if local:
        context.setLogLevel("ERROR")
    if settings.checkpoint_dir:
        context.setCheckpointDir(settings.checkpoint_dir)
    elif context.getCheckpointDir() is None and scratch is not None:
        context.setCheckpointDir(str(scratch / "checkpoints"))
    return session


@contextmanager
def quiet_pyspark() -> Iterator[None]:
    """pyspark warns on every Arrow call that it does not yet support pandas 3; fraudkit does not use pandas."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        yield


# --- Arrow and Polars at the boundary -------------------------------------------------------------


def to_spark_arrow(frame: pl.DataFrame) -> pa.Table:
    """``frame`` as Arrow types Spark accepts: plain strings and binaries, signed integers."""
    table = frame.to_arrow()
    fields = []
    for f in table.schema:
        t = f.type
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            t = pa.string()
        elif pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
            t = pa.binary()
        elif pa.types.is_unsigned_integer(t):
            t = pa.int64()
        elif pa.types.is_dictionary(t):
            t = pa.string()
        fields.append(pa.field(f.name, t, f.nullable))
    return table.cast(pa.schema(fields))


def spark_schema_of(schema: Mapping[str, pl.DataType]) -> Any:
    """The Spark StructType of a Polars schema (via the Arrow types Spark accepts)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(to_spark_arrow(pl.DataFrame(schema=dict(schema))).schema)


# --- the backend ----------------------------------------------------------------------------------


class SparkBackend(Backend):
    """Spark SQL for connected components, ``applyInArrow`` over the same Polars function per component,
    and the canonical tables in a Parquet lake (:mod:`fraudkit.engine.lake`)."""

    name = "spark"

    def __init__(
        self,
        settings: SparkSettings | None = None,
        *,
        lake: Path | str | None = None,
        max_rounds: int = DEFAULT_MAX_ROUNDS,
    ) -> None:
        self.settings = settings or SparkSettings.from_env()
        self.lake_root: str | None = str(lake) if lake is not None else self.settings.lake
        """Where the tables live: ``lake``, else the settings' (``[engine] lake``, FRAUDKIT_LAKE)."""
        self.max_rounds = max_rounds
        self.last_steps = 0
        """Queries (rounds and jumps) the last connected_components call ran; benchmarks report it."""

    @property
    def session(self) -> SparkSession:
        """The process's session; started here on first use, not when the backend is made."""
        return spark_session(self.settings)

    def lake(self, capability: str = "use the lake") -> Lake:
        """The lake on the process's session; a ConfigError saying how to name one when none was given."""
        if self.lake_root is None:
            raise ConfigError(f"the spark engine needs a lake to {capability}", hint=LAKE_HINT)
        from fraudkit.engine.lake import Lake

        return Lake(self.session, self.lake_root)

    def read(
        self,
        table: str,
        columns: Sequence[str] | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pl.DataFrame:
        """The lake's rows of ``table``: only the day partitions of the span are opened, only ``columns``
        read; the store's types (timestamps naive, amounts DECIMAL(18,2)); rows in no set order."""
        return self.lake(f"read the table {table!r}").read(table, columns, start=start, end=end)

    def write(self, table: str, frame: pl.DataFrame, *, sources: Sequence[str] = (), replace: bool = False) -> int:
        """Append ``frame``'s rows to the lake's ``table`` in one atomic commit (see :mod:`fraudkit.engine.lake`).
        ``sources``: the ingest files (SHA-256) the rows come from, recorded so that they are added once;
        ``replace``: rows whose key the lake holds replace the held ones (``on_conflict = "update"``)."""
        return self.lake(f"write the table {table!r}").append(table, frame, sources=sources, replace=replace)

    def query(self, name: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
        """The named query as Spark SQL over the lake's canonical tables (temp views for the query's
        run); ``$name`` markers become Spark's ``:name``, values are bound. A query written in a
        DuckDB-only dialect is refused naming the engine and the query."""
        from pyspark.errors import PySparkException

        from fraudkit.backend import named_query
        from fraudkit.engine.lake import spark_schema
        from fraudkit.schema import TABLES

        text = named_query(name)
        lake = self.lake(f"run the named query {name!r}")
        spark = lake.spark
        shown: list[str] = []
        try:
            with quiet_pyspark():
                for table in TABLES:
                    if re.search(rf"\b{table}\b", text):
                        data = lake.frame(table)
                        if data is None:
                            data = spark.createDataFrame([], spark_schema(table))
                        data.createOrReplaceTempView(table)
                        shown.append(table)
                try:
                    result = spark.sql(_SPARK_MARKER.sub(r":\1", text), args=dict(params or {})).toArrow()
                except PySparkException as error:
                    reason = str(error).strip().splitlines()[0][:200]
                    raise EngineCapabilityError(self.name, f"run the named query {name!r} ({reason})") from None
        finally:
            for table in shown:
                spark.catalog.dropTempView(table)
        frame = pl.from_arrow(result)
        assert isinstance(frame, pl.DataFrame)
        return frame

    def map_shards(
        self,
        frames: Mapping[str, Any],
        sharding: Sharding,
        fn: ShardFn,
        schema: Mapping[str, pl.DataType],
        *,
        shards: int = 1,
    ) -> pl.DataFrame:
        """``groupBy(shard).applyInArrow`` over the rows each shard is routed (:mod:`fraudkit.engine.spark_shards`);
        ``frames`` may be Polars frames or Spark DataFrames (a lake's, never through the driver)."""
        from fraudkit.engine.spark_shards import SparkShards

        return SparkShards(self).map_shards(frames, sharding, fn, schema, shards=shards)

    def connected_components(self, edges: pl.DataFrame) -> pl.DataFrame:
        if edges.height == 0:
            return pl.DataFrame(schema=COMPONENTS_SCHEMA)
        # a session of its own: its temp views cannot meet another caller's (same JVM, same cache)
        spark = self.session.newSession()
        data = to_spark_arrow(edges.select(pl.col("src").cast(pl.Utf8), pl.col("dst").cast(pl.Utf8)))
        with quiet_pyspark():
            labels = self._components(spark.createDataFrame(data))
            try:
                table = labels.orderBy("node").toArrow()
            finally:
                labels.unpersist()
        return pl.from_arrow(table).cast(COMPONENTS_SCHEMA)

    def components_frame(self, edges: DataFrame) -> DataFrame:
        """Connected components of a Spark DataFrame (``src``, ``dst``) of any size, never through the
        driver: the lake-to-lake form for a cluster job. Returns (``node``, ``component``), unordered and
        already computed (checkpointed); uses the temp views ``cc_*`` on ``edges``' session meanwhile."""
        return self._components(edges)

    def _components(self, edges: DataFrame) -> DataFrame:
        from pyspark.sql import functions as F

        spark = edges.sparkSession
        rounds = _SparkRounds(spark, self.settings)
        try:
            edges.select(F.col("src").cast("string"), F.col("dst").cast("string")).createOrReplaceTempView("cc_input")
            self.last_steps = label_components(rounds, self.max_rounds)
            labels = rounds.frames.pop("cc_labels")  # the answer outlives the rounds' views
        finally:
            rounds.release()
        return labels.selectExpr("node", "label AS component")

    def map_frame(
        self, frame: DataFrame, fn: ComponentFn, schema: Mapping[str, pl.DataType], *, key: str = "component"
    ) -> DataFrame:
        """``fn`` per group of a Spark DataFrame, never through the driver: the cluster form of
        :meth:`map_components`. ``schema`` (the result's Polars columns and types) is required here;
        a group's rows reach ``fn`` in no particular order, the result is unordered and has Spark's types
        (unsigned integers become bigint)."""
        from pyspark.sql.pandas.types import to_arrow_schema

        in_arrow = to_arrow_schema(frame.schema, timezone="UTC")  # pyspark 4.3 asserts a zone for timestamps
        in_schema = {  # fn sees naive wall times, as on DuckDB (the session's zone is UTC)
            name: pl.Datetime(dtype.time_unit) if isinstance(dtype, pl.Datetime) else dtype
            for name, dtype in pl.DataFrame(pa.Table.from_batches([], schema=in_arrow)).schema.items()
        }
        spark_schema = spark_schema_of(schema)
        apply = _per_group(fn, in_schema, key, list(schema), to_arrow_schema(spark_schema), ordered=False)
        with quiet_pyspark():
            return frame.groupBy(key).applyInArrow(apply, spark_schema)

    def map_components(
        self,
        nodes: pl.DataFrame,
        fn: ComponentFn,
        *,
        key: str = "component",
        schema: Mapping[str, pl.DataType] | None = None,
    ) -> pl.DataFrame:
        """``fn`` per group on the executors. Spark must know the result's schema before it runs:
        ``schema`` if given, else the schema of ``fn`` run here on the first group (in key order),
        which costs one extra call of ``fn`` on the driver and needs ``fn`` to return its columns
        even when it returns no rows."""
        if nodes.height == 0:
            return pl.DataFrame(schema=dict(schema)) if schema is not None else pl.DataFrame()
        out = dict(schema) if schema is not None else _schema_from_first_group(nodes, fn, key)
        if not out:
            raise ValueError("map_components: fn returned no columns on the first group; pass schema=")
        udf_schema = {**out, _GROUP: nodes.schema[key], _ROW_OUT: pl.Int64}
        spark_schema = spark_schema_of(udf_schema)
        from pyspark.sql.pandas.types import to_arrow_schema

        apply = _per_group(fn, dict(nodes.schema), key, list(out), to_arrow_schema(spark_schema))
        spark = self.session
        with quiet_pyspark():
            frame = spark.createDataFrame(to_spark_arrow(nodes.with_row_index(_ROW_IN).cast({_ROW_IN: pl.Int64})))
            table = frame.groupBy(key).applyInArrow(apply, spark_schema).toArrow()
        result = pl.from_arrow(table)
        assert isinstance(result, pl.DataFrame)
        if result.height == 0:
            return pl.DataFrame(schema=out) if schema is not None else pl.DataFrame()
        result = result.cast({_GROUP: nodes.schema[key]}).sort(_GROUP, _ROW_OUT, nulls_last=False)
        return result.select(pl.col(c).cast(t) for c, t in out.items())


def _schema_from_first_group(nodes: pl.DataFrame, fn: ComponentFn, key: str) -> dict[str, pl.DataType]:
    first_key = nodes.select(pl.col(key).sort(nulls_last=False).first()).item()
    first = nodes.filter(pl.col(key).is_null() if first_key is None else pl.col(key) == first_key)
    return dict(fn(first).schema)


def _per_group(
    fn: ComponentFn,
    in_schema: dict[str, pl.DataType],
    key: str,
    columns: list[str],
    target: pa.Schema,
    *,
    ordered: bool = True,
) -> Callable[[pa.Table], pa.Table]:
    """The function applyInArrow runs on each group's Arrow table (pickled to the executors with ``fn``).

    It has no type hints on purpose: pyspark picks the Arrow calling convention from hints, and
    without them passes the whole group as one ``pyarrow.Table``. ``ordered``: the rows carry their
    input position and the result carries the group key and each row's position (map_components);
    without, ``fn``'s result is returned as it is (map_frame).
    """

    def apply(table):
        group = pl.from_arrow(table)
        assert isinstance(group, pl.DataFrame)
        if ordered:  # back to the caller's row order, so fn sees exactly what DuckDBBackend gives it
            group = group.sort(_ROW_IN).drop(_ROW_IN)
        result = fn(group.select(list(in_schema)).cast(in_schema))
        missing = [c for c in columns if c not in result.columns]
        if missing:
            raise ValueError(f"map_components: fn's result lacks the columns {missing} of its schema")
        result = result.select(columns)
        if not ordered:
            return to_spark_arrow(result).cast(target)
        result = result.with_columns(
            pl.lit(group[key][0], dtype=in_schema[key]).alias(_GROUP),
            pl.int_range(pl.len(), dtype=pl.Int64).alias(_ROW_OUT),
        )
        return to_spark_arrow(result).cast(target)

    return apply


class _SparkRounds:
    """The shared rounds as Spark temp views on one session: each relation persisted, and every few
    queries one checkpointed, so that no plan grows with the rounds."""

    def __init__(self, spark: SparkSession, settings: SparkSettings) -> None:
        self.spark = spark
        self.settings = settings
        self.frames: dict[str, DataFrame] = {}
        self.steps = 0
        self.reliable = settings.checkpoint == "reliable"
        if self.reliable and spark.sparkContext.getCheckpointDir() is None:
            raise ConfigError(
                "spark checkpoint 'reliable' needs a checkpoint directory and the session has none",
                hint="set FRAUDKIT_SPARK_CHECKPOINT_DIR (an HDFS or S3 path on a cluster)",
            )

    def materialize(self, name: str, sql: str) -> None:
        frame = self.spark.sql(sql)
        self.steps += 1
        if self.steps % self.settings.checkpoint_every == 0:
            if self.reliable:
                # written to the checkpoint dir by a second job, which reads the persisted rows
                source = frame.persist()
                frame = source.checkpoint(eager=True).persist()
                source.unpersist()
            else:  # blocks kept on the executors: no files, but lost with an executor (and see `checkpoint`)
                frame = frame.localCheckpoint(eager=True)
        else:
            frame = frame.persist()  # computed by the count that follows, then read by the next query
        self._replace(name, frame)

    def count(self, sql: str) -> int:
        return int(self.spark.sql(sql).collect()[0][0])

    def rename(self, source: str, target: str) -> None:
        # the source's rows were computed (and persisted) by the count, so the old target can go
        self._replace(target, self.frames.pop(source))
        self.spark.catalog.dropTempView(source)

    def _replace(self, name: str, frame: DataFrame) -> None:
        old = self.frames.get(name)
        self.frames[name] = frame
        frame.createOrReplaceTempView(name)
        if old is not None and old is not frame:
            old.unpersist()

    def release(self) -> None:
        for frame in self.frames.values():
            frame.unpersist()
        self.frames.clear()
        for name in RELATIONS:
            self.spark.catalog.dropTempView(name)
