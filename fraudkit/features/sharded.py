"""Features per shard (locally, or on Spark through applyInArrow): the same producers, the same rows.

A shard owns the accounts and phones whose key hashes to it and computes their features with the
unchanged producers, from every row that touches them and every row the producers read about other
entities. Those dependencies, found by reading what each producer joins, are the routes of
:func:`feature_sharding`:

- account features read the account's own transfers, its counterparties' holders (unrelated
  senders, new payees) and the reports: transfers go to both accounts' shards, account rows wherever
  one of their transfers went, reports to every shard;
- call features read the phone's own calls, and for ``sims_per_imei`` every number that called from
  a handset the phone used: a call also goes to the shards of every caller seen on its IMEI;
- money features of a phone read the transfers of its linked accounts (paid out in the window, the
  largest before it, and any transfer *either way* with the payee before the window), the payee's
  holder, the phone's incoming calls, and for the links every account and SIM of the phone's holders
  (a holder with too many is not linked, and telling needs them all): a transfer also goes to the
  shards of the phones linked to either of its accounts (the links as of T, by the producers' own
  rule in :mod:`fraudkit.features.links`), account and SIM rows to the shards of every phone of
  their holder and to their registered phone's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

import polars as pl

from fraudkit.engine.shards import (
    BROADCAST,
    Along,
    Derived,
    LocalShards,
    Owner,
    Shard,
    ShardFn,
    Sharding,
    Through,
)
from fraudkit.features.accounts import ACCOUNT
from fraudkit.features.engine import collect
from fraudkit.features.frames import features_from_frames
from fraudkit.features.links import DEFAULT_MAX_HOLDER_LINKS, phone_account_links
from fraudkit.features.money import MONEY
from fraudkit.features.params import DEFAULT_PARAMS, FeatureParams, TimeFrame
from fraudkit.features.phones import PHONE
from fraudkit.features.prepare import accounts_at, subscribers_at

ENTITY = "__entity"
"""Which feature frame a row of the sharded result belongs to ("account" or "phone")."""
LINKS_SCHEMA: dict[str, pl.DataType] = {"phone": pl.String(), "account_id": pl.String()}
ACCOUNT_SCHEMA: dict[str, pl.DataType] = {ACCOUNT.key: pl.String(), **{s.name: s.dtype() for s in ACCOUNT.specs}}
PHONE_SCHEMA: dict[str, pl.DataType] = {
    PHONE.key: pl.String(),
    **{s.name: s.dtype() for s in PHONE.specs},
    **{s.name: s.dtype() for s in MONEY.specs},
}
RESULT_SCHEMA: dict[str, pl.DataType] = {ENTITY: pl.String(), **ACCOUNT_SCHEMA, **PHONE_SCHEMA}
"""Both feature frames in one (Spark's applyInArrow returns one schema): the other entity's columns null."""

Frames = Mapping[str, Any]
"""Input frames by canonical table name: Polars frames (lazy or not), or Spark DataFrames for Spark."""


class ShardRunner(Protocol):
    """What runs a function per shard: :class:`~fraudkit.engine.shards.LocalShards` or
    :class:`~fraudkit.engine.spark_shards.SparkShards`."""

    def map_shards(
        self, frames: Frames, sharding: Sharding, fn: ShardFn, schema: Mapping[str, pl.DataType], *, shards: int
    ) -> pl.DataFrame: ...


def _links_at(
    accounts: pl.DataFrame, subscribers: pl.DataFrame, *, as_of: datetime, max_holder_links: int
) -> pl.DataFrame:
    """The phone-account links as of T by the money producer's own rule (holders' caps included)."""
    tf = TimeFrame(as_of, timedelta(days=1), timedelta(days=1))  # only T matters to accounts_at / subscribers_at
    links = phone_account_links(
        accounts_at(accounts.lazy(), tf), subscribers_at(subscribers.lazy(), tf), max_holder_links=max_holder_links
    )
    return collect(links.select(pl.col("phone", "account_id").cast(pl.String)))


def feature_sharding(as_of: datetime, *, max_holder_links: int = DEFAULT_MAX_HOLDER_LINKS) -> Sharding:
    """Which rows each shard needs for the account, call and money features as of ``as_of`` (see the module)."""
    links = Derived(
        "links",
        inputs=("accounts", "subscribers"),
        by=("holder_id", "holder_id"),  # links are made within one holder, or from one account row
        fn=partial(_links_at, as_of=as_of, max_holder_links=max_holder_links),
        schema=LINKS_SCHEMA,
    )
    return Sharding(
        {
            "transactions": (
                Owner("src_account", "account"),
                Owner("dst_account", "account"),
                Through("src_account", "links", key="account_id", to="phone"),
                Through("dst_account", "links", key="account_id", to="phone"),
            ),
            "calls": (
                Owner("caller", "phone"),
                Owner("callee", "phone"),
                Through("caller_imei", "calls", key="caller_imei", to="caller"),
            ),
            "accounts": (  # no route of its own: an account's row matters only where its transfers or phones are
                Owner("phone", "phone"),
                Through("holder_id", "subscribers", key="holder_id", to="phone"),
                Along("account_id", "transactions", keys=("src_account", "dst_account")),
            ),
            "subscribers": (
                Owner("phone", "phone"),
                Through("holder_id", "subscribers", key="holder_id", to="phone"),
            ),
            "reports": BROADCAST,
        },
        derived=(links,),
    )


def shard_features(
    shard: Shard,
    *,
    as_of: datetime,
    window: timedelta,
    history: timedelta,
    params: FeatureParams,
) -> pl.DataFrame:
    """One shard's feature rows of the accounts and phones it owns, both frames in :data:`RESULT_SCHEMA`."""
    built = features_from_frames(shard.frames, as_of=as_of, window=window, history=history, params=params)
    account = shard.keep(built["account"], ACCOUNT.key, "account").with_columns(pl.lit("account").alias(ENTITY))
    phone = shard.keep(built["phone"], PHONE.key, "phone").with_columns(pl.lit("phone").alias(ENTITY))
    long = pl.concat([account, phone], how="diagonal_relaxed")
    return long.select(
        pl.col(c).cast(t) if c in long.columns else pl.lit(None, t).alias(c) for c, t in RESULT_SCHEMA.items()
    )


