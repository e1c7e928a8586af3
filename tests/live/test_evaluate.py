"""``eval watch``'s team: the product's queue worked at the configured capacity, nothing it could not have known."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from fraudkit.errors import ConfigError
from fraudkit.live.alerts import queued_schema
from fraudkit.live.config import WatchConfig, demand_profile, scaled_profile
from fraudkit.live.evaluate import team_calls, team_slots, warned_figures

DAY = datetime(2026, 10, 23)
OFFICE = tuple(10 if 8 <= h < 18 else 0 for h in range(24))


def _alerts(rows: list[dict]) -> pl.DataFrame:
    base = {"tier": "orange", "channel": "call_queue", "urgent": False, "urgent_at": None, "status": "new"}
    return pl.DataFrame([base | r for r in rows], schema=queued_schema())


def test_profile_keeps_its_shape_and_sums_to_the_calls_asked_for() -> None:
    assert scaled_profile(OFFICE, None) == OFFICE
    scaled = scaled_profile(OFFICE, 55)
    assert sum(scaled) == 55
    assert all(n == 0 for h, n in enumerate(scaled) if not 8 <= h < 18)  # nobody on at night
    assert max(scaled) - min(n for n in scaled if n) <= 1
    with pytest.raises(ConfigError, match="all zero"):
        scaled_profile((0,) * 24, 100)


def test_slots_are_spread_within_the_hours_the_team_works() -> None:
    slots = team_slots(DAY, DAY + timedelta(days=1), OFFICE)
    assert len(slots) == 100
    assert slots[0] == DAY.replace(hour=8) and slots[1] == DAY.replace(hour=8, minute=6)
    assert all(8 <= s.hour < 18 for s in slots)
    assert team_slots(DAY.replace(hour=9, minute=30), DAY.replace(hour=10), OFFICE)[0] == DAY.replace(hour=9, minute=30)


def test_team_calls_in_queue_order_and_never_before_an_alert_exists() -> None:
    at = DAY.replace(hour=8)
    alerts = _alerts(
        [
            {"alert_id": "a", "phone": "p1", "created_at": at - timedelta(minutes=20), "score": 0.4},
            {"alert_id": "b", "phone": "p2", "created_at": at - timedelta(minutes=10), "score": 0.9},
            # not yet created at 08:00, although it scores highest
            {"alert_id": "c", "phone": "p3", "created_at": at + timedelta(minutes=3), "score": 0.99},
            # a red call_now alert goes before a higher-scored call_queue one
            {
                "alert_id": "d",
                "phone": "p4",
                "created_at": at + timedelta(minutes=5),
                "score": 0.5,
                "tier": "red",
                "channel": "call_now",
            },
        ]
    )
    slots = [at, at + timedelta(minutes=6), at + timedelta(minutes=12), at + timedelta(minutes=18)]
    calls = team_calls(alerts, slots, stale_after=timedelta(hours=24))
    assert calls["alert_id"].to_list() == ["b", "d", "c", "a"]
    assert calls["called_at"].to_list() == slots


def test_one_call_per_person_a_day_and_urgent_only_once_escalated() -> None:
    at = DAY.replace(hour=9)
    alerts = _alerts(
        [
            {"alert_id": "a1", "phone": "p1", "created_at": at - timedelta(minutes=30), "score": 0.8},
            {"alert_id": "a2", "phone": "p1", "created_at": at - timedelta(minutes=20), "score": 0.7},
            # escalated at 09:10: urgent from then, an ordinary low alert before
            {
                "alert_id": "u",
                "phone": "p2",
                "created_at": at - timedelta(minutes=25),
                "score": 0.1,
                "urgent": True,
                "urgent_at": at + timedelta(minutes=10),
                "channel": "bank",
            },
            {"alert_id": "x", "phone": "p3", "created_at": at - timedelta(minutes=5), "score": 0.6},
        ]
    )
    slots = [at, at + timedelta(minutes=6), at + timedelta(minutes=12), at + timedelta(minutes=18)]
    calls = team_calls(alerts, slots, stale_after=timedelta(hours=24))
    assert calls["alert_id"].to_list() == ["a1", "x", "u"]  # a2 is p1 again the same day
    stale = team_calls(alerts, [at + timedelta(hours=2)], stale_after=timedelta(hours=1))
    assert stale.is_empty()


def test_warned_means_called_before_the_first_transfer() -> None:
    victims = pl.DataFrame(
        {
            "phone": ["p1", "p2", "p3"],
            "first_loss_at": [DAY.replace(hour=10), DAY.replace(hour=10), DAY.replace(hour=10)],
            "loss": [1000.0, 3000.0, 6000.0],
        }
    )
    calls = pl.DataFrame(
        {"phone": ["p1", "p2"], "called_at": [DAY.replace(hour=9, minute=30), DAY.replace(hour=10, minute=5)]}
    )
    got = warned_figures(victims, calls)
    assert got["warned_victims"] == 1 and got["warned_share"] == pytest.approx(1 / 3)
    assert got["median_lead_minutes"] == pytest.approx(30.0)
    assert got["loss_stopped_share"] == pytest.approx(0.1)


def test_a_team_without_shifts_follows_the_hours_victims_were_hooked() -> None:
    evenings = [0] * 24
    evenings[19], evenings[20] = 30, 10  # the model's training victims were hooked at 19:00-21:00
    team = WatchConfig(calls_per_day=96).team({"contact_hours": evenings})
    assert sum(team) == 96
    assert team[19] == 38 and team[20] == 14  # 2 an hour for everyone, plus 36 and 12 for the victims
    assert team[19] > team[20] > team[3] >= 2  # someone is on at 03:00 too (the even half)
    assert demand_profile(None, 48) == (2,) * 24  # no victims to follow: evenly over the day
    shifts = tuple(10 if 8 <= h < 18 else 0 for h in range(24))
    assert WatchConfig(calls_per_hour=shifts).team({"contact_hours": evenings}) == shifts  # configured wins
