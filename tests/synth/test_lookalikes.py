"""Legitimate look-alikes are present and look suspicious on one signal or another."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from fraudkit.synth import World


@pytest.fixture(scope="module")
def degrees(fraud_world: World) -> pl.DataFrame:
    """Distinct counterparties in and out of every account, with its look-alike label."""
    tx = fraud_world.tables["transactions"]
    out = tx.group_by("src_account").agg(pl.col("dst_account").n_unique().alias("fan_out"))
    inn = tx.group_by("dst_account").agg(pl.col("src_account").n_unique().alias("fan_in"))
    looks = fraud_world.truth["lookalikes"].filter(pl.col("entity_type") == "account")
    return (
        fraud_world.tables["accounts"]
        .join(out, left_on="account_id", right_on="src_account", how="left")
        .join(inn, left_on="account_id", right_on="dst_account", how="left")
        .join(looks.select(pl.col("entity_id").alias("account_id"), "lookalike"), on="account_id", how="left")
        .with_columns(pl.col("fan_in", "fan_out").fill_null(0))
    )


@pytest.fixture(scope="module")
def callers(fraud_world: World) -> pl.DataFrame:
    """Per calling number: calls, distinct callees, short-call share and callback share."""
    calls = fraud_world.tables["calls"]
    pairs = calls.select("caller", "callee").unique()
    back = (
        pairs.join(pairs, left_on=["caller", "callee"], right_on=["callee", "caller"], how="semi")
        .group_by("caller")
        .len()
    )
    looks = fraud_world.truth["lookalikes"].filter(pl.col("entity_type") == "phone")
    return (
        calls.group_by("caller")
        .agg(
            pl.len().alias("n"),
            pl.col("callee").n_unique().alias("distinct"),
            (pl.col("duration_s") < 60).mean().alias("short"),
        )
        .join(back.rename({"len": "called_back"}), on="caller", how="left")
        .with_columns((pl.col("called_back").fill_null(0) / pl.col("distinct")).alias("callback_share"))
        .join(looks.select(pl.col("entity_id").alias("caller"), "lookalike"), on="caller", how="left")
    )


def test_every_kind_of_lookalike_is_present(fraud_world: World) -> None:
    kinds = set(fraud_world.truth["lookalikes"]["lookalike"])
    assert {"merchant", "utility", "payroll", "call_centre", "courier", "phone_changer", "fast_forwarder"} <= kinds
    looks = fraud_world.truth["lookalikes"]
    acc = looks.filter(pl.col("entity_type") == "account")["entity_id"]
    assert acc.is_in(fraud_world.tables["accounts"]["account_id"].implode()).all()
    phones = looks.filter(pl.col("entity_type") == "phone")["entity_id"]
    callers = fraud_world.tables["calls"]["caller"].implode()
    assert phones.is_in(callers).all()
    fraud = set(fraud_world.truth["mules"]["account_id"]) | set(fraud_world.truth["fraud_numbers"]["phone"])
    assert not fraud & set(looks["entity_id"])


def test_merchants_and_utilities_have_big_fan_in(degrees: pl.DataFrame) -> None:
    person = degrees.filter(pl.col("account_type") == "personal", pl.col("lookalike").is_null())["fan_in"].median()
    for kind in ("merchant", "utility"):
        hubs = degrees.filter(pl.col("lookalike") == kind)
        assert hubs["fan_in"].median() > 20 * max(person, 1), kind
    collectors_max = degrees.filter(pl.col("lookalike") == "merchant")["fan_in"].max()
    assert collectors_max > 100


def test_payroll_fans_out_and_passes_money_through(degrees: pl.DataFrame, fraud_world: World) -> None:
    payroll = degrees.filter(pl.col("lookalike") == "payroll", pl.col("fan_out") > 0)
    assert payroll["fan_out"].median() >= 10
    tx = fraud_world.tables["transactions"].filter(pl.col("status") == "success")
    ids = payroll["account_id"].implode()
    money_in = tx.filter(pl.col("dst_account").is_in(ids))["amount"].sum()
    money_out = tx.filter(pl.col("src_account").is_in(ids))["amount"].sum()
    assert 0.85 < money_out / money_in <= 1.0


def test_fast_forwarders_pass_money_on_within_hours(fraud_world: World) -> None:
    tx = fraud_world.tables["transactions"].filter(pl.col("status") == "success")
    ff = fraud_world.truth["lookalikes"].filter(pl.col("lookalike") == "fast_forwarder")["entity_id"]
    inflow = (
        tx.filter(pl.col("dst_account").is_in(ff.implode()))
        .group_by(pl.col("dst_account").alias("acct"))
        .agg(pl.col("amount").sum().alias("in"), pl.col("src_account").n_unique().alias("senders"))
    )
    outflow = (
        tx.filter(pl.col("src_account").is_in(ff.implode()))
        .group_by(pl.col("src_account").alias("acct"))
        .agg(pl.col("amount").sum().alias("out"))
    )
    flow = inflow.join(outflow, on="acct")
    assert flow.height == ff.len()
    assert (flow["out"] / flow["in"]).median() > 0.7
    assert flow["senders"].median() >= 10
    # median time from a customer payment to the next payment out is hours, like a mule's dwell
    ins = tx.filter(pl.col("dst_account").is_in(ff.implode())).select(
        pl.col("dst_account").alias("acct"), pl.col("ts").alias("t_in")
    )
    outs = tx.filter(pl.col("src_account").is_in(ff.implode())).select(
        pl.col("src_account").alias("acct"), pl.col("ts").alias("t_out")
    )
    nxt = (
        ins.sort("acct", "t_in")
        .join_asof(
            outs.sort("acct", "t_out"),
            left_on="t_in",
            right_on="t_out",
            by="acct",
            strategy="forward",
            check_sortedness=False,
        )
        .drop_nulls()
    )
    assert (nxt["t_out"] - nxt["t_in"]).median() < timedelta(hours=12)


def test_couriers_and_call_centres_call_many_strangers_briefly(callers: pl.DataFrame) -> None:
    ordinary = callers.filter(pl.col("lookalike").is_null())
    for kind in ("courier", "call_centre"):
        mass = callers.filter(pl.col("lookalike") == kind)
        assert mass.height > 0, kind
        assert mass["distinct"].median() > 20 * ordinary["distinct"].median(), kind
        assert mass["short"].median() > 0.5, kind
        assert mass["callback_share"].median() < ordinary["callback_share"].median(), kind


def test_call_centre_lines_share_a_holder_and_some_share_a_handset(fraud_world: World) -> None:
    lines = fraud_world.truth["lookalikes"].filter(pl.col("lookalike") == "call_centre")["entity_id"]
    subs = fraud_world.tables["subscribers"].filter(pl.col("phone").is_in(lines.implode()))
    assert subs["holder_id"].n_unique() < subs.height
    assert (subs["plan"] == "enterprise").all()
    imei = (
        fraud_world.tables["calls"]
        .filter(pl.col("caller").is_in(lines.implode()))
        .select("caller", "caller_imei")
        .unique()
    )
    assert imei.group_by("caller_imei").len()["len"].max() >= 2


def test_phone_changers_take_a_new_sim_and_keep_their_contacts(fraud_world: World) -> None:
    new = fraud_world.truth["lookalikes"].filter(pl.col("lookalike") == "phone_changer")["entity_id"]
    subs, calls = fraud_world.tables["subscribers"], fraud_world.tables["calls"]
    sims = subs.filter(
        pl.col("holder_id").is_in(subs.filter(pl.col("phone").is_in(new.implode()))["holder_id"].implode())
    )
    assert sims.group_by("holder_id").len()["len"].min() == 2, "old and new SIM, one holder"
    start = calls["start_time"].min()
    assert (subs.filter(pl.col("phone").is_in(new.implode()))["activated_at"] > start - timedelta(days=1)).all()
    # the new number calls people the old number called: same person, new SIM
    old = sims.filter(~pl.col("phone").is_in(new.implode())).select("holder_id", pl.col("phone").alias("old"))
    pairs = (
        sims.filter(pl.col("phone").is_in(new.implode()))
        .select("holder_id", pl.col("phone").alias("new"))
        .join(old, on="holder_id")
    )
    talked = pl.concat(
        [
            calls.select(pl.col("caller").alias("sim"), pl.col("callee").alias("other")),
            calls.select(pl.col("callee").alias("sim"), pl.col("caller").alias("other")),
        ]
    ).unique()
    old_contacts = talked.join(pairs, left_on="sim", right_on="old").select("holder_id", "other")
    new_contacts = talked.join(pairs, left_on="sim", right_on="new").select("holder_id", "other")
    overlap = new_contacts.join(old_contacts, on=["holder_id", "other"], how="semi")
    assert overlap.height / new_contacts.height > 0.15


def test_big_purchases_look_like_victims(fraud_world: World) -> None:
    buyers = fraud_world.truth["lookalikes"].filter(pl.col("lookalike") == "big_purchase")["entity_id"]
    calls, tx, acc = fraud_world.tables["calls"], fraud_world.tables["transactions"], fraud_world.tables["accounts"]
    holder = (
        fraud_world.tables["subscribers"].filter(pl.col("phone").is_in(buyers.implode())).select("phone", "holder_id")
    )
    long_call = (
        calls.filter(pl.col("callee").is_in(buyers.implode()), pl.col("duration_s") >= 300)
        .select("callee", pl.col("start_time").alias("called"))
        .join(holder, left_on="callee", right_on="phone")
    )
    paid = (
        tx.join(acc.select("account_id", "holder_id"), left_on="src_account", right_on="account_id")
        .join(long_call, on="holder_id")
        .filter(
            pl.col("amount") >= 1_000,
            pl.col("ts") > pl.col("called"),
            pl.col("ts") - pl.col("called") < timedelta(hours=24),
        )
    )
    assert long_call["callee"].n_unique() == buyers.len()
    assert paid["holder_id"].n_unique() == buyers.len()
    assert not paid["dst_account"].is_in(fraud_world.truth["mules"]["account_id"].implode()).any()
