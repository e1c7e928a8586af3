"""One configuration tree: every setting of every stage, from defaults, a TOML file, the environment
and the command line, validated once where a command (or a notebook) starts, then passed down.

Sources, lowest to highest: the built-in defaults (read from the stages' own dataclasses, so each
default is declared once), the config file (``--config FILE``, else ``$FRAUDKIT_CONFIG``, else
``fraudkit.toml`` in the working directory if there is one), the environment variables fraudkit
has always read (FRAUDKIT_DB, MLFLOW_TRACKING_URI, FRAUDKIT_TIMEZONE, FRAUDKIT_LOCK_WAIT), then
the options typed on the command line. Every value remembers where it came from, for
``fraudkit config show``. The stages keep taking their own parameter dataclasses; the builders
at the end of this module make them from the tree.

Example ``fraudkit.toml``::

    [store]
    db = "/srv/fraudkit/fraudkit.duckdb"
    [scan.flows]
    edge_dwell_hours = 12
    [warn]
    capacity = 150
"""

from __future__ import annotations

import importlib
import math
import os
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING, dataclass, fields, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from fraudkit.errors import ConfigError
from fraudkit.text import did_you_mean, join_words

ENV_CONFIG = "FRAUDKIT_CONFIG"
DEFAULT_FILE = "fraudkit.toml"

Kind = Literal["int", "number", "bool", "text", "path", "duration", "time", "numbers", "ints", "texts"]
KIND_WORDS: dict[str, str] = {
    "int": "a whole number",
    "number": "a number",
    "bool": "true or false",
    "text": "a text in quotes",
    "path": "a path in quotes",
    "duration": 'a duration such as "7d", "12h" or "30m"',
    "time": 'a date such as "1990-01-01"',
    "numbers": "a list of numbers",
    "ints": "a list of whole numbers",
    "texts": "a list of texts",
}


@dataclass(frozen=True)
class Default:
    """A default read from a stage's dataclass field when first needed (the stages import heavy
    libraries, so ``fraudkit --help`` does not load them)."""

    module: str
    cls: str
    field: str

    def value(self) -> Any:
        owner = getattr(importlib.import_module(self.module), self.cls)
        for f in fields(owner):
            if f.name == self.field:
                return f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
        return getattr(owner, self.field)  # a module-level constant's holder


@dataclass(frozen=True)
class Constant:
    """A default read from a module-level constant (e.g. ``fraudkit.scan.trace.DEFAULT_HOPS``)."""

    module: str
    name: str

    def value(self) -> Any:
        return getattr(importlib.import_module(self.module), self.name)


@dataclass(frozen=True)
class SameAs:
    """A default that follows another key (the team's capacity is one number, used in three places)."""

    key: str


@dataclass(frozen=True)
class Key:
    """One setting: where it lives, what it takes, its default and a line saying what it does."""

    section: str
    name: str
    kind: Kind
    default: Any
    help: str
    env: str | None = None
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    length: int | None = None
    optional: bool = False
    """May stay unset (no value): the stage then decides, e.g. tiers from the model's own."""

    @property
    def dotted(self) -> str:
        return f"{self.section}.{self.name}"


def _k(section: str, name: str, kind: Kind, default: Any, help: str, **more: Any) -> Key:
    return Key(section, name, kind, default, help, **more)


def _d(module: str, cls: str) -> Callable[[str], Default]:
    return lambda field: Default(f"fraudkit.{module}", cls, field)


_flows, _clusters, _score = (
    _d("scan.flows", "FlowParams"),
    _d("scan.clusters", "ClusterParams"),
    _d("scan.evidence", "ScoreParams"),
)
_dense, _scan = _d("scan.dense", "DenseParams"), _d("scan.scan", "ScanParams")
_feat, _contacts, _labels = (
    _d("features.params", "FeatureParams"),
    _d("model.params", "ContactParams"),
    _d("model.params", "LabelParams"),
)
_split, _lgbm, _train, _mule = (
    _d("model.params", "SplitParams"),
    _d("model.params", "LightGBMParams"),
    _d("model.params", "TrainParams"),
    _d("model.params", "MuleParams"),
)
_index = _d("index.scoring", "IndexParams")
_rings = _d("rings.params", "RingParams")
_watch, _ingest, _tiers = (
    _d("live.config", "WatchConfig"),
    _d("ingest.validate", "IngestSettings"),
    _d("live.config", "TierThresholds"),
)

SECTIONS: dict[str, str] = {
    "store": "Where state lives: the DuckDB store, the MLflow store, the store's zone, waiting for a busy store.",
    "engine": "Which engine runs the stages, and where its tables live (the store, or a Parquet lake on Spark).",
    "ingest": "Bounds that decide when an input value is absurd and goes to rejects.",
    "features": "The window features describe and the thresholds of their signals.",
    "scan": "The water-house scan: how much history it looks at and how many clusters it shows.",
    "scan.flows": "The pre-filter: which accounts pass money on fast enough to be candidates.",
    "scan.clusters": "Candidate accounts joined into clusters.",
    "scan.score": "How a cluster's evidence becomes its score, and where it is flagged.",
    "scan.dense": "The dense detector: rings found by the shape of their money over the span, not its speed.",
    "trace": "Following a victim's money forward.",
    "rings": "Rings over time: how each scan's clusters are matched to the rings already known.",
    "contacts": "What counts as a contact worth scoring for the victim model, and its look-backs.",
    "labels": "How training rows get their labels.",
    "split": "The temporal train/validation/test split.",
    "mule": "The account-level mule model: its rows' look-backs, its ring-grouped folds, what ordinary life is.",
    "lightgbm": "Booster settings (deterministic: fixed seed, forced col-wise).",
    "train": "What a model is trained for.",
    "warn": "The call-back list and the warning team's capacity.",
    "watch": "The live loop: how often it ticks and how late records may arrive.",
    "watch.tiers": "Alert tiers of the live loop (unset: the champion model's own).",
    "watch.capacity": "The live call queue: how many calls the team makes and when.",
    "watch.escalation": "When a payment after an alert makes it urgent.",
    "daily": "The daily batch (`fraudkit daily`); it scans and warns with [scan] and [warn].",
    "index": "The monthly regional fraud-risk index: normalisation, weights, colours and the spike rule.",
}

