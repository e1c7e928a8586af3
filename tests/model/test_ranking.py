"""Equal scores are ordered the documented way (``fraudkit.model.ranking``), whatever order the rows come in."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from fraudkit.model.metrics import replay_calls, subscriber_days
from fraudkit.model.ranking import rank

T = datetime(2026, 10, 28, 9)


def contacts() -> pl.DataFrame:
    """Five contacts, four of them at one score: two ending at the same moment, two earlier."""
    return pl.DataFrame(
        {
            "contact_id": ["c5", "c2", "c9", "c1", "c7"],
            "callee": ["A", "B", "C", "D", "E"],
            "scored_at": [T, T + timedelta(minutes=30), T + timedelta(minutes=30), T - timedelta(minutes=20), T],
            "day": [T.date()] * 5,
            "score": [0.30, 0.30, 0.30, 0.30, 0.45],
            "label": pl.Series([0, 1, 0, 0, 1], dtype=pl.Int8),
        }
    )


def test_equal_probabilities_go_latest_contact_first_then_by_contact_id() -> None:
    got = rank(contacts(), "victim")
    # E scores highest; of the ties, B and C ended last (B's contact id first), then A, then D
    assert got["callee"].to_list() == ["E", "B", "C", "A", "D"]


def test_the_order_is_the_same_whatever_order_the_rows_arrive_in() -> None:
    expected = rank(contacts(), "victim")["contact_id"].to_list()
    for seed in range(5):
        shuffled = contacts().sample(fraction=1.0, shuffle=True, seed=seed)
        assert rank(shuffled, "victim")["contact_id"].to_list() == expected


def test_precision_at_k_ranks_subscriber_days_as_the_list_does() -> None:
    assert subscriber_days(contacts())["callee"].to_list() == ["E", "B", "C", "A", "D"]


def test_the_capacity_replay_calls_equal_scores_in_the_same_order() -> None:
    """All five wait at the first slot; the team calls them one slot after another in the list's order."""
    calls = replay_calls(contacts(), threshold=0.1, capacity=24, stale_after=timedelta(hours=24))
    assert calls["callee"].to_list() == ["E", "B", "C", "A", "D"]


def test_phones_tie_on_strangers_reached_and_accounts_on_money_received() -> None:
    phones = pl.DataFrame(
        {"phone": ["p1", "p2", "p3"], "score": [0.2, 0.2, 0.9], "distinct_strangers_called": [3, 40, 1]}
    )
    assert rank(phones, "fraud_number")["phone"].to_list() == ["p3", "p2", "p1"]
    accounts = pl.DataFrame({"account_id": ["a1", "a2", "a3"], "score": [0.5] * 3, "amount_in": [10.0, 900.0, 10.0]})
    # a2 has the most money at stake; a1 and a3 tie on everything and keep the rows' own order
    assert rank(accounts, "mule")["account_id"].to_list() == ["a2", "a1", "a3"]
