"""The per-day targets: rows as of each midnight that ignore later events; trained, registered, scored alike."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import polars as pl
import pytest
from model_world import AS_OF, ModelWorld
from polars.testing import assert_frame_equal

from fraudkit.features import build_features
from fraudkit.model import build_training_set, entity_rows, load_model, register, score_day, train_model
from fraudkit.model.dataset import phone_frames
from fraudkit.model.params import TrainParams
from fraudkit.settings import Settings
from fraudkit.store import connect


def test_fraud_numbers_are_ranked_high_and_scored_per_day_like_in_training(
    model_world: ModelWorld, settings: Settings
) -> None:
    con = duckdb.connect(str(model_world.db), read_only=True)
    try:
        ts = build_training_set(con, "fraud_number", as_of=AS_OF, truth=model_world.truth)
        result = train_model(ts, TrainParams(target="fraud_number", capacity=20), settings)
        version = register(result, settings)
        model = load_model(settings, "fraud_number", version.version)
        day = max(ts.split.test)
        scored = score_day(con, model, day)
    finally:
        con.close()
    assert ts.label_source == "truth" and ts.keys == ["phone", "as_of"]
    assert result.metrics["auc_pr"] > 0.8, result.metrics
    expected = result.test_scored.filter(pl.col("day") == day).select("phone", "score").sort("phone")
    assert scored.select("phone", "score").sort("phone").equals(expected)
    truth = set(model_world.world.truth["fraud_numbers"]["phone"].to_list())
    assert scored["phone"][0] in truth, "the day's top-scored phone is a fraud number"
    assert isinstance(day, date)


@pytest.mark.parametrize("target", ["fraud_number", "mule"])
def test_rows_of_a_day_do_not_change_when_later_events_are_deleted(
    target: str, model_world: ModelWorld, tmp_path
) -> None:
    day = date(2026, 10, 22)
    cut = datetime(2026, 10, 23)
    db = tmp_path / "cut.duckdb"
    db.write_bytes(model_world.db.read_bytes())
    con = connect(db)
    try:
        before = entity_rows(con, target, day, window=timedelta(days=7))
        con.execute("DELETE FROM calls WHERE start_time >= ?", [cut])
        con.execute("DELETE FROM transactions WHERE ts >= ?", [cut])
        con.execute("DELETE FROM reports WHERE reported_at >= ?", [cut])
        after = entity_rows(con, target, day, window=timedelta(days=7))
    finally:
        con.close()
    assert before.height > 100
    assert_frame_equal(before, after)


def test_rows_from_one_read_of_the_span_are_each_days_own(model_world: ModelWorld) -> None:
    """Training reads the store once for all its days; every day's rows are those of the whole frame."""
    con = duckdb.connect(str(model_world.db), read_only=True)
    try:
        days = [date(2026, 10, 12), date(2026, 10, 18), date(2026, 10, 25)]
        loaded = phone_frames(con, days, timedelta(days=7))
        for day in days:
            as_of = datetime.combine(day, datetime.min.time()) + timedelta(days=1)
            callers = con.sql(
                "SELECT DISTINCT caller FROM calls WHERE start_time >= ? AND start_time < ?",
                params=[as_of - timedelta(days=1), as_of],
            ).pl()["caller"]
            whole = build_features(con, as_of=as_of, window=timedelta(days=7), entities=("phone",))["phone"]
            expected = whole.filter(pl.col("phone").is_in(callers.implode())).with_columns(
                pl.lit(as_of).alias("as_of"), pl.lit(day).alias("day")
            )
            assert expected.height > 100
            assert_frame_equal(entity_rows(con, "fraud_number", day, window=timedelta(days=7), loaded=loaded), expected)
            assert_frame_equal(entity_rows(con, "fraud_number", day, window=timedelta(days=7)), expected)
    finally:
        con.close()
