"""The work queue's logic on every backend: call order, claims, reveals, outcomes, export to the loop."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import datetime, timedelta

import pytest
from ops_backends import alert_row, seed_alerts, seed_many
from sqlalchemy import select
from sqlalchemy.engine import Engine

from fraudkit.ops import queue
from fraudkit.ops.operators import create_operator
from fraudkit.ops.schema import alerts, audit_log, outcomes, reveals

NOW = datetime(2026, 11, 3, 14, 0, 0)


@pytest.fixture
def team(engine: Engine) -> Engine:
    for name in ("ana", "bo"):
        create_operator(engine, name, "password-" + name)
    return engine


def test_open_alerts_come_in_call_order(team: Engine) -> None:
    """Urgent first, then the immediate-call channel, then the call queue, then score."""
    seed_alerts(
        team,
        [
            alert_row(1, NOW, score=0.99, channel="call_queue"),
            alert_row(2, NOW, score=0.60, channel="call_now", tier="red"),
            alert_row(3, NOW, score=0.70, channel="call_now", tier="red"),
            alert_row(4, NOW, score=0.10, channel="sms", tier="yellow", urgent=True, urgent_reason="paid a mule"),
            alert_row(5, NOW, score=0.95, channel="sms", tier="yellow"),
            alert_row(6, NOW, score=0.80, status="closed"),
        ],
    )
    assert [a["alert_id"] for a in queue.open_alerts(team)] == ["A00004", "A00003", "A00002", "A00001", "A00005"]


def test_the_queue_head_is_read_off_the_call_order_index(team: Engine) -> None:
    """No sort of the whole backlog per page or claim: the ORDER BY is the index's expression."""
    if team.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's planner may rightly scan a tiny table; the index is there (schema)")
    query = select(alerts.c.alert_id).where(alerts.c.status == "new").order_by(*queue.call_order()).limit(1)
    sql = str(query.compile(team, compile_kwargs={"literal_binds": True}))
    with team.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert "ix_alerts_call_order" in plan and "TEMP B-TREE" not in plan


def test_claim_next_follows_the_order_and_never_repeats(team: Engine) -> None:
    seed_many(team, 3, NOW)
    got = [queue.claim_next(team, "ana", now=NOW), queue.claim_next(team, "bo", now=NOW)]
    assert got == ["A00002", "A00001"]
    assert queue.claim_next(team, "ana", now=NOW) == "A00000"
    assert queue.claim_next(team, "bo", now=NOW) is None
    held = queue.get_alert(team, "A00001")
    assert (held["status"], held["claimed_by"], held["claimed_at"]) == ("claimed", "bo", NOW)
    assert [a["alert_id"] for a in queue.claimed_by(team, "ana")] == ["A00000", "A00002"]  # same claim time: by id
    assert [a["alert_id"] for a in queue.in_progress(team)] == ["A00002", "A00001", "A00000"]
    assert queue.open_alerts(team) == []


def test_reveal_is_recorded_per_alert_and_only_for_the_holder(team: Engine) -> None:
    seed_many(team, 1, NOW)
    with pytest.raises(queue.QueueError, match="new, not claimed by ana"):
        queue.reveal_phone(team, "A00000", "ana", now=NOW)
    queue.claim_next(team, "ana", now=NOW)
    with pytest.raises(queue.QueueError, match="claimed by ana, not bo"):
        queue.reveal_phone(team, "A00000", "bo", now=NOW)
    assert queue.reveal_phone(team, "A00000", "ana", now=NOW) == "13800000000"
    with team.connect() as conn:
        shown = conn.execute(select(reveals.c.alert_id, reveals.c.operator_id, reveals.c.revealed_at)).all()
        audited = conn.execute(select(audit_log.c.user_name, audit_log.c.what, audit_log.c.alert_id)).all()
    assert shown == [("A00000", "ana", NOW)]
    assert audited == [("ana", "phone", "A00000")]
    assert [r["operator_id"] for r in queue.reveals_of(team, "A00000")] == ["ana"]


