"""Features on a lake, per shard on Spark: the lake's tables cut as the store's are cut for the
features (:mod:`fraudkit.engine.sql.features`), then the unchanged Polars producers run per shard
through ``applyInArrow`` (:mod:`fraudkit.features.sharded`). The result is build_features' own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl

from fraudkit.engine.sql.features import AS_DOUBLE, COLUMNS
from fraudkit.features.params import DEFAULT_PARAMS, FeatureParams, TimeFrame
from fraudkit.schema import SUCCESSFUL

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from fraudkit.engine.lake import Lake
    from fraudkit.engine.spark import SparkBackend

EXISTED_BY = {"accounts": "opened_at", "subscribers": "activated_at"}
"""The reference tables and the column saying since when a row existed (null: always)."""


def feature_frames(lake: Lake, *, as_of: datetime, window: timedelta, history: timedelta) -> dict[str, DataFrame]:
    """The five inputs of the feature producers as Spark DataFrames over the lake: events of the look-back
    (transfers that moved money only), reports before ``as_of``, accounts and SIMs that existed then."""
    from pyspark.sql import functions as F

    from fraudkit.engine.lake import _ntz, spark_schema

    tf = TimeFrame(as_of, window, history)
    spans = {"transactions": tf.history_start, "calls": tf.history_start, "reports": None}
    frames: dict[str, DataFrame] = {}
    for table, columns in COLUMNS.items():
        data = lake.frame(table, columns, start=spans.get(table), end=as_of if table in spans else None)
        if data is None:
            data = lake.spark.createDataFrame([], spark_schema(table)).select(*columns)
        if table == "transactions":
            data = data.where(F.expr(SUCCESSFUL))
        if table in EXISTED_BY:
            existed = F.col(EXISTED_BY[table])
            data = data.where(existed.isNull() | (existed < _ntz(as_of)))
        for money in AS_DOUBLE:
            if money in columns:
                data = data.withColumn(money, F.col(money).cast("double"))
        frames[table] = data
    return frames


def lake_features(
    backend: SparkBackend,
    *,
    as_of: datetime,
    window: timedelta = timedelta(days=7),
    history: timedelta = timedelta(days=30),
    params: FeatureParams = DEFAULT_PARAMS,
    shards: int | None = None,
) -> dict[str, pl.DataFrame]:
    """{"account": ..., "phone": ...} as build_features gives them, computed per shard on Spark from the
    lake; ``shards`` None: the session's default parallelism (two per core on a local master)."""
    from fraudkit.features.sharded import build_features_sharded

    lake = backend.lake("compute features")
    frames = feature_frames(lake, as_of=as_of, window=window, history=history)
    count = shards or max(lake.spark.sparkContext.defaultParallelism, 1)
    return build_features_sharded(
        frames, as_of=as_of, window=window, history=history, params=params, shards=count, runner=backend
    )