KEYS: tuple[Key, ...] = (
    # [store]
    _k("store", "db", "path", Path("fraudkit.duckdb"), "DuckDB file holding the tables.", env="FRAUDKIT_DB"),
    _k(
        "store",
        "tracking_uri",
        "text",
        None,
        "MLflow store (unset: sqlite:///mlruns/mlflow.db).",
        env="MLFLOW_TRACKING_URI",
        optional=True,
    ),
    _k(
        "store",
        "timezone",
        "text",
        Constant("fraudkit.settings", "local_timezone"),
        "Zone a new store keeps its times in, an IANA name such as Asia/Shanghai (default: this machine's).",
        env="FRAUDKIT_TIMEZONE",
    ),
    _k(
        "store",
        "lock_wait",
        "number",
        Constant("fraudkit.settings", "DEFAULT_LOCK_WAIT_S"),
        "Seconds to wait for a store another command holds.",
        env="FRAUDKIT_LOCK_WAIT",
        low=0,
        high=3600,
    ),
    _k("store", "threads", "int", None, "CPU threads for LightGBM (unset: all).", low=1, high=1024, optional=True),
    _k(
        "store",
        "duckdb_memory",
        "text",
        Constant("fraudkit.store", "DEFAULT_DUCKDB_MEMORY"),
        "Memory DuckDB may hold (e.g. 1GB, 512MB); past it, it spills to the store's temp folder <db>.tmp.",
        env="FRAUDKIT_DUCKDB_MEMORY",
    ),
    # [engine]
    _k(
        "engine",
        "name",
        "text",
        "duckdb",
        "Engine of the scan's graph steps (connected components, per-cluster work) and, with a lake, where "
        "ingest writes the tables and scan and features read them.",
        choices=("duckdb", "spark"),
    ),
    _k(
        "engine",
        "lake",
        "text",
        None,
        "Spark: the Parquet lake holding the tables (a folder, hdfs://… or s3a://…); unset: they stay in the store.",
        env="FRAUDKIT_LAKE",
        optional=True,
    ),
    _k(
        "engine",
        "master",
        "text",
        None,
        "Spark: the master URL (local[2], yarn, k8s://...); unset: spark-submit's, else local[2].",
        env="FRAUDKIT_SPARK_MASTER",
        optional=True,
    ),
    # [ingest]
    _k("ingest", "earliest", "time", _ingest("earliest"), "Event times before this are rejected."),
    _k("ingest", "future_slack", "duration", _ingest("future_slack"), "Event times this far past now are accepted."),
    _k("ingest", "max_amount", "number", _ingest("max_amount"), "Largest amount accepted.", low=0),
    _k("ingest", "max_duration_s", "int", _ingest("max_duration_s"), "Longest call accepted, in seconds.", low=0),
    _k("ingest", "phone_min_digits", "int", _ingest("phone_min_digits"), "Fewest digits a phone keeps.", low=1),
    _k("ingest", "phone_max_digits", "int", _ingest("phone_max_digits"), "Most digits a phone keeps.", high=30),
    _k("ingest", "chunk_bytes", "int", _ingest("chunk_bytes"), "Bytes read at a time from a file.", low=4096),
    _k("ingest", "temp_dir", "path", None, "Folder for ingest's scratch files (unset: DuckDB's).", optional=True),
    # [features]
    _k("features", "window", "duration", "7d", "Window of activity the features describe (`fraudkit features`)."),
    _k("features", "history", "duration", "30d", "Look-back for 'first seen' and baselines."),
    _k("features", "round_unit", "number", _feat("round_unit"), "An amount is round when a multiple of this.", low=0),
    _k("features", "thresholds", "numbers", _feat("thresholds"), "Reporting thresholds amounts are kept just under."),
    _k(
        "features", "under_band", "number", _feat("under_band"), "'Just under' a threshold: within this share below it."
    ),
    _k("features", "large_amount", "number", _feat("large_amount"), "A transfer at least this large is large.", low=0),
    _k(
        "features", "baseline_floor", "number", _feat("baseline_floor"), "Smallest baseline a jump is measured against."
    ),
    _k(
        "features",
        "forward_within",
        "duration",
        _feat("forward_within"),
        "Money out this soon after money in is forwarded.",
    ),
    _k("features", "cash_out_channels", "texts", _feat("cash_out_channels"), "Channels that turn money into cash."),
    _k("features", "night_hours", "ints", _feat("night_hours"), "Night as [first hour, end hour).", length=2),
    _k("features", "burst_period", "duration", _feat("burst_period"), "Span in which a burst of activity is counted."),
    _k(
        "features",
        "short_call_s",
        "int",
        _feat("short_call_s"),
        "A voice call shorter than this (seconds) is short, in the features and the victim model alike.",
        low=1,
    ),
    _k(
        "features",
        "one_ring_max_s",
        "int",
        _feat("one_ring_max_s"),
        "A call this short (seconds) is a one-ring.",
        low=0,
    ),
    _k(
        "features",
        "long_call_s",
        "int",
        _feat("long_call_s"),
        "A voice call at least this long (seconds) is long, in the features and the victim model alike.",
        low=1,
    ),
    # [scan]
    _k("scan", "window", "duration", "7d", "How much history before the as-of time the scan looks at."),
    _k("scan", "top", "int", 15, "Clusters shown and drawn in the report.", low=1, high=100_000),
    _k(
        "scan",
        "detectors",
        "texts",
        _scan("detectors"),
        "Detectors that run: fast (the window), dense (the span), auto (fast, and dense on data with one "
        "timestamp a day).",
        choices=("fast", "dense", "auto"),
    ),
    _k("scan", "span", "duration", _scan("span"), "How much history before the as-of time the dense detector reads."),
    _k(
        "scan.flows",
        "pass_through_hours",
        "number",
        _flows("pass_through_hours"),
        "Hours within which money in must go out (unset: auto, the shorter of fast_cap_hours and the window's "
        "median dwell, at least one tick of the data's clock: a day on daily data).",
        low=0,
        optional=True,
    ),
    _k(
        "scan.flows",
        "edge_dwell_hours",
        "number",
        _flows("edge_dwell_hours"),
        "Longest rest on a fast-flow edge, in hours (unset: auto, a quarter of fast_cap_hours, "
        "at least one tick of the data's clock).",
        low=0,
        optional=True,
    ),
    _k(
        "scan.flows",
        "min_pass_through",
        "number",
        _flows("min_pass_through"),
        "Share of money in that must go out.",
        low=0,
        high=1,
    ),
    _k(
        "scan.flows",
        "min_inflow",
        "number",
        _flows("min_inflow"),
        "Least money in for an account to be a candidate (unset: auto, the min_inflow_quantile of every "
        "receiving account's money in over the window).",
        low=0,
        optional=True,
    ),
    _k(
        "scan.flows",
        "fast_cap_hours",
        "number",
        _flows("fast_cap_hours"),
        "Auto pass-through hours never exceed this: fast is within a day, or the data's median dwell if shorter.",
        low=0,
    ),
    _k(
        "scan.flows",
        "min_inflow_quantile",
        "number",
        _flows("min_inflow_quantile"),
        "Auto min_inflow: the quantile of accounts' money in below which an account is too small to matter.",
        low=0,
        high=1,
    ),
    _k(
        "scan.flows",
        "min_edge_share",
        "number",
        _flows("min_edge_share"),
        "Share of a sender's out or receiver's in an edge must carry.",
        low=0,
        high=1,
    ),
    _k(
        "scan.clusters",
        "min_cluster_size",
        "int",
        _clusters("min_cluster_size"),
        "Fewest accounts in a cluster.",
        low=2,
    ),
    _k(
        "scan.clusters",
        "split_above",
        "int",
        _clusters("split_above"),
        "Components larger than this are split (Louvain).",
        low=2,
    ),
    _k("scan.clusters", "seed", "int", _clusters("seed"), "Seed of the Louvain split.", low=0),
    _k(
        "scan.dense",
        "hub_degree",
        "int",
        _dense("hub_degree"),
        "Accounts with more counterparty links than this are hubs, left out (unset: auto, hub_factor x the "
        "hub_quantile of every account's).",
        low=1,
        optional=True,
    ),
    _k(
        "scan.dense",
        "hub_quantile",
        "number",
        _dense("hub_quantile"),
        "Auto hub degree: this quantile of every account's counterparty links ...",
        low=0,
        high=1,
    ),
    _k("scan.dense", "hub_factor", "number", _dense("hub_factor"), "... times this is the hub degree.", low=1),
    _k(
        "scan.dense",
        "min_link_amount",
        "number",
        _dense("min_link_amount"),
        "Least money a pair must carry over the span (unset: auto, the link_quantile of pairs between non-hubs).",
        low=0,
        optional=True,
    ),
    _k(
        "scan.dense",
        "link_quantile",
        "number",
        _dense("link_quantile"),
        "Auto min_link_amount's quantile.",
        low=0,
        high=1,
    ),
    _k(
        "scan.dense",
        "standing_order_transfers",
        "int",
        _dense("standing_order_transfers"),
        "A pair with this many transfers or more is a standing order (pay, rent) when regular (the next three keys).",
        low=2,
    ),
    _k(
        "scan.dense",
        "standing_order_spread",
        "number",
        _dense("standing_order_spread"),
        "Standing order: amounts varying by less than this (coefficient of variation).",
        low=0,
    ),
    _k(
        "scan.dense",
        "standing_order_days",
        "int",
        _dense("standing_order_days"),
        "Standing order: all within this many days of the same day of the month.",
        low=0,
        high=30,
    ),
    _k(
        "scan.dense",
        "standing_order_gaps",
        "number",
        _dense("standing_order_gaps"),
        "Standing order: gaps between transfers varying by less than this (coefficient of variation).",
        low=0,
    ),
    _k("scan.dense", "min_star", "int", _dense("min_star"), "Fewest links of a fan-in or fan-out star.", low=2),
    _k(
        "scan.dense",
        "star_min_transfers",
        "int",
        _dense("star_min_transfers"),
        "Transfers each link of a star must repeat (one payment each from several people is rent, not a ring).",
        low=1,
    ),
    _k(
        "scan.dense",
        "min_cluster_size",
        "int",
        _dense("min_cluster_size"),
        "Fewest accounts in a dense cluster.",
        low=2,
    ),
    _k(
        "scan.dense",
        "split_above",
        "int",
        _dense("split_above"),
        "Dense blocks larger than this are split (Louvain).",
        low=2,
    ),
    _k("scan.dense", "seed", "int", _dense("seed"), "Seed of that split.", low=0),
    _k(
        "scan.dense",
        "flag_at",
        "number",
        _dense("flag_at"),
        "Score (sqrt of density x cohesion) at which a dense cluster is flagged.",
        low=0,
        high=1,
    ),
    _k(
        "scan.dense",
        "no_life_share",
        "number",
        _dense("no_life_share"),
        "An account with less than this share of its transfers with hubs, in standing orders or with its "
        "holder's own accounts has no ordinary life (it exists to move money).",
        low=0,
        high=1,
    ),
    _k(
        "scan.dense",
        "no_life_partners",
        "int",
        _dense("no_life_partners"),
        "An account with a life joins a no-life block when linked to at least this many accounts without one.",
        low=1,
    ),
    _k(
        "scan.dense",
        "no_life_flag_at",
        "number",
        _dense("no_life_flag_at"),
        "Score at which a no-life block is flagged (lower: the lack of any life is evidence the score does not count).",
        low=0,
        high=1,
    ),
    _k(
        "scan.score",
        "behaviour_weights",
        "numbers",
        _score("behaviour_weights"),
        "Weights of pass-through, exit and conservation.",
        length=3,
        low=0,
    ),
    _k(
        "scan.score",
        "fee_share",
        "number",
        _score("fee_share"),
        "A ring's cut: conservation is full once out reaches (1 - this) x in.",
        low=0,
        high=1,
    ),
    _k("scan.score", "floor", "number", _score("floor"), "A behaviour measured at 0 counts as this.", low=0, high=1),
    _k(
        "scan.score",
        "victims_half",
        "number",
        _score("victims_half"),
        "Outside senders at which victims alone corroborate one half.",
        low=0,
    ),
    _k(
        "scan.score",
        "reports_half",
        "number",
        _score("reports_half"),
        "Reports at which reports alone corroborate one half.",
        low=0,
    ),
    _k(
        "scan.score",
        "dwell_minutes",
        "number",
        _score("dwell_minutes"),
        "Median dwell (minutes) at which speed is one half.",
        low=0,
    ),
    _k(
        "scan.score",
        "speed_weight",
        "number",
        _score("speed_weight"),
        "Corroboration from speed at no dwell.",
        low=0,
        high=1,
    ),
    _k(
        "scan.score",
        "young_weight",
        "number",
        _score("young_weight"),
        "Corroboration when every member is under a year old.",
        low=0,
        high=1,
    ),
    _k(
        "scan.score",
        "flag_at",
        "number",
        _score("flag_at"),
        "Score at which a cluster is flagged as a water house.",
        low=0,
        high=1,
    ),
    # [trace]
    _k(
        "trace",
        "hops",
        "int",
        Constant("fraudkit.scan.trace", "DEFAULT_HOPS"),
        "How many hops to follow.",
        low=1,
        high=20,
    ),
    _k(
        "trace",
        "within",
        "duration",
        Constant("fraudkit.scan.trace", "DEFAULT_WITHIN"),
        "How long money may rest in an account per hop.",
    ),
    # [contacts]
    _k(
        "contacts",
        "min_duration_s",
        "int",
        _contacts("min_duration_s"),
        "Shortest incoming voice call (seconds) that is a contact.",
        low=1,
    ),
    _k(
        "contacts",
        "new_within",
        "duration",
        _contacts("new_within"),
        "The two numbers first in touch no earlier than this before it.",
    ),
    _k(
        "contacts",
        "follow_up_within",
        "duration",
        _contacts("follow_up_within"),
        "Later calls between the two this soon after are contacts too.",
    ),
    _k("contacts", "history", "duration", _contacts("history"), "Look-back 'first in touch' is judged against."),
    _k("contacts", "recent", "duration", _contacts("recent"), "The 'recent' look-back of the caller's activity."),
    _k("contacts", "week", "duration", _contacts("week"), "The 'week' look-back of the caller's activity."),
    # [labels]
    _k("labels", "source", "text", _labels("source"), "Where positives come from.", choices=("reports", "truth")),
    _k(
        "labels",
        "horizon",
        "duration",
        _labels("horizon"),
        "A contact is positive when the first loss follows this soon.",
    ),
    _k(
        "labels",
        "report_window",
        "duration",
        _labels("report_window"),
        "Without a loss time, contacts this long before a report count.",
    ),
    _k(
        "labels",
        "outcome_window",
        "duration",
        _labels("outcome_window"),
        "A call-back outcome labels contacts this long before it.",
    ),
    # [split]
    _k("split", "burn_in", "duration", _split("burn_in"), "First days that only feed features."),
    _k(
        "split",
        "val_share",
        "number",
        _split("val_share"),
        "Share of the days left that are validation days.",
        low=0,
        high=1,
    ),
    _k(
        "split",
        "test_share",
        "number",
        _split("test_share"),
        "Share of the days left that are test days (the last).",
        low=0,
        high=1,
    ),
    # [mule]
    _k("mule", "history", "duration", _mule("history"), "Span of the transfer graph and of each account's activity."),
    _k("mule", "window", "duration", _mule("window"), "Span of the per-account flow features, within the history."),
    _k("mule", "folds", "int", _mule("folds"), "Ring-grouped folds of the cross-validation.", low=3),
    _k("mule", "fold_seed", "int", _mule("fold_seed"), "Seed of the hash that spreads ungrouped accounts.", low=0),
    _k("mule", "round_unit", "number", _mule("round_unit"), "An amount that is a multiple of this is round.", low=0),
    _k(
        "mule",
        "no_life_share",
        "number",
        _mule("no_life_share"),
        "A counterparty with less than this share of its transfers with hubs or its holder's own accounts has no "
        "ordinary life (the graph features' no_life_*).",
        low=0,
        high=1,
    ),
    # [lightgbm]
    _k("lightgbm", "num_leaves", "int", _lgbm("num_leaves"), "Leaves per tree.", low=2),
    _k("lightgbm", "learning_rate", "number", _lgbm("learning_rate"), "Shrinkage per round.", low=0, high=1),
    _k("lightgbm", "max_rounds", "int", _lgbm("max_rounds"), "Most boosting rounds.", low=1),
    _k(
        "lightgbm",
        "early_stopping_rounds",
        "int",
        _lgbm("early_stopping_rounds"),
        "Stop after this many rounds without gain.",
        low=1,
    ),
    _k("lightgbm", "min_data_in_leaf", "int", _lgbm("min_data_in_leaf"), "Fewest rows in a leaf.", low=1),
    _k(
        "lightgbm",
        "feature_fraction",
        "number",
        _lgbm("feature_fraction"),
        "Share of features each tree sees.",
        low=0,
        high=1,
    ),
    _k(
        "lightgbm",
        "bagging_fraction",
        "number",
        _lgbm("bagging_fraction"),
        "Share of rows each bagging round sees.",
        low=0,
        high=1,
    ),
    _k("lightgbm", "bagging_freq", "int", _lgbm("bagging_freq"), "Bag every this many rounds (0: never).", low=0),
    _k("lightgbm", "lambda_l2", "number", _lgbm("lambda_l2"), "L2 regularisation.", low=0),
    _k("lightgbm", "max_pos_weight", "number", _lgbm("max_pos_weight"), "Cap on the up-weighting of positives.", low=1),
    _k("lightgbm", "seed", "int", _lgbm("seed"), "Seed of the booster (the same seed, the same model).", low=0),
    # [train]
    _k(
        "train",
        "target",
        "text",
        _train("target"),
        "What `fraudkit train` trains by default.",
        choices=("victim", "fraud_number", "mule"),
    ),
    _k("train", "window", "duration", _train("window"), "Feature window of the per-day targets (fraud_number, mule)."),
    _k(
        "train",
        "max_train_rows",
        "int",
        _train("max_train_rows"),
        "Training rows beyond this are sampled (all positives kept, negatives drawn with the booster's seed).",
        low=1000,
    ),
    # [warn]
    _k(
        "warn",
        "capacity",
        "int",
        _train("capacity"),
        "Call-backs the team makes a day: the list's length, the k of precision@k, the live queue's calls a day.",
        low=1,
        high=100_000,
    ),
    _k("warn", "lookback", "duration", "24h", "Contacts that ended this long before the as-of time are scored."),
    _k("warn", "skip_called", "duration", "7d", "Leave out people called back this recently (unless unreachable)."),
    _k(
        "warn",
        "tiers",
        "numbers",
        None,
        "Probabilities where red and orange begin, e.g. [0.5, 0.2] (unset: the model's own).",
        length=2,
        low=0,
        high=1,
        optional=True,
    ),
    # [watch]
    _k("watch", "every", "duration", _watch("every"), "Tick of the live loop."),
    _k(
        "watch",
        "delivery_delay",
        "duration",
        _watch("delivery_delay"),
        "Replay: a record is visible this long after it ended.",
    ),
    _k(
        "watch",
        "late_within",
        "duration",
        _watch("late_within"),
        "Contacts up to this long before the last tick are looked at again.",
    ),
    _k("watch.tiers", "red", "number", None, "Score where red begins.", low=0, high=1, optional=True),
    _k("watch.tiers", "orange", "number", None, "Score where orange begins.", low=0, high=1, optional=True),
    _k("watch.tiers", "yellow", "number", None, "Score below which no alert is written.", low=0, high=1, optional=True),
    _k(
        "watch.capacity",
        "calls_per_day",
        "int",
        SameAs("warn.capacity"),
        "Calls the team makes a day in the live queue.",
        low=1,
    ),
    _k(
        "watch.capacity",
        "calls_per_hour",
        "ints",
        None,
        "The team's shifts: 24 numbers, calls by hour of day (unset: shaped by the champion's victims).",
        length=24,
        low=0,
        optional=True,
    ),
    _k(
        "watch.capacity",
        "call_within",
        "duration",
        _watch("call_within"),
        "An orange alert not callable this soon overflows to SMS.",
    ),
    _k(
        "watch.capacity",
        "retry_after",
        "duration",
        _watch("retry_after"),
        "An unreachable person's alert comes back after this.",
    ),
    _k("watch.capacity", "attempts", "int", _watch("attempts"), "Calls an alert gets before it is left.", low=1),
    _k(
        "watch.escalation",
        "large_amount",
        "number",
        _watch("large_amount"),
        "A first transfer this large after an alert is suspect.",
        low=0,
    ),
    _k(
        "watch.escalation",
        "new_account_within",
        "duration",
        _watch("new_account_within"),
        "... to an account first seen this recently.",
    ),
    _k(
        "watch.escalation", "account_history", "duration", _watch("account_history"), "How far back 'first seen' looks."
    ),
    _k(
        "watch.escalation",
        "open_for",
        "duration",
        _watch("open_for"),
        "Alerts younger than this are watched for transfers.",
    ),
    # [rings]
    _k(
        "rings",
        "match",
        "text",
        _rings("match"),
        "What a member shared by a cluster and a known ring weighs: the money through it, or one each.",
        choices=("money", "members"),
    ),
    _k(
        "rings",
        "match_threshold",
        "number",
        _rings("match_threshold"),
        "A cluster continues a ring when they share at least this share of the smaller one's weight.",
        low=0.01,
        high=1,
    ),
    _k(
        "rings",
        "join_on",
        "texts",
        _rings("join_on"),
        "Flagged clusters of one scan are one ring when they share a holder, a registered phone or a sender.",
    ),
    _k(
        "rings",
        "leave_after",
        "duration",
        _rings("leave_after"),
        "A member the scans of its ring have not seen for this long has left (one missed scan is not a leave).",
    ),
    _k(
        "rings",
        "dormant_after",
        "duration",
        _rings("dormant_after"),
        "A ring no scan has flagged for this long is dormant.",
    ),
    # [daily]
    _k("daily", "out", "path", Path("runs"), "Where each day's folder goes (<out>/<as-of date>/)."),
    _k("daily", "format", "text", "xlsx", "Call-back list format.", choices=("xlsx", "csv", "parquet")),
    # [index]
    _k(
        "index",
        "method",
        "text",
        _index("method"),
        "How each indicator is normalised across regions: winsorised z-scores, or min-max.",
        choices=("zscore", "minmax"),
    ),
    _k(
        "index",
        "winsor",
        "number",
        _index("winsor"),
        "Quantile each indicator is clipped at (both tails).",
        low=0,
        high=0.49,
    ),
    _k(
        "index",
        "heading_weights",
        "numbers",
        _index("heading_weights"),
        "Weights of cases, interception and supply side in the index.",
        length=3,
        low=0,
    ),
    _k(
        "index",
        "cases_weights",
        "numbers",
        _index("cases_weights"),
        "Weights of reports, loss per resident, loss per GDP, money paid into water houses and repeat victims.",
        length=5,
        low=0,
    ),
    _k(
        "index",
        "interception_weights",
        "numbers",
        _index("interception_weights"),
        "Weights of warned before paying, lead time, loss stopped and call-backs reached.",
        length=4,
        low=0,
    ),
    _k(
        "index",
        "supply_weights",
        "numbers",
        _index("supply_weights"),
        "Weights of mule accounts, fraud numbers and water houses.",
        length=3,
        low=0,
    ),
    _k("index", "red_below", "number", _index("red_below"), "An index under this is red.", low=0, high=100),
    _k("index", "yellow_below", "number", _index("yellow_below"), "An index under this is yellow.", low=0, high=100),
    _k("index", "red_drop", "number", _index("red_drop"), "A fall of this many points since last month is red.", low=0),
    _k("index", "yellow_drop", "number", _index("yellow_drop"), "A fall of this many points is yellow.", low=0),
    _k(
        "index",
        "spike_ratio",
        "number",
        _index("spike_ratio"),
        "Reports reaching this many times a region's mean of the previous months is a spike (red).",
        low=1,
    ),
    _k("index", "spike_months", "int", _index("spike_months"), "Months the spike rule compares with.", low=1),
    _k(
        "index",
        "spike_min_excess",
        "int",
        _index("spike_min_excess"),
        "Fewest reports above that mean for a spike.",
        low=0,
    ),
)

