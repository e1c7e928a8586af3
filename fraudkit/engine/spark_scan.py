"""The scan's pre-filter on a lake, per shard on Spark: only the clusters' corner reaches the driver.

A shard owns the accounts whose id hashes to it and receives every transfer of theirs (a transfer
goes to the shards of both its accounts). That is all an account's flows (money in and out, fast
pass-through, dwell, cash-out) read, and all the two time tests of a fast-flow edge read at the end
the shard owns (its sender received money shortly before; its receiver sends money on shortly
after), so each shard runs the one-machine queries on its rows. Spark then keeps the hot accounts
and the transfers fast at both ends between two of them; the driver receives those fast transfers
and the hot accounts' flows, sums the edges, finds the clusters, and asks for the transfers touching
a member with their counterparties' flows: everything the scan's evidence reads, and on a
province's window a small part of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from fraudkit.engine.shards import Owner, Shard, Sharding, as_input
from fraudkit.engine.spark import quiet_pyspark
from fraudkit.engine.spark_shards import SparkShards, collect_frame, session_time_zone
from fraudkit.engine.sql import scan_shards as sql
from fraudkit.scan.flows import WINDOW_COLUMNS
from fraudkit.schema import SUCCESSFUL
from fraudkit.store import frame, registered

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from fraudkit.engine.spark import SparkBackend
    from fraudkit.scan.scan import ScanParams


WINDOW_SHARDING = Sharding({"transfers": (Owner("src", "account"), Owner("dst", "account"))})
"""A transfer goes to the shards of its sender and of its receiver: each owns its accounts."""

ROW_KIND = "__row"
"""What a shard's result row is: an owned account's flows (``flow``), or a transfer fast at its owned
sender's end (``src``) or its owned receiver's (``dst``), named by ``txn_id``."""


def empty_transfers() -> pl.DataFrame:
    return pl.DataFrame(schema=WINDOW_COLUMNS)


def flows_schema(params: ScanParams) -> dict[str, pl.DataType]:
    """The columns and types of :func:`fraudkit.scan.flows.account_flows`, read off the query itself."""
    from fraudkit.scan.flows import no_flows

    return dict(no_flows(params.flow, cash_out_channels=params.signals.cash_out_channels).schema)


def shard_schema(params: ScanParams) -> dict[str, pl.DataType]:
    return {ROW_KIND: pl.Utf8, "txn_id": pl.Utf8, **flows_schema(params)}


def window_of_shard(params: ScanParams) -> Callable[[Shard], pl.DataFrame]:
    """The per-shard function: its accounts' flows, and the transfers fast at the ends it owns."""
    hours = float(params.flow.edge_dwell_hours)  # type: ignore[arg-type]

    def window(shard: Shard) -> pl.DataFrame:
        from fraudkit.scan.flows import account_flows

        transfers = shard.frames["transfers"]
        with duckdb.connect() as con:
            con.execute("SET threads = 1")
            flows = account_flows(con, transfers, params.flow, cash_out_channels=params.signals.cash_out_channels)
            with registered(con, transfers, "shard_tx") as tx:
                ends = frame(con, sql.fast_ends(tx), {"h": hours}, table="transactions")
        owned = shard.keep(flows, "account", "account").with_columns(pl.lit("flow").alias(ROW_KIND))
        fast = [
            shard.keep(ends.filter(pl.col(f"{end}_fast")), end, "account")
            .select("txn_id")
            .with_columns(pl.lit(end).alias(ROW_KIND))
            for end in ("src", "dst")
        ]
        return pl.concat([owned, *fast], how="diagonal_relaxed")

    return window


