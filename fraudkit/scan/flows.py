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

from fraudkit.features.params import DEFAULT_PARAMS
from fraudkit.schema import SUCCESSFUL
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
    return con.sql(
        f"""
        SELECT txn_id, ts, src_account AS src, dst_account AS dst, amount::DOUBLE AS amount, channel
        FROM transactions
        WHERE ts >= $start AND ts < $end AND {SUCCESSFUL} AND src_account <> dst_account
        """,
        params={"start": start, "end": end},
    )


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
        query = f"""
        WITH inflow AS (SELECT dst AS account, ts, amount, src AS cp FROM {tx}),
        outflow AS (SELECT src AS account, ts, amount, dst AS cp, channel FROM {tx}),
        o AS (
            SELECT o.*, i.ts AS prev_in
            FROM outflow o ASOF LEFT JOIN inflow i ON o.account = i.account AND o.ts >= i.ts
        ),
        outs AS (
            SELECT account,
                   sum(amount) AS money_out,
                   count(*) AS n_out,
                   count(DISTINCT cp) AS n_receivers,
                   coalesce(sum(amount) FILTER (
                       WHERE prev_in IS NOT NULL AND epoch(ts - prev_in) <= $hours * 3600), 0) AS fast_out,
                   median(epoch(ts - prev_in) / 60.0) AS median_dwell_minutes,
                   coalesce(sum(amount) FILTER (WHERE list_contains($cash, channel)), 0) AS cash_out
            FROM o GROUP BY account
        ),
        ins AS (
            SELECT account, sum(amount) AS money_in, count(*) AS n_in, count(DISTINCT cp) AS n_senders
            FROM inflow GROUP BY account
        )
        SELECT coalesce(outs.account, ins.account) AS account,
               coalesce(money_in, 0) AS money_in, coalesce(n_in, 0) AS n_in, coalesce(n_senders, 0) AS n_senders,
               coalesce(money_out, 0) AS money_out, coalesce(n_out, 0) AS n_out,
               coalesce(n_receivers, 0) AS n_receivers, coalesce(fast_out, 0) AS fast_out,
               median_dwell_minutes, coalesce(cash_out, 0) AS cash_out,
               least(coalesce(fast_out, 0) / nullif(money_in, 0), 1.0) AS pass_through_ratio
        FROM outs FULL JOIN ins ON outs.account = ins.account
        ORDER BY account
        """
        return frame(con, query, {"hours": hours, "cash": cash}, table="transactions")


def fast_flow_edges(
    con: duckdb.DuckDBPyConnection, transfers: Data, hot_accounts: pl.DataFrame, params: FlowParams
) -> pl.DataFrame:
    """Transfers between hot accounts that are time-respecting on both ends, summed per pair."""
    with (
        registered(con, transfers, "scan_tx") as tx,
        registered(con, hot_accounts.select("account"), "scan_hot") as hot,
    ):
        query = f"""
            WITH hot_tx AS (
                SELECT * FROM {tx}
                WHERE src IN (SELECT account FROM {hot}) AND dst IN (SELECT account FROM {hot})
            ),
            inflow AS (SELECT dst AS account, ts FROM {tx} WHERE dst IN (SELECT account FROM {hot})),
            outflow AS (SELECT src AS account, ts FROM {tx} WHERE src IN (SELECT account FROM {hot})),
            e1 AS (
                SELECT h.*, i.ts AS prev_in
                FROM hot_tx h ASOF LEFT JOIN inflow i ON h.src = i.account AND h.ts >= i.ts
            ),
            e2 AS (
                SELECT e1.*, o.ts AS next_out
                FROM e1 ASOF LEFT JOIN outflow o ON e1.dst = o.account AND o.ts >= e1.ts
            )
            SELECT src, dst, sum(amount) AS amount, count(*) AS n_txns, min(ts) AS first_ts, max(ts) AS last_ts
            FROM e2
            WHERE prev_in IS NOT NULL AND epoch(ts - prev_in) <= $h * 3600
              AND next_out IS NOT NULL AND epoch(next_out - ts) <= $h * 3600
            GROUP BY src, dst
            ORDER BY src, dst
            """
        return frame(con, query, {"h": float(params.edge_dwell_hours)}, table="transactions")


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