BY_NAME: dict[str, Key] = {key.dotted: key for key in KEYS}
OPEN_SECTIONS = {"synth": "Any generator setting of `fraudkit synth` (see fraudkit.synth.SynthConfig)."}
"""Sections passed whole to a stage that validates them itself."""
LEGACY = {"watch": "watch", "synth": "synth"}
"""A command whose --config used to take a file of its own settings at top level (a watch.toml, a
synth TOML) still reads one: such a file is taken as that section of the tree."""


def section_keys(section: str) -> list[Key]:
    return [key for key in KEYS if key.section == section]


def _sub_sections(section: str) -> list[str]:
    return [s for s in SECTIONS if s.startswith(section + ".") and "." not in s[len(section) + 1 :]]


# ---- values as typed in a file, the environment or an option ----------------------------------


def _shown(value: Any) -> str:
    """A typed value as the error quotes it: strings in double quotes, as in the file."""
    return (
        f'"{value}"' if isinstance(value, str) else repr(value) if not isinstance(value, bool) else str(value).lower()
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return float(value)


def convert(key: Key, value: Any, label: str | None = None) -> Any:
    """A file's (or option's) value as the tree keeps it, or ConfigError saying what it must be
    (the caller adds where it came from); ``label`` names it in messages (an option: --window)."""
    if isinstance(value, Path) and key.kind == "path":
        return value
    must = f"{label or key.name} must be {KIND_WORDS[key.kind]}, got {_shown(value)}"
    kind = key.kind
    if kind in ("numbers", "ints", "texts"):
        if not isinstance(value, list | tuple):
            raise ConfigError(must)
        if key.length is not None and len(value) != key.length:
            raise ConfigError(f"{key.name} must be a list of {key.length}, got {len(value)}")
        item = {"numbers": "number", "ints": "int", "texts": "text"}[kind]
        single = Key(key.section, key.name, item, None, "", low=key.low, high=key.high)  # type: ignore[arg-type]
        try:
            return tuple(convert(single, v) for v in value)
        except ConfigError:
            raise ConfigError(must) from None
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(must)
        out: Any = value
    elif kind == "number":
        number = _number(value)
        if number is None or math.isnan(number) or math.isinf(number):
            raise ConfigError(must)
        out = number
    elif kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(must)
        return value
    elif kind in ("text", "path"):
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(must)
        if key.choices and value not in key.choices:
            raise ConfigError(
                f"{key.name} must be {join_words(key.choices)}, got {_shown(value)}{did_you_mean(value, key.choices)}"
            )
        return Path(value) if kind == "path" else value
    elif kind == "duration":
        if isinstance(value, timedelta):
            return value
        if not isinstance(value, str):
            raise ConfigError(must)
        from fraudkit.timeutil import parse_duration

        return parse_duration(value, option=label or key.name)
    elif kind == "time":
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day)
        if not isinstance(value, str):
            raise ConfigError(must)
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise ConfigError(must) from None
    if key.low is not None and out < key.low:
        raise ConfigError(f"{key.name} must be at least {key.low:g}, got {_shown(value)}")
    if key.high is not None and out > key.high:
        raise ConfigError(f"{key.name} must be at most {key.high:g}, got {_shown(value)}")
    return out


