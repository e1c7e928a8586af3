"""The call-back list: who to call now, most urgent first, and why.

As of T, every contact that ended in the ``lookback`` before T is scored with the victim
model, exactly as in training (same features, same moment: the contact's end). Each
subscriber appears once, with their most urgent contact; people called back in the
``skip_called`` before T are left out (except those who could not be reached); the rest
are ranked by score (the calibrated probability that the person is being defrauded and pays
within the model's horizon) and cut to ``top``. Equal scores are ordered as
``model.ranking`` documents: the contact that ended latest first, then the contact id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import polars as pl

from fraudkit.engine.sql import store as store_sql
from fraudkit.engine.sql import warn as sql
from fraudkit.errors import ConfigError, NotReadyError
from fraudkit.exposure import pseudonym, read_store_secret
from fraudkit.model import frames
from fraudkit.model.params import contact_params_from_dict
from fraudkit.model.ranking import rank
from fraudkit.model.registry import LoadedModel
from fraudkit.store import scalar, store_timezone, table_exists
from fraudkit.text import format_probability
from fraudkit.timeutil import format_duration, to_zone
from fraudkit.warn.reasons import reason_columns

c = pl.col
LIST_COLUMNS = (
    "rank",
    "phone",
    "score",
    "tier",
    "reason_1",
    "reason_2",
    "reason_3",
    "suspect_number",
    "account",
    "cluster",
    "contact_began",
    "contact_minutes",
)
RETRY_RESULTS = ("unreachable",)
"""Call-back results that do not take a person off the next lists: nobody was reached."""


@dataclass(frozen=True)
class Tiers:
    """Probability thresholds of the tiers: red at or above ``red``, orange at or above ``orange``, else yellow."""

    red: float
    orange: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.orange <= self.red <= 1.0:
            raise ConfigError(
                f"tiers need 0 <= orange <= red <= 1, got red={self.red}, orange={self.orange}",
                hint="tiers are probabilities: e.g. --tiers 0.5,0.2 or 50%,20%",
            )

    @classmethod
    def parse(cls, text: str) -> Tiers:
        """'0.5,0.2' or '50%,20%' -> red from 50%, orange from 20% (the ``--tiers`` option)."""
        try:
            red, orange = (_probability(part) for part in text.split(","))
        except ValueError:
            raise ConfigError(
                f"--tiers {text!r} is not two probabilities", hint="write RED,ORANGE, e.g. 0.5,0.2 or 50%,20%"
            ) from None
        return cls(red=red, orange=orange)

    def describe(self) -> str:
        """The tiers as a person reads them: 'red from 50%, orange from 20%'."""
        return f"red from {format_probability(self.red)}, orange from {format_probability(self.orange)}"

    @classmethod
    def of_model(cls, model: LoadedModel) -> Tiers:
        """The model's own tiers, set on its validation days (see ``fraudkit.model.train``)."""
        t = model.thresholds
        orange = float(t.get("orange", 0.5))
        return cls(red=max(float(t.get("red", orange)), orange), orange=orange)

    def expr(self, score: pl.Expr) -> pl.Expr:
        return (
            pl.when(score >= self.red)
            .then(pl.lit("red"))
            .when(score >= self.orange)
            .then(pl.lit("orange"))
            .otherwise(pl.lit("yellow"))
        )


def _probability(text: str) -> float:
    """'0.5' or '50%' as 0.5."""
    text = text.strip()
    return float(text[:-1]) / 100 if text.endswith("%") else float(text)


@dataclass
class WarningList:
    """The ranked list (columns ``LIST_COLUMNS``, phones in full) and how it was drawn up."""

    frame: pl.DataFrame
    as_of: datetime
    model_version: str
    contacts_scored: int
    subscribers_scored: int
    left_out_called: int
    tiers: Tiers

    def tier_counts(self) -> dict[str, int]:
        counts = dict(self.frame.group_by("tier").len().iter_rows())
        return {t: int(counts.get(t, 0)) for t in ("red", "orange", "yellow")}


def recently_called(con: duckdb.DuckDBPyConnection, as_of: datetime, within: timedelta) -> pl.Series:
    """Phones with a call-back outcome in [as_of - within, as_of), except those nobody reached."""
    done = frames.outcomes(con, as_of, as_of - within)
    return done.filter(~c("result").is_in(list(RETRY_RESULTS)))["phone"].cast(pl.String).unique()


