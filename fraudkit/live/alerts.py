"""Alerts in the operational store: written once per contact, read back as the queue, outcomes exported.

An alert's id is derived from its contact, and ``contact_id`` is unique, so writing the same
contact again (a loop restarted after a kill, a contact looked at again for late files) adds
nothing: the first write, with the tick at which the system could first know, stands.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import duckdb
import polars as pl

from fraudkit.ops.schema import CHANNEL_RANK, alerts, outcomes

c = pl.col


def alert_id(contact_id: str) -> str:
    """A stable id per contact (no personal data in it)."""
    return "A" + hashlib.sha256(contact_id.encode("utf-8")).hexdigest()[:20]


def already_alerted(engine: Any, contact_ids: list[str]) -> set[str]:
    """The contacts among ``contact_ids`` that have an alert."""
    from sqlalchemy import select

    found: set[str] = set()
    with engine.connect() as conn:
        for i in range(0, len(contact_ids), 500):
            chunk = contact_ids[i : i + 500]
            found |= set(conn.execute(select(alerts.c.contact_id).where(alerts.c.contact_id.in_(chunk))).scalars())
    return found


def insert_alerts(engine: Any, rows: list[dict[str, Any]]) -> int:
    """Insert alerts, skipping contacts alerted already (by the unique contact_id); returns how many were new."""
    if not rows:
        return 0
    seen = already_alerted(engine, [r["contact_id"] for r in rows])  # once: not once per row
    new = [r for r in rows if r["contact_id"] not in seen]
    if not new:
        return 0
    with engine.begin() as conn:
        conn.execute(_insert_ignore(engine, alerts, ["contact_id"]), new)
    return len(new)


def _insert_ignore(engine: Any, table: Any, keys: list[str]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING in the engine's dialect (SQLite or PostgreSQL)."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing(index_elements=keys)


def waiting_calls(engine: Any, now: datetime, within: timedelta) -> int:
    """Alerts routed to a call that nobody has taken yet, younger than ``within``."""
    from sqlalchemy import func, select

    query = select(func.count()).where(
        alerts.c.status == "new",
        alerts.c.channel.in_(["call_now", "call_queue"]),
        alerts.c.created_at >= now - within,
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def alerts_frame(engine: Any, *, since: datetime | None = None, open_only: bool = False) -> pl.DataFrame:
    """The alerts table (full values: mask before showing), optionally cut to open ones created since ``since``."""
    from sqlalchemy import select

    query = select(alerts)
    if since is not None:
        query = query.where(alerts.c.created_at >= since)
    if open_only:
        query = query.where(alerts.c.status != "closed")
    with engine.connect() as conn:
        result = conn.execute(query)
        data = [dict(r._mapping) for r in result]
    schema = {col.name: _polars_type(col) for col in alerts.columns}
    return pl.DataFrame(data, schema=schema, orient="row") if data else pl.DataFrame(schema=schema)


def _polars_type(col: Any) -> Any:
    name = type(col.type).__name__
    return {"DateTime": pl.Datetime("us"), "Float": pl.Float64, "Boolean": pl.Boolean, "Integer": pl.Int64}.get(
        name, pl.String
    )


def queue(frame: pl.DataFrame) -> pl.DataFrame:
    """Open alerts in the order the work queue calls them (``ops.schema.CALL_ORDER``): urgent first,
    then by channel rank, then score, then the oldest."""
    return (
        frame.filter(c("status") != "closed")
        .with_columns(c("channel").replace_strict(CHANNEL_RANK, default=len(CHANNEL_RANK)).alias("_order"))
        .sort(["urgent", "_order", "score", "created_at", "alert_id"], descending=[True, False, True, False, False])
        .drop("_order")
    )


def export_outcomes(engine: Any, con: duckdb.DuckDBPyConnection, now: datetime) -> int:
    """Copy outcomes recorded in the work queue into the DuckDB ``outcomes`` table (labels for
    ``train`` and ``warn``), then mark them exported; a copy interrupted halfway is finished next
    time without doubling rows (the table's key is phone and contacted_at)."""
    from fraudkit.ops.queue import mark_exported, pending_outcomes

    pending = pending_outcomes(engine)
    if not pending:
        return 0
    fresh = pl.DataFrame(
        [(o.phone, o.contacted_at, o.result, o.note) for o in pending],
        schema={"phone": pl.String, "contacted_at": pl.Datetime("us"), "result": pl.String, "note": pl.String},
        orient="row",
    ).unique(["phone", "contacted_at"], keep="last")
    con.register("live_outcomes", fresh)
    try:
        con.execute(
            "INSERT INTO outcomes (phone, contacted_at, result, note) SELECT n.phone, n.contacted_at, n.result, n.note "
            "FROM live_outcomes n ANTI JOIN outcomes o ON o.phone = n.phone AND o.contacted_at = n.contacted_at"
        )
    finally:
        con.unregister("live_outcomes")
    mark_exported(engine, [o.outcome_id for o in pending], now)
    return len(pending)


def retry_unreachable(engine: Any, now: datetime, *, after: timedelta, attempts: int) -> int:
    """Put back in the queue the alerts whose last call found nobody (``unreachable``) at least
    ``after`` ago, while they have had fewer than ``attempts`` calls; returns how many."""
    from sqlalchemy import and_, func, select, update

    tries = select(func.count()).where(outcomes.c.alert_id == alerts.c.alert_id).correlate(alerts).scalar_subquery()
    last = (
        select(outcomes.c.result)
        .where(outcomes.c.alert_id == alerts.c.alert_id)
        .order_by(outcomes.c.contacted_at.desc(), outcomes.c.outcome_id.desc())
        .limit(1)
        .correlate(alerts)
        .scalar_subquery()
    )
    back = (
        update(alerts)
        .where(
            and_(
                alerts.c.status == "called", alerts.c.closed_at <= now - after, last == "unreachable", tries < attempts
            )
        )
        .values(status="new", claimed_by=None, claimed_at=None, closed_at=None)
    )
    with engine.begin() as conn:
        return conn.execute(back).rowcount or 0
