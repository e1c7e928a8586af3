"""Evidence a person can check for every cluster, computed set-at-a-time in DuckDB.

Members and their roles, victims and reports feeding the cluster, money in and out,
median dwell, cash-out points, linked fraud numbers; and a score built from them. Each
function is handed the window's transfers (a relation or a frame) and the frames it reads,
and leaves nothing on the connection.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from fraudkit.engine.sql import scan as sql
from fraudkit.features.params import DEFAULT_PARAMS, FeatureParams
from fraudkit.resolution import sub_day
from fraudkit.scan.flows import DataProfile
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

EVIDENCE_PARTS: dict[str, tuple[str, ...]] = {
    "cash_out": ("score_exit", "score_cash_out"),
    "reports": ("score_reports",),
    "speed": ("score_speed",),
    "account_age": ("score_young",),
}
"""Evidence the data may not carry, and the score parts measured from it. Absent evidence is left out of
the score (its parts are null), not counted as 0: without channels nothing can be seen to be cashed out."""


def absent_evidence(profile: DataProfile, *, detector: str = "fast") -> dict[str, str]:
    """The evidence ``profile``'s window does not carry, each with why: a scan reports it and scores without it.

    ``detector`` "dense" reads long spans on purpose, so speed is no evidence of its clusters."""
    absent: dict[str, str] = {}
    if profile.channels < 2 or profile.cash_out_transfers == 0:
        absent["cash_out"] = (
            "no transfer over a cash-out channel in the window"
            if profile.channels >= 2
            else "one channel or none: the data does not say how money left"
        )
    if profile.reports == 0:
        absent["reports"] = "no report before the as-of time"
    if not sub_day(profile.resolution):
        absent["speed"] = "one timestamp a day: hours of dwell cannot be measured"
    elif detector == "dense":
        absent["speed"] = "the dense detector reads long spans and does not rely on speed"
    if profile.accounts_with_opening == 0:
        absent["account_age"] = "no account opening dates"
    return absent


def score_clusters(
    evidence: pl.DataFrame, params: ScoreParams | None = None, absent: Collection[str] = ()
) -> pl.DataFrame:
    """Parts, ``score_behaviour``, ``score_corroboration``, ``score`` and ``flagged`` from the evidence columns.

    ``absent``: evidence the data does not carry (:data:`EVIDENCE_PARTS`): its parts are null and the
    score is taken over the rest. Behaviour is then the weighted geometric mean of the parts left;
    corroboration's doubt (the product of one minus each part) is raised to the power (weight of all
    parts / weight of the parts left), as if each missing part doubted as much as the present ones do
    on average, so a cluster can still reach the flag on data without reports or opening dates.
    With neither speed nor cash-out in the data (:data:`UNFLAGGABLE`) nothing is flagged. ``evidence_absent``
    lists the absent evidence on every row."""
    params = params or ScoreParams()
    unknown = set(absent) - EVIDENCE_PARTS.keys()
    if unknown:
        raise ValueError(f"unknown evidence {sorted(unknown)}; known: {sorted(EVIDENCE_PARTS)}")
    missing = {part for name in absent for part in EVIDENCE_PARTS[name]}
    out = pl.col("cash_out") + pl.col("other_out")
    victims = pl.col("victims").cast(pl.Float64)
    reports = pl.col("reports").cast(pl.Float64)
    dwell = pl.col("median_dwell_minutes").fill_null(float("inf")).clip(lower_bound=0.0)
    dwell_minutes = params.dwell_minutes
    measured = {
        "score_pass_through": pl.col("pass_through_ratio").fill_null(0.0).clip(0.0, 1.0),
        "score_cash_out": (pl.col("cash_out") / out.clip(lower_bound=1.0)).clip(0.0, 1.0),
        "score_exit": ((pl.col("cash_out") + pl.col("onward_out")) / out.clip(lower_bound=1.0)).clip(0.0, 1.0),
        "score_conservation": (out / (pl.col("money_in").clip(lower_bound=1.0) * (1.0 - params.fee_share))).clip(
            0.0, 1.0
        ),
        "score_victims": victims / (victims + params.victims_half),
        "score_reports": reports / (reports + params.reports_half),
        "score_speed": params.speed_weight / (1.0 + dwell / dwell_minutes),
        "score_young": pl.col("young_share").fill_null(0.0).clip(0.0, 1.0) * params.young_weight,
    }
    parts = evidence.with_columns(
        (pl.lit(None, dtype=pl.Float64) if name in missing else expr).alias(name) for name, expr in measured.items()
    )
    behaviour = [(n, w) for n, w in zip(BEHAVIOUR_PARTS, params.behaviour_weights, strict=True) if n not in missing]
    total = sum(w for _, w in behaviour)
    log_mean = (
        pl.sum_horizontal((w / total) * pl.col(name).clip(lower_bound=params.floor).log() for name, w in behaviour)
        if total > 0
        else pl.lit(0.0)
    )
    reach = {
        "score_victims": 1.0,
        "score_reports": 1.0,
        "score_speed": params.speed_weight,
        "score_young": params.young_weight,
    }
    present = [name for name in CORROBORATION_PARTS if name not in missing]
    weight_present = sum(reach[name] for name in present)
    doubt = pl.lit(1.0)
    for name in present:
        doubt = doubt * (1.0 - pl.col(name))
    if weight_present > 0 and missing & set(CORROBORATION_PARTS):
        doubt = doubt.pow(sum(reach.values()) / weight_present)
    corroboration = 1.0 - doubt if weight_present > 0 else pl.lit(0.0)
    return (
        parts.with_columns(
            score_behaviour=log_mean.exp(),
            score_corroboration=corroboration,
            evidence_absent=pl.lit(",".join(sorted(absent)), dtype=pl.Utf8),
        )
        .with_columns(score=pl.col("score_behaviour") * (1.0 + pl.col("score_corroboration")) / 2.0)
        .with_columns(flagged=(pl.col("score") >= params.flag_at) & pl.lit(not set(absent) >= UNFLAGGABLE))
    )


UNFLAGGABLE = frozenset({"speed", "cash_out"})
"""Without both, nothing a water house does is left to see (a shop passes its takings on within the day
too): the fast detector then ranks its clusters but flags none."""


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