def money_involved(con: duckdb.DuckDBPyConnection, listed: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Per listed subscriber, the suspect account their money went to since the contact, and its cluster.

    A suspect account is a member of the latest scan before ``as_of`` or an account named as
    ``fraud_account`` in a report before it; the largest such transfer from one of the
    subscriber's accounts (same holder, or registered with the phone) is shown. Without one,
    the cluster whose reports name the suspect number is shown, if any. The scan tables hold
    keyed pseudonyms (see ``scan.outputs.save_scan``), so the transfers found are pseudonymised
    with the store's key to meet them; the cluster shown is its masked label.
    """
    empty = pl.DataFrame(schema={"phone": pl.String, "account": pl.String, "cluster": pl.String})
    if listed.is_empty():
        return empty
    scan_as_of = frames.latest_before(con, "scan_members", "as_of", as_of + timedelta(microseconds=1))
    secret = read_store_secret(con)
    key = (lambda v: pseudonym(v, secret)) if secret is not None else (lambda v: v)  # scans saved before keys
    con.register("warn_listed", listed.select("phone", "contact_began"))
    try:
        paid = con.sql(sql.LISTED_PAYMENTS, params={"as_of": as_of}).pl()
        reported = con.sql(sql.REPORTED_ACCOUNTS, params={"as_of": as_of}).pl()
        members = clusters = None
        if scan_as_of is not None:
            at = {"at": scan_as_of}
            label = _cluster_label(con, "scan_members")
            if table_exists(con, "scan_clusters"):  # only flagged clusters are cited as water houses
                members = con.sql(sql.flagged_members(label), params=at).pl()
                label = _cluster_label(con, "scan_clusters")
                clusters = con.sql(sql.flagged_clusters(label), params=at).pl()
    finally:
        con.unregister("warn_listed")
    suspects = (
        pl.concat(
            [
                reported.select(
                    c("account").cast(pl.String).map_elements(key, return_dtype=pl.String).alias("key"),
                    pl.lit(None, pl.String).alias("cluster"),
                ),
                *(
                    [members.select(c("account").cast(pl.String).alias("key"), c("cluster").cast(pl.String))]
                    if members is not None
                    else []
                ),
            ]
        )
        .group_by("key")
        .agg(c("cluster").max())
    )
    best = (
        paid.with_columns(c("account").cast(pl.String), c("phone").cast(pl.String))
        .with_columns(c("account").map_elements(key, return_dtype=pl.String).alias("key"))
        .join(suspects, on="key", how="inner")
        .sort(["phone", "amount", "ts", "account"], descending=[False, True, False, False])
        .unique("phone", keep="first", maintain_order=True)
        .select("phone", "account", "cluster")
    )
    by_number = _clusters_naming(listed, clusters, key)
    out = (
        listed.select(c("phone").cast(pl.String))
        .join(best, on="phone", how="left")
        .join(by_number, on="phone", how="left")
        .select("phone", "account", pl.coalesce("cluster", "named_cluster").alias("cluster"))
    )
    return out


def _cluster_label(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The masked cluster id of a scan table; scans saved before it was kept have only ``cluster_id``."""
    has = scalar(con, store_sql.COLUMN_EXISTS, [table, "cluster_label"])
    return "cluster_label" if has else "cluster_id"


def _clusters_naming(listed: pl.DataFrame, clusters: pl.DataFrame | None, key: Callable) -> pl.DataFrame:
    """Per listed subscriber, the (first) cluster whose reports name their suspect number."""
    schema = {"phone": pl.String, "named_cluster": pl.String}
    if clusters is None or clusters.is_empty():
        return pl.DataFrame(schema=schema)
    named = clusters.select(
        c("cluster").cast(pl.String), c("fraud_phones").cast(pl.String).str.split(",").alias("number")
    ).explode("number")
    suspects = listed.select(
        c("phone").cast(pl.String),
        c("suspect_number").cast(pl.String).map_elements(key, return_dtype=pl.String).alias("number"),
    )
    return (
        suspects.join(named, on="number", how="inner")
        .group_by("phone")
        .agg(c("cluster").min().alias("named_cluster"))
        .select(list(schema))
    )


def warning_list(
    con: duckdb.DuckDBPyConnection,
    model: LoadedModel,
    *,
    as_of: datetime,
    top: int = 100,
    lookback: timedelta = timedelta(hours=24),
    skip_called: timedelta = timedelta(days=7),
    tiers: Tiers | None = None,
) -> WarningList:
    """Score the contacts of the ``lookback`` before ``as_of`` and draw up the ranked call-back list."""
    if model.target != "victim":
        raise ConfigError(f"warning lists need a victim model, not {model.target!r}", hint="use --target victim")
    if top < 1:
        raise ConfigError(f"--top must be at least 1, got {top}")
    as_of = to_zone(as_of, store_timezone(con))  # an aware time would not compare with the naive store
    params = contact_params_from_dict(model.meta.get("contacts"))
    contacts = frames.contacts_from_store(con, since=as_of - lookback, until=as_of, params=params)
    if contacts.is_empty():
        raise NotReadyError(
            f"no contacts (long calls from new numbers) in the {format_duration(lookback)} "
            f"before {as_of:%Y-%m-%d %H:%M}",
            hint="check --as-of, or load the latest calls with `fraudkit ingest --kind calls`",
        )
    scored = contacts.with_columns(model.score(contacts))
    urgent = rank(scored, "victim").unique("callee", keep="first", maintain_order=True)
    called = recently_called(con, as_of, skip_called)
    kept = urgent.filter(~c("callee").is_in(called.implode()))
    chosen = kept.head(top)
    tiers = tiers or Tiers.of_model(model)
    reasons = reason_columns(model.booster, chosen, model.features)
    listed = pl.concat(
        [
            chosen.select(
                pl.int_range(1, chosen.height + 1, dtype=pl.Int32).alias("rank"),
                c("callee").alias("phone"),
                c("score"),
                tiers.expr(c("score")).alias("tier"),
                c("caller").alias("suspect_number"),
                c("contact_start").alias("contact_began"),
                c("contact_minutes").round(1),
            ),
            reasons,
        ],
        how="horizontal",
    )
    listed = listed.join(money_involved(con, listed, as_of), on="phone", how="left", maintain_order="left")
    return WarningList(
        frame=listed.select(LIST_COLUMNS),
        as_of=as_of,
        model_version=model.version,
        contacts_scored=scored.height,
        subscribers_scored=urgent.height,
        left_out_called=urgent.height - kept.height,
        tiers=tiers,
    )
