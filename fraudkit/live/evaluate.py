"""``fraudkit eval watch``: what a team working the alerts table would have achieved, against the truth.

A team making ``calls_per_day`` calls (one slot every 24 h / N) calls, whenever a slot is
free, the most urgent open alert: the highest score among the alerts already created (at the
tick time: when the system could know), not older than ``stale_after``, one call per person a
day; this is ``model.metrics.replay_calls`` over the alerts instead of over contacts. Victims
of the replayed span (first transfer in it) count as warned when called before that transfer.
Beside it, the daily midnight list (``fraudkit warn`` at 00:00, top N) called in rank order
over the day, for comparison.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from fraudkit.errors import NotReadyError
from fraudkit.model.labels import read_truth, victims_from_truth
from fraudkit.model.metrics import interception
from fraudkit.model.registry import LoadedModel

c = pl.col


def _victims(truth: dict[str, pl.DataFrame], start: datetime, end: datetime) -> pl.DataFrame:
    return victims_from_truth(truth, end).filter(c("first_loss_at") >= start)


def evaluate_alerts(
    alerts: pl.DataFrame, truth_dir: Path, *, calls_per_day: int, stale_after: timedelta = timedelta(hours=24)
) -> dict[str, float]:
    """The interception figures of the alerts table (see the module docstring)."""
    if alerts.is_empty():
        raise NotReadyError("the alerts table is empty", hint="run `fraudkit watch --replay --from ... --to ...` first")
    truth = read_truth(truth_dir, "victim")
    numbers = truth["fraud_numbers"]["phone"].cast(pl.String).implode()
    start = alerts["created_at"].min().replace(hour=0, minute=0, second=0, microsecond=0)
    end = alerts["created_at"].max()
    victims = _victims(truth, start, end)
    scored = alerts.select(
        c("phone").alias("callee"),
        c("contact_id"),
        c("created_at").alias("scored_at"),
        c("created_at").dt.date().alias("day"),
        c("score"),
        c("suspect_number").is_in(numbers).cast(pl.Int8).alias("label"),
    )
    out = interception(scored, victims, threshold=-math.inf, capacity=calls_per_day, horizon=stale_after)
    days = max((end - start).total_seconds() / 86_400.0, 1.0)
    hooked = scored["label"].cast(pl.Float64)
    red = alerts["tier"] == "red"
    return out | {
        "alerts": float(alerts.height),
        "alerts_per_day": alerts.height / days,
        "alerts_reaching_hooked": float(hooked.mean() or 0.0),
        "red_alerts": float(red.sum()),
        "red_precision": float(hooked.filter(red).mean()) if red.any() else math.nan,
        "urgent_alerts": float(alerts["urgent"].sum()),
        "days": days,
    }


def evaluate_midnight(
    con: duckdb.DuckDBPyConnection,
    model: LoadedModel,
    truth_dir: Path,
    *,
    start: datetime,
    end: datetime,
    calls_per_day: int,
) -> dict[str, float]:
    """The same figures for the midnight list: each day's ``warn --top N`` at 00:00, called in rank
    order, one call every 24 h / N, against the victims whose first transfer fell in [start, end)."""
    from fraudkit.errors import NotReadyError as Nothing
    from fraudkit.warn import warning_list

    truth = read_truth(truth_dir, "victim")
    victims = _victims(truth, start, end)
    gap = timedelta(days=1) / calls_per_day
    calls = []
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        try:
            listed = warning_list(con, model, as_of=day, top=calls_per_day).frame
        except Nothing:
            listed = pl.DataFrame(schema={"rank": pl.Int32, "phone": pl.String})
        calls.append(
            listed.select(
                c("phone"),
                (pl.lit(day) + pl.duration(seconds=(c("rank") - 1) * gap.total_seconds())).alias("called_at"),
            )
        )
        day += timedelta(days=1)
    made = pl.concat(calls)
    warned = (
        victims.join(made, on="phone", how="inner")
        .filter(c("called_at") < c("first_loss_at"))
        .group_by("phone")
        .agg(c("called_at").min(), c("first_loss_at").first(), c("loss").first())
        .with_columns(((c("first_loss_at") - c("called_at")).dt.total_seconds() / 60.0).alias("lead_minutes"))
        .sort("phone")
    )
    total = float(victims["loss"].sum() or 0.0)
    return {
        "victims": float(victims.height),
        "warned_victims": float(warned.height),
        "warned_share": warned.height / victims.height if victims.height else math.nan,
        "median_lead_minutes": float(warned["lead_minutes"].median()) if warned.height else math.nan,
        "loss_stopped_share": float(warned["loss"].sum() or 0.0) / total if total else math.nan,
        "calls_per_day": made.height / max((end - start).total_seconds() / 86_400.0, 1.0),
    }


def report_rows(live: dict[str, float], midnight: dict[str, float] | None) -> list[tuple[str, str, str]]:
    """(measure, live loop, midnight list) rows for the terminal."""

    def fmt(key: str, value: Any) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "-"
        if key.endswith("share") or key in ("alerts_reaching_hooked", "red_precision", "call_precision"):
            return f"{value:.1%}"
        return f"{value:,.1f}" if key.endswith("minutes") or key.endswith("per_day") else f"{value:,.0f}"

    keys = [
        ("victims", "victims (first transfer in the span)"),
        ("warned_victims", "warned before their first transfer"),
        ("warned_share", "share warned before first transfer"),
        ("median_lead_minutes", "median lead time (min)"),
        ("loss_stopped_share", "share of loss that could be stopped"),
        ("calls_per_day", "calls made per day"),
        ("alerts_per_day", "alerts per day"),
        ("alerts_reaching_hooked", "alerts reaching a person being defrauded"),
        ("red_precision", "precision of red"),
        ("urgent_alerts", "urgent (bank) alerts"),
    ]
    m = midnight or {}
    return [(label, fmt(k, live.get(k)), fmt(k, m.get(k)) if k in m else "-") for k, label in keys]
