"""Evidence a person can check for every cluster, computed set-at-a-time in DuckDB.

Members and their roles, victims and reports feeding the cluster, money in and out,
median dwell, cash-out points, linked fraud numbers; and a score built from them. Each
function is handed the window's transfers (a relation or a frame) and the frames it reads,
and leaves nothing on the connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from fraudkit.engine.sql import scan as sql
from fraudkit.features.params import DEFAULT_PARAMS, FeatureParams
from fraudkit.store import Data, frame, registered


def member_evidence(
    con: duckdb.DuckDBPyConnection, transfers: Data, clusters: pl.DataFrame, flows: pl.DataFrame
) -> pl.DataFrame:
    """Per member: flows, external inflow share, cash-out share, role, account age and holder.

    ``transfers``: the window's (:func:`fraudkit.scan.flows.window_transactions`); ``clusters``: account,
    cluster_id; ``flows``: :func:`fraudkit.scan.flows.account_flows` of the same window. Reads ``accounts``."""
    with (
        registered(con, transfers, "scan_tx") as tx,
        registered(con, clusters, "scan_members_in") as clusters_view,
        registered(con, flows, "scan_flows") as flows_view,
    ):
        return frame(con, sql.member_evidence(tx, clusters_view, flows_view), table="accounts")


def cluster_evidence(
    con: duckdb.DuckDBPyConnection,
    transfers: Data,
    members: pl.DataFrame,
    as_of: datetime,
    flows: pl.DataFrame | None = None,
    signals: FeatureParams = DEFAULT_PARAMS,
) -> pl.DataFrame:
    """Per cluster: victims in, money in/out, cash-out points, dwell, account age, reports, fraud numbers.

    ``transfers``: the window's; ``members``: :func:`member_evidence`. ``onward_out`` is the money sent out
    (not cashed out) weighted by the share its receiver passed on in the window (``flows``: account, money_in,
    money_out): laundering carried on past the cluster's edge counts, a supplier that keeps what it is paid
    does not. Without ``flows`` it is 0. Reads ``reports`` made before ``as_of``. ``signals``: what counts as
    cash-out and as just under a reporting threshold (the features' definitions)."""
    cash = list(signals.cash_out_channels)
    onward_flows = (
        flows.select("account", "money_in", "money_out")
        if flows is not None
        else pl.DataFrame(schema={"account": pl.Utf8, "money_in": pl.Float64, "money_out": pl.Float64})
    )
    just_under = sql.just_under("amount", signals.thresholds, signals.under_band)
    with (
        registered(con, transfers, "scan_tx") as tx,
        registered(con, members, "scan_m") as members_view,
        registered(con, onward_flows, "scan_onward") as onward,
    ):
        query = sql.cluster_evidence(tx, members_view, onward, just_under)
        return frame(con, query, {"cash": cash, "as_of": as_of}, table="reports")


@dataclass(frozen=True)
class ScoreParams:
    """How evidence becomes a cluster's score; every part is kept as a ``score_*`` column so it can be explained.

    ``score = behaviour x (1 + corroboration) / 2``. Behaviour is a weighted geometric mean of what a water
    house does with money: passes most of it on, keeps little of it, and sends it where it is hard to
    follow: cashed out, or on to accounts that pass it on again (the ring goes on past the cluster's edge,
    weighted by the share the receiver passed on). One missing behaviour pulls it down however strong the
    others are, so a shop that forwards its takings fast to suppliers who keep them cannot score high.
    Corroboration combines independent, weaker evidence as "any of them": many victims paying in, reports
    naming the cluster, speed of pass-through, young accounts; none of its parts reaches 1, so the top of
    the ranking stays ordered. Flagged at ``flag_at`` (0.5): a cluster needs at least half the behaviour
    with full corroboration, and without corroboration needs it all, so neither alone flags it.
    """

    behaviour_weights: tuple[float, float, float] = (1.0, 1.0, 0.5)
    """Weights of pass-through, exit (cashed out, or sent on and passed on by its receiver) and conservation in
    the geometric mean (conservation is measured on a window's edges, so it counts half)."""
    fee_share: float = 0.03
    """Money a ring keeps as its cut: conservation is 1 once out reaches (1 - this) x in. More out than in
    counts as conserved too: the window began while money was passing through, which is no evidence against."""
    floor: float = 0.01
    """A behaviour measured at 0 counts as this, so the geometric mean stays defined and ordered."""
    victims_half: float = 16.0
    """Distinct outside senders at which victims alone corroborate one half."""
    reports_half: float = 4.0
    """Reports at which reports alone corroborate one half."""
    dwell_minutes: float = 180.0
    """Median dwell at which speed is one half (1 at no dwell, falling as 1 / (1 + dwell / this))."""
    speed_weight: float = 0.35
    """Corroboration from speed at no dwell: the pre-filter kept only fast hops, so speed only ranks."""
    young_weight: float = 0.35
    """Corroboration when every member was opened within a year (young accounts are weak evidence)."""
    flag_at: float = 0.5


BEHAVIOUR_PARTS = ("score_pass_through", "score_exit", "score_conservation")
CORROBORATION_PARTS = ("score_victims", "score_reports", "score_speed", "score_young")


def score_clusters(evidence: pl.DataFrame, params: ScoreParams | None = None) -> pl.DataFrame:
    """Parts, ``score_behaviour``, ``score_corroboration``, ``score`` and ``flagged`` from the evidence columns."""
    params = params or ScoreParams()
    out = pl.col("cash_out") + pl.col("other_out")
    victims = pl.col("victims").cast(pl.Float64)
    reports = pl.col("reports").cast(pl.Float64)
    dwell = pl.col("median_dwell_minutes").fill_null(float("inf")).clip(lower_bound=0.0)
    parts = evidence.with_columns(
        score_pass_through=pl.col("pass_through_ratio").fill_null(0.0).clip(0.0, 1.0),
        score_cash_out=(pl.col("cash_out") / out.clip(lower_bound=1.0)).clip(0.0, 1.0),
        score_exit=((pl.col("cash_out") + pl.col("onward_out")) / out.clip(lower_bound=1.0)).clip(0.0, 1.0),
        score_conservation=(out / (pl.col("money_in").clip(lower_bound=1.0) * (1.0 - params.fee_share))).clip(0.0, 1.0),
        score_victims=victims / (victims + params.victims_half),
        score_reports=reports / (reports + params.reports_half),
        score_speed=params.speed_weight / (1.0 + dwell / params.dwell_minutes),
        score_young=pl.col("young_share").fill_null(0.0).clip(0.0, 1.0) * params.young_weight,
    )
    total = sum(params.behaviour_weights)
    log_mean = pl.sum_horizontal(
        (w / total) * pl.col(name).clip(lower_bound=params.floor).log()
        for name, w in zip(BEHAVIOUR_PARTS, params.behaviour_weights, strict=True)
    )
    doubt = pl.lit(1.0)
    for name in CORROBORATION_PARTS:
        doubt = doubt * (1.0 - pl.col(name))
    return (
        parts.with_columns(score_behaviour=log_mean.exp(), score_corroboration=1.0 - doubt)
        .with_columns(score=pl.col("score_behaviour") * (1.0 + pl.col("score_corroboration")) / 2.0)
        .with_columns(flagged=pl.col("score") >= params.flag_at)
    )


TRANSFER_SCHEMA = {
    "cluster_id": pl.Utf8,
    "account": pl.Utf8,
    "ts": pl.Datetime("us"),
    "direction": pl.Utf8,
    "amount": pl.Float64,
    "counterparty": pl.Utf8,
    "internal": pl.Boolean,
    "channel": pl.Utf8,
}


def cluster_transfers(con: duckdb.DuckDBPyConnection, transfers: Data, members: pl.DataFrame) -> pl.DataFrame:
    """Every transfer of the window (``transfers``) into or out of a member, one row per member and transfer
    (``direction`` in or out; ``internal`` when the counterparty is in the same cluster): what a
    cluster's timeline draws."""
    with (
        registered(con, transfers, "scan_tx") as tx,
        registered(con, members.select("cluster_id", "account"), "scan_tm") as tm,
    ):
        moves = frame(con, sql.cluster_transfers(tx, tm), table="transactions")
    return moves.cast(TRANSFER_SCHEMA)  # type: ignore[arg-type]


def cluster_flow_edges(con: duckdb.DuckDBPyConnection, transfers: Data, members: pl.DataFrame) -> pl.DataFrame:
    """Every transfer of the window (``transfers``) touching a cluster, summed per pair and tagged entry,
    internal or exit."""
    with (
        registered(con, transfers, "scan_tx") as tx,
        registered(con, members.select("cluster_id", "account"), "scan_fm") as fm,
    ):
        return frame(con, sql.cluster_flow_edges(tx, fm), table="transactions")
