"""One tick of the loop, the same code live and in replay: only the clock and the source differ.

A tick at time ``at`` knows the records that ended before its ``horizon`` (live: what has been
ingested, ``at`` itself; replay: ``at`` minus the delivery delay). It scores with the champion
every contact that ended in [watermark - late_within, horizon), writes an alert for each
scoring at least the yellow threshold (routed to a channel; merged into the person's open
alert if there is one, ``live.alerts``), escalates open alerts whose
person paid a suspect account, copies the work queue's outcomes into the store, puts back in
the queue the alerts whose person was unreachable ``retry_after`` ago, and moves the
watermark to the horizon last: a tick cut short is done again whole, and adds nothing twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from fraudkit.live import alerts as ops_alerts
from fraudkit.live.config import WatchConfig
from fraudkit.live.escalation import escalate, request_count, suspect_payments, write_bank_list
from fraudkit.live.routing import route
from fraudkit.live.state import live_contacts, read_watermark, tick_numbers, write_watermark
from fraudkit.model.params import ContactParams, contact_params_from_dict
from fraudkit.model.ranking import rank
from fraudkit.model.registry import LoadedModel
from fraudkit.progress import SILENT
from fraudkit.runner import StepResult, run_steps
from fraudkit.warn.listing import Tiers
from fraudkit.warn.reasons import reason_columns

c = pl.col


@dataclass
class Scorer:
    """The champion and the thresholds a loop alerts with, resolved once at start."""

    model: LoadedModel
    params: ContactParams
    red: float
    orange: float
    yellow: float
    team: tuple[int, ...]
    """Calls the team makes by hour of day (``WatchConfig.team``), which sizes the call queue."""

    @classmethod
    def of(cls, model: LoadedModel, config: WatchConfig) -> Scorer:
        red, orange, yellow = config.tiers.resolve(model.thresholds)
        params = contact_params_from_dict(model.meta.get("contacts"))
        return cls(model, params, red, orange, yellow, config.team(model.meta))

    def tier(self, score: pl.Expr) -> pl.Expr:
        return Tiers(red=self.red, orange=self.orange).expr(score)


@dataclass
class TickReport:
    """What one tick did, in figures only (no personal data: this is what gets logged)."""

    at: datetime
    horizon: datetime
    records_in: int
    contacts: int
    alerts_out: int
    merged: int
    urgent: int
    outcomes: int
    seconds: float

    def log_line(self) -> str:
        return (
            f"tick {self.at:%Y-%m-%d %H:%M:%S} records_in={self.records_in} contacts={self.contacts} "
            f"alerts_out={self.alerts_out} merged={self.merged} urgent={self.urgent} outcomes={self.outcomes} "
            f"seconds={self.seconds:.2f}"
        )


def new_alerts(scored: pl.DataFrame, scorer: Scorer, engine: Any, at: datetime, config: WatchConfig) -> list[dict]:
    """Alert rows for the scored contacts at or above yellow that have no alert yet, routed."""
    above = scored.filter(c("score") >= scorer.yellow)
    if above.is_empty():
        return []
    seen = ops_alerts.already_alerted(engine, above["contact_id"].to_list())
    fresh = above.filter(~c("contact_id").is_in(list(seen)))
    if fresh.is_empty():
        return []
    reasons = reason_columns(scorer.model.booster, fresh, scorer.model.features)
    rows = pl.concat([fresh, reasons], how="horizontal").with_columns(scorer.tier(c("score")).alias("tier"))
    waiting = ops_alerts.waiting_calls(engine, at, config.call_within)
    routed = route(rows, now=at, waiting_calls=waiting, config=config, team=scorer.team)
    return [
        {
            "alert_id": ops_alerts.alert_id(r["contact_id"]),
            "contact_id": r["contact_id"],
            "created_at": at,
            "phone": r["callee"],
            "score": float(r["score"]),
            "tier": r["tier"],
            "channel": r["channel"],
            "reason_1": r["reason_1"],
            "reason_2": r["reason_2"],
            "reason_3": r["reason_3"],
            "suspect_number": r["caller"],
            "contact_start": r["contact_start"],
            "contact_end": r["scored_at"],
            "model_version": scorer.model.version,
            "status": "new",
            "urgent": False,
        }
        for r in routed.iter_rows(named=True)
    ]


def run_tick(
    con: duckdb.DuckDBPyConnection,
    engine: Any,
    scorer: Scorer,
    config: WatchConfig,
    *,
    loop: str,
    at: datetime,
    horizon: datetime,
    late_within: timedelta,
    records_in: int = 0,
    bank_dir: Path | None = None,
    fresh: bool = True,
    lake: Any = None,
) -> TickReport:
    """Score, alert, escalate and export for one tick; see the module docstring.

    Nothing to score (no call ended in the window) skips the features and the model: an idle
    tick costs a few queries. ``fresh=False`` (live: no file ingested since the last tick, by
    anyone) also skips escalation when no alert was written, since no transfer can have arrived.
    """
    started = time.perf_counter()
    mark = read_watermark(con, loop)
    since = min(mark if mark is not None else horizon - config.every, horizon) - late_within

    def score() -> StepResult:
        numbers = tick_numbers(con, since, horizon, scorer.params)
        written, merged, n_contacts = 0, 0, 0
        if numbers.len():
            contacts, _ = live_contacts(con, since, horizon, scorer.params, numbers)
            n_contacts = contacts.height
            if contacts.height:
                scored = rank(contacts.with_columns(scorer.model.score(contacts)), "victim")  # ties: latest first
                written, merged = ops_alerts.write_alerts(engine, new_alerts(scored, scorer, engine, at, config))
        return StepResult("score", facts={"contacts": n_contacts, "alerts_out": written, "merged": merged})

    def escalate_paid() -> StepResult:
        urgent = 0
        scored_now = next(step for step in steps if step.name == "score")  # ran before this step
        if fresh or scored_now.facts["alerts_out"]:
            # urgent alerts stay watched: each later suspect transfer is one more request to the bank
            watched = ops_alerts.alerts_frame(engine, since=at - config.open_for, open_only=True)
            payments = suspect_payments(con, watched, horizon, config)
            if not payments.is_empty():
                requested = request_count(engine)
                urgent = escalate(engine, payments, at)
                if bank_dir is not None and request_count(engine) > requested:
                    write_bank_list(engine, bank_dir, at)
        return StepResult("escalate", facts={"urgent": urgent})

    def outcomes() -> StepResult:
        exported = ops_alerts.export_outcomes(engine, con, at, lake=lake)
        ops_alerts.retry_unreachable(engine, at, after=config.retry_after, attempts=config.attempts)
        return StepResult("outcomes", facts={"outcomes": exported})

    steps: list[StepResult] = []
    run_steps([("score", score), ("escalate", escalate_paid), ("outcomes", outcomes)], SILENT, done=steps)
    write_watermark(con, loop, horizon, at)  # last: a tick cut short is done again whole
    facts = {name: value for step in steps for name, value in step.facts.items()}
    return TickReport(
        at=at,
        horizon=horizon,
        records_in=records_in,
        contacts=facts["contacts"],
        alerts_out=facts["alerts_out"],
        merged=facts["merged"],
        urgent=facts["urgent"],
        outcomes=facts["outcomes"],
        seconds=time.perf_counter() - started,
    )