def from_text(key: Key, text: str) -> Any:
    """An environment variable's text as the key's kind."""
    if key.kind == "number":
        try:
            return convert(key, float(text))
        except ValueError:
            raise ConfigError(f"{key.name} must be a number, got {_shown(text)}") from None
    if key.kind == "int":
        try:
            return convert(key, int(text))
        except ValueError:
            raise ConfigError(f"{key.name} must be a whole number, got {_shown(text)}") from None
    return convert(key, text)


def duration_text(span: timedelta) -> str:
    """A duration as an option takes it: '7d', '48h', '30m' (the largest unit that divides it whole)."""
    seconds = span.total_seconds()
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds / 60:g}m"


def toml_value(key: Key, value: Any) -> str:
    """A value as it is written in fraudkit.toml (and read back to the same value)."""
    if value is None:
        return ""
    if key.kind == "duration":
        return f'"{duration_text(value)}"'
    if key.kind == "time":
        midnight = (value.hour, value.minute, value.second) == (0, 0, 0)
        return f'"{value:%Y-%m-%d}"' if midnight else f'"{value.isoformat()}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        number = float(value)
        return str(int(number)) + ".0" if number.is_integer() and abs(number) < 1e15 else repr(number)
    text = str(value.as_posix() if isinstance(value, Path) else value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---- the tree ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    value: Any
    source: str
    """'default', the config file's path, 'env VAR', 'option --x', or 'default ([warn] capacity)'."""


class Config:
    """The effective configuration: each key's value and where it came from."""

    def __init__(self, given: dict[str, Setting], file: Path | None, open_sections: dict[str, Any]) -> None:
        self._given = given
        self.file = file
        self.open_sections = open_sections

    def setting(self, dotted: str) -> Setting:
        """The value and its source; a default is read from its stage when first asked for."""
        if dotted in self._given:
            return self._given[dotted]
        key = BY_NAME[dotted]
        default = key.default
        if isinstance(default, SameAs):
            followed = self.setting(default.key)
            section, name = default.key.rsplit(".", 1)
            return Setting(followed.value, f"default ([{section}] {name})")
        if isinstance(default, Default | Constant):
            default = default.value()
            if callable(default):
                default = default()
        if key.kind == "number" and default is not None:
            default = float(default)
        if key.kind == "duration" and isinstance(default, str):
            default = convert(key, default)
        if isinstance(default, list):
            default = tuple(default)
        return Setting(default, "default")

    def get(self, dotted: str) -> Any:
        return self.setting(dotted).value

    def section(self, section: str) -> dict[str, Any]:
        return {key.name: self.get(key.dotted) for key in section_keys(section)}

    def with_options(self, values: Mapping[str, tuple[Any, str]]) -> Config:
        """A copy where typed options win: ``{dotted key: (value, '--option')}``, None left out."""
        given = dict(self._given)
        for dotted, (value, option) in values.items():
            if value is not None:
                given[dotted] = Setting(convert(BY_NAME[dotted], value, option), f"option {option}")
        return Config(given, self.file, self.open_sections)

    def where(self, section: str) -> str:
        """'fraudkit.toml: [scan.flows]' or '[scan.flows]': how an error names a section."""
        from_file = self.file is not None and any(
            s.source == str(self.file) for d, s in self._given.items() if BY_NAME[d].section == section
        )
        return f"{self.file}: [{section}]" if from_file else f"[{section}]"

    def items(self) -> Iterator[tuple[Key, Setting]]:
        for key in KEYS:
            yield key, self.setting(key.dotted)


def config_file(path: Path | None, env: Mapping[str, str], cwd: Path) -> tuple[Path | None, str]:
    """Which file is read: --config, else $FRAUDKIT_CONFIG, else ./fraudkit.toml when present."""
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"--config {path}: no such file", hint="give a TOML file, e.g. --config fraudkit.toml")
        return path, "--config"
    named = env.get(ENV_CONFIG, "").strip()
    if named:
        if not Path(named).is_file():
            raise ConfigError(f"{ENV_CONFIG} {named}: no such file", hint=f"unset {ENV_CONFIG} or point it at a file")
        return Path(named), ENV_CONFIG
    here = cwd / DEFAULT_FILE
    return (here if here.is_file() else None), ""


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text", hint="save the config file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def _walk(
    doc: dict[str, Any], path: Path, section: str, given: dict[str, Setting], open_sections: dict[str, Any]
) -> None:
    """Every key of ``doc`` (the table of ``section``; '' for the top level) checked and kept."""
    source = str(path)
    tables = [s for s in SECTIONS if "." not in s] if not section else _sub_sections(section)
    names = [key.name for key in section_keys(section)] if section else []
    top_open = list(OPEN_SECTIONS) if not section else []
    where = f"{path}: [{section}]" if section else f"{path}:"
    for name, value in doc.items():
        sub = f"{section}.{name}" if section else name
        if name in top_open:
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [{name}] must be a table")
            open_sections[name] = value
        elif sub in SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [{sub}] must be a table, got {_shown(value)}")
            _walk(value, path, sub, given, open_sections)
        elif name in names:
            key = BY_NAME[sub]
            try:
                given[sub] = Setting(convert(key, value), source)
            except ConfigError as exc:
                raise ConfigError(f"{where} {exc}", hint=exc.hint) from None
        else:
            known = names + [t.rsplit(".", 1)[-1] for t in tables] + top_open
            what = f"key {name}" if section else f"section [{name}]" if isinstance(value, dict) else f"key {name}"
            context = f" in [{section}]" if section else ""
            raise ConfigError(
                f"{path}: unknown {what}{context}{did_you_mean(name, known)}",
                hint=f"known: {join_words(known, 'and')}" if known else None,
            )


