"""`fraudkit scan`: find water-house clusters as of a point in time, from a window of transfers."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import duckdb
import polars as pl

from fraudkit.backend import Backend, get_backend
from fraudkit.engine.sql import scan as sql
from fraudkit.errors import ConfigError
from fraudkit.features.params import FeatureParams
from fraudkit.scan.clusters import ClusterParams, clusters_from_edges, guess_typologies
from fraudkit.scan.dense import DenseParams, find_dense
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
    no_flows,
    profile_window,
    resolve_flow_params,
    significant_edges,
    window_bounds,
    window_transactions,
)
from fraudkit.store import Data, frame, materialised, registered

DETECTORS = ("fast", "dense", "auto")
"""fast: water houses forwarding money within hours (the window); dense: rings found by the shape of their
money over a long span, however slowly it moves (:mod:`fraudkit.scan.dense`); auto: fast, and dense too
when the data cannot tell fast from slow (one timestamp a day: :func:`chosen_detectors`)."""


def chosen_detectors(asked: tuple[str, ...], absent: dict[str, str]) -> tuple[str, ...]:
    """The detectors to run: those asked for, "auto" made fast (always) and dense (when speed is absent).

    On data with sub-day times the fast detector sees rings by their speed and the dense one would add
    only the slower look-alikes of a telecom world's economy; on daily data speed says nothing, the shape
    of the money is what is left."""
    chosen = [d for d in asked if d != "auto"]
    if "auto" in asked:
        chosen += ["fast"] + (["dense"] if "speed" in absent else [])
    return tuple(d for d in ("fast", "dense") if d in chosen)


@dataclass(frozen=True)
class ScanParams:
    flow: FlowParams = field(default_factory=FlowParams)
    cluster: ClusterParams = field(default_factory=ClusterParams)
    score: ScoreParams = field(default_factory=ScoreParams)
    """How evidence becomes the score, and the score at which a cluster is flagged (``score.flag_at``)."""
    signals: FeatureParams = field(default_factory=FeatureParams)
    """What counts as cash-out and as "just under a reporting threshold": the features' definitions
    (``[features]`` in the configuration), so the scan and the features never disagree."""
    dense: DenseParams = field(default_factory=DenseParams)
    """The dense detector's settings (``[scan.dense]``)."""
    detectors: tuple[str, ...] = ("auto",)
    """Which detectors run: ``fast`` (the window), ``dense`` (the span), ``auto`` (fast, and dense on daily data)."""
    span: timedelta = timedelta(days=120)
    """How much history before the as-of time the dense detector reads."""

    def __post_init__(self) -> None:
        unknown = [d for d in self.detectors if d not in DETECTORS]
        if unknown or not self.detectors:
            raise ConfigError(
                f"unknown detector {', '.join(unknown) or '(none given)'}", hint=f"choose from {', '.join(DETECTORS)}"
            )
        if self.span <= timedelta(0):
            raise ConfigError("the dense detector's span must be positive")


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
    span: timedelta | None = None
    """The span the dense detector read (None: it did not run)."""
    detectors: tuple[str, ...] = ("fast",)
    """The detectors that ran; each cluster's ``detector`` column says which found it."""

    @property
    def truth_window(self) -> timedelta:
        """The longest history a detector of this scan read: the mules it can be held to moved money in it."""
        return max(self.window, self.span or self.window)

    @property
    def flagged(self) -> pl.DataFrame:
        return self.clusters.filter(pl.col("flagged"))

    @property
    def flagged_accounts(self) -> pl.Series:
        """The member accounts of the flagged clusters (``account``)."""
        return self.members.join(self.flagged.select("cluster_id"), on="cluster_id")["account"]


