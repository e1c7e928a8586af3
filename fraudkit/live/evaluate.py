"""``fraudkit eval watch``: what a team working the alerts table would have achieved, against the truth.

The team works the product's own queue. Its calls are the watch configuration's team by hour
of day (``WatchConfig.team``: the configured shifts, or ``calls_per_day`` shaped by the
champion's training victims), spread evenly within each hour. At each call slot it takes the
first open alert in the work queue's call order (``live.alerts.queue``: urgent, channel,
score) as the queue stood then: only alerts already created (at the tick time, when the
system could know), urgent only if escalated by then, not older than ``stale_after``, one
call per person a day. Victims of the replayed span (first transfer in it) count as warned
when called before that transfer. Beside it, the daily midnight list (``fraudkit warn`` at
00:00) called in rank order at the same slots, for comparison.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from fraudkit.errors import NotReadyError
from fraudkit.live.alerts import QUEUED, queue
from fraudkit.model.labels import read_truth, victims_from_truth
from fraudkit.model.registry import LoadedModel

c = pl.col

TIER_CHANNEL = {"red": "call_now", "orange": "call_queue", "yellow": "sms"}
"""Where routing sends a tier (``live.routing.route``), before any overflow or escalation."""
CALLS = {"phone": pl.String, "alert_id": pl.String, "called_at": pl.Datetime("us"), "score": pl.Float64}


def team_slots(start: datetime, end: datetime, profile: tuple[int, ...]) -> list[datetime]:
    """The moments in [start, end) the team is free to call: ``profile[h]`` evenly within each hour h."""
    slots: list[datetime] = []
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        n = profile[hour.hour]
        slots += [s for k in range(n) if start <= (s := hour + timedelta(hours=k / n)) < end]
        hour += timedelta(hours=1)
    return slots


def team_calls(alerts: pl.DataFrame, slots: list[datetime], *, stale_after: timedelta) -> pl.DataFrame:
    """The calls the team makes off the work queue, one per slot (see the module docstring).

    ``alerts`` may hold several rows of one alert (its merged contacts, each from its own tick
    with its own score): the alert is on the queue as its best row created by then, and a
    call takes it off whole."""
    frame = (
        alerts.select(QUEUED).with_columns(pl.lit("new").alias("status")).sort("created_at", "alert_id")
    )  # a team from scratch
    calls: list[tuple[str, str, datetime, float]] = []
    called: set[str] = set()
    called_on: dict[str, Any] = {}
    for slot in slots:
        open_ = frame.filter(
            (c("created_at") <= slot) & (c("created_at") >= slot - stale_after) & ~c("alert_id").is_in(called)
        )
        if open_.is_empty():
            continue
        today = slot.date()
        busy = [p for p, day in called_on.items() if day == today]
        asof = open_.with_columns(
            (c("urgent") & c("urgent_at").is_not_null() & (c("urgent_at") <= slot)).alias("urgent"),
            # escalated later: back to the channel its tier was routed to (overflow to SMS aside)
            pl.when(c("urgent") & (c("urgent_at") > slot))
            .then(pl.col("tier").replace_strict(TIER_CHANNEL, default="sms"))
            .otherwise(c("channel"))
            .alias("channel"),
        ).filter(~c("phone").is_in(busy))
        head = queue(asof).head(1)
        if head.is_empty():
            continue
        row = head.row(0, named=True)
        called.add(row["alert_id"])
        called_on[row["phone"]] = today
        calls.append((row["phone"], row["alert_id"], slot, row["score"]))
    return pl.DataFrame(calls, schema=CALLS, orient="row")


def warned_figures(victims: pl.DataFrame, calls: pl.DataFrame) -> dict[str, float]:
    """Victims called before their first transfer, their median lead and the share of loss stoppable."""
    warned = (
        victims.join(calls.select("phone", "called_at"), on="phone", how="inner")
        .filter(c("called_at") < c("first_loss_at"))
        .group_by("phone")
        .agg(c("called_at").min(), c("first_loss_at").first(), c("loss").first())
        .with_columns(((c("first_loss_at") - c("called_at")).dt.total_seconds() / 60.0).alias("lead_minutes"))
        .sort("phone")  # sums in a fixed order: the same data gives the same figures to the last bit
    )
    total = float(victims["loss"].sum() or 0.0)
    return {
        "victims": float(victims.height),
        "warned_victims": float(warned.height),
        "warned_share": warned.height / victims.height if victims.height else math.nan,
        "median_lead_minutes": float(warned["lead_minutes"].median()) if warned.height else math.nan,
        "loss_stopped_share": float(warned["loss"].sum() or 0.0) / total if total else math.nan,
    }


def _victims(truth: dict[str, pl.DataFrame], start: datetime, end: datetime) -> pl.DataFrame:
    return victims_from_truth(truth, end).filter(c("first_loss_at") >= start)


def evaluate_alerts(
    alerts: pl.DataFrame,
    truth_dir: Path,
    *,
    profile: tuple[int, ...],
    contacts: pl.DataFrame | None = None,
    stale_after: timedelta = timedelta(hours=24),
) -> dict[str, float]:
    """The interception figures of the alerts table, the team calling ``profile[h]`` an hour (see the
    module). ``contacts`` (``live.alerts.contacts_frame``): what the queue held when, an alert's
    merged contacts each at its own tick and score; without it, each alert as first written."""
    if alerts.is_empty():
        raise NotReadyError("the alerts table is empty", hint="run `fraudkit watch --replay --from ... --to ...` first")
    truth = read_truth(truth_dir, "victim")
    numbers = truth["fraud_numbers"]["phone"].cast(pl.String).implode()
    start = alerts["created_at"].min().replace(hour=0, minute=0, second=0, microsecond=0)
    end = alerts["created_at"].max()
    queued = alerts if contacts is None else contacts
    calls = team_calls(queued, team_slots(start, end, profile), stale_after=stale_after)
    hooked = alerts.select(c("alert_id"), c("suspect_number").is_in(numbers).cast(pl.Float64).alias("hooked"))
    made = calls.join(hooked, on="alert_id", how="left")
    days = max((end - start).total_seconds() / 86_400.0, 1.0)
    red = alerts["tier"] == "red"
    is_hooked = hooked["hooked"]
    return warned_figures(_victims(truth, start, end), calls) | {
        "calls_per_day": calls.height / days,
        "call_precision": float(made["hooked"].mean() or 0.0) if made.height else math.nan,
        "alerts": float(alerts.height),
        "alerts_per_day": alerts.height / days,
        "alerts_reaching_hooked": float(is_hooked.mean() or 0.0),
        "red_alerts": float(red.sum()),
        "red_precision": float(is_hooked.filter(red).mean()) if red.any() else math.nan,
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
    profile: tuple[int, ...],
) -> dict[str, float]:
    """The same figures for the midnight list: each day's ``warn`` at 00:00, as long as the day has
    call slots, called in rank order at the team's slots, against the victims whose first
    transfer fell in [start, end)."""
    from fraudkit.errors import NotReadyError as Nothing
    from fraudkit.warn import warning_list

    truth = read_truth(truth_dir, "victim")
    calls = []
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        slots = team_slots(day, min(day + timedelta(days=1), end), profile)
        try:
            listed = warning_list(con, model, as_of=day, top=max(len(slots), 1)).frame
        except Nothing:
            listed = pl.DataFrame(schema={"rank": pl.Int32, "phone": pl.String})
        phones = listed.sort("rank")["phone"].cast(pl.String).to_list()[: len(slots)]
        calls.append(
            pl.DataFrame(
                {"phone": phones, "called_at": slots[: len(phones)]},
                schema={"phone": pl.String, "called_at": pl.Datetime("us")},
            )
        )
        day += timedelta(days=1)
    made = pl.concat(calls)
    days = max((end - start).total_seconds() / 86_400.0, 1.0)
    return warned_figures(_victims(truth, start, end), made) | {"calls_per_day": made.height / days}


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
        ("call_precision", "calls reaching a person being defrauded"),
        ("alerts_per_day", "alerts per day"),
        ("alerts_reaching_hooked", "alerts reaching a person being defrauded"),
        ("red_precision", "precision of red"),
        ("urgent_alerts", "urgent (bank) alerts"),
    ]
    m = midnight or {}
    return [(label, fmt(k, live.get(k)), fmt(k, m.get(k)) if k in m else "-") for k, label in keys]