@pytest.mark.parametrize(("result", "status"), sorted(queue.STATUS_AFTER.items()))
def test_outcome_is_recorded_in_one_step(team: Engine, result: str, status: str) -> None:
    seed_many(team, 1, NOW)
    queue.claim_next(team, "ana", now=NOW)
    later = NOW + timedelta(minutes=3)
    outcome_id = queue.record_outcome(team, "A00000", "ana", result, "  spoke to her daughter  ", now=later)
    alert = queue.get_alert(team, "A00000")
    assert (alert["status"], alert["closed_at"]) == (status, later)
    with team.connect() as conn:
        row = conn.execute(select(outcomes).where(outcomes.c.outcome_id == outcome_id)).mappings().one()
    assert (row["phone"], row["result"], row["note"], row["operator_id"]) == (
        "13800000000",
        result,
        "spoke to her daughter",
        "ana",
    )
    assert row["contacted_at"] == later and row["exported_at"] is None
    with pytest.raises(queue.QueueError):  # recorded once: the alert has moved on
        queue.record_outcome(team, "A00000", "ana", result, now=later)


def test_outcome_refused_for_another_operator_or_unknown_result(team: Engine) -> None:
    seed_many(team, 1, NOW)
    queue.claim_next(team, "ana", now=NOW)
    with pytest.raises(queue.QueueError, match="claimed by ana, not bo"):
        queue.record_outcome(team, "A00000", "bo", "reached")
    with pytest.raises(queue.QueueError, match="unknown result 'maybe'"):
        queue.record_outcome(team, "A00000", "ana", "maybe")
    with pytest.raises(queue.QueueError, match="no alert 'nope'"):
        queue.record_outcome(team, "nope", "ana", "reached")
    with team.connect() as conn:
        assert conn.execute(select(outcomes)).all() == []


def test_release_puts_the_alert_back(team: Engine) -> None:
    seed_many(team, 1, NOW)
    queue.claim_next(team, "ana", now=NOW)
    with pytest.raises(queue.QueueError):
        queue.release(team, "A00000", "bo")
    queue.release(team, "A00000", "ana")
    assert queue.get_alert(team, "A00000")["status"] == "new"
    assert queue.claim_next(team, "bo", now=NOW) == "A00000"


def test_pending_outcomes_are_handed_to_the_loop_once(team: Engine) -> None:
    seed_many(team, 3, NOW)
    for _ in range(3):
        queue.record_outcome(team, queue.claim_next(team, "ana", now=NOW), "ana", "reached", now=NOW)
    pending = queue.pending_outcomes(team)
    assert [o.alert_id for o in pending] == ["A00002", "A00001", "A00000"]
    assert queue.pending_outcomes(team, limit=1)[0] == pending[0]
    assert queue.mark_exported(team, [pending[0].outcome_id, pending[1].outcome_id], NOW) == 2
    assert queue.mark_exported(team, [pending[0].outcome_id], NOW + timedelta(hours=1)) == 0  # already stamped
    assert queue.mark_exported(team, [], NOW) == 0
    assert [o.outcome_id for o in queue.pending_outcomes(team)] == [pending[2].outcome_id]


def test_many_threads_claiming_at_once_never_share_an_alert(team: Engine) -> None:
    """16 operators claim as fast as they can until the queue is empty: each alert goes to one."""
    ids = seed_many(team, 240, NOW)
    claims: dict[str, list[str]] = {}
    start = threading.Barrier(16)

    def operator(name: str) -> None:
        start.wait()
        mine = claims.setdefault(name, [])
        while (got := queue.claim_next(team, name)) is not None:
            mine.append(got)

    workers = [threading.Thread(target=operator, args=(f"op{i}",)) for i in range(16)]
    for name in {f"op{i}" for i in range(16)}:
        create_operator(team, name, "password-x")
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    every = [a for got in claims.values() for a in got]
    assert sorted(every) == sorted(ids)  # none twice, none lost
    with team.connect() as conn:
        owners = dict(conn.execute(select(alerts.c.alert_id, alerts.c.claimed_by)).all())
    assert all(owners[a] == name for name, got in claims.items() for a in got)
    assert sum(1 for got in claims.values() if got) > 1  # they really competed


def _claim_all(url: str, name: str, out: multiprocessing.Queue) -> None:
    from fraudkit.ops.db import ops_engine

    engine = ops_engine(url)
    got = []
    while (alert_id := queue.claim_next(engine, name)) is not None:
        got.append(alert_id)
    out.put((name, got))


def test_many_processes_claiming_at_once_never_share_an_alert(team: Engine, ops_url: str) -> None:
    """The same across processes (each its own engine), as several servers over one store would."""
    ids = seed_many(team, 200, NOW)
    names = [f"proc{i}" for i in range(4)]
    for name in names:
        create_operator(team, name, "password-x")
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    procs = [context.Process(target=_claim_all, args=(ops_url, name, out)) for name in names]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    every = [a for _, got in results for a in got]
    assert sorted(every) == sorted(ids)