def run_id_for(as_of: datetime, window: timedelta, span: timedelta | None = None) -> str:
    """``scan-<as-of>-<window hours>h``, and ``-dense<span hours>h`` when the dense detector ran."""
    base = f"scan-{as_of:%Y%m%dT%H%M}-{int(window.total_seconds() // 3600)}h"
    return base if span is None else f"{base}-dense{int(span.total_seconds() // 3600)}h"


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
    detectors: tuple[str, ...] | None = None,
    span: timedelta | None = None,
) -> ScanResult:
    """Pre-filter in DuckDB (per shard on Spark, on a lake), components on the backend, NetworkX per
    component, evidence and score.

    ``detectors`` (default ``params.detectors``): ``fast`` reads the window, ``dense`` the ``span`` before
    ``as_of`` (default ``params.span``); the dense detector leaves out accounts the fast one clustered.

    Leaves the connection as it found it: the temporary tables (the window's and the span's transfers) are dropped."""
    params = params or ScanParams()
    if detectors is not None or span is not None:
        params = replace(params, detectors=tuple(detectors or params.detectors), span=span or params.span)
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
        params = replace(params, detectors=chosen_detectors(params.detectors, absent))
        fast = "fast" in params.detectors
        flows, edges = (
            suspicious_subgraph(con, transfers, params, flows=None if near is None else near[1])
            if fast
            else (pl.DataFrame(), pl.DataFrame(schema=EDGE_SCHEMA))
        )
        clusters = (
            clusters_from_edges(edges, backend, params.cluster)
            if fast
            else pl.DataFrame(schema={"account": pl.Utf8, "cluster_id": pl.Utf8})
        )
        members = member_evidence(con, transfers, clusters, flows if fast else no_flows(FlowParams().concrete()))
        found = cluster_evidence(con, transfers, members, as_of, flows=flows if fast else None, signals=params.signals)
        evidence = score_clusters(found, params.score, absent).with_columns(detector=pl.lit("fast"))
        flow_edges = cluster_flow_edges(con, transfers, members)
        member_transfers = cluster_transfers(con, transfers, members)
    cluster_edges = edges.join(clusters.rename({"account": "src"}), on="src").join(
        clusters.rename({"account": "dst", "cluster_id": "dst_cluster"}), on="dst"
    )
    cluster_edges = cluster_edges.filter(pl.col("cluster_id") == pl.col("dst_cluster")).drop("dst_cluster")
    ranked = evidence.join(guess_typologies(cluster_edges, members, evidence), on="cluster_id", how="left")
    ran_span: timedelta | None = None
    if "dense" in params.detectors:
        ran_span = params.span
        dense = _dense(con, as_of, params, profile, exclude=set(members["account"].to_list()))
        ranked = pl.concat([ranked, dense.clusters], how="diagonal_relaxed")
        members = pl.concat([members, dense.members], how="diagonal_relaxed")
        cluster_edges = pl.concat([cluster_edges, dense.edges], how="diagonal_relaxed")
        flow_edges = pl.concat([flow_edges, dense.flow_edges], how="diagonal_relaxed")
        member_transfers = pl.concat([member_transfers, dense.transfers], how="diagonal_relaxed")
    ranked = ranked.sort(["score", "money_in", "cluster_id"], descending=[True, True, False]).with_row_index(
        "rank", offset=1
    )
    return ScanResult(
        run_id=run_id_for(as_of, window, ran_span),
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
        span=ran_span,
        detectors=params.detectors,
    )


EDGE_SCHEMA = {
    "src": pl.Utf8,
    "dst": pl.Utf8,
    "amount": pl.Float64,
    "n_txns": pl.Int64,
    "first_ts": pl.Datetime("us"),
    "last_ts": pl.Datetime("us"),
}


@dataclass(frozen=True)
class _DenseFound:
    clusters: pl.DataFrame
    members: pl.DataFrame
    edges: pl.DataFrame
    flow_edges: pl.DataFrame
    transfers: pl.DataFrame


def _dense(
    con: duckdb.DuckDBPyConnection, as_of: datetime, params: ScanParams, profile: DataProfile, exclude: set[str]
) -> _DenseFound:
    """The dense detector over the span, its blocks given the water houses' evidence over the span's transfers
    touching their members, and its own score (:func:`fraudkit.scan.dense.score_blocks`)."""
    start = as_of - params.span
    with materialised(con, window_transactions(con, start, as_of), "scan_span", table="transactions") as span_tx:
        finds = find_dense(con, span_tx, params.dense, exclude=exclude)
        blocks = finds.blocks.select("account", "cluster_id")
        with registered(con, span_tx, "scan_span_tx") as tx, registered(con, blocks, "scan_dense_m") as m:
            near = frame(con, sql.touching(tx, m), table="transactions")
    span_hours = params.span.total_seconds() / 3600.0
    flow = replace(params.flow.concrete(), pass_through_hours=span_hours)
    flows = account_flows(con, near, flow, cash_out_channels=params.signals.cash_out_channels)
    members = member_evidence(con, near, blocks, flows)
    found = cluster_evidence(con, near, members, as_of, flows=flows, signals=params.signals)
    absent = absent_evidence(profile, detector="dense")
    scores = finds.scores.drop("members")
    evidence = found.join(scores, on="cluster_id", how="left").with_columns(
        detector=pl.lit("dense"),
        evidence_absent=pl.lit(",".join(sorted(absent)), dtype=pl.Utf8),
        flagged=pl.col("flagged").fill_null(False),
    )
    edges = finds.links.select("cluster_id", *EDGE_SCHEMA)
    typologies = guess_typologies(edges, members, evidence)
    return _DenseFound(
        clusters=evidence.join(typologies, on="cluster_id", how="left"),
        members=members,
        edges=edges,
        flow_edges=cluster_flow_edges(con, near, members),
        transfers=cluster_transfers(con, near, members),
    )
