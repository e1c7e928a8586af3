"""Ring-grouped cross-validation and the temporal split for the account-level mule model.

A ring's accounts resemble each other far more than they resemble other rings', so a model
that has seen one mule of a ring finds the others easily; folds keep every ring (or labels
file case) whole, so the figures say how well unseen rings are found. Each fold is the test
part once, the next fold validates (early stopping, and the flag threshold: best F1 on it), the
rest train. The figures are pooled over folds (every account tested once) and averaged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from fraudkit.model.dataset import TrainingSet
from fraudkit.model.metrics import average_precision
from fraudkit.model.mule import fold_split, temporal_split
from fraudkit.model.params import TrainParams
from fraudkit.settings import Settings

c = pl.col


def _fit_and_test(
    frame: pl.DataFrame, features: Sequence[str], p: TrainParams, s: Settings
) -> tuple[np.ndarray, np.ndarray]:
    """Labels and flags (at the validation-chosen threshold) of the test rows, and their scores, stacked."""
    from fraudkit.model.train import best_f1_threshold, fit_booster, raw_margin

    names = list(features)
    train = frame.filter(c("split") == "train")
    val = frame.filter(c("split") == "val")
    test = frame.filter(c("split") == "test")
    if int(train["label"].sum() or 0) == 0 or test.is_empty():
        return np.zeros((3, 0))
    booster = fit_booster(train, val, names, p, s).booster
    threshold = best_f1_threshold(val["label"].to_numpy(), raw_margin(booster, val, names))
    margin = raw_margin(booster, test, names)
    return np.vstack([test["label"].to_numpy().astype(float), (margin >= threshold).astype(float), margin])


def _figures(stacked: np.ndarray, prefix: str) -> dict[str, float]:
    y, hit, margin = stacked.astype(float) if stacked.size else (np.zeros(0), np.zeros(0), np.zeros(0))
    y_b, hit_b = y.astype(bool), hit.astype(bool)
    tp, flagged, positives = int((y_b & hit_b).sum()), int(hit_b.sum()), int(y_b.sum())
    return {
        f"{prefix}_precision": tp / flagged if flagged else float("nan"),
        f"{prefix}_recall": tp / positives if positives else float("nan"),
        f"{prefix}_f1": 2 * tp / (flagged + positives) if flagged + positives else float("nan"),
        f"{prefix}_auc_pr": average_precision(y.astype(np.int64), margin) if positives else float("nan"),
        f"{prefix}_positives": float(positives),
    }


def grouped_cv(frame: pl.DataFrame, features: Sequence[str], p: TrainParams, s: Settings) -> dict[str, float]:
    """Pooled precision, recall, F1, PR-AUC of ``features`` over ring-grouped folds (column ``fold``),
    with the F1 of each fold's mean and spread (``cv_f1_mean``, ``cv_f1_std``)."""
    folds = p.mule.folds
    parts, per_fold = [], []
    for k in range(folds):
        stacked = _fit_and_test(fold_split(frame, k, folds), features, p, s)
        if stacked.size:
            parts.append(stacked)
            per_fold.append(_figures(stacked, "f")["f_f1"])
    pooled = np.hstack(parts) if parts else np.zeros((3, 0))
    out = _figures(pooled, "cv")
    scored = [f for f in per_fold if not np.isnan(f)]
    out["cv_f1_mean"] = float(np.mean(scored)) if scored else float("nan")
    out["cv_f1_std"] = float(np.std(scored)) if scored else float("nan")
    out["cv_folds"] = float(len(per_fold))
    return out


def temporal_figures(ts: TrainingSet, features: Sequence[str], p: TrainParams, s: Settings) -> dict[str, float]:
    """Precision, recall, F1, PR-AUC when accounts that appeared earlier train and later ones test."""
    frame, _ = temporal_split(ts.frame, ts.as_of, p.split)
    return _figures(_fit_and_test(frame, features, p, s), "temporal")


def grouped_metrics(ts: TrainingSet, p: TrainParams, s: Settings) -> dict[str, float]:
    """The grouped cross-validation's and the temporal split's figures of a mule training set."""
    return grouped_cv(ts.frame, ts.features, p, s) | temporal_figures(ts, ts.features, p, s)
