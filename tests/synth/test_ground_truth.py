"""Ground truth agrees with the tables: victims were called then paid a ring, rings pass
money on less their fee, fraud numbers look the part, reports are mostly right."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from fraudkit.synth import TYPOLOGIES, SynthConfig, World


@pytest.fixture(scope="module")
def ring_txns(fraud_world: World) -> pl.DataFrame:
    """Every ring transfer with its stage, ring and the source/destination roles."""
    mules = fraud_world.truth["mules"]
    return (
        fraud_world.truth["fraud_transactions"]
        .join(fraud_world.tables["transactions"], on="txn_id", how="left")
        .join(
            mules.select(
                pl.col("account_id").alias("src_account"),
                pl.col("role").alias("src_role"),
                pl.col("ring_id").alias("src_ring"),
            ),
            on="src_account",
            how="left",
        )
        .join(
            mules.select(
                pl.col("account_id").alias("dst_account"),
                pl.col("role").alias("dst_role"),
                pl.col("ring_id").alias("dst_ring"),
            ),
            on="dst_account",
            how="left",
        )
    )


def test_there_is_enough_fraud_to_matter(fraud_world: World) -> None:
    t = fraud_world.truth
    assert t["rings"].height >= 15
    assert t["victims"].height >= 50
    assert t["fraud_numbers"].height >= 20
    assert set(t["rings"]["typology"]) == set(TYPOLOGIES)


def test_truth_references_rows_of_the_tables(fraud_world: World, ring_txns: pl.DataFrame) -> None:
    t, tables = fraud_world.truth, fraud_world.tables
    assert ring_txns["ts"].null_count() == 0, "every fraud transaction is in transactions"
    assert t["mules"]["account_id"].is_in(tables["accounts"]["account_id"].implode()).all()
    assert t["fraud_numbers"]["phone"].is_in(tables["subscribers"]["phone"].implode()).all()
    assert t["victims"]["account_id"].is_in(tables["accounts"]["account_id"].implode()).all()
    assert t["mules"]["ring_id"].is_in(t["rings"]["ring_id"].implode()).all()
    assert t["victims"]["ring_id"].is_in(t["rings"]["ring_id"].implode()).all()
    assert t["mules"]["account_id"].n_unique() == t["mules"].height
    assert t["victims"]["phone"].n_unique() == t["victims"].height
    sizes = t["mules"].group_by("ring_id").len()
    assert sizes.join(t["rings"], on="ring_id").filter(pl.col("len") != pl.col("n_members")).height == 0


def test_each_victim_was_first_contacted_by_the_fraud_number(fraud_world: World) -> None:
    victims, calls = fraud_world.truth["victims"], fraud_world.tables["calls"]
    assert (victims["first_contact_at"] < victims["first_loss_at"]).all()
    first = victims.join(
        calls,
        left_on=["fraud_phone", "phone", "first_contact_at"],
        right_on=["caller", "callee", "start_time"],
        how="left",
    )
    assert first["call_id"].null_count() == 0
    earlier = victims.join(calls, left_on=["fraud_phone", "phone"], right_on=["caller", "callee"]).filter(
        pl.col("start_time") < pl.col("first_contact_at")
    )
    assert earlier.height == 0, "first_contact_at is the first call from that number"


def test_first_loss_follows_a_long_call_within_hours(fraud_world: World) -> None:
    victims, calls, numbers = (
        fraud_world.truth["victims"],
        fraud_world.tables["calls"],
        fraud_world.truth["fraud_numbers"],
    )
    long_calls = calls.filter(pl.col("duration_s") >= 300, pl.col("caller").is_in(numbers["phone"].implode()))
    hooked = (
        victims.join(long_calls, left_on="phone", right_on="callee")
        .filter(
            pl.col("start_time") < pl.col("first_loss_at"),
            pl.col("first_loss_at") - pl.col("start_time") <= timedelta(hours=12),
        )
        .select("phone")
        .unique()
    )
    assert hooked.height == victims.height


def test_victims_pay_collectors_of_their_ring(fraud_world: World, ring_txns: pl.DataFrame) -> None:
    victims = fraud_world.truth["victims"]
    pays = ring_txns.filter(pl.col("stage") == "victim_payment").join(
        victims.select("account_id", pl.col("ring_id").alias("victim_ring"), "first_loss_at"),
        left_on="src_account",
        right_on="account_id",
        how="left",
    )
    assert pays["victim_ring"].null_count() == 0, "victim payments come from victims' accounts"
    assert (pays["dst_role"] == "collector").all()
    assert (pays["dst_ring"] == pays["victim_ring"]).all()
    assert (pays["ring_id"] == pays["victim_ring"]).all()
    first = pays.filter(pl.col("status") == "success").group_by("src_account").agg(pl.col("ts").min())
    check = first.join(victims, left_on="src_account", right_on="account_id")
    assert (check["ts"] == check["first_loss_at"]).all()
    total = pays.filter(pl.col("status") == "success").group_by("src_account").agg(pl.col("amount").sum())
    check = total.join(victims, left_on="src_account", right_on="account_id")
    assert ((check["amount"] - check["total_loss"]).abs() < 0.01).all()


def test_first_loss_goes_to_a_new_counterparty(fraud_world: World) -> None:
    victims, tx = fraud_world.truth["victims"], fraud_world.tables["transactions"]
    mules = fraud_world.truth["mules"]["account_id"].implode()
    before = victims.join(tx, left_on="account_id", right_on="src_account").filter(
        pl.col("ts") < pl.col("first_loss_at"), pl.col("status") == "success", pl.col("dst_account").is_in(mules)
    )
    assert before.height == 0


def test_money_is_conserved_along_rings(fraud_world: World, fraud_config: SynthConfig, ring_txns: pl.DataFrame) -> None:
    end = fraud_config.start + timedelta(days=fraud_config.days)
    settled_by = end - timedelta(hours=fraud_config.max_flow_hours)
    ok = ring_txns.filter(pl.col("status") == "success")
    last_in = ok.filter(pl.col("stage") == "victim_payment").group_by("ring_id").agg(pl.col("ts").max().alias("last"))
    sums = ok.group_by("ring_id").agg(
        pl.col("amount").filter(pl.col("stage") == "victim_payment").sum().alias("money_in"),
        pl.col("amount").filter(pl.col("stage") == "cashout").sum().alias("cashed_out"),
        pl.len().alias("n"),
    )
    done = sums.join(last_in, on="ring_id").filter(pl.col("last") < settled_by)
    assert done.height >= 10
    lo, hi = fraud_config.fee_range
    kept = 1 - done["cashed_out"] / done["money_in"]
    slack = done["n"] * 0.01 / done["money_in"]  # a cent of rounding per transfer at most
    assert ((kept >= lo - slack - 1e-9) & (kept <= hi + 1e-9)).all(), done.with_columns(kept=kept)


def test_rings_pass_money_on_only_after_receiving_it(ring_txns: pl.DataFrame, fraud_config: SynthConfig) -> None:
    ok = ring_txns.filter(pl.col("status") == "success")
    inflow = (
        ok.filter(pl.col("dst_role").is_not_null()).group_by("dst_account").agg(pl.col("ts").min().alias("first_in"))
    )
    out = ok.filter(pl.col("stage") != "victim_payment").join(
        inflow, left_on="src_account", right_on="dst_account", how="left"
    )
    assert out["first_in"].null_count() == 0, "every mule that pays out was paid in first"
    assert (out["ts"] > out["first_in"]).all()
    # layering stays between mules of one ring; cash-out leaves the ring
    layering = ok.filter(pl.col("stage") == "layering")
    assert (layering["src_ring"] == layering["ring_id"]).all()
    assert (layering["dst_ring"] == layering["ring_id"]).all()
    cash = ok.filter(pl.col("stage") == "cashout")
    assert (cash["src_role"] == "cashout").all() and cash["dst_role"].null_count() == cash.height
    assert set(cash["channel"]) == {"atm", "third_party"}
    # money moves on within the dwell range: the first hop out of a collector is minutes to hours
    lo, hi = fraud_config.dwell_minutes_range
    first_out = (
        ok.filter(pl.col("src_role") == "collector", pl.col("stage") == "layering")
        .group_by("src_account")
        .agg(pl.col("ts").min().alias("first_out"))
    )
    dwell = first_out.join(inflow, left_on="src_account", right_on="dst_account")
    minutes = (dwell["first_out"] - dwell["first_in"]).dt.total_seconds() / 60
    assert (minutes >= lo - 1e-6).all() and minutes.median() < hi


def test_typologies_leave_their_shape(ring_txns: pl.DataFrame, fraud_world: World) -> None:
    ok = ring_txns.filter(pl.col("status") == "success").join(
        fraud_world.truth["rings"].select("ring_id", "typology"), on="ring_id"
    )
    lay = ok.filter(pl.col("stage") == "layering")
    # layered split: many parts just under the threshold
    split = lay.filter(pl.col("typology") == "layered_split")
    assert split.filter(pl.col("amount").is_between(48_000, 49_999.99)).height > 0
    # cycle: money comes back to the collector it entered by
    back = lay.filter(pl.col("typology") == "cycle", pl.col("dst_role") == "collector")
    assert back.height > 0
    # scatter-gather: one account receives from several layer accounts in the same ring
    gather = (
        lay.filter(pl.col("typology") == "scatter_gather", pl.col("src_role") == "layer")
        .group_by("dst_account")
        .agg(pl.col("src_account").n_unique().alias("k"))
    )
    assert gather["k"].max() >= 2
    # fan-in: a collector hears from several victims
    fan_in = (
        ok.filter(pl.col("typology") == "fan_in", pl.col("stage") == "victim_payment")
        .group_by("dst_account")
        .agg(pl.col("src_account").n_unique().alias("k"))
    )
    assert fan_in["k"].max() >= 3


def test_mule_accounts_are_mostly_new_and_share_holders(fraud_world: World, ring_txns: pl.DataFrame) -> None:
    mules = fraud_world.truth["mules"].join(fraud_world.tables["accounts"], on=["account_id", "holder_id"])
    first_use = (
        ring_txns.filter(pl.col("dst_role").is_not_null())
        .group_by("dst_account")
        .agg(pl.col("ts").min().alias("first"))
    )
    age = mules.join(first_use, left_on="account_id", right_on="dst_account")
    assert (age["opened_at"] < age["first"]).all()
    young = ((age["first"] - age["opened_at"]) < timedelta(days=90)).mean()
    assert 0.5 < young < 1.0, "often, not always, recently opened"
    per_holder = mules.group_by("ring_id", "holder_id").len()
    assert per_holder["len"].max() >= 2
    per_phone = mules.drop_nulls("phone").group_by("ring_id", "phone").len()
    assert per_phone["len"].max() >= 2
    roles = set(fraud_world.truth["mules"]["role"])
    assert roles == {"collector", "layer", "cashout"}


def test_fraud_numbers_look_like_fraud(fraud_world: World) -> None:
    numbers, calls, subs = (
        fraud_world.truth["fraud_numbers"],
        fraud_world.tables["calls"],
        fraud_world.tables["subscribers"],
    )
    made = calls.join(numbers, left_on="caller", right_on="phone")
    first_call = made.group_by("caller").agg(
        pl.col("start_time").min().alias("first"), pl.col("callee").n_unique().alias("k")
    )
    check = first_call.join(numbers, left_on="caller", right_on="phone")
    assert (check["activated_at"] < check["first"]).all()
    assert check.height == numbers.height, "every fraud number calls"
    new_sim = ((check["first"] - check["activated_at"]) < timedelta(days=10)).mean()
    assert new_sim > 0.5
    ordinary_k = calls.group_by("caller").agg(pl.col("callee").n_unique().alias("k"))["k"].median()
    assert check["k"].median() > 10 * ordinary_k
    shared = numbers.group_by("imei").len()
    assert shared["len"].max() >= 2
    assert numbers.join(shared, on="imei").filter(pl.col("len") >= 2).height / numbers.height > 0.5
    others = calls.filter(~pl.col("caller").is_in(numbers["phone"].implode()))
    assert made["roaming"].mean() > others["roaming"].mean() * 5
    assert subs.filter(pl.col("phone").is_in(numbers["phone"].implode()))["holder_id"].n_unique() < numbers.height


def test_fraud_spreads_over_the_whole_window(fraud_world: World, fraud_config: SynthConfig) -> None:
    victims = fraud_world.truth["victims"]
    day = (victims["first_loss_at"] - fraud_config.start).dt.total_days()
    third = fraud_config.days / 3
    assert (day < third).sum() > 5 and ((day >= third) & (day < 2 * third)).sum() > 5 and (day >= 2 * third).sum() > 5
    fraud_calls = fraud_world.tables["calls"].filter(
        pl.col("caller").is_in(fraud_world.truth["fraud_numbers"]["phone"].implode())
    )
    assert fraud_calls["start_time"].dt.date().n_unique() >= 0.8 * fraud_config.days


def test_reports_are_late_partial_and_mostly_right(fraud_world: World) -> None:
    victims, reports = fraud_world.truth["victims"], fraud_world.tables["reports"]
    share = victims["reported"].mean()
    assert 0.25 < share < 0.75
    assert reports.height == victims["reported"].sum()
    matched = reports.join(victims, left_on="victim_phone", right_on="phone", how="inner")
    assert matched.height >= 0.85 * reports.height
    assert (matched["reported_at"] > matched["first_loss_at"]).all()
    right_phone = (matched["fraud_phone"] == matched["fraud_phone_right"]).fill_null(False).mean()
    right_acct = (matched["victim_account"] == matched["account_id"]).fill_null(False).mean()
    assert 0.7 < right_phone < 1.0
    assert 0.7 < right_acct < 1.0
    # reported fraud accounts are first-layer mules (collectors) when given correctly
    collectors = fraud_world.truth["mules"].filter(pl.col("role") == "collector")["account_id"].implode()
    assert reports["fraud_account"].drop_nulls().is_in(collectors).mean() > 0.8
    assert sum(reports[c].null_count() for c in ("victim_account", "fraud_phone", "fraud_account")) > 0
