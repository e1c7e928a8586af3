"""Alerts in the operational store: one per person on the queue, read back as the queue, outcomes exported.

Every scored contact that reaches an alert is recorded once in ``alert_contacts`` (its id is
the key), so writing the same contact again (a loop restarted after a kill, a contact looked
at again for late files) adds nothing. A person's first such contact makes the alert (its id
derived from the contact; ``created_at`` the tick at which the system could first know); later
contacts of the same person while that alert is open (new or claimed) are merged into it: the
alert takes the better score with its tier and reasons, and the better channel, so
the team sees one entry per person and two operators do not ring the same person. Once the
alert is called or closed, a new contact makes a new alert.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import duckdb
import polars as pl

from fraudkit.engine.sql import live as sql
from fraudkit.ops.schema import CHANNEL_RANK, alert_contacts, alerts, outcomes

c = pl.col


def alert_id(contact_id: str) -> str:
    """A stable id per contact (no personal data in it)."""
    return "A" + hashlib.sha256(contact_id.encode("utf-8")).hexdigest()[:20]


def already_alerted(engine: Any, contact_ids: list[str]) -> set[str]:
    """The contacts among ``contact_ids`` that reached an alert (made or merged into one)."""
    from sqlalchemy import select, union

    found: set[str] = set()
    with engine.connect() as conn:
        for i in range(0, len(contact_ids), 500):
            chunk = contact_ids[i : i + 500]
            query = union(
                select(alert_contacts.c.contact_id).where(alert_contacts.c.contact_id.in_(chunk)),
                select(alerts.c.contact_id).where(alerts.c.contact_id.in_(chunk)),  # stores from before the merge
            )
            found |= set(conn.execute(query).scalars())
    return found


def insert_alerts(engine: Any, rows: list[dict[str, Any]]) -> int:
    """Insert alerts as given (one per row, no merging), skipping contacts alerted already;
    returns how many were new."""
    if not rows:
        return 0
    seen = already_alerted(engine, [r["contact_id"] for r in rows])  # once: not once per row
    new = [r for r in rows if r["contact_id"] not in seen]
    if not new:
        return 0
    from fraudkit.ops.queue import writing

    with writing(engine) as conn:
        conn.execute(_insert_ignore(engine, alerts, ["contact_id"]), new)
        conn.execute(
            _insert_ignore(engine, alert_contacts, ["contact_id"]), [_contact_row(r, r["alert_id"]) for r in new]
        )
    return len(new)


MERGED = ("score", "tier", "reason_1", "reason_2", "reason_3", "suspect_number", "model_version")
"""What a better-scored later contact of the same person brings to the open alert. Its contact
times stay the first contact's: people pay some time after the hooking call, so the countdown
runs from it (each merged contact's own times are in ``alert_contacts``)."""


def write_alerts(engine: Any, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Write a tick's alert rows, one alert per person on the queue (see the module docstring);
    returns (alerts made, contacts merged into an open alert)."""
    from sqlalchemy import select

    from fraudkit.ops.queue import writing

    seen = already_alerted(engine, [r["contact_id"] for r in rows]) if rows else set()
    fresh = sorted(  # per person the best contact first; equal scores as model.ranking: latest, then id
        (r for r in rows if r["contact_id"] not in seen),
        key=lambda r: (r["phone"], -r["score"], -r["contact_end"].timestamp(), r["contact_id"]),
    )
    if not fresh:
        return 0, 0
    people: dict[str, list[dict[str, Any]]] = {}
    for r in fresh:
        people.setdefault(r["phone"], []).append(r)
    with engine.connect() as conn:
        current = {
            row.phone: row
            for row in conn.execute(
                select(alerts.c.alert_id, alerts.c.phone, alerts.c.score, alerts.c.channel, alerts.c.urgent)
                .where(alerts.c.phone.in_(list(people)), alerts.c.status.in_(["new", "claimed"]))
                .order_by(alerts.c.created_at)
            )
        }
    made, merged, contacts = [], 0, []
    with writing(engine) as conn:
        for phone, group in people.items():
            best, target = group[0], current.get(phone)
            if target is not None and _merge(conn, target, best):
                merged += len(group)
                contacts += [_contact_row(r, target.alert_id) for r in group]
            else:  # no open alert (or it was closed a moment ago): the best contact makes one
                made.append(best)
                merged += len(group) - 1
                contacts += [_contact_row(r, best["alert_id"]) for r in group]
        if made:
            conn.execute(_insert_ignore(engine, alerts, ["contact_id"]), made)
        conn.execute(_insert_ignore(engine, alert_contacts, ["contact_id"]), contacts)
    return len(made), merged


def _merge(conn: Any, target: Any, best: dict[str, Any]) -> bool:
    """Merge ``best`` into the open alert ``target`` (better score: its fields; better channel,
    unless urgent), in the caller's transaction; False when the alert is no longer open."""
    from sqlalchemy import update

    values: dict[str, Any] = {"status": alerts.c.status}  # a write even when nothing improves: still open?
    if best["score"] > target.score:
        values |= {k: best[k] for k in MERGED}
    if not target.urgent and CHANNEL_RANK.get(best["channel"], 9) < CHANNEL_RANK.get(target.channel, 9):
        values["channel"] = best["channel"]
    done = conn.execute(
        update(alerts)
        .where(alerts.c.alert_id == target.alert_id, alerts.c.status.in_(["new", "claimed"]))
        .values(**values)
    )
    return bool(done.rowcount)


def _contact_row(row: dict[str, Any], alert_id: str) -> dict[str, Any]:
    keys = ("contact_id", "created_at", "score", "tier", "channel", "suspect_number", "contact_start", "contact_end")
    return {k: row[k] for k in keys} | {"alert_id": alert_id}


QUEUED = ("alert_id", "phone", "created_at", "score", "tier", "channel", "urgent", "urgent_at", "status")
"""What the queue's order needs of an alert (or of each contact merged into it): ``queue`` sorts
on these, and ``eval watch`` replays a team over rows of them."""


def queued_schema() -> dict[str, Any]:
    """Polars types of ``QUEUED``, from the alerts table's columns."""
    return {name: _polars_type(alerts.c[name]) for name in QUEUED}


def contacts_frame(engine: Any) -> pl.DataFrame:
    """Every contact that reached an alert (``QUEUED`` columns: its own tick, score, tier and
    channel; its alert's person, escalation and status): what the queue held when (``eval watch``
    replays a team over it). Alerts of stores from before the merge, with no contact rows, stand
    for their one contact."""
    from sqlalchemy import select

    a, k = alerts.c, alert_contacts.c
    columns = [(k if name in k else a)[name] for name in QUEUED]  # the contact's own where it has them
    query = select(*columns).join_from(alert_contacts, alerts, k.alert_id == a.alert_id)
    with engine.connect() as conn:
        data = [dict(r._mapping) for r in conn.execute(query)]
    rows = pl.DataFrame(data, schema=queued_schema(), orient="row")
    whole = alerts_frame(engine).select(QUEUED)
    return pl.concat([rows, whole.filter(~c("alert_id").is_in(rows["alert_id"].implode()))]).sort(
        "created_at", "alert_id"
    )


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


def export_outcomes(engine: Any, con: duckdb.DuckDBPyConnection, now: datetime, *, lake: Any = None) -> int:
    """Copy outcomes recorded in the work queue into the DuckDB ``outcomes`` table (labels for
    ``train`` and ``warn``), and into the lake's when the tables live in one (``lake``, a Spark
    backend), then mark them exported; a copy interrupted halfway is finished next time without
    doubling rows (the table's key is phone and contacted_at, in the store and in the lake)."""
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
        con.execute(sql.EXPORT_OUTCOMES)
    finally:
        con.unregister("live_outcomes")
    if lake is not None:
        lake.write("outcomes", fresh, replace=True)
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
