"""The routes of a :class:`~fraudkit.engine.shards.Sharding` followed in Spark, and a function run per shard.

Each input row is tagged with the shards that need it (``pmod(xxhash64(key), shards)`` for an Owner;
a join with a key -> shards table for the other routes; ``explode`` for a row that several shards
need), the inputs are put in one long frame (a ``__frame`` tag; columns of one type share slots
across inputs), and ``groupBy(__shard).applyInArrow`` hands each shard's rows to Python in one
Arrow table, where they are split back into the input frames and given to the unchanged Polars
function. One long frame rather than ``cogroup``: cogroup takes two inputs and the features read
five. A :class:`~fraudkit.engine.shards.Derived` frame (the phone-account links) is a ``cogroup``
of its two inputs by bucket.

pyspark is imported inside the functions: importing this module needs neither pyspark nor Java.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from fraudkit.engine.shards import (
    FRAME,
    SHARD,
    Along,
    Derived,
    Owner,
    ShardFn,
    Sharding,
    Through,
    as_input,
    check_shards,
    conform,
    open_shard,
    own_flag,
)
from fraudkit.engine.spark import SparkBackend, quiet_pyspark, spark_schema_of, to_spark_arrow

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

_KEY = "__key"
_SHARDS = "__shards"
_BUCKET = "__bucket"


def spark_shard_of(key: Column, shards: int) -> Column:
    """The shard of a key on Spark: ``pmod(xxhash64(key), shards)`` as an int, null for a null key."""
    from pyspark.sql import functions as F

    return F.when(key.isNotNull(), F.pmod(F.xxhash64(key), F.lit(shards))).cast("int")


def polars_schema_of(frame: DataFrame) -> dict[str, pl.DataType]:
    """The Polars types a Spark DataFrame's rows arrive with, timestamps as naive wall times."""
    from pyspark.sql.pandas.types import to_arrow_schema

    empty = pl.DataFrame(pa.Table.from_batches([], schema=to_arrow_schema(frame.schema, timezone="UTC")))
    return {
        name: pl.Datetime(dtype.time_unit) if isinstance(dtype, pl.Datetime) else dtype
        for name, dtype in empty.schema.items()
    }


class SparkShards:
    """A function per shard on Spark: the routes tagged in Spark SQL, the shards through ``applyInArrow``."""

    name = "spark"

    def __init__(self, backend: SparkBackend | None = None) -> None:
        self.backend = backend or SparkBackend()
        self._cached: list[DataFrame] = []

    def release(self) -> None:
        """Unpersist what the last :meth:`map_shards_frame` cached (the links, the routed transfers)."""
        while self._cached:
            self._cached.pop().unpersist()

    def map_shards(
        self,
        frames: Mapping[str, Any],
        sharding: Sharding,
        fn: ShardFn,
        schema: Mapping[str, pl.DataType],
        *,
        shards: int,
    ) -> pl.DataFrame:
        """``fn`` per shard on the executors; inputs are Polars frames (sent through the driver) or Spark
        DataFrames, the results come back to the driver as one Polars frame in no particular order."""
        check_shards(shards)
        sharding.check_frames(frames)
        spark = self.backend.session
        with quiet_pyspark():
            inputs = {name: _to_spark(spark, frame) for name, frame in frames.items()}
            try:
                result = collect_frame(self.map_shards_frame(inputs, sharding, fn, schema, shards=shards), schema)
            finally:
                self.release()
        return as_input(result, schema, session_time_zone(spark))

    def map_shards_frame(
        self,
        frames: Mapping[str, DataFrame],
        sharding: Sharding,
        fn: ShardFn,
        schema: Mapping[str, pl.DataType],
        *,
        shards: int,
    ) -> DataFrame:
        """The lake-to-lake form: Spark DataFrames in, the shards' results as one Spark DataFrame out
        (lazy, unordered, Spark's types), nothing through the driver. The frames two routes read (the
        links, the routed transfers) stay cached until :meth:`release`: call it once the result is written."""
        check_shards(shards)
        sharding.check_frames(frames)
        spark = next(iter(frames.values())).sparkSession
        time_zone = session_time_zone(spark)
        schemas = {name: polars_schema_of(frame) for name, frame in frames.items()}
        tagged = _tag(frames, sharding, shards, time_zone, self._cached)
        long, layout = _long_frame(tagged)
        from pyspark.sql.pandas.types import to_arrow_schema

        spark_schema = spark_schema_of(schema)
        target = to_arrow_schema(spark_schema)
        apply = _per_shard(fn, sharding, shards, schemas, layout, dict(schema), target, time_zone)
        with quiet_pyspark():
            return long.groupBy(SHARD).applyInArrow(apply, spark_schema)