def load(
    path: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    legacy: str | None = None,
) -> Config:
    """The configuration tree: defaults, the config file, then the environment (not options: see
    :meth:`Config.with_options`). ``legacy`` names the section a file of the older per-command
    format stands for (a watch.toml for watch, a synth TOML for synth): such a file has none of
    the tree's sections at top level."""
    env = os.environ if env is None else env
    file, _how = config_file(path, env, cwd or Path.cwd())
    given: dict[str, Setting] = {}
    open_sections: dict[str, Any] = {}
    if file is not None:
        doc = _read(file)
        top = set(SECTIONS) | set(OPEN_SECTIONS)
        if legacy and doc and not any(name in top for name in doc):
            doc = {legacy: doc}
        _walk(doc, file, "", given, open_sections)
    for key in KEYS:
        if key.env and env.get(key.env, "").strip():
            try:
                given[key.dotted] = Setting(from_text(key, env[key.env].strip()), f"env {key.env}")
            except ConfigError as exc:
                raise ConfigError(f"{key.env}: {exc}", hint=exc.hint) from None
    return Config(given, file, open_sections)


def defaults() -> Config:
    """The built-in defaults alone (no file, no environment)."""
    return Config({}, None, {})


# ---- the stages' dataclasses, built from the tree -----------------------------------------------


