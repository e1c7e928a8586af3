"""Rings recruit and drop accounts over their life: a recruit takes a dropped account's place, takes
ring money only from when it joined, and the dropped one takes none long after it left."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import polars as pl

from fraudkit.synth import SynthConfig, World, generate_world

c = pl.col


def ring_money_in(world: World) -> pl.DataFrame:
    """Every laundering transfer into a mule of the ring that moved it: account, ring, time."""
    moves = world.tables["transactions"].select("txn_id", "ts", c("dst_account").alias("account_id"))
    tagged = moves.join(world.truth["fraud_transactions"].select("txn_id", "ring_id"), on="txn_id")
    return tagged.join(world.truth["mules"], on=["account_id", "ring_id"])


def test_each_recruit_replaces_a_dropped_account(fraud_world: World) -> None:
    mules = fraud_world.truth["mules"]
    per_ring = mules.group_by("ring_id").agg(
        c("joined_at").is_not_null().sum().alias("joined"), c("left_at").is_not_null().sum().alias("left")
    )
    assert per_ring["joined"].sum() > 20, "rings recruit over their life"
    assert (per_ring["joined"] == per_ring["left"]).all(), "a recruit takes a dropped account's place"
    both = mules.filter(c("joined_at").is_not_null() & c("left_at").is_not_null())
    assert (both["left_at"] > both["joined_at"]).all()


def test_ring_money_reaches_an_account_only_while_it_is_a_member(fraud_world: World) -> None:
    money = ring_money_in(fraud_world)
    early = money.filter(c("joined_at").is_not_null() & (c("ts") < c("joined_at")))
    assert early.is_empty(), "no ring money before a recruit joined"
    late = money.filter(c("left_at").is_not_null() & (c("ts") > c("left_at") + timedelta(days=1)))
    assert late.is_empty(), "none long after it was dropped (pieces already on their way may land)"
    recruits = money.filter(c("joined_at").is_not_null())["account_id"].n_unique()
    assert recruits > 10, "recruits do launder"


def test_no_turnover_keeps_every_account_for_the_rings_life(fraud_config: SynthConfig) -> None:
    world = generate_world(replace(fraud_config, mule_turnover_per_week=0.0))
    mules = world.truth["mules"]
    assert mules["joined_at"].is_null().all() and mules["left_at"].is_null().all()


def test_a_transfers_world_turns_its_rings_over_when_asked() -> None:
    world = generate_world(SynthConfig.preset("transfers", seed=5, subscribers=8_000, mule_turnover_per_week=0.2))
    mules = world.truth["mules"]
    assert mules["joined_at"].is_not_null().sum() > 5 and mules["left_at"].is_not_null().sum() > 5
    money = ring_money_in(world)
    assert money.filter(c("joined_at").is_not_null() & (c("ts") < c("joined_at"))).is_empty()
    assert money.filter(c("left_at").is_not_null() & (c("ts") >= c("left_at"))).is_empty(), "daily hops: none after"
