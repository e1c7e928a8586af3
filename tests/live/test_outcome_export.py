"""Call-back outcomes from the work queue to the DuckDB ``outcomes`` table, where ``train`` reads
its labels: an operator claims an alert and records what came of the call, the loop copies it
exactly once, and a copy cut short between the two stores is finished without doubling rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from test_escalation import BY_HOLDER, BY_PHONE, HORIZON, REPORTED, Desk, alert_row, make_desk

from fraudkit.live.alerts import export_outcomes, insert_alerts, retry_unreachable
from fraudkit.live.escalation import escalate
from fraudkit.model import frames
from fraudkit.model.labels import apply_outcomes
from fraudkit.model.params import LabelParams
from fraudkit.ops import queue
from fraudkit.ops.operators import create_operator

CALLED = datetime(2026, 10, 1, 12, 10)
TICK = datetime(2026, 10, 1, 12, 15)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    made = make_desk(tmp_path)
    create_operator(made.engine, "ana", "password-ana")
    yield made
    made.con.close()
    made.engine.dispose()


def call_back(desk: Desk, result: str, note: str | None = None, *, at: datetime = CALLED) -> str:
    """The operator takes the next alert from the queue and records the call's result."""
    alert_id = queue.claim_next(desk.engine, "ana", now=at - timedelta(minutes=2))
    assert alert_id is not None
    queue.record_outcome(desk.engine, alert_id, "ana", result, note, now=at)
    return alert_id


def stored(desk: Desk) -> list[tuple]:
    return desk.con.execute("SELECT phone, contacted_at, result, note FROM outcomes ORDER BY contacted_at").fetchall()


def test_a_recorded_outcome_reaches_the_store_once(desk: Desk) -> None:
    assert call_back(desk, "confirmed_victim", "  paid 800 to a 'safe account'  ") == "A0001"
    assert export_outcomes(desk.engine, desk.con, TICK) == 1
    assert stored(desk) == [(BY_HOLDER, CALLED, "confirmed_victim", "paid 800 to a 'safe account'")]
    assert queue.pending_outcomes(desk.engine) == []
    assert export_outcomes(desk.engine, desk.con, TICK + timedelta(minutes=1)) == 0
    assert len(stored(desk)) == 1


def test_an_export_cut_short_before_marking_is_finished_next_time_without_doubling(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    call_back(desk, "false_alarm")

    def killed(*_args: object) -> int:
        raise RuntimeError("killed between the DuckDB insert and the mark")

    monkeypatch.setattr(queue, "mark_exported", killed)
    with pytest.raises(RuntimeError, match="killed"):
        export_outcomes(desk.engine, desk.con, TICK)
    assert len(stored(desk)) == 1 and len(queue.pending_outcomes(desk.engine)) == 1
    monkeypatch.undo()

    export_outcomes(desk.engine, desk.con, TICK + timedelta(minutes=1))
    assert stored(desk) == [(BY_HOLDER, CALLED, "false_alarm", None)]
    assert queue.pending_outcomes(desk.engine) == []


def test_two_outcomes_for_one_phone_at_different_times_both_arrive(desk: Desk) -> None:
    # the person is called about the first contact, then the fraudster calls again: a new alert
    insert_alerts(desk.engine, [alert_row(3, BY_HOLDER, start=CALLED + timedelta(minutes=30))])
    call_back(desk, "unreachable")  # A0001
    later = CALLED + timedelta(hours=1)
    assert call_back(desk, "refused", at=later) == "A0002"  # BY_PHONE's alert comes before the new one
    assert call_back(desk, "confirmed_victim", at=later + timedelta(minutes=5)) == "A0003"
    assert export_outcomes(desk.engine, desk.con, later + timedelta(minutes=10)) == 3
    assert stored(desk) == [
        (BY_HOLDER, CALLED, "unreachable", None),
        (BY_PHONE, later, "refused", None),
        (BY_HOLDER, later + timedelta(minutes=5), "confirmed_victim", None),
    ]


def test_exported_outcomes_label_the_next_training(desk: Desk) -> None:
    """``train`` reads the outcomes table (``frames.outcomes``): a confirmed victim's contact before
    the call-back becomes a positive, labelled by the outcome."""
    call_back(desk, "confirmed_victim")
    export_outcomes(desk.engine, desk.con, TICK)
    contacts = pl.DataFrame(
        {
            "contact_id": ["C0001", "C0002"],
            "callee": [BY_HOLDER, BY_PHONE],
            "scored_at": [CALLED - timedelta(minutes=40)] * 2,
            "label": pl.Series([0, 0], dtype=pl.Int8),
            "label_source": ["none", "none"],
        }
    )
    labelled = apply_outcomes(contacts, frames.outcomes(desk.con, TICK), LabelParams())
    assert labelled.select("contact_id", "label", "label_source").rows() == [
        ("C0001", 1, "outcome"),
        ("C0002", 0, "none"),
    ]


# ---- a call that did not end it: back in the queue ------------------------------------------


def test_an_unreachable_person_comes_back_to_the_queue_until_the_attempts_are_spent(desk: Desk) -> None:
    retry = {"after": timedelta(minutes=30), "attempts": 2}
    assert call_back(desk, "unreachable") == "A0001"
    assert retry_unreachable(desk.engine, CALLED + timedelta(minutes=29), **retry) == 0  # too soon
    assert retry_unreachable(desk.engine, CALLED + timedelta(minutes=30), **retry) == 1
    assert desk.alert("A0001")["status"] == "new"
    second = CALLED + timedelta(hours=1)
    assert call_back(desk, "unreachable", at=second) == "A0001"  # the most urgent again
    assert retry_unreachable(desk.engine, second + timedelta(hours=1), **retry) == 0  # two calls made
    assert desk.alert("A0001")["status"] == "called"


def test_a_person_reached_is_not_called_again(desk: Desk) -> None:
    call_back(desk, "reached")
    assert retry_unreachable(desk.engine, CALLED + timedelta(hours=2), after=timedelta(minutes=30), attempts=3) == 0
    assert desk.alert("A0001")["status"] == "closed"


def test_a_called_person_who_pays_a_suspect_account_afterwards_is_back_in_the_queue_urgent(desk: Desk) -> None:
    desk.report(REPORTED)
    call_back(desk, "confirmed_victim")  # A0001, at 12:10
    desk.pay(1, CALLED - timedelta(minutes=20), REPORTED, 800.0)  # before the call: the call knew
    escalate(desk.engine, desk.payments(), HORIZON)
    assert desk.alert("A0001")["status"] == "called" and desk.alert("A0001")["urgent"]
    desk.pay(2, CALLED + timedelta(minutes=30), REPORTED, 5000.0)  # after it: still being defrauded
    escalate(desk.engine, desk.payments(), HORIZON)
    alert = desk.alert("A0001")
    assert alert["status"] == "new" and alert["claimed_by"] is None
    assert queue.claim_next(desk.engine, "ana", now=HORIZON) == "A0001"  # urgent: first in the queue
