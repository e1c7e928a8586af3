"""Who pays is who the fraudster keeps engaged: conversion rises with the hook call's length,
at the configured rate overall, with hard negatives left on both sides."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl
import pytest

from fraudkit.errors import ConfigError
from fraudkit.synth import SynthConfig, World
from fraudkit.synth.fraud import conversion_probability

c = pl.col
HOOK_S = 400
"""Cold calls that merely got talked through run to 400 s; longer ones from a fraud number are hooks."""


def hooked_targets(world: World) -> pl.DataFrame:
    """Per banked target (no look-alike), the first long call from a fraud number, and whether
    they paid that number's operation: read back from the tables and the truth alone.

    Hooks in the last day are left out (their payments may fall after the window)."""
    cfg = world.config
    calls, subs, accounts = world.tables["calls"], world.tables["subscribers"], world.tables["accounts"]
    numbers, victims, looks = world.truth["fraud_numbers"], world.truth["victims"], world.truth["lookalikes"]
    banked = subs.join(accounts.select("holder_id").unique(), on="holder_id", how="semi")["phone"]
    paid = victims.select(c("phone").alias("callee"), c("fraud_phone").alias("caller"), pl.lit(1).alias("paid"))
    return (
        calls.filter(c("caller").is_in(numbers["phone"].implode()), c("duration_s") > HOOK_S)
        .sort("start_time", "caller")
        .group_by("callee", maintain_order=True)
        .first()
        .filter(
            c("callee").is_in(banked.implode()),
            ~c("callee").is_in(looks["entity_id"].implode()),
            c("start_time") < cfg.start + timedelta(days=cfg.days - 1),
        )
        .join(paid, on=["callee", "caller"], how="left")
        .with_columns(c("paid").fill_null(0))
    )


@pytest.fixture(scope="module")
def hooked(fraud_world: World) -> pl.DataFrame:
    return hooked_targets(fraud_world)


def test_the_longer_the_hook_the_likelier_the_payment(hooked: pl.DataFrame) -> None:
    assert hooked.height > 300
    q1, q3 = hooked["duration_s"].quantile(0.25), hooked["duration_s"].quantile(0.75)
    bottom = hooked.filter(c("duration_s") <= q1)["paid"].mean()
    top = hooked.filter(c("duration_s") >= q3)["paid"].mean()
    assert top > bottom + 0.3, (bottom, top)


def test_the_overall_conversion_rate_stays_the_configured_one(hooked: pl.DataFrame, fraud_world: World) -> None:
    assert hooked["paid"].mean() == pytest.approx(fraud_world.config.victim_conversion_rate, abs=0.06)


def test_hard_negatives_on_both_sides(hooked: pl.DataFrame) -> None:
    """Some of the longest hooks end in nothing; some victims were hooked by an ordinary-length call."""
    q3, median = hooked["duration_s"].quantile(0.75), hooked["duration_s"].median()
    assert hooked.filter(c("duration_s") >= q3, c("paid") == 0).height >= 10
    assert hooked.filter(c("duration_s") < median, c("paid") == 1).height >= 50


def test_the_alt_world_ties_payment_to_the_call_more_loosely(hooked: pl.DataFrame, alt_world: World) -> None:
    def spread(frame: pl.DataFrame) -> float:
        q1, q3 = frame["duration_s"].quantile(0.25), frame["duration_s"].quantile(0.75)
        return frame.filter(c("duration_s") >= q3)["paid"].mean() - frame.filter(c("duration_s") <= q1)["paid"].mean()

    alt = hooked_targets(alt_world)
    assert alt["paid"].mean() == pytest.approx(alt_world.config.victim_conversion_rate, abs=0.06)
    assert 0.1 < spread(alt) < spread(hooked)


def test_many_victims_are_rung_again_before_their_first_transfer(fraud_world: World) -> None:
    """The second call (same number or a colleague's) happens, and ends, before the first transfer."""
    calls, victims = fraud_world.tables["calls"], fraud_world.truth["victims"]
    ops = fraud_world.truth["fraud_numbers"].select(c("phone").alias("caller"), "operation_id")
    hook_end = (
        victims.join(calls, left_on=["phone", "fraud_phone"], right_on=["callee", "caller"], how="inner")
        .filter(c("duration_s") > HOOK_S)  # the hook: the first long call from the fraud number
        .sort("start_time")
        .group_by("phone")
        .first()
        .select(
            c("phone").alias("callee"),
            "operation_id",
            "first_loss_at",
            (c("start_time") + pl.duration(seconds=c("duration_s"))).alias("hook_end"),
        )
    )
    between = (
        calls.join(ops, on="caller")
        .join(hook_end, on=["callee", "operation_id"])
        .filter(c("start_time") > c("hook_end"), c("start_time") < c("first_loss_at"), c("duration_s") >= 60)
    )
    rung = between["callee"].n_unique() / victims.height
    assert 0.3 < rung < 0.9, rung
    ended = between.filter(c("start_time") + pl.duration(seconds=c("duration_s")) < c("first_loss_at"))
    assert ended.height / between.height > 0.9, ended.height / between.height


def test_conversion_probability_averages_the_rate_and_rises_with_length() -> None:
    rng = np.random.default_rng(0)
    durations = np.clip(1_500 * np.exp(0.6 * rng.standard_normal(5_000)), 300, 7_200)
    p = conversion_probability(durations, 0.6, 1.5)
    assert p.mean() == pytest.approx(0.6, abs=1e-9)
    order = np.argsort(durations)
    assert (np.diff(p[order]) >= 0).all() and p.min() < 0.2 and p.max() > 0.9
    assert (conversion_probability(durations, 0.6, 0.0) == 0.6).all()
    assert conversion_probability(durations[:0], 0.6, 1.5).shape == (0,)


def test_engagement_settings_are_validated() -> None:
    assert SynthConfig(victim_engagement_effect=0.0).victim_engagement_effect == 0.0
    with pytest.raises(ConfigError, match="victim_engagement_effect"):
        SynthConfig(victim_engagement_effect=-1.0)
    with pytest.raises(ConfigError, match="victim_second_call_rate"):
        SynthConfig(victim_second_call_rate=1.5)
    with pytest.raises(ConfigError, match="hooked_retry_rate"):
        SynthConfig(hooked_retry_rate=-0.1)
    alt, default = SynthConfig.preset("alt"), SynthConfig.preset("default")
    assert alt.victim_engagement_effect < default.victim_engagement_effect
