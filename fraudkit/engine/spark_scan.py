"""The scan's pre-filter on a lake, per shard on Spark: only the suspicious corner reaches the driver.

Every account's flows (money in and out, fast pass-through, dwell, cash-out) need all of that
account's transfers and nothing else, so they are computed per shard (a transfer goes to the shards
of both its accounts) by the same DuckDB query as on one machine. Spark then keeps the hot accounts
(received real money, forwarded most of it fast) and hands the driver two small frames: the
window's transfers that touch a hot account, and the flows of the accounts those transfers touch.
Every later step of the scan (fast edges, components, evidence, the report's flows) reads only
transfers touching a cluster member, and members are hot, so the driver computes on these exactly
what it computes on the whole window, as a province's window never fits on it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from fraudkit.engine.shards import Owner, Shard, Sharding, as_input
from fraudkit.engine.spark import quiet_pyspark
from fraudkit.engine.spark_shards import SparkShards, collect_frame, session_time_zone
from fraudkit.schema import SUCCESSFUL

if TYPE_CHECKING:
    from fraudkit.engine.spark import SparkBackend
    from fraudkit.scan.scan import ScanParams

TRANSFER_COLUMNS: dict[str, pl.DataType] = {
    "txn_id": pl.Utf8,
    "ts": pl.Datetime("us"),
    "src": pl.Utf8,
    "dst": pl.Utf8,
    "amount": pl.Float64,
    "channel": pl.Utf8,
}
"""The window's transfers as the scan reads them (:data:`fraudkit.engine.sql.scan.WINDOW_TRANSFERS`)."""

FLOW_SHARDING = Sharding({"transfers": (Owner("src", "account"), Owner("dst", "account"))})
"""A transfer goes to the shards of its sender and of its receiver: each owns its accounts' flows."""


def empty_transfers() -> pl.DataFrame:
    return pl.DataFrame(schema=TRANSFER_COLUMNS)


def flows_schema(params: ScanParams) -> dict[str, pl.DataType]:
    """The columns and types of :func:`fraudkit.scan.flows.account_flows`, read off the query itself."""
    from fraudkit.scan.flows import account_flows

    with duckdb.connect() as con:
        empty = account_flows(con, empty_transfers(), params.flow, cash_out_channels=params.signals.cash_out_channels)
    return dict(empty.schema)


def flows_of_shard(params: ScanParams) -> Callable[[Shard], pl.DataFrame]:
    """The per-shard function: the shard's accounts' flows, by the one-machine query on its transfers."""

    def flows(shard: Shard) -> pl.DataFrame:
        from fraudkit.scan.flows import account_flows

        with duckdb.connect() as con:
            con.execute("SET threads = 1")
            found = account_flows(
                con, shard.frames["transfers"], params.flow, cash_out_channels=params.signals.cash_out_channels
            )
        return shard.keep(found, "account", "account")

    return flows


def lake_window(
    backend: SparkBackend, *, start: datetime, end: datetime, params: ScanParams, shards: int | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(transfers touching a hot account, flows of every account they touch) for the window
    ``[start, end)`` of ``backend``'s lake; ``shards`` None: the session's default parallelism."""
    from pyspark.sql import functions as F

    lake = backend.lake("scan the transfers")
    spark = lake.spark
    columns = ["txn_id", "ts", "src_account", "dst_account", "amount", "channel", "status"]
    read = lake.frame("transactions", columns, start=start, end=end)
    schema = flows_schema(params)
    if read is None:
        return empty_transfers(), pl.DataFrame(schema=schema)
    transfers = (
        read.where(SUCCESSFUL)
        .where(F.col("src_account") != F.col("dst_account"))
        .select(
            "txn_id",
            "ts",
            F.col("src_account").alias("src"),
            F.col("dst_account").alias("dst"),
            F.col("amount").cast("double").alias("amount"),
            "channel",
        )
    )
    runner = SparkShards(backend)
    count = shards or max(spark.sparkContext.defaultParallelism, 1)
    time_zone = session_time_zone(spark)
    transfers = transfers.cache()
    flows = runner.map_shards_frame(
        {"transfers": transfers}, FLOW_SHARDING, flows_of_shard(params), schema, shards=count
    ).cache()
    try:
        with quiet_pyspark():
            hot = flows.where(
                (F.col("money_in") >= params.flow.min_inflow)
                & (F.col("pass_through_ratio") >= params.flow.min_pass_through)
            ).select("account")
            hot_src = F.broadcast(hot.select(F.col("account").alias("hot_src")))
            hot_dst = F.broadcast(hot.select(F.col("account").alias("hot_dst")))
            touching = (
                transfers.join(hot_src, transfers.src == hot_src.hot_src, "left")
                .join(hot_dst, transfers.dst == hot_dst.hot_dst, "left")
                .where(F.col("hot_src").isNotNull() | F.col("hot_dst").isNotNull())
                .select(*TRANSFER_COLUMNS)
            )
            near = touching.select(F.col("src").alias("account")).union(touching.select(F.col("dst").alias("account")))
            near_flows = flows.join(near.distinct(), "account", "left_semi")
            found = as_input(collect_frame(touching, TRANSFER_COLUMNS), TRANSFER_COLUMNS, time_zone)
            near_found = as_input(collect_frame(near_flows, schema), schema, time_zone)
    finally:
        flows.unpersist()
        runner.release()
        transfers.unpersist()
    return found.sort("txn_id"), near_found.sort("account")