def _build(cfg: Config, section: str, cls: type, **values: Any) -> Any:
    """``cls`` from the section's keys named as its fields (and ``values``); its own checks
    (e.g. one_ring_max_s < short_call_s) name the section, and the file when it set one."""
    names = {f.name for f in fields(cls)}
    kwargs = {k: v for k, v in cfg.section(section).items() if k in names} | values
    try:
        return cls(**kwargs)
    except ConfigError as exc:
        raise ConfigError(f"{cfg.where(section)} {exc}", hint=exc.hint) from None


def settings(cfg: Config, **overrides: Any) -> Any:
    """Settings (paths, zone, lock wait, threads) from [store]; ``overrides`` as Settings takes them."""
    from fraudkit.settings import Settings

    values = {
        "db_path": cfg.get("store.db"),
        "tracking_uri": cfg.get("store.tracking_uri"),
        "timezone": cfg.get("store.timezone"),
        "lock_wait_s": cfg.get("store.lock_wait"),
        "threads": cfg.get("store.threads"),
    } | {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**values)
    except ConfigError as exc:
        raise ConfigError(f"{cfg.where('store')} {exc}", hint=exc.hint) from None


def feature_params(cfg: Config) -> Any:
    from fraudkit.features.params import FeatureParams

    return _build(cfg, "features", FeatureParams)


