"""`fraudkit scan`: find water-house clusters as of a point in time, from a window of transfers."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import duckdb
import polars as pl

from fraudkit.backend import Backend, get_backend
from fraudkit.features.params import FeatureParams
from fraudkit.scan.clusters import ClusterParams, clusters_from_edges, guess_typologies
from fraudkit.scan.evidence import (
    TRANSFER_SCHEMA,
    ScoreParams,
    absent_evidence,
    cluster_evidence,
    cluster_flow_edges,
    cluster_transfers,
    member_evidence,
    score_clusters,
)
from fraudkit.scan.flows import (
    DataProfile,
    FlowParams,
    account_flows,
    fast_flow_edges,
    hot_accounts,
    profile_window,
    resolve_flow_params,
    significant_edges,
    window_bounds,
    window_transactions,
)
from fraudkit.store import Data, materialised


@dataclass(frozen=True)
class ScanParams:
    flow: FlowParams = field(default_factory=FlowParams)
    cluster: ClusterParams = field(default_factory=ClusterParams)
    score: ScoreParams = field(default_factory=ScoreParams)
    """How evidence becomes the score, and the score at which a cluster is flagged (``score.flag_at``)."""
    signals: FeatureParams = field(default_factory=FeatureParams)
    """What counts as cash-out and as "just under a reporting threshold": the features' definitions
    (``[features]`` in the configuration), so the scan and the features never disagree."""


@dataclass
class ScanResult:
    run_id: str
    as_of: datetime
    window: timedelta
    clusters: pl.DataFrame  # one row per cluster, ranked by score
    members: pl.DataFrame  # one row per member account
    edges: pl.DataFrame  # fast-flow edges inside clusters
    flow_edges: pl.DataFrame  # every transfer touching a cluster: entry (victims), internal, exit (cash-out)
    transfers: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=TRANSFER_SCHEMA))
    """Each member's transfers in and out, one row each, for the report's timelines (not stored)."""
    flag_at: float = ScoreParams().flag_at
    """The score at which the clusters were flagged."""
    params: ScanParams | None = None
    """The parameters the scan ran with, every "auto" threshold resolved to the number it used."""
    profile: DataProfile | None = None
    """The window's figures those thresholds and the evidence were read from."""
    absent: dict[str, str] = field(default_factory=dict)
    """Evidence the data does not carry (cash_out, reports, speed, account_age), each with why: the score
    was taken without it."""

    @property
    def flagged(self) -> pl.DataFrame:
        return self.clusters.filter(pl.col("flagged"))


def run_id_for(as_of: datetime, window: timedelta) -> str:
    return f"scan-{as_of:%Y%m%dT%H%M}-{int(window.total_seconds() // 3600)}h"


def resolve_scan_params(params: ScanParams, profile: DataProfile) -> ScanParams:
    """``params`` with the pre-filter's "auto" thresholds made numbers from the window's ``profile``."""
    return replace(params, flow=resolve_flow_params(params.flow, profile))


def suspicious_subgraph(
    con: duckdb.DuckDBPyConnection, transfers: Data, params: ScanParams, flows: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The pre-filter: every account's flows in the window, and the significant fast-flow edges between
    hot accounts, the only part of the money graph the graph steps see. ``flows`` given: computed
    already (per shard on a lake), for at least every hot account and its counterparties."""
    if flows is None:
        flows = account_flows(con, transfers, params.flow, cash_out_channels=params.signals.cash_out_channels)
    hot = hot_accounts(flows, params.flow)
    return flows, significant_edges(fast_flow_edges(con, transfers, hot, params.flow), flows, params.flow)


def run_scan(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: datetime,
    window: timedelta = timedelta(days=7),
    params: ScanParams | None = None,
    backend: Backend | None = None,
) -> ScanResult:
    """Pre-filter in DuckDB (per shard on Spark, on a lake), components on the backend, NetworkX per
    component, evidence and score.

    Leaves the connection as it found it: the one temporary table (the window's transfers) is dropped."""
    params = params or ScanParams()
    backend = backend or get_backend()
    start, end = window_bounds(as_of, window)
    cash = params.signals.cash_out_channels

    def profiled(transfers: Data) -> DataProfile:
        return profile_window(
            con,
            transfers,
            start=start,
            end=end,
            as_of=as_of,
            cash_out_channels=cash,
            inflow_quantile=params.flow.min_inflow_quantile,
        )

    near: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame] | None = None
    profile: DataProfile | None = None
    if backend.lake_root is not None:  # Spark on a lake: only the clusters' transfers reach the driver
        from fraudkit.engine.spark import SparkBackend
        from fraudkit.engine.spark_scan import lake_scan

        assert isinstance(backend, SparkBackend)
        profile = profiled(window_transactions(con, start, end))
        params = resolve_scan_params(params, profile)
        near = lake_scan(backend, start=start, end=end, params=params)
    window_rows = window_transactions(con, start, end) if near is None else near[0]
    # the window's transfers are read by every stage below: computed once, dropped on the way out
    with materialised(con, window_rows, "scan_tx", table="transactions") as transfers:
        if profile is None:
            profile = profiled(transfers)
            params = resolve_scan_params(params, profile)
        absent = absent_evidence(profile)
        if near is None:
            flows, edges = suspicious_subgraph(con, transfers, params)
            clusters = clusters_from_edges(edges, backend, params.cluster)
        else:
            _, flows, edges, clusters = near
        members = member_evidence(con, transfers, clusters, flows)
        found = cluster_evidence(con, transfers, members, as_of, flows=flows, signals=params.signals)
        evidence = score_clusters(found, params.score, absent).with_columns(detector=pl.lit("fast"))
        flow_edges = cluster_flow_edges(con, transfers, members)
        member_transfers = cluster_transfers(con, transfers, members)
    cluster_edges = edges.join(clusters.rename({"account": "src"}), on="src").join(
        clusters.rename({"account": "dst", "cluster_id": "dst_cluster"}), on="dst"
    )
    cluster_edges = cluster_edges.filter(pl.col("cluster_id") == pl.col("dst_cluster")).drop("dst_cluster")
    ranked = (
        evidence.join(guess_typologies(cluster_edges, members, evidence), on="cluster_id", how="left")
        .sort(["score", "money_in", "cluster_id"], descending=[True, True, False])
        .with_row_index("rank", offset=1)
    )
    return ScanResult(
        run_id=run_id_for(as_of, window),
        as_of=as_of,
        window=window,
        clusters=ranked,
        members=members,
        edges=cluster_edges,
        flow_edges=flow_edges,
        transfers=member_transfers,
        flag_at=params.score.flag_at,
        params=params,
        profile=profile,
        absent=absent,
    )
