"""Vectorised pre-filtering of the money graph (DuckDB): the suspicious part, before any graph library.

Mules forward money soon after it arrives. Per account we measure how much inflow
leaves again within ``pass_through_hours``; per transfer we mark whether the sender
had just received money and the receiver forwards soon after. Only transfers that
are fast on both ends between fast accounts become edges of the suspicious subgraph,
so NetworkX never sees the whole world.

Each stage is handed what it reads (the window's transfers as a relation or a frame, the
accounts it needs as a frame) and returns a frame: nothing is left on the connection for a
later call to find, so a stage runs alone on a connection that holds only the canonical tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import polars as pl

from fraudkit.engine.sql import scan as sql
from fraudkit.features.params import DEFAULT_PARAMS
from fraudkit.store import Data, frame, registered

CASH_OUT_CHANNELS = DEFAULT_PARAMS.cash_out_channels
"""Channels that turn money into cash or leave the banking system: one definition, the features'."""


@dataclass(frozen=True)
class FlowParams:
    """Thresholds of the pre-filter; defaults measured on synthetic worlds (see docs)."""

    pass_through_hours: float = 24.0
    edge_dwell_hours: float = 6.0
    min_pass_through: float = 0.6
    min_inflow: float = 1_000.0
    min_edge_share: float = 0.1
    """An edge must carry this share of its sender's outflow or its receiver's inflow: ring hops do,
    a mule's camouflage purchase at a busy merchant does not."""


def window_transactions(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> duckdb.DuckDBPyRelation:
    """The window's successful transfers between two different accounts (txn_id, ts, src, dst, amount as
    DOUBLE, channel), as a relation over ``transactions``: it is computed each time it is read, so a caller
    reading it more than once materialises it first (:func:`fraudkit.store.materialised`)."""
    return con.sql(sql.WINDOW_TRANSFERS, params={"start": start, "end": end})


def account_flows(
    con: duckdb.DuckDBPyConnection,
    transfers: Data,
    params: FlowParams,
    *,
    cash_out_channels: tuple[str, ...] = CASH_OUT_CHANNELS,
) -> pl.DataFrame:
    """Per account in the window: money in/out, counterparties, fast pass-through, dwell, cash-out.

    ``transfers``: the window's transfers as :func:`window_transactions` gives them; ``cash_out_channels``:
    the features' (``ScanParams.signals``)."""
    hours = float(params.pass_through_hours)
    cash = list(cash_out_channels)
    with registered(con, transfers, "scan_tx") as tx:
        return frame(con, sql.account_flows(tx), {"hours": hours, "cash": cash}, table="transactions")


def fast_flow_edges(
    con: duckdb.DuckDBPyConnection, transfers: Data, hot_accounts: pl.DataFrame, params: FlowParams
) -> pl.DataFrame:
    """Transfers between hot accounts that are time-respecting on both ends, summed per pair."""
    with (
        registered(con, transfers, "scan_tx") as tx,
        registered(con, hot_accounts.select("account"), "scan_hot") as hot,
    ):
        return frame(con, sql.fast_flow_edges(tx, hot), {"h": float(params.edge_dwell_hours)}, table="transactions")


def significant_edges(edges: pl.DataFrame, flows: pl.DataFrame, params: FlowParams) -> pl.DataFrame:
    """Drop edges that are a sliver of both ends' money (small payments into hubs that sweep fast)."""
    out = flows.select(pl.col("account").alias("src"), pl.col("money_out").alias("src_out"))
    into = flows.select(pl.col("account").alias("dst"), pl.col("money_in").alias("dst_in"))
    share = pl.max_horizontal(
        pl.col("amount") / pl.col("src_out").clip(lower_bound=1.0),
        pl.col("amount") / pl.col("dst_in").clip(lower_bound=1.0),
    )
    return (
        edges.join(out, on="src", how="left")
        .join(into, on="dst", how="left")
        .filter(share >= params.min_edge_share)
        .drop("src_out", "dst_in")
    )


def hot_accounts(flows: pl.DataFrame, params: FlowParams) -> pl.DataFrame:
    """Accounts that received real money and forwarded most of it quickly."""
    return flows.filter(
        (pl.col("money_in") >= params.min_inflow) & (pl.col("pass_through_ratio") >= params.min_pass_through)
    )


def window_bounds(as_of: datetime, window: timedelta) -> tuple[datetime, datetime]:
    return as_of - window, as_of
