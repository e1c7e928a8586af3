"""Scores are probabilities: the calibration map is fitted on the validation days only, keeps the
ranking, says what it means on the test days, and every scorer of a registered model applies it."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from fraudkit.model.calibration import (
    MIN_POSITIVES,
    Calibration,
    calibration_metrics,
    fit_calibration,
    reliability,
)
from fraudkit.model.dataset import TrainingSet
from fraudkit.model.registry import LoadedModel, RegisteredModel, load_model
from fraudkit.model.train import TrainResult, raw_margin
from fraudkit.text import format_probability


def logistic_world(seed: int, rows: int, slope: float, intercept: float) -> tuple[np.ndarray, np.ndarray]:
    """Margins and labels drawn so that P(label | margin) = sigmoid(slope * margin + intercept)."""
    rng = np.random.default_rng(seed)
    margin = rng.normal(0.0, 2.0, rows)
    labels = (rng.random(rows) < 1 / (1 + np.exp(-(slope * margin + intercept)))).astype(np.int8)
    return margin, labels


def test_platt_recovers_the_map_that_made_the_labels() -> None:
    margin, labels = logistic_world(seed=11, rows=20_000, slope=0.6, intercept=-2.5)
    got = fit_calibration(margin, labels, pos_weight=30.0)
    assert got.method == "platt" and (got.rows, got.positives) == (20_000, int(labels.sum()))
    assert got.slope == pytest.approx(0.6, abs=0.05) and got.intercept == pytest.approx(-2.5, abs=0.1)
    # and is deterministic: the same rows give the same map to the last bit
    assert fit_calibration(margin, labels, pos_weight=30.0) == got


def test_the_map_is_strictly_increasing_so_the_ranking_is_the_margins() -> None:
    margin, labels = logistic_world(seed=3, rows=2_000, slope=1.4, intercept=-3.0)
    cal = fit_calibration(margin, labels, pos_weight=10.0)
    p = cal.probability(margin)
    order = np.argsort(margin, kind="mergesort")
    assert np.all(np.diff(p[order]) >= 0) and len(np.unique(p)) == len(np.unique(margin))
    with pytest.raises(ValueError, match="strictly increasing"):
        Calibration("platt", slope=0.0, intercept=1.0)


def test_too_few_validation_positives_only_undo_the_positive_weighting() -> None:
    margin = np.linspace(-3, 3, 200)
    labels = np.zeros(200, dtype=np.int8)
    labels[[150, 190]] = 1  # two positives: too few for two parameters
    got = fit_calibration(margin, labels, pos_weight=40.0)
    assert got.method == "weight_corrected" and got.positives == 2 < MIN_POSITIVES
    assert (got.slope, got.intercept) == (1.0, pytest.approx(-math.log(40.0)))
    # a booster trained with positives weighted 40 reports odds 40 times too high: undone exactly
    assert got.probability(np.array([math.log(40.0)]))[0] == pytest.approx(0.5)
    assert "too few" in got.describe()


def test_a_model_without_a_calibration_keeps_the_boosters_own_output() -> None:
    plain = Calibration.from_meta({"thresholds": {"red": 0.9}})  # registered before calibration
    assert plain.method == "none"
    assert plain.probability(np.array([0.0, 2.0])) == pytest.approx([0.5, 1 / (1 + math.exp(-2))])


def test_reliability_bins_and_calibration_figures_hand_computed() -> None:
    p = np.array([0.005, 0.005, 0.6, 0.6, 0.6, 0.6, 0.95])
    y = np.array([0, 0, 1, 1, 0, 0, 1])
    bins = reliability(p, y)
    assert bins.select("from", "rows").rows() == [(0.0, 2), (0.5, 4), (0.9, 1)]
    assert bins["observed"].to_list() == pytest.approx([0.0, 0.5, 1.0])
    got = calibration_metrics(p, y)
    assert got["brier"] == pytest.approx(np.mean((p - y) ** 2))
    assert got["calibration_error"] == pytest.approx((2 * 0.005 + 4 * 0.1 + 1 * 0.05) / 7)
    assert got["mean_probability"] == pytest.approx(p.mean()) and got["observed_rate"] == pytest.approx(3 / 7)


@pytest.mark.parametrize(
    ("p", "shown"),
    [
        (0.71, "71%"),
        (0.7013542245243389, "70%"),
        (0.075, "7.5%"),
        (0.0069, "0.7%"),
        (0.0075, "0.8%"),
        (0.004, "0.4%"),
        (0.0004, "<0.1%"),
        (0.0, "<0.1%"),
        (0.0999, "10%"),
        (0.994, "99%"),
        (0.9999, ">99%"),
        (float("nan"), "-"),
        (None, "-"),
    ],
)
def test_probabilities_are_shown_as_percentages_people_read(p: float | None, shown: str) -> None:
    assert format_probability(p) == shown


def test_training_calibrates_on_the_validation_days_and_it_holds_on_the_test_days(
    victim_model: TrainResult, victim_set: TrainingSet
) -> None:
    cal = victim_model.calibration
    val = victim_set.part("val")
    assert cal.method == "platt" and (cal.rows, cal.positives) == (val.height, int(val["label"].sum()))
    assert victim_model.meta["calibration"] == cal.to_dict()
    # refitting on the validation days alone gives the same map: no training or test day was used
    again = fit_calibration(
        raw_margin(victim_model.booster, val, victim_model.features),
        val["label"].to_numpy(),
        pos_weight=victim_model.meta["pos_weight"],
    )
    assert again == cal
    # the booster's own output overstates risk (positives were weighted); the calibrated one is closer
    test = victim_set.part("test")
    labels = test["label"].to_numpy()
    margin = raw_margin(victim_model.booster, test, victim_model.features)
    uncalibrated = calibration_metrics(Calibration().probability(margin), labels)
    m = victim_model.metrics
    assert m["brier"] < uncalibrated["brier"] and m["calibration_error"] < uncalibrated["calibration_error"]
    assert m["calibration_error"] < 0.05
    assert victim_model.reliability is not None and victim_model.reliability["rows"].sum() == test.height


def test_every_scorer_of_a_registered_model_applies_its_calibration(
    registered: RegisteredModel, victim_model: TrainResult, settings
) -> None:
    model = load_model(settings, "victim", registered.version)
    assert model.calibration == victim_model.calibration
    rows = victim_model.test_scored
    margin = raw_margin(model.booster, rows, model.features)
    assert np.allclose(model.score(rows).to_numpy(), victim_model.calibration.probability(margin), atol=1e-12)
    plain = LoadedModel(model.target, model.version, model.run_id, model.booster, {"features": model.features})
    assert not np.allclose(plain.score(rows).to_numpy(), model.score(rows).to_numpy())
    # tiers are read as probabilities
    assert (model.thresholds["red"], model.thresholds["orange"]) == (0.5, 0.2)
    assert 0.0 < model.thresholds["capacity"] < 1.0
    scored = rows.with_columns(model.score(rows))
    assert scored.filter(pl.col("score") >= 0.5).height > 0, "a small world's scam contacts are likely positives"
