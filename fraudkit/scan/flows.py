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

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import duckdb
import polars as pl

from fraudkit.engine.sql import scan as sql
from fraudkit.features.params import DEFAULT_PARAMS
from fraudkit.resolution import GRAIN, Resolution, time_resolution
from fraudkit.store import Data, frame, registered, scalar, table_exists

CASH_OUT_CHANNELS = DEFAULT_PARAMS.cash_out_channels
"""Channels that turn money into cash or leave the banking system: one definition, the features'."""


FALLBACK_PASS_THROUGH_HOURS = 24.0
FALLBACK_EDGE_DWELL_HOURS = 6.0
FALLBACK_MIN_INFLOW = 1_000.0
"""What an unresolved "auto" threshold means outside a scan (a stage called on its own): the numbers
measured on fraudkit's own generator, which :func:`resolve_flow_params` reproduces on it."""


@dataclass(frozen=True)
class FlowParams:
    """Thresholds of the pre-filter. The time and amount thresholds default to None, "auto": a scan
    resolves them once from its window (:func:`resolve_flow_params`) so every stage after it sees numbers;
    a number set here is used as it is. The shares are kept as numbers: they mean the same in any
    currency and at any clock."""

    pass_through_hours: float | None = None
    """Hours within which money in must go out (auto: the shorter of ``fast_cap_hours`` and the median
    dwell of every account in the window, never finer than the data's clock: one day on daily data)."""
    edge_dwell_hours: float | None = None
    """Longest rest on a fast-flow edge (auto: a quarter of ``fast_cap_hours``, at least one tick: a ring's
    hop rests far less than a typical account's money, so the population's dwell does not shorten it)."""
    min_pass_through: float = 0.6
    min_inflow: float | None = None
    """Least money in for a candidate (auto: the ``min_inflow_quantile`` of every receiving account's money in)."""
    min_edge_share: float = 0.1
    """An edge must carry this share of its sender's outflow or its receiver's inflow: ring hops do,
    a mule's camouflage purchase at a busy merchant does not."""
    fast_cap_hours: float = 24.0
    """Auto pass-through never exceeds this: "fast" is within a day, or the data's typical dwell if shorter."""
    min_inflow_quantile: float = 0.3
    """Auto ``min_inflow``: accounts below this quantile of money received in the window are too small to matter."""

    def concrete(self) -> FlowParams:
        """These thresholds with every unresolved "auto" at its fallback (a stage called outside a scan)."""
        return replace(
            self,
            pass_through_hours=_or(self.pass_through_hours, FALLBACK_PASS_THROUGH_HOURS),
            edge_dwell_hours=_or(self.edge_dwell_hours, FALLBACK_EDGE_DWELL_HOURS),
            min_inflow=_or(self.min_inflow, FALLBACK_MIN_INFLOW),
        )


def _or(value: float | None, fallback: float) -> float:
    return fallback if value is None else float(value)


@dataclass(frozen=True)
class DataProfile:
    """The few aggregate figures of a window that decide the scan's "auto" thresholds and which evidence
    the data carries; measured once per scan (:func:`profile_window`) and reported with it."""

    resolution: Resolution
    transfers: int
    channels: int
    cash_out_transfers: int
    median_dwell_hours: float | None
    inflow_quantile: float | None
    accounts_with_opening: int
    reports: int

    @property
    def tick_hours(self) -> float:
        """The finest time step the data can tell (a day on daily data; 0 when nothing says)."""
        tick = GRAIN.get(self.resolution)
        return tick.total_seconds() / 3600.0 if tick is not None else 0.0


