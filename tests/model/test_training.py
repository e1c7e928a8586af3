"""Training sets, the temporal split, labels from every source, and deterministic LightGBM training."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import polars as pl
import pytest
from model_world import AS_OF, ModelWorld

from fraudkit.errors import NotReadyError
from fraudkit.model.dataset import TrainingSet, build_training_set, entity_rows
from fraudkit.model.labels import apply_outcomes
from fraudkit.model.metrics import at_k, average_precision, interception, replay_calls
from fraudkit.model.params import LabelParams, SplitParams, TrainParams
from fraudkit.model.split import split_days
from fraudkit.model.train import TIER_PROBABILITY, TrainResult, _thresholds, train_model
from fraudkit.settings import Settings
from fraudkit.store import connect


def test_split_days_keeps_order_and_shares() -> None:
    days = [date(2026, 10, 1) + timedelta(days=i) for i in range(20)]
    split = split_days(list(reversed(days)), SplitParams(val_share=0.2, test_share=0.3))
    assert split.train == tuple(days[:10]) and split.val == tuple(days[10:14]) and split.test == tuple(days[14:])
    with pytest.raises(NotReadyError, match="need at least 3"):
        split_days(days[:2], SplitParams())


def test_every_training_day_comes_before_every_validation_and_test_day(victim_set: TrainingSet) -> None:
    split = victim_set.split
    assert max(split.train) < min(split.val) and max(split.val) < min(split.test)
    frame = victim_set.frame
    for part in ("train", "val", "test"):
        rows = frame.filter(pl.col("split") == part)
        assert set(rows["day"].unique().to_list()) <= set(getattr(split, part))
        assert (rows["scored_at"].dt.date() == rows["day"]).all()
    # labels need a day to mature: nothing is used from the last horizon before the as-of time
    assert frame["scored_at"].max() < AS_OF - LabelParams().horizon
    # the burn-in: the first days only feed look-backs
    assert min(split.train) >= date(2026, 10, 1) + SplitParams().burn_in


def test_truth_labels_mark_the_hook_and_leave_out_other_contacts_of_victims(
    victim_set: TrainingSet, model_world: ModelWorld
) -> None:
    frame = victim_set.frame
    truth = model_world.world.truth
    positives = frame.filter(pl.col("label") == 1)
    assert positives.height > 50
    assert positives["caller"].is_in(truth["fraud_numbers"]["phone"].implode()).all()
    assert positives["callee"].is_in(truth["victims"]["phone"].implode()).all()
    non_victims = frame.filter(~pl.col("callee").is_in(truth["victims"]["phone"].implode()))
    assert (non_victims["label"] == 0).all() and (non_victims["label_source"] == "none").all()
    assert set(frame["label_source"].unique().to_list()) <= {"truth", "none"}


def test_outcomes_override_labels_within_their_window() -> None:
    t = datetime(2026, 10, 20, 12)
    contacts = pl.DataFrame(
        {
            "contact_id": ["a", "b", "c", "d"],
            "callee": ["P1", "P1", "P2", "P3"],
            "scored_at": [t - timedelta(hours=1), t - timedelta(days=5), t - timedelta(hours=2), t],
            "label": pl.Series([0, 0, 1, 0], dtype=pl.Int8),
            "label_source": ["none", "none", "report", "none"],
        }
    )
    outcomes = pl.DataFrame(
        {
            "phone": ["P1", "P2", "P3"],
            "contacted_at": [t, t, t],
            "result": ["confirmed_victim", "false_alarm", "reached"],
        }
    )
    got = apply_outcomes(contacts, outcomes, LabelParams()).sort("contact_id")
    assert got["label"].to_list() == [1, 0, 0, 0]  # b is older than the outcome window; d was only reached
    assert got["label_source"].to_list() == ["outcome", "none", "outcome", "none"]


def test_the_next_training_takes_call_back_outcomes_as_labels(model_world: ModelWorld, tmp_path) -> None:
    """Without ground truth, reports label the rows; after `ingest --kind outcomes`, a confirmed victim
    becomes a positive and a false alarm a negative."""
    db = tmp_path / "copy.duckdb"
    db.write_bytes(model_world.db.read_bytes())
    con = connect(db)
    try:
        before = build_training_set(con, "victim", as_of=AS_OF)
        assert before.label_source == "reports"
        rows = before.frame.filter(pl.col("label_source") == "none").sort("scored_at", "contact_id")
        confirmed, alarm = rows.row(10, named=True), rows.row(20, named=True)
        reported = before.frame.filter(pl.col("label") == 1).row(0, named=True)
        con.executemany(
            "INSERT INTO outcomes VALUES (?, ?, ?, ?)",
            [
                [confirmed["callee"], confirmed["scored_at"] + timedelta(minutes=30), "confirmed_victim", "paid 5000"],
                [
                    reported["callee"],
                    reported["scored_at"] + timedelta(minutes=30),
                    "false_alarm",
                    "a real estate agent",
                ],
                [alarm["callee"], alarm["scored_at"] + timedelta(minutes=30), "false_alarm", None],
            ],
        )
        after = build_training_set(con, "victim", as_of=AS_OF).frame
    finally:
        con.close()

    def row(contact: dict) -> dict:
        return after.filter(pl.col("contact_id") == contact["contact_id"]).row(0, named=True)

    assert (row(confirmed)["label"], row(confirmed)["label_source"]) == (1, "outcome")
    assert (row(reported)["label"], row(reported)["label_source"]) == (0, "outcome")
    assert (row(alarm)["label"], row(alarm)["label_source"]) == (0, "outcome")


def test_training_is_deterministic(victim_set: TrainingSet, victim_model: TrainResult, settings: Settings) -> None:
    again = train_model(victim_set, TrainParams(target="victim"), settings)
    assert np.array_equal(again.test_scored["score"].to_numpy(), victim_model.test_scored["score"].to_numpy())
    assert again.metrics == victim_model.metrics


def test_metrics_are_computed_on_the_test_days(victim_model: TrainResult, victim_set: TrainingSet) -> None:
    m = victim_model.metrics
    test = victim_set.part("test")
    assert m["rows"] == test.height and m["positives"] == test["label"].sum()
    for key in ("auc_pr", "precision_at_k", "recall_at_k", "warned_share", "loss_stopped_share"):
        assert 0.0 <= m[key] <= 1.0, key
    assert m["auc_pr"] > 0.5, "the scam contacts of a small world are easy to rank high"
    assert m["calls_per_day"] <= victim_model.params.capacity
    assert m["median_lead_minutes"] > 0
    assert victim_model.importance["feature"].to_list()[0] in victim_set.features


def test_the_victim_model_records_when_its_training_victims_were_hooked(
    victim_model: TrainResult, victim_set: TrainingSet
) -> None:
    """A warning team without configured shifts is staffed by these hours (live.config.demand_profile),
    so they must come from the training and validation days only, never the test days a replay measures."""
    hours = victim_model.meta["contact_hours"]
    seen = pl.concat([victim_set.part("train"), victim_set.part("val")]).filter(pl.col("label") == 1)
    assert len(hours) == 24 and sum(hours) == seen.height > 0
    busiest = seen["scored_at"].dt.hour().mode().sort()[0]
    assert hours[busiest] == max(hours)


def test_average_precision_matches_a_hand_computation() -> None:
    labels = np.array([1, 0, 1, 0, 0, 1])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    # positives at ranks 1, 3, 6: (1/1 + 2/3 + 3/6) / 3
    assert average_precision(labels, scores) == pytest.approx((1 + 2 / 3 + 0.5) / 3)
    # a tie between a positive and a negative counts as one threshold
    assert average_precision(np.array([1, 0]), np.array([0.5, 0.5])) == pytest.approx(0.5)


def test_precision_at_k_says_when_too_few_positives_cap_it() -> None:
    ranked = pl.DataFrame({"label": [1, 0, 1, 0, 0, 0]})  # best first; 2 positives
    assert at_k(ranked, 4) == {"precision_at_k": 0.5, "best_precision_at_k": 0.5, "recall_at_k": 1.0}
    assert at_k(ranked, 1) == {"precision_at_k": 1.0, "best_precision_at_k": 1.0, "recall_at_k": 0.5}
    assert at_k(ranked, 10)["best_precision_at_k"] == 2 / 6  # k beyond the rows: only 6 slots


def test_tiers_are_probabilities_and_the_capacity_threshold_comes_from_the_validation_days() -> None:
    day = datetime(2026, 10, 20).date()
    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
    val = pl.DataFrame(
        {"callee": [f"p{i}" for i in range(10)], "day": [day] * 10, "score": scores, "label": [1, 0] * 5}
    )
    got = _thresholds(val, capacity=3, victim=True)
    assert (got["red"], got["orange"]) == (TIER_PROBABILITY["red"], TIER_PROBABILITY["orange"]) == (0.5, 0.2)
    assert got["capacity"] == 0.7  # three subscribers a day on the one validation day
    assert _thresholds(val, capacity=4, victim=False)["capacity"] == 0.6


def test_the_capacity_replay_calls_the_best_waiting_alert_and_counts_only_calls_before_the_loss() -> None:
    day = datetime(2026, 10, 25)
    scored = pl.DataFrame(
        {
            "contact_id": ["low", "high", "late"],
            "callee": ["A", "B", "C"],
            "scored_at": [
                day + timedelta(minutes=1),
                day + timedelta(minutes=2),
                day + timedelta(hours=23, minutes=59),
            ],
            "day": [day.date()] * 3,
            "score": [0.3, 0.9, 0.8],
            "label": pl.Series([0, 1, 1], dtype=pl.Int8),
        }
    )
    calls = replay_calls(scored, threshold=0.2, capacity=4, stale_after=timedelta(hours=24))
    # one slot every 6 h: at 06:00 B (the best waiting) is called, at 12:00 A; C comes after the last slot
    assert calls["callee"].to_list() == ["B", "A"]
    assert calls["called_at"].to_list() == [day + timedelta(hours=6), day + timedelta(hours=12)]
    victims = pl.DataFrame(
        {
            "phone": ["B", "C"],
            "first_loss_at": [day + timedelta(hours=7), day + timedelta(hours=23, minutes=59, seconds=30)],
            "loss": [1_000.0, 3_000.0],
        }
    )
    got = interception(scored, victims, threshold=0.2, capacity=4)
    assert got["warned_share"] == 0.5 and got["loss_stopped_share"] == 0.25
    assert got["median_lead_minutes"] == 60.0


def test_fraud_number_rows_are_active_phones_as_of_the_next_midnight(model_world: ModelWorld) -> None:
    con = duckdb.connect(str(model_world.db), read_only=True)
    try:
        rows = entity_rows(con, "fraud_number", date(2026, 10, 20), window=timedelta(days=7))
    finally:
        con.close()
    calls = model_world.tables["calls"]
    active = calls.filter(pl.col("start_time").dt.date() == date(2026, 10, 20))["caller"].unique()
    assert set(rows["phone"].to_list()) == set(active.to_list())
    assert (rows["as_of"] == datetime(2026, 10, 21)).all()
    fraud = rows.filter(pl.col("phone").is_in(model_world.world.truth["fraud_numbers"]["phone"].implode()))
    assert fraud.height > 0 and fraud["distinct_strangers_called"].min() > rows["distinct_strangers_called"].median()