def collect_frame(result: DataFrame, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The shards' results on the driver. On a local master through Parquet files in a temp folder:
    ``toArrow`` gathers every task's result in the JVM's heap first, and 1M subscribers' features
    (about 2M rows x 50 columns) ran a 4 GB driver out of it (Spark then waits forever); on a cluster
    through Arrow, the driver being sized for it."""
    import shutil
    import tempfile

    if not result.sparkSession.sparkContext.master.startswith("local"):
        frame = pl.from_arrow(result.toArrow())
        assert isinstance(frame, pl.DataFrame)
        return frame
    folder = tempfile.mkdtemp(prefix="fraudkit-shards-")
    try:
        result.write.mode("overwrite").parquet(folder)
        files = sorted(str(p) for p in Path(folder).glob("*.parquet"))
        return pl.read_parquet(files) if files else pl.DataFrame(schema=dict(schema))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def session_time_zone(spark: SparkSession) -> str:
    return spark.conf.get("spark.sql.session.timeZone") or "UTC"


def _to_spark(spark: SparkSession, frame: Any) -> DataFrame:
    """A Polars frame as a Spark DataFrame (through the driver); a Spark DataFrame as it is."""
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    if not isinstance(frame, pl.DataFrame):
        return frame
    schema = spark_schema_of(frame.schema)
    if frame.height == 0:
        return spark.createDataFrame([], schema)
    return spark.createDataFrame(to_spark_arrow(frame), schema)


def _derive(frames: Mapping[str, DataFrame], derived: Derived, shards: int, time_zone: str) -> DataFrame:
    """A derived frame per bucket of its ``by`` columns: ``cogroup`` of its two inputs, ``fn`` per bucket."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import to_arrow_schema

    (left_name, right_name), (left_by, right_by) = derived.inputs, derived.by
    left, right = frames[left_name], frames[right_name]
    schemas = (polars_schema_of(left), polars_schema_of(right))
    # a null key hashes to the seed: every null falls in one bucket, on both sides alike
    left = left.withColumn(_BUCKET, F.pmod(F.xxhash64(F.col(left_by)), F.lit(shards)))
    right = right.withColumn(_BUCKET, F.pmod(F.xxhash64(F.col(right_by)), F.lit(shards)))
    spark_schema = spark_schema_of(derived.schema)
    target = to_arrow_schema(spark_schema)
    fn, out = derived.fn, dict(derived.schema)

    def apply(left_table, right_table):  # no hints: pyspark picks the calling convention from them
        a = as_input(_polars(left_table), schemas[0], time_zone)
        b = as_input(_polars(right_table), schemas[1], time_zone)
        return to_spark_arrow(conform(fn(a, b), out, what=derived.name)).cast(target)

    with quiet_pyspark():
        return left.groupBy(_BUCKET).cogroup(right.groupBy(_BUCKET)).applyInArrow(apply, spark_schema)


def _polars(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _pairs_map(frame: DataFrame, key: str, shards: Column) -> DataFrame:
    """key -> array of distinct shards, from one frame's (key, shard) pairs."""
    from pyspark.sql import functions as F

    pairs = frame.select(F.col(key).alias(_KEY), shards.alias("_s")).where(F.col(_KEY).isNotNull())
    return pairs.where(F.col("_s").isNotNull()).groupBy(_KEY).agg(F.collect_set("_s").alias(_SHARDS))


def _route_map(
    route: Through | Along, sources: Mapping[str, DataFrame], tagged: Mapping[str, DataFrame], shards: int
) -> DataFrame | None:
    from pyspark.sql import functions as F

    if isinstance(route, Through):
        source = sources[route.frame]
        if route.key not in source.columns or route.to not in source.columns:
            return None
        return _pairs_map(source, route.key, spark_shard_of(F.col(route.to), shards))
    done = tagged[route.frame]
    keys = [k for k in route.keys if k in done.columns]
    if not keys:
        return None
    pairs = done.select(F.explode(F.array(*[F.col(k) for k in keys])).alias(_KEY), F.col(SHARD))
    return _pairs_map(pairs, _KEY, F.col(SHARD))


def _tag(
    frames: Mapping[str, DataFrame], sharding: Sharding, shards: int, time_zone: str, cached: list[DataFrame]
) -> dict[str, DataFrame]:
    """Every input row once per shard that needs it, with ``__shard`` and the Owner flags (as locally).

    A derived frame, and a tagged frame other rows go along with, is read more than once: each is
    persisted (and appended to ``cached``) so that Spark computes it once."""
    from pyspark.sql import functions as F

    sources: dict[str, DataFrame] = dict(frames)
    for derived in sharding.derived:
        sources[derived.name] = _derive(frames, derived, shards, time_zone).persist()
        cached.append(sources[derived.name])
    followed = {
        r.frame
        for routes in sharding.routes.values()
        if not isinstance(routes, str)
        for r in routes
        if isinstance(r, Along)
    }
    no_shards = F.array().cast("array<int>")
    maps: dict[tuple[object, ...], DataFrame | None] = {}
    tagged: dict[str, DataFrame] = {}
    for name, routes in sharding.routes.items():
        frame = frames[name]
        columns = frame.columns
        if isinstance(routes, str):  # BROADCAST
            tagged[name] = frame.select(*columns, F.explode(F.sequence(F.lit(0), F.lit(shards - 1))).alias(SHARD))
            continue
        lists: list[Column] = []
        for i, route in enumerate(routes):
            if route.column not in columns:
                continue  # an optional column the frame lacks: null everywhere, so it places nothing
            if isinstance(route, Owner):
                lists.append(F.array(spark_shard_of(F.col(route.column), shards)))
                continue
            signature = (route.frame, route.key, route.to) if isinstance(route, Through) else (route.frame, route.keys)
            if signature not in maps:  # one map per source, so that Spark can reuse its exchange
                maps[signature] = _route_map(route, sources, tagged, shards)
            mapping = maps[signature]
            if mapping is None:
                continue
            found = f"{_SHARDS}{i}"
            joined = frame.join(mapping, frame[route.column] == mapping[_KEY], "left")
            frame = joined.drop(mapping[_KEY]).withColumnRenamed(_SHARDS, found)
            lists.append(F.coalesce(F.col(found), no_shards))
        placed = F.array_distinct(F.array_compact(F.concat(*lists))) if lists else no_shards
        out = frame.select(*columns, F.explode(placed).alias(SHARD))
        flags = [
            F.coalesce(spark_shard_of(F.col(r.column), shards) == F.col(SHARD), F.lit(False)).alias(own_flag(r.column))
            for r in routes
            if isinstance(r, Owner) and r.column in columns
        ]
        tagged[name] = out.select("*", *flags)
        if name in followed:
            tagged[name] = tagged[name].persist()
            cached.append(tagged[name])
    return tagged


def _long_frame(tagged: Mapping[str, DataFrame]) -> tuple[DataFrame, dict[str, dict[str, str]]]:
    """The tagged inputs as one frame, and where each input's columns went in it.

    Columns of one Spark type share slots across inputs (``__string_0`` holds the first string column
    of every input), so the frame is as wide as the widest input per type, not as all inputs together:
    10 columns instead of 38 for the features' five tables, which the shuffle and Arrow pay per row.
    """
    from pyspark.sql import functions as F

    parts = []
    layout: dict[str, dict[str, str]] = {}
    for name, frame in tagged.items():
        used: dict[str, int] = {}
        layout[name] = {}
        for field in frame.schema.fields:
            if field.name == SHARD:
                continue
            kind = re.sub(r"\W+", "_", field.dataType.simpleString())
            layout[name][field.name] = f"__{kind}_{used.get(kind, 0)}"
            used[kind] = used.get(kind, 0) + 1
        cols = [F.col(c).alias(slot) for c, slot in layout[name].items()]
        parts.append(frame.select(F.lit(name).alias(FRAME), F.col(SHARD), *cols))
    long = parts[0]
    for part in parts[1:]:
        long = long.unionByName(part, allowMissingColumns=True)
    return long, layout


def _per_shard(
    fn: ShardFn,
    sharding: Sharding,
    shards: int,
    schemas: Mapping[str, Mapping[str, pl.DataType]],
    layout: Mapping[str, Mapping[str, str]],
    out: dict[str, pl.DataType],
    target: pa.Schema,
    time_zone: str,
) -> Callable[[pa.Table], pa.Table]:
    """The function applyInArrow runs on each shard's Arrow table (pickled to the executors with ``fn``).

    No type hints on purpose: pyspark picks the Arrow calling convention from hints, and without
    them passes the whole group as one ``pyarrow.Table``.
    """

    def apply(table):
        whole = _polars(table)
        index = int(whole[SHARD][0])
        parts = whole.partition_by(FRAME, as_dict=True)
        tagged: dict[str, pl.DataFrame] = {}
        for name, slots in layout.items():
            part = parts.get((name,))
            if part is None:  # none of this input's rows reached the shard
                part = whole.clear()
            tagged[name] = part.select(pl.col(slot).alias(column) for column, slot in slots.items())
        shard = open_shard(index, shards, tagged, sharding, schemas, time_zone)
        return to_spark_arrow(conform(fn(shard), out)).cast(target)

    return apply
