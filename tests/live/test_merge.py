"""One alert per person on the queue: a later contact of someone with an open alert is merged into it,
so the team sees one entry per person and two operators do not ring the same person."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from test_escalation import alert_row

from fraudkit.live.alerts import alerts_frame, contacts_frame, write_alerts
from fraudkit.live.evaluate import team_calls
from fraudkit.ops import queue
from fraudkit.ops.db import ops_engine
from fraudkit.ops.operators import create_operator
from fraudkit.ops.schema import alert_contacts, alerts

PERSON, OTHER = "13800001111", "13900002222"
TICK = datetime(2026, 10, 23, 10, 0)


def contact(n: int, phone: str, score: float, *, at: datetime = TICK, tier: str = "orange", **more: Any) -> dict:
    """A routed alert row for contact ``n`` (its own reason and suspect number) as the tick writes it."""
    return alert_row(
        n,
        phone,
        start=at - timedelta(minutes=40),
        created=at,
        score=score,
        tier=tier,
        channel={"red": "call_now", "orange": "call_queue"}.get(tier, "sms"),
        reason_1=f"reason of contact {n}",
        suspect_number=f"1710000{n:04d}",
        **more,
    )


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    made = ops_engine(f"sqlite:///{tmp_path / 'fraudkit.ops.sqlite'}")
    yield made
    made.dispose()


def one(engine: Engine, alert_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(conn.execute(select(alerts).where(alerts.c.alert_id == alert_id)).mappings().one())


def merged_into(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(alert_contacts.c.contact_id, alert_contacts.c.alert_id)).all())


def test_two_contacts_of_one_person_in_a_tick_make_one_alert_with_the_better_one(engine: Engine) -> None:
    made = write_alerts(engine, [contact(1, PERSON, 0.3), contact(2, PERSON, 0.7, tier="red"), contact(3, OTHER, 0.4)])
    assert made == (2, 1)
    got = alerts_frame(engine).sort("phone")
    assert got["phone"].to_list() == [PERSON, OTHER]
    assert got.row(0, named=True)["alert_id"] == "A0002" and got.row(0, named=True)["channel"] == "call_now"
    assert merged_into(engine) == {"C0001": "A0002", "C0002": "A0002", "C0003": "A0003"}


def test_a_better_later_contact_raises_the_open_alert_and_keeps_when_it_was_first_known(engine: Engine) -> None:
    write_alerts(engine, [contact(1, PERSON, 0.3)])
    later = TICK + timedelta(minutes=25)
    assert write_alerts(engine, [contact(2, PERSON, 0.8, at=later, tier="red")]) == (0, 1)
    alert = one(engine, "A0001")
    assert alert["created_at"] == TICK  # the system knew of this person at the first tick
    assert (alert["score"], alert["tier"], alert["channel"]) == (0.8, "red", "call_now")
    assert alert["reason_1"] == "reason of contact 2" and alert["suspect_number"] == "17100000002"
    assert write_alerts(engine, [contact(3, PERSON, 0.1, at=later, tier="yellow")]) == (0, 1)  # worse: recorded only
    assert one(engine, "A0001")["score"] == 0.8 and one(engine, "A0001")["channel"] == "call_now"
    assert set(merged_into(engine)) == {"C0001", "C0002", "C0003"}


def test_the_same_contact_again_adds_nothing(engine: Engine) -> None:
    write_alerts(engine, [contact(1, PERSON, 0.3)])
    assert write_alerts(engine, [contact(1, PERSON, 0.3)]) == (0, 0)
    assert alerts_frame(engine).height == 1 and len(merged_into(engine)) == 1


def test_a_claimed_alert_takes_the_contact_and_stays_with_its_operator(engine: Engine) -> None:
    create_operator(engine, "ana", "password-ana")
    write_alerts(engine, [contact(1, PERSON, 0.3)])
    assert queue.claim_next(engine, "ana", now=TICK) == "A0001"
    assert write_alerts(engine, [contact(2, PERSON, 0.6, at=TICK + timedelta(minutes=5))]) == (0, 1)
    alert = one(engine, "A0001")
    assert (alert["status"], alert["claimed_by"], alert["score"]) == ("claimed", "ana", 0.6)


@pytest.mark.parametrize("result", ["reached", "unreachable"])
def test_after_the_call_a_new_contact_makes_a_new_alert(engine: Engine, result: str) -> None:
    create_operator(engine, "ana", "password-ana")
    write_alerts(engine, [contact(1, PERSON, 0.3)])
    queue.claim_next(engine, "ana", now=TICK)
    queue.record_outcome(engine, "A0001", "ana", result, now=TICK + timedelta(minutes=3))
    assert write_alerts(engine, [contact(2, PERSON, 0.5, at=TICK + timedelta(hours=2))]) == (1, 0)
    assert sorted(alerts_frame(engine)["alert_id"].to_list()) == ["A0001", "A0002"]


def test_the_team_replay_sees_each_merged_contact_when_it_came_and_calls_the_person_once(engine: Engine) -> None:
    write_alerts(engine, [contact(1, PERSON, 0.2)])
    write_alerts(engine, [contact(2, OTHER, 0.5, at=TICK + timedelta(minutes=2))])
    write_alerts(engine, [contact(3, PERSON, 0.9, at=TICK + timedelta(minutes=10))])
    queued = contacts_frame(engine)
    assert queued.height == 3 and queued.filter(queued["phone"] == PERSON)["alert_id"].unique().to_list() == ["A0001"]
    slots = [TICK + timedelta(minutes=5), TICK + timedelta(minutes=12), TICK + timedelta(minutes=20)]
    calls = team_calls(queued, slots, stale_after=timedelta(hours=24))
    # at 10:05 the person's alert still scored 0.2 (the 0.9 came at 10:10): the other person first
    assert calls.select("phone", "alert_id").rows() == [(OTHER, "A0002"), (PERSON, "A0001")]