def contact_params(cfg: Config) -> Any:
    """The victim model's contacts; short and long calls are the features' (one definition)."""
    from fraudkit.model.params import ContactParams

    calls = {"short_call_s": cfg.get("features.short_call_s"), "long_call_s": cfg.get("features.long_call_s")}
    return _build(cfg, "contacts", ContactParams, **calls)


def train_params(cfg: Config) -> Any:
    from fraudkit.model.params import LabelParams, LightGBMParams, MuleParams, SplitParams, TrainParams

    return _build(
        cfg,
        "train",
        TrainParams,
        labels=_build(cfg, "labels", LabelParams),
        split=_build(cfg, "split", SplitParams),
        contacts=contact_params(cfg),
        lgbm=_build(cfg, "lightgbm", LightGBMParams),
        capacity=cfg.get("warn.capacity"),
        mule=_build(cfg, "mule", MuleParams),
    )


def index_params(cfg: Config) -> Any:
    from fraudkit.index.scoring import IndexParams

    return _build(cfg, "index", IndexParams)


def ring_params(cfg: Config) -> Any:
    from fraudkit.rings.params import RingParams

    return _build(cfg, "rings", RingParams)


def scan_params(cfg: Config) -> Any:
    from fraudkit.scan.clusters import ClusterParams
    from fraudkit.scan.dense import DenseParams
    from fraudkit.scan.evidence import ScoreParams
    from fraudkit.scan.flows import FlowParams
    from fraudkit.scan.scan import ScanParams

    return ScanParams(
        flow=_build(cfg, "scan.flows", FlowParams),
        cluster=_build(cfg, "scan.clusters", ClusterParams),
        score=_build(cfg, "scan.score", ScoreParams),
        signals=feature_params(cfg),
        dense=_build(cfg, "scan.dense", DenseParams),
        detectors=tuple(cfg.get("scan.detectors")),
        span=cfg.get("scan.span"),
    )


