"""The mule target at account level: one row per account active in [T - history, T), as of T.

One row per account and day sees at most one laundering transfer of a ring that works over
weeks; one row per account over months sees the whole pattern. A row holds the account's flow
features over ``MuleParams.window`` (``features.accounts``), its place in the transfer graph over
the history (``features.graph``) and its water-house cluster from one scan as of T
(``dataset.cluster_features``). Everything is computed once for T, so a training costs one
feature build, one graph and one scan, not one per day.

Features the data cannot carry are left out rather than zero-filled: those that need sub-day
times when every transfer falls on a midnight (``resolution``), and any that is constant over
the rows (no channels: no cash-out share; no opening dates: no account age). Which were left
out, and why, is kept with the model, and scoring builds the same columns.

Splits: ring-grouped folds (a ring's accounts, or a labels file's case, all in one fold;
accounts without a group spread by a seeded hash), and the temporal split of the other models
with each account on the day of its first transfer in the history.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb
import polars as pl

from fraudkit.engine.sql import features as features_sql
from fraudkit.features.accounts import ACCOUNT, account_features
from fraudkit.features.catalogue import model_inputs
from fraudkit.features.graph import GraphParams, graph_features
from fraudkit.model.params import MuleParams, SplitParams
from fraudkit.model.split import DaySplit, split_days
from fraudkit.resolution import sub_day, time_resolution
from fraudkit.store import categorised_frame, release_cached_blocks

c = pl.col

SUB_DAY_FEATURES: tuple[str, ...] = (
    "median_dwell_minutes",
    "min_dwell_minutes",
    "fast_forward_share",
    "night_share",
    "max_transfers_per_hour",
)
"""Account features that only mean something when times tell hours apart (dwell in minutes,
forwarding within 2 h, night, bursts within an hour)."""


@dataclass
class MuleRows:
    """The rows as of T (key ``account_id``, every catalogue input of the mule model), and notes."""

    frame: pl.DataFrame
    as_of: datetime
    resolution: str
    notes: list[str] = field(default_factory=list)


def _cluster_columns() -> list[str]:
    return [s.name for s in model_inputs("mule") if s.producer == "cluster_features"]


def mule_rows(
    con: duckdb.DuckDBPyConnection, as_of: datetime, params: MuleParams, *, scan_window: timedelta
) -> MuleRows:
    """Every account with a successful transfer in [as_of - history, as_of), with the mule model's inputs."""
    from fraudkit.model.dataset import cluster_features

    start = as_of - params.history
    ids = features_sql.AS_CATEGORIES
    txns = categorised_frame(
        con, features_sql.TRANSACTIONS, {"start": start, "as_of": as_of}, ids, table="transactions"
    )
    accounts = categorised_frame(con, features_sql.ACCOUNTS, {"as_of": as_of}, ids, table="accounts")
    reports = categorised_frame(con, features_sql.REPORTS, {"as_of": as_of}, ids, table="reports")
    release_cached_blocks(con)
    flows = account_features(
        txns.lazy(), accounts.lazy(), as_of=as_of, window=params.window, history=params.history, reports=reports.lazy()
    )
    clusters = cluster_features(con, as_of, scan_window)
    release_cached_blocks(con)  # what the scan read stays in DuckDB otherwise, beside the graph's frames
    flagged = clusters.filter(c("cluster_flagged") > 0)["account_id"]
    graph = graph_features(
        txns,
        as_of=as_of,
        params=GraphParams(history=params.history, round_unit=params.round_unit, no_life_share=params.no_life_share),
        reports=reports,
        flagged=flagged,
        accounts=accounts,
    )
    rows = graph.join(flows, on="account_id", how="left")
    rows = ACCOUNT.fill_missing(rows).join(clusters, on="account_id", how="left")
    rows = rows.with_columns(c(name).fill_null(0.0) for name in _cluster_columns())
    order = [s.name for s in model_inputs("mule")]
    resolution = time_resolution(con, "transactions", start=start, end=as_of)
    notes = [f"{graph.height:,} accounts active in the {params.history.days} days before T"]
    return MuleRows(
        frame=rows.select("account_id", *order).with_columns(pl.lit(as_of).alias("as_of")).sort("account_id"),
        as_of=as_of,
        resolution=resolution,
        notes=notes,
    )


