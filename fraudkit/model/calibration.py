"""Scores as probabilities: a logistic map of the booster's raw margin, fitted on the validation days.

The booster is trained with positives up-weighted (``train.train_model``), so its own output
overstates risk several times over and is not a probability. Platt scaling,
``p = 1 / (1 + exp(-(slope * margin + intercept)))``, fitted on the validation days (never the
test days) turns it into one: of contacts scored 70%, about 70 in 100 were positives on those
days. The map is strictly increasing (``slope > 0``), so the ranking, the capacity replay and the
live loop's order are those of the margin; two parameters fit on a dozen positives, where an
isotonic step function would tie every score of a step (measured: no better Brier score on the
test days of the demo worlds). With too few validation positives to fit, the map only undoes
the positive weighting (``weight_corrected``). Models registered before calibration keep the
booster's own output (``none``), with the thresholds they were registered with.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

CalibrationMethod = Literal["platt", "weight_corrected", "none"]
MIN_POSITIVES = 5
"""Validation positives (and negatives) needed to fit both parameters; fewer: weight correction only."""
RELIABILITY_EDGES = (0.0, 0.01, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9, 1.0)
"""Bins of predicted probability for the reliability table: fine at the low end, where most rows are."""


@dataclass(frozen=True)
class Calibration:
    """The map from raw margin to probability, and what it was fitted on."""

    method: CalibrationMethod = "none"
    slope: float = 1.0
    intercept: float = 0.0
    rows: int = 0
    positives: int = 0

    def __post_init__(self) -> None:
        if not self.slope > 0 or not math.isfinite(self.slope) or not math.isfinite(self.intercept):
            raise ValueError(f"a calibration must be strictly increasing, got slope {self.slope}")

    def probability(self, margin: np.ndarray) -> np.ndarray:
        """Probabilities of the raw margins (a numerically stable logistic)."""
        z = self.slope * np.asarray(margin, dtype=np.float64) + self.intercept
        return np.exp(-np.logaddexp(0.0, -z))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> Calibration:
        """The calibration kept in a model's metadata; none (the booster's output) for older models."""
        found = meta.get("calibration")
        if not found:
            return cls()
        return cls(
            method=found.get("method", "platt"),
            slope=float(found["slope"]),
            intercept=float(found["intercept"]),
            rows=int(found.get("rows", 0)),
            positives=int(found.get("positives", 0)),
        )

    def describe(self) -> str:
        """One line for people: how the scores were made probabilities."""
        if self.method == "platt":
            return f"Platt on the validation days ({self.rows:,} rows, {self.positives:,} positive)"
        if self.method == "weight_corrected":
            return (
                f"positive weighting undone only: {self.positives} validation positives "
                f"are too few to fit (need {MIN_POSITIVES})"
            )
        return "none (the booster's own output)"


def weight_corrected(pos_weight: float, *, rows: int = 0, positives: int = 0) -> Calibration:
    """Undo the up-weighting of positives: their odds were multiplied by ``pos_weight`` in training."""
    return Calibration("weight_corrected", 1.0, -math.log(max(pos_weight, 1.0)), rows, positives)


def fit_calibration(margin: np.ndarray, labels: np.ndarray, *, pos_weight: float) -> Calibration:
    """Platt scaling of validation margins against their labels (Platt's smoothed targets, so
    that a separable validation set does not push the map to 0% and 100%); weight correction
    when there are fewer than ``MIN_POSITIVES`` positives or negatives, or the fit is not increasing."""
    m = np.asarray(margin, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives < MIN_POSITIVES or negatives < MIN_POSITIVES:
        return weight_corrected(pos_weight, rows=len(y), positives=positives)
    target = np.where(y > 0, (positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0))
    start = weight_corrected(pos_weight)
    slope, intercept = _newton(m, target, start.slope, start.intercept)
    if not (slope > 0 and math.isfinite(slope) and math.isfinite(intercept)):
        return weight_corrected(pos_weight, rows=len(y), positives=positives)
    return Calibration("platt", slope, intercept, len(y), positives)


def _log_loss(m: np.ndarray, target: np.ndarray, a: float, b: float) -> float:
    z = a * m + b
    return float(np.sum(np.logaddexp(0.0, z) - target * z))


def _newton(m: np.ndarray, target: np.ndarray, a: float, b: float) -> tuple[float, float]:
    """Minimise the cross-entropy of ``sigmoid(a m + b)`` against ``target`` by Newton steps, halved
    until the loss falls (Lin, Lin and Weng's safeguarded Platt): deterministic, no tolerance knobs."""
    loss = _log_loss(m, target, a, b)
    for _ in range(100):
        p = np.exp(-np.logaddexp(0.0, -(a * m + b)))
        g = np.array([np.sum((p - target) * m), np.sum(p - target)])
        w = p * (1.0 - p)
        h = np.array([[np.sum(w * m * m), np.sum(w * m)], [np.sum(w * m), np.sum(w)]]) + 1e-12 * np.eye(2)
        step = np.linalg.solve(h, g)
        size = 1.0
        while size > 1e-8:
            na, nb = a - size * step[0], b - size * step[1]
            new = _log_loss(m, target, na, nb)
            if new <= loss - 1e-4 * size * float(g @ step):
                break
            size /= 2
        else:
            break
        a, b, previous, loss = na, nb, loss, new
        if abs(previous - loss) < 1e-12 * max(1.0, abs(loss)):
            break
    return float(a), float(b)


def reliability(probability: np.ndarray, labels: np.ndarray) -> pl.DataFrame:
    """Predicted against observed, per bin of ``RELIABILITY_EDGES``: the rows in the bin, their mean
    predicted probability and the share that were positives (empty bins left out)."""
    p = np.asarray(probability, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    edges = np.asarray(RELIABILITY_EDGES)
    index = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    rows = []
    for k in range(len(edges) - 1):
        inside = index == k
        if inside.any():
            rows.append((float(edges[k]), float(edges[k + 1]), int(inside.sum()), p[inside].mean(), y[inside].mean()))
    return pl.DataFrame(rows, schema=["from", "to", "rows", "predicted", "observed"], orient="row").with_columns(
        pl.col("rows").cast(pl.Int64)
    )


def calibration_metrics(probability: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Brier score, expected calibration error (rows-weighted gap of the reliability bins), and the
    mean predicted probability beside the observed rate."""
    p = np.asarray(probability, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    if len(p) == 0:
        nan = float("nan")
        return {"brier": nan, "calibration_error": nan, "mean_probability": nan, "observed_rate": nan}
    bins = reliability(p, y)
    gap = float((bins["rows"] * (bins["predicted"] - bins["observed"]).abs()).sum()) / len(p)
    return {
        "brier": float(np.mean((p - y) ** 2)),
        "calibration_error": gap,
        "mean_probability": float(p.mean()),
        "observed_rate": float(y.mean()),
    }
