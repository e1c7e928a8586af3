"""Tiers to channels, with the call queue sized to the team: what cannot be called in time goes to SMS."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from fraudkit.live.config import WatchConfig

c = pl.col


def call_slots(start: datetime, span: timedelta, calls_per_hour: tuple[int, ...]) -> float:
    """Calls the team can make in [start, start + span), hour by hour of the configured capacity."""
    total, at, end = 0.0, start, start + span
    while at < end:
        next_hour = at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        step = min(next_hour, end) - at
        total += calls_per_hour[at.hour] * step.total_seconds() / 3600.0
        at += step
    return total


def route(
    alerts: pl.DataFrame, *, now: datetime, waiting_calls: int, config: WatchConfig, team: tuple[int, ...]
) -> pl.DataFrame:
    """``alerts`` (tier, score) with a ``channel``: red to call_now, orange to call_queue while the
    queue (``waiting_calls`` already in it, red ahead) can still be called within ``call_within``,
    the rest of orange and all yellow to sms. ``team``: calls by hour of day (``WatchConfig.team``)."""
    room = call_slots(now, config.call_within, team) - waiting_calls
    ranked = alerts.with_columns(
        pl.when(c("tier") == "red").then(0).when(c("tier") == "orange").then(1).otherwise(2).alias("_order")
    ).sort(["_order", "score"], descending=[False, True], maintain_order=True)
    position = pl.int_range(0, pl.len()).alias("_position")
    return (
        ranked.with_columns(position)
        .with_columns(
            pl.when(c("tier") == "red")
            .then(pl.lit("call_now"))
            .when((c("tier") == "orange") & (c("_position") < room))
            .then(pl.lit("call_queue"))
            .otherwise(pl.lit("sms"))
            .alias("channel")
        )
        .drop("_order", "_position")
    )