def backend(cfg: Config, name: str | None = None, *, lake: str | None = None) -> Any:
    """The engine: ``name`` (``--engine``) or ``[engine] name``; Spark with ``[engine] master`` and the lake
    ``lake`` (``--lake``) or ``[engine] lake``. A Spark that is not installed is a one-line error naming what
    is missing."""
    from fraudkit.backend import get_backend

    chosen = name or cfg.get("engine.name")
    if chosen != "spark":
        return get_backend(chosen)
    from fraudkit.engine.spark import SparkSettings

    settings = replace(SparkSettings.from_env(), master=cfg.get("engine.master"), lake=lake or cfg.get("engine.lake"))
    return get_backend(chosen, spark=settings)


def warn_tiers(cfg: Config) -> Any:
    """[warn] tiers as Tiers, or None (the model's own)."""
    chosen = cfg.get("warn.tiers")
    if chosen is None:
        return None
    from fraudkit.warn.listing import Tiers

    try:
        return Tiers(red=chosen[0], orange=chosen[1])
    except ConfigError as exc:
        raise ConfigError(f"{cfg.where('warn')} {exc}", hint="write tiers = [RED, ORANGE], e.g. [0.5, 0.2]") from None


def watch_config(cfg: Config) -> Any:
    from fraudkit.live.config import TierThresholds, WatchConfig

    values = cfg.section("watch") | cfg.section("watch.capacity") | cfg.section("watch.escalation")
    try:
        tiers = TierThresholds(**cfg.section("watch.tiers"))
        return WatchConfig(tiers=tiers, **values)
    except ConfigError as exc:
        raise ConfigError(f"{cfg.where('watch')} {exc}", hint=exc.hint) from None


def ingest_settings(cfg: Config) -> Any:
    from fraudkit.ingest.validate import IngestSettings

    values = cfg.section("ingest")
    values["max_amount"] = Decimal(str(values["max_amount"]))
    values["temp_dir"] = str(values["temp_dir"]) if values["temp_dir"] is not None else None
    return _build(cfg, "ingest", IngestSettings, **values)


def synth_overrides(cfg: Config) -> dict[str, Any]:
    """The [synth] section as given (SynthConfig.from_dict checks it)."""
    return dict(cfg.open_sections.get("synth", {}))


def synth_config(cfg: Config, preset: str = "default") -> Any:
    """The generator's settings: the preset's, with the file's [synth] section over them."""
    from fraudkit.synth import SynthConfig

    try:
        return SynthConfig.preset(preset, **synth_overrides(cfg))
    except ConfigError as exc:
        where = f"{cfg.file}: [synth]" if "synth" in cfg.open_sections else "synth"
        raise ConfigError(f"{where} {exc}", hint=exc.hint) from None


def validate(cfg: Config) -> None:
    """Build every stage's parameters once, so a mistake in any section is found now."""
    settings(cfg)
    feature_params(cfg)
    train_params(cfg)
    scan_params(cfg)
    warn_tiers(cfg)
    watch_config(cfg)
    ingest_settings(cfg)
    if "synth" in cfg.open_sections:
        synth_config(cfg)


# ---- showing it -------------------------------------------------------------------------------


def render(cfg: Config, *, starter: bool = False) -> str:
    """The configuration as TOML: every section and key with its help; with ``starter``, a
    commented file to start from (every line commented out, so it changes nothing until edited),
    else the effective values, each with where it came from."""
    lines: list[str] = []
    if starter:
        lines += [
            "# fraudkit.toml: every setting with its default; uncomment a line to change it.",
            "# Read from --config FILE, else $FRAUDKIT_CONFIG, else ./fraudkit.toml; environment",
            "# variables (FRAUDKIT_DB, ...) and command-line options win over it.",
        ]
    for section, about in SECTIONS.items():
        lines += ["", f"# {about}", f"[{section}]"]
        for key, setting in ((k, cfg.setting(k.dotted)) for k in section_keys(section)):
            text = toml_value(key, setting.value)
            if starter:
                lines.append(f"# {key.help}")
                lines.append(f"# {key.name} = {text}" if text else f"# {key.name} =   (unset)")
            else:
                where = setting.source
                if not where.startswith(("default", "env ", "option ")):
                    where = f"file {where}"
                shown = f"{key.name} = {text}" if text else f"# {key.name} =   (unset)"
                lines += [f"# {key.help}", f"{shown:<40} # {where}"]
    for name, values in cfg.open_sections.items():
        lines += ["", f"# {OPEN_SECTIONS[name]}", f"[{name}]"]
        for k, v in values.items():
            lines.append(f"{k} = {_scalar(v) if not isinstance(v, list | dict) else repr(v)}  # file {cfg.file}")
    return "\n".join(lines).lstrip("\n") + "\n"


def reference_table() -> str:
    """docs/configuration.md's table of every key: section, key, default, what it does, env."""
    cfg = defaults()
    rows = ["| key | default | what it does |", "| --- | --- | --- |"]
    for key, setting in cfg.items():
        default = toml_value(key, setting.value) or "unset"
        if key.dotted == "store.timezone":
            default = "this machine's zone"
        if isinstance(key.default, SameAs):
            section, name = key.default.key.rsplit(".", 1)
            default = f"[{section}] {name}"
        env = f" (env {key.env})" if key.env else ""
        rows.append(f"| `[{key.section}] {key.name}` | `{default}` | {key.help}{env} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":  # python -m fraudkit.config: the table docs/configuration.md holds
    print(reference_table(), end="")
