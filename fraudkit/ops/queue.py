"""The warning team's work queue over the operational store: list, claim, reveal, record, release.

Every function takes an SQLAlchemy engine and runs one short transaction, so many operators (and
the live loop) write at once. Each writing transaction *writes first*: on SQLite a transaction
that reads and then writes can fail when another writer committed in between, while one whose
first statement writes takes the write lock at once (waiting up to the busy timeout).

Two operators never get the same alert: :func:`claim_next` is one ``UPDATE ... WHERE alert_id =
(SELECT ... LIMIT 1 FOR UPDATE SKIP LOCKED) AND status = 'new' RETURNING``. On PostgreSQL the
subquery locks the row it picks and skips rows others hold (the standard work-queue pattern); on
SQLite the compiler drops ``FOR UPDATE`` and the single statement is atomic under the database's
one write lock. That is the only dialect difference, and SQLAlchemy's compiler holds it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, literal, select, update
from sqlalchemy.engine import Connection, Engine

from fraudkit.errors import FraudkitError
from fraudkit.ops.schema import CALL_ORDER, RESULTS, alerts, audit_log, outcomes, reveals

STATUS_AFTER: dict[str, str] = {
    "reached": "closed",
    "false_alarm": "closed",
    "refused": "closed",
    "unreachable": "called",
    "confirmed_victim": "called",
}
"""Alert status once an outcome is recorded: ``called`` keeps a follow-up possible (try an
unreachable person again, ask the bank to stop a confirmed victim's payment); the rest are done."""

MAX_NOTE = 2000
_SQLITE_WRITERS: dict[str, threading.Lock] = {}
_SQLITE_WRITERS_GUARD = threading.Lock()


class QueueError(FraudkitError):
    """An operator asked for something the queue's state does not allow (not yours, not claimed)."""


@dataclass(frozen=True)
class Outcome:
    """One recorded call-back result, as the loop copies it into the DuckDB ``outcomes`` table."""

    outcome_id: int
    alert_id: str
    phone: str
    contacted_at: datetime
    result: str
    note: str | None
    operator_id: str


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction. SQLite has one write lock per file and makes a blocked writer poll
    it with growing sleeps (up to 100 ms each), so under many operators a claim could wait
    seconds while the lock stood free; threads of one process therefore queue on a Python lock
    per database first, and only other processes meet SQLite's busy timeout. PostgreSQL locks
    rows itself."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            yield conn
        return
    key = str(engine.url)
    with _SQLITE_WRITERS_GUARD:
        lock = _SQLITE_WRITERS.setdefault(key, threading.Lock())
    with lock, engine.begin() as conn:
        yield conn


def call_order() -> list[Any]:
    """ORDER BY terms of the queue (``schema.CALL_ORDER``, which an index holds)."""
    return list(CALL_ORDER)


def open_alerts(engine: Engine, *, limit: int = 200) -> list[dict[str, Any]]:
    """Alerts waiting to be called, in the order they should be called (read off the call-order
    index); rows as dicts with full values: the caller masks them before showing."""
    query = select(alerts).where(alerts.c.status == "new").order_by(*call_order()).limit(limit)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def in_progress(engine: Engine) -> list[dict[str, Any]]:
    """Alerts an operator holds now (at most a few per operator), in call order: who has what."""
    query = select(alerts).where(alerts.c.status == "claimed").order_by(*call_order())
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def queue_counts(engine: Engine) -> dict[str, int]:
    """Alerts per status, for the page header."""
    query = select(alerts.c.status, func.count()).group_by(alerts.c.status)
    with engine.connect() as conn:
        return {status: n for status, n in conn.execute(query)}


def get_alert(engine: Engine, alert_id: str) -> dict[str, Any]:
    """One alert by id (full values); a missing id is a QueueError."""
    with engine.connect() as conn:
        row = conn.execute(select(alerts).where(alerts.c.alert_id == alert_id)).mappings().first()
    if row is None:
        raise QueueError(f"no alert {alert_id!r}")
    return dict(row)


def claimed_by(engine: Engine, operator_id: str) -> list[dict[str, Any]]:
    """The alerts an operator holds now, oldest claim first."""
    query = (
        select(alerts)
        .where(and_(alerts.c.status == "claimed", alerts.c.claimed_by == operator_id))
        .order_by(alerts.c.claimed_at, alerts.c.alert_id)
    )
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def claim_next(engine: Engine, operator_id: str, *, now: datetime | None = None) -> str | None:
    """Give the operator the first new alert in call order, or None when none is waiting.

    One statement picks and claims, so no two operators get the same alert (see the module)."""
    pick = (
        select(alerts.c.alert_id)
        .where(alerts.c.status == "new")
        .order_by(*call_order())
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claim = (
        update(alerts)
        .where(and_(alerts.c.alert_id == pick, alerts.c.status == "new"))
        .values(status="claimed", claimed_by=operator_id, claimed_at=now or datetime.now())
        .returning(alerts.c.alert_id)
    )
    with writing(engine) as conn:
        return conn.execute(claim).scalar()


def release(engine: Engine, alert_id: str, operator_id: str) -> None:
    """Put a claimed alert back in the queue (the operator cannot call it now)."""
    back = (
        update(alerts)
        .where(_held_by(alert_id, operator_id))
        .values(status="new", claimed_by=None, claimed_at=None)
        .returning(alerts.c.alert_id)
    )
    with writing(engine) as conn:
        if conn.execute(back).scalar() is None:
            raise _not_held(engine, alert_id, operator_id)


def reveal_phone(engine: Engine, alert_id: str, operator_id: str, *, now: datetime | None = None) -> str:
    """The full number to dial, for the operator holding the alert only; the reveal row (per
    alert, who, when) and an ``audit_log`` row are written first, in the same transaction."""
    when = now or datetime.now()
    held = _held_by(alert_id, operator_id)
    chosen = select(
        alerts.c.alert_id, literal(operator_id), literal(when, alerts.c.created_at.type), literal("phone")
    ).where(held)
    record = (
        insert(reveals)
        .from_select(["alert_id", "operator_id", "revealed_at", "what"], chosen)
        .returning(reveals.c.reveal_id)
    )
    audit = insert(audit_log).values(
        recorded_at=when, user_name=operator_id, command="serve", what="phone", alert_id=alert_id, row_count=1
    )
    with writing(engine) as conn:
        phone = None
        if conn.execute(record).scalar() is not None:
            conn.execute(audit)
            phone = conn.execute(select(alerts.c.phone).where(alerts.c.alert_id == alert_id)).scalar_one()
    if phone is None:
        raise _not_held(engine, alert_id, operator_id)
    return phone


def record_outcome(
    engine: Engine,
    alert_id: str,
    operator_id: str,
    result: str,
    note: str | None = None,
    *,
    now: datetime | None = None,
) -> int:
    """Record a call-back result and move the alert on (``STATUS_AFTER``) in one transaction;
    returns the outcome id. Only the operator holding the alert may record it."""
    if result not in RESULTS:
        raise QueueError(f"unknown result {result!r}", hint="one of " + ", ".join(RESULTS))
    text = (note or "").strip() or None
    if text is not None and len(text) > MAX_NOTE:
        raise QueueError(f"note longer than {MAX_NOTE} characters")
    when = now or datetime.now()
    move = (
        update(alerts)
        .where(_held_by(alert_id, operator_id))
        .values(status=STATUS_AFTER[result], closed_at=when)
        .returning(alerts.c.phone)
    )
    with writing(engine) as conn:
        phone = conn.execute(move).scalar()
        if phone is None:
            outcome_id = None
        else:
            outcome_id = conn.execute(
                insert(outcomes)
                .values(**_outcome_row(alert_id, operator_id, phone, result, text, when))
                .returning(outcomes.c.outcome_id)
            ).scalar_one()
    if outcome_id is None:
        raise _not_held(engine, alert_id, operator_id)
    return outcome_id


def pending_outcomes(engine: Engine, *, limit: int | None = None) -> list[Outcome]:
    """Outcomes not yet copied into the DuckDB ``outcomes`` table, oldest first: the loop copies
    them, then calls :func:`mark_exported` with their ids."""
    query = select(outcomes).where(outcomes.c.exported_at.is_(None)).order_by(outcomes.c.outcome_id)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [Outcome(**{k: row[k] for k in Outcome.__dataclass_fields__}) for row in conn.execute(query).mappings()]


def mark_exported(engine: Engine, ids: Iterable[int], when: datetime) -> int:
    """Stamp outcomes as copied into DuckDB; returns how many were stamped (ones already
    stamped are left as they were, so a repeated call after a crash changes nothing)."""
    chosen = sorted(set(ids))
    if not chosen:
        return 0
    stamp = (
        update(outcomes)
        .where(and_(outcomes.c.outcome_id.in_(chosen), outcomes.c.exported_at.is_(None)))
        .values(exported_at=when)
    )
    with writing(engine) as conn:
        return conn.execute(stamp).rowcount


def reveals_of(engine: Engine, alert_id: str) -> Sequence[dict[str, Any]]:
    """Who revealed an alert's number, and when (oldest first)."""
    query = select(reveals).where(reveals.c.alert_id == alert_id).order_by(reveals.c.reveal_id)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def _outcome_row(
    alert_id: str, operator_id: str, phone: str, result: str, note: str | None, when: datetime
) -> dict[str, Any]:
    return {
        "alert_id": alert_id,
        "phone": phone,
        "contacted_at": when,
        "result": result,
        "note": note,
        "operator_id": operator_id,
    }


def _held_by(alert_id: str, operator_id: str) -> Any:
    return and_(alerts.c.alert_id == alert_id, alerts.c.status == "claimed", alerts.c.claimed_by == operator_id)


def _not_held(engine: Engine, alert_id: str, operator_id: str) -> QueueError:
    """Why an operator cannot act on an alert, read after the failed write."""
    row = get_alert(engine, alert_id)
    if row["status"] == "claimed":
        return QueueError(f"alert {alert_id} is claimed by {row['claimed_by']}, not {operator_id}")
    return QueueError(f"alert {alert_id} is {row['status']}, not claimed by {operator_id}", hint="claim it first")