@dataclass
class LakeWindow:
    """A scan window of the lake after the per-shard pass: the hot accounts' flows and the fast edges
    between them on the driver; :meth:`around` fetches what the evidence reads about the clusters."""

    hot_flows: pl.DataFrame
    fast_edges: pl.DataFrame
    _transfers: Any
    _flows: Any
    _time_zone: str
    _schema: dict[str, pl.DataType]

    def around(self, accounts: pl.Series) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(every transfer of the window touching one of ``accounts``, ordered by txn_id; the flows of
        every account those transfers touch, ordered by account)."""
        from pyspark.sql import functions as F

        transfers: DataFrame = self._transfers
        spark = transfers.sparkSession
        chosen = sorted(set(accounts.cast(pl.Utf8).drop_nulls().to_list()))
        if not chosen:
            return empty_transfers(), pl.DataFrame(schema=self._schema)
        with quiet_pyspark():
            members = F.broadcast(spark.createDataFrame([(a,) for a in chosen], "account STRING"))
            by_src = transfers.join(members.withColumnRenamed("account", "src"), "src", "left_semi")
            by_dst = transfers.join(members.withColumnRenamed("account", "dst"), "dst", "left_semi")
            touching = by_src.unionByName(by_dst).dropDuplicates(["txn_id"]).select(*WINDOW_COLUMNS)
            near = touching.select(F.col("src").alias("account")).union(touching.select(F.col("dst").alias("account")))
            near_flows = self._flows.join(near.distinct(), "account", "left_semi")
            rows = as_input(collect_frame(touching, WINDOW_COLUMNS), WINDOW_COLUMNS, self._time_zone)
            flows = as_input(collect_frame(near_flows, self._schema), self._schema, self._time_zone)
        return rows.sort("txn_id"), flows.sort("account")


@contextmanager
def lake_window(
    backend: SparkBackend, *, start: datetime, end: datetime, params: ScanParams, shards: int | None = None
) -> Iterator[LakeWindow]:
    """The per-shard pass over the lake's transfers in ``[start, end)`` (``params`` with every threshold
    a number); Spark's cached frames are released when the block ends. ``shards`` None: the session's
    default parallelism."""
    from pyspark.sql import functions as F

    lake = backend.lake("scan the transfers")
    spark = lake.spark
    schema = flows_schema(params)
    columns = ["txn_id", "ts", "src_account", "dst_account", "amount", "channel", "status"]
    read = lake.frame("transactions", columns, start=start, end=end)
    if read is None:
        read = spark.createDataFrame(
            [],
            "txn_id STRING, ts TIMESTAMP_NTZ, src_account STRING, "
            "dst_account STRING, amount DECIMAL(18,2), channel STRING, status STRING",
        )
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
        .cache()
    )
    runner = SparkShards(backend)
    count = shards or max(spark.sparkContext.defaultParallelism, 1)
    time_zone = session_time_zone(spark)
    rows = runner.map_shards_frame(
        {"transfers": transfers}, WINDOW_SHARDING, window_of_shard(params), shard_schema(params), shards=count
    ).cache()
    try:
        with quiet_pyspark():
            flows = rows.where(F.col(ROW_KIND) == "flow").select(*schema)
            hot = flows.where(
                (F.col("money_in") >= float(params.flow.min_inflow))  # type: ignore[arg-type]
                & (F.col("pass_through_ratio") >= float(params.flow.min_pass_through))
            ).select("account")
            fast_src = rows.where(F.col(ROW_KIND) == "src").select("txn_id")
            fast_dst = rows.where(F.col(ROW_KIND) == "dst").select("txn_id")
            fast = (
                transfers.join(fast_src, "txn_id", "left_semi")
                .join(fast_dst, "txn_id", "left_semi")
                .join(F.broadcast(hot.withColumnRenamed("account", "src")), "src", "left_semi")
                .join(F.broadcast(hot.withColumnRenamed("account", "dst")), "dst", "left_semi")
                .select(*WINDOW_COLUMNS)
            )
            fast_rows = as_input(collect_frame(fast, WINDOW_COLUMNS), WINDOW_COLUMNS, time_zone)
            hot_flows = as_input(collect_frame(flows.join(hot, "account", "left_semi"), schema), schema, time_zone)
        with duckdb.connect() as con, registered(con, fast_rows, "fast_tx") as tx:
            edges = frame(con, sql.edge_sums(tx), table="transactions")
        yield LakeWindow(hot_flows.sort("account"), edges, transfers, flows, time_zone, schema)
    finally:
        rows.unpersist()
        runner.release()
        transfers.unpersist()


def lake_scan(
    backend: SparkBackend, *, start: datetime, end: datetime, params: ScanParams, shards: int | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """What the scan's evidence reads, for the window ``[start, end)`` of the lake: (the transfers touching
    a cluster member, their accounts' flows, the significant fast-flow edges, the clusters), each equal
    to what the store's scan computes (``params`` resolved, every threshold a number)."""
    from fraudkit.scan.clusters import clusters_from_edges
    from fraudkit.scan.flows import significant_edges

    with lake_window(backend, start=start, end=end, params=params, shards=shards) as window:
        edges = significant_edges(window.fast_edges, window.hot_flows, params.flow)
        clusters = clusters_from_edges(edges, backend, params.cluster)
        transfers, flows = window.around(clusters["account"])
    return transfers, flows, edges, clusters