def usable_features(rows: MuleRows) -> tuple[list[str], dict[str, str]]:
    """The catalogue inputs the data can carry, in catalogue order, and the others with the reason."""
    dropped: dict[str, str] = {}
    if not sub_day(rows.resolution):  # type: ignore[arg-type]
        for name in SUB_DAY_FEATURES:
            dropped[name] = "transfers carry one timestamp a day"
    for spec in model_inputs("mule"):
        if spec.name not in dropped and rows.frame[spec.name].n_unique() <= 1:
            dropped[spec.name] = "the same value on every account (the data does not carry it)"
    kept = [s.name for s in model_inputs("mule") if s.name not in dropped]
    return kept, dropped


def fold_of(group: str, folds: int, seed: int) -> int:
    """A group's fold: a seeded hash, so the same group lands in the same fold on every run."""
    digest = hashlib.blake2b(f"{seed}:{group}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % folds


def with_labels(rows: pl.DataFrame, labels: pl.DataFrame, params: MuleParams, source: str) -> pl.DataFrame:
    """``rows`` with ``label`` (1 for a listed account), ``label_source``, ``group`` and ``fold``.

    The group is the ring or case of a listed account (its own id when the list gives none), the
    account itself otherwise, as a digest; a group's accounts share a fold.
    """
    marked = labels.select(
        c("account_id").cast(pl.String), c("group").alias("_group"), pl.lit(1, pl.Int8).alias("label")
    )
    out = rows.join(marked, on="account_id", how="left").with_columns(
        c("label").fill_null(0).cast(pl.Int8),
        pl.when(c("label") == 1).then(pl.lit(source)).otherwise(pl.lit("none")).alias("label_source"),
        pl.when(c("_group").is_not_null())
        .then(pl.lit("g:") + c("_group"))
        .otherwise(pl.lit("a:") + c("account_id"))
        .alias("group"),
    )
    groups = out["group"].to_list()
    folds = pl.Series("fold", [fold_of(g, params.folds, params.fold_seed) for g in groups], dtype=pl.Int32)
    # the group names an account or a case: kept as a digest, so rows that leave the store say neither
    digests = pl.Series("group", [hashlib.blake2b(g.encode(), digest_size=6).hexdigest() for g in groups])
    return out.drop("_group").with_columns(folds, digests)


def fold_split(frame: pl.DataFrame, test_fold: int, folds: int) -> pl.DataFrame:
    """``split`` by folds: ``test_fold`` is test, the next one validation, the rest training."""
    val_fold = (test_fold + 1) % folds
    return frame.with_columns(
        pl.when(c("fold") == test_fold)
        .then(pl.lit("test"))
        .when(c("fold") == val_fold)
        .then(pl.lit("val"))
        .otherwise(pl.lit("train"))
        .alias("split")
    )


def temporal_split(frame: pl.DataFrame, as_of: datetime, params: SplitParams) -> tuple[pl.DataFrame, DaySplit]:
    """``split`` by the day of each account's first transfer in the history: accounts that appeared
    earlier train, later ones validate and test (the other models' day split, no burn-in)."""
    first = (
        pl.lit(as_of) - pl.duration(microseconds=(c("first_active_days") * 86_400_000_000).cast(pl.Int64))
    ).dt.date()
    dated = frame.with_columns(first.alias("day"))
    split = split_days(
        dated["day"].unique().to_list(),
        SplitParams(burn_in=timedelta(0), val_share=params.val_share, test_share=params.test_share),
    )
    mapping = pl.DataFrame(
        {
            "day": [d for name in ("train", "val", "test") for d in getattr(split, name)],
            "split": [name for name in ("train", "val", "test") for _ in getattr(split, name)],
        },
        schema={"day": pl.Date, "split": pl.String},
    )
    return dated.drop("split", strict=False).join(mapping, on="day", how="inner"), split