def feature_shard_job(
    *,
    as_of: datetime,
    window: timedelta = timedelta(days=7),
    history: timedelta = timedelta(days=30),
    params: FeatureParams = DEFAULT_PARAMS,
) -> tuple[Sharding, ShardFn, dict[str, pl.DataType]]:
    """The sharding, the per-shard function and its result schema, for any runner: a runner's
    ``map_shards`` (Polars out) or ``SparkShards.map_shards_frame`` (Spark DataFrames in and out)."""
    TimeFrame(as_of, window, history)  # a bad window is one clear error here, not one per shard
    fn = partial(shard_features, as_of=as_of, window=window, history=history, params=params)
    return feature_sharding(as_of), fn, RESULT_SCHEMA


def split_features(result: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The sharded result as build_features gives it: {"account": ..., "phone": ...}, each sorted by key."""
    entity = pl.col(ENTITY)
    account = result.filter(entity == "account").select(list(ACCOUNT_SCHEMA)).sort(ACCOUNT.key)
    phone = result.filter(entity == "phone").select(list(PHONE_SCHEMA)).sort(PHONE.key)
    return {"account": account, "phone": phone}


def build_features_sharded(
    frames: Frames,
    *,
    as_of: datetime,
    window: timedelta = timedelta(days=7),
    history: timedelta = timedelta(days=30),
    params: FeatureParams = DEFAULT_PARAMS,
    shards: int = 1,
    runner: ShardRunner | None = None,
) -> dict[str, pl.DataFrame]:
    """What :func:`~fraudkit.features.frames.build_features` gives, computed per shard by ``runner``
    (:class:`~fraudkit.engine.shards.LocalShards` by default) from frames like ``load_frames``' (from the
    DuckDB store, or Spark DataFrames read from a Parquet lake)."""
    sharding, fn, schema = feature_shard_job(as_of=as_of, window=window, history=history, params=params)
    result = (runner or LocalShards()).map_shards(frames, sharding, fn, schema, shards=shards)
    return split_features(result)
