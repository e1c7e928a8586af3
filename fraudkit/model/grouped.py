"""Ring-grouped cross-validation and the temporal split for the account-level mule model.

A ring's accounts resemble each other far more than they resemble other rings', so a model
that has seen one mule of a ring finds the others easily; folds keep every ring (or labels
file case) whole, so the figures say how well unseen rings are found. Each fold is the test
part once, the next fold validates (early stopping, and the flag threshold: best F1 on it), the
rest train. The figures are pooled over folds (every account tested once) and averaged.

The model a training registers is fitted on fold 0's split (``dataset._mule_set``), which is the
first fold's split too: its scores are passed in, and that fold is not fitted twice.
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
    frame: pl.DataFrame, features: Sequence[str], p: TrainParams, s: Settings, margin: np.ndarray | None = None
) -> np.ndarray:
    """Labels and flags (at the validation-chosen threshold) of the test rows, and their scores, stacked.

    ``margin``: every row's raw score from a booster already fitted on this split, in frame order."""
    from fraudkit.model.train import best_f1_threshold, fit_booster, raw_margin

    names = list(features)
    train_positives = frame.select((c("split") == "train") & (c("label") == 1)).to_series().sum()
    in_val, in_test = (frame["split"] == name for name in ("val", "test"))
    if not train_positives or not in_test.any():
        return np.zeros((3, 0))
    if margin is None:
        val, test = frame.filter(in_val), frame.filter(in_test)
        booster = fit_booster(frame.filter(c("split") == "train"), val, names, p, s).booster
        val_margin, test_margin = raw_margin(booster, val, names), raw_margin(booster, test, names)
    else:
        val_margin, test_margin = margin[in_val.to_numpy()], margin[in_test.to_numpy()]
    threshold = best_f1_threshold(frame["label"].filter(in_val).to_numpy(), val_margin)
    labels = frame["label"].filter(in_test).to_numpy().astype(float)
    return np.vstack([labels, (test_margin >= threshold).astype(float), test_margin])


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


def grouped_cv(
    frame: pl.DataFrame,
    features: Sequence[str],
    p: TrainParams,
    s: Settings,
    *,
    first_fold_margin: np.ndarray | None = None,
) -> dict[str, float]:
    """Pooled precision, recall, F1, PR-AUC of ``features`` over ring-grouped folds (column ``fold``),
    with the F1 of each fold's mean and spread (``cv_f1_mean``, ``cv_f1_std``).

    ``first_fold_margin``: every row's raw score from the booster fitted on fold 0's split (the
    registered model's), so that fold is not fitted again."""
    folds = p.mule.folds
    parts, per_fold = [], []
    for k in range(folds):
        known = first_fold_margin if k == 0 else None
        stacked = _fit_and_test(fold_split(frame, k, folds), features, p, s, known)
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


def grouped_metrics(
    ts: TrainingSet, p: TrainParams, s: Settings, *, first_fold_margin: np.ndarray | None = None
) -> dict[str, float]:
    """The grouped cross-validation's and the temporal split's figures of a mule training set;
    ``first_fold_margin`` as in ``grouped_cv``."""
    if first_fold_margin is not None:  # stands for fold 0 only when the frame is split as fold 0 is
        first = fold_split(ts.frame.select("fold"), 0, p.mule.folds)["split"]
        first_fold_margin = first_fold_margin if first.equals(ts.frame["split"]) else None
    cv = grouped_cv(ts.frame, ts.features, p, s, first_fold_margin=first_fold_margin)
    return cv | temporal_figures(ts, ts.features, p, s)