def profile_window(
    con: duckdb.DuckDBPyConnection,
    transfers: Data,
    *,
    start: datetime,
    end: datetime,
    as_of: datetime,
    cash_out_channels: tuple[str, ...] = CASH_OUT_CHANNELS,
    inflow_quantile: float = 0.3,
) -> DataProfile:
    """The window's profile: the clock of ``transactions`` in ``[start, end)``, one query over the window's
    transfers (dwell, money in, channels) and a count each of opening dates and reports before ``as_of``."""
    resolution = time_resolution(con, "transactions", start=start, end=end)
    with registered(con, transfers, "scan_tx") as tx:
        row = frame(
            con,
            sql.window_profile(tx),
            {"cash": list(cash_out_channels), "q": float(inflow_quantile)},
            table="transactions",
        ).row(0, named=True)
    opened = scalar(con, sql.ACCOUNTS_WITH_OPENING) if table_exists(con, "accounts") else 0
    reports = scalar(con, sql.REPORTS_BEFORE, [as_of]) if table_exists(con, "reports") else 0
    return DataProfile(
        resolution=resolution,
        transfers=int(row["transfers"] or 0),
        channels=int(row["channels"] or 0),
        cash_out_transfers=int(row["cash_out_transfers"] or 0),
        median_dwell_hours=row["median_dwell_hours"],
        inflow_quantile=row["inflow_quantile"],
        accounts_with_opening=int(opened or 0),
        reports=int(reports or 0),
    )


def resolve_flow_params(params: FlowParams, profile: DataProfile) -> FlowParams:
    """``params`` with every "auto" threshold made a number from ``profile``; numbers given stay as they are.

    Fast is the shorter of ``fast_cap_hours`` and the population's median dwell (faster than a typical
    account), but never finer than the clock: on daily data a hop within the same or the next day is the
    fastest the data can show, so both pass-through and edge rest are one day there."""
    tick = profile.tick_hours
    dwell = profile.median_dwell_hours
    fast = params.fast_cap_hours if dwell is None else min(params.fast_cap_hours, float(dwell))
    pass_through = _or(params.pass_through_hours, max(tick, fast))
    edge = _or(params.edge_dwell_hours, max(tick, params.fast_cap_hours / 4.0))
    floor = profile.inflow_quantile
    min_inflow = _or(params.min_inflow, FALLBACK_MIN_INFLOW if floor is None else float(floor))
    return replace(params, pass_through_hours=pass_through, edge_dwell_hours=edge, min_inflow=min_inflow)


WINDOW_COLUMNS: dict[str, pl.DataType] = {
    "txn_id": pl.Utf8,
    "ts": pl.Datetime("us"),
    "src": pl.Utf8,
    "dst": pl.Utf8,
    "amount": pl.Float64,
    "channel": pl.Utf8,
}
"""The window's transfers as :func:`window_transactions` gives them, and as a lake's scan hands them over."""


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
    hours = float(params.concrete().pass_through_hours or 0.0)
    cash = list(cash_out_channels)
    with registered(con, transfers, "scan_tx") as tx:
        return frame(con, sql.account_flows(tx), {"hours": hours, "cash": cash}, table="transactions")


def no_flows(params: FlowParams, *, cash_out_channels: tuple[str, ...] = CASH_OUT_CHANNELS) -> pl.DataFrame:
    """:func:`account_flows` of no transfers: its columns and types, read off the query itself."""
    with duckdb.connect() as scratch:
        return account_flows(scratch, pl.DataFrame(schema=WINDOW_COLUMNS), params, cash_out_channels=cash_out_channels)


def fast_flow_edges(
    con: duckdb.DuckDBPyConnection, transfers: Data, hot_accounts: pl.DataFrame, params: FlowParams
) -> pl.DataFrame:
    """Transfers between hot accounts that are time-respecting on both ends, summed per pair."""
    with (
        registered(con, transfers, "scan_tx") as tx,
        registered(con, hot_accounts.select("account"), "scan_hot") as hot,
    ):
        return frame(
            con,
            sql.fast_flow_edges(tx, hot),
            {"h": float(params.concrete().edge_dwell_hours or 0.0)},
            table="transactions",
        )


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
    min_inflow = params.concrete().min_inflow
    return flows.filter((pl.col("money_in") >= min_inflow) & (pl.col("pass_through_ratio") >= params.min_pass_through))


def window_bounds(as_of: datetime, window: timedelta) -> tuple[datetime, datetime]:
    return as_of - window, as_of
