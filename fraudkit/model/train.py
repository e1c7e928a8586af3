"""Training: LightGBM on the training days, early stopping and calibration on the validation days,
judged on the test days.

Imbalance is handled by weighting positives (negatives/positives, capped); the booster is
deterministic (fixed seed, ``deterministic=True``, col-wise histograms, threads from settings),
so the same data and settings give the same model, score for score. Scores are probabilities:
the booster's raw margin through the calibration fitted on the validation days (``calibration``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import polars as pl

from fraudkit.errors import NotReadyError
from fraudkit.model.calibration import (
    Calibration,
    calibration_metrics,
    fit_calibration,
    reliability,
)
from fraudkit.model.dataset import TrainingSet, split_part
from fraudkit.model.metrics import (
    at_k,
    capacity_threshold,
    interception,
    only_labelled,
    ranking_metrics,
    subscriber_days,
)
from fraudkit.model.params import TrainParams, contact_params_to_dict, mule_params_to_dict
from fraudkit.settings import Settings
from fraudkit.text import format_probability
from fraudkit.timeutil import start_of_day

if TYPE_CHECKING:
    import lightgbm

c = pl.col
NO_VICTIMS = pl.DataFrame(schema={"phone": pl.String, "first_loss_at": pl.Datetime("us"), "loss": pl.Float64})
TIER_PROBABILITY = {"red": 0.5, "orange": 0.2}
"""Tiers as probabilities: red from 50% (one such person in two is a positive), orange from 20%."""


@dataclass
class TrainResult:
    """A trained booster with what is needed to use it and to judge it again later."""

    target: str
    booster: lightgbm.Booster
    features: list[str]
    params: TrainParams
    metrics: dict[str, float]
    importance: pl.DataFrame
    test_scored: pl.DataFrame
    """Test-day rows (and, for victims, the contacts in the horizon before) with ``score``."""
    meta: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    test_victims: pl.DataFrame | None = None
    """Victim target: the victims whose first loss fell on a test day (phone, first_loss_at, loss)."""
    calibration: Calibration = field(default_factory=Calibration)
    reliability: pl.DataFrame | None = None
    """Predicted against observed probability per bin on the test days (``calibration.reliability``)."""
    artifacts: dict[str, str] = field(default_factory=dict)
    """Where ``registry.register`` put the pictures and tables of the run (name -> path or URI)."""


def raw_margin(booster: lightgbm.Booster, frame: pl.DataFrame, features: list[str]) -> np.ndarray:
    """The booster's raw scores (log-odds, before any sigmoid) for the rows of ``frame``."""
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise NotReadyError(f"rows lack the model's features: {', '.join(missing)}")
    if frame.is_empty():
        return np.zeros(0)
    # in pieces: the matrix of 5.3M fraud-number rows alone was 2 GiB; each row's score is its own
    pieces = [
        booster.predict(
            _matrix(frame.slice(at, MARGIN_ROWS), features),
            num_iteration=booster.best_iteration or None,
            raw_score=True,
        )
        for at in range(0, frame.height, MARGIN_ROWS)
    ]
    return np.concatenate(pieces)


MARGIN_ROWS = 500_000
"""Rows scored at a time by ``raw_margin``."""


def predict(
    booster: lightgbm.Booster, frame: pl.DataFrame, features: list[str], calibration: Calibration | None = None
) -> np.ndarray:
    """Probabilities for the rows of ``frame`` (columns ``features``, in the booster's order):
    the raw margin through ``calibration`` (none: the booster's own, uncalibrated output)."""
    return (calibration or Calibration()).probability(raw_margin(booster, frame, features))


def _matrix(frame: pl.DataFrame, features: list[str]) -> np.ndarray:
    return frame.select([c(f).cast(pl.Float64) for f in features]).to_numpy()


class Fitted(NamedTuple):
    """A fitted booster with what its fit used: the positives' weight, the validation sets (none: every
    round kept) and how many training rows it saw."""

    booster: lightgbm.Booster
    pos_weight: float
    valid_sets: list[Any]
    rows: int


def fit_booster(train: pl.DataFrame, val: pl.DataFrame, features: list[str], p: TrainParams, s: Settings) -> Fitted:
    """A booster fitted on ``train`` (sampled past ``max_train_rows``: every fit, folds included), stopped
    early on ``val`` when it holds both classes."""
    from fraudkit.model.lgbm import lightgbm

    lgb = lightgbm()

    train = sample_training_rows(train, p.max_train_rows, seed=p.lgbm.seed)
    pos = int(train["label"].sum() or 0)
    neg = train.height - pos
    pos_weight = float(min(max(neg / max(pos, 1), 1.0), p.lgbm.max_pos_weight))
    booster_params = p.lgbm.booster_params(pos_weight=pos_weight, threads=s.threads)
    dtrain = lgb.Dataset(
        _matrix(train, features), label=train["label"].to_numpy(), feature_name=features, free_raw_data=False
    )
    val_pos = int(val["label"].sum() or 0)
    callbacks = []
    valid_sets = []
    if val.height and 0 < val_pos < val.height:
        dval = lgb.Dataset(_matrix(val, features), label=val["label"].to_numpy(), reference=dtrain)
        valid_sets = [dval]
        callbacks.append(lgb.early_stopping(p.lgbm.early_stopping_rounds, first_metric_only=True, verbose=False))
    booster = lgb.train(
        booster_params,
        dtrain,
        num_boost_round=p.lgbm.max_rounds if valid_sets else min(p.lgbm.max_rounds, 200),
        valid_sets=valid_sets,
        valid_names=["val"] if valid_sets else None,
        callbacks=callbacks,
    )
    if not valid_sets:
        booster.best_iteration = 0  # no validation positives: keep every round (recorded below)
    return Fitted(booster, pos_weight, valid_sets, train.height)


def sample_training_rows(train: pl.DataFrame, max_rows: int, *, seed: int) -> pl.DataFrame:
    """At most ``max_rows`` rows: every positive, and negatives drawn uniformly with ``seed``, in their
    order. Rare positives carry the signal; a million negatives describe ordinary phones as well as
    three, at a third of the booster's time and memory."""
    if train.height <= max_rows:
        return train
    return train.filter(pl.Series(_kept_rows((train["label"] == 1).to_numpy(), max_rows, seed)))


def _kept_rows(positive: np.ndarray, max_rows: int, seed: int) -> np.ndarray:
    """Which rows ``sample_training_rows`` keeps, from which are positive."""
    negatives = np.flatnonzero(~positive)
    keep_n = max(max_rows - int(positive.sum()), 0)
    chosen = np.random.default_rng(seed).choice(negatives, size=min(keep_n, negatives.size), replace=False)
    keep = positive.copy()
    keep[chosen] = True
    return keep


def training_rows(ts: TrainingSet, max_rows: int, *, seed: int) -> pl.DataFrame:
    """``sample_training_rows(ts.part("train"), ...)``, the same rows in the same order, cut from the
    whole frame in one filter: the training part is never copied out whole (2.5M rows at 1M subscribers)."""
    in_part = ts.frame.select(((c("split") == "train") & c("label").is_not_null()).fill_null(False))
    mask = in_part.to_series().to_numpy()
    positions = np.flatnonzero(mask)
    if positions.size > max_rows:
        positive = (ts.frame["label"].gather(positions) == 1).fill_null(False).to_numpy()
        mask = np.zeros(ts.frame.height, dtype=bool)
        mask[positions[_kept_rows(positive, max_rows, seed)]] = True
    return ts.frame.filter(pl.Series(mask))


def train_model(ts: TrainingSet, params: TrainParams | None = None, settings: Settings | None = None) -> TrainResult:
    """Fit on the training days, stop early on the validation days, evaluate on the test days.

    The mule target trains on ring-grouped folds instead of days and adds the grouped
    cross-validation and the temporal split's figures to the metrics (``model.grouped``)."""
    started = time.perf_counter()
    p = params or TrainParams(target=ts.target)
    s = settings or Settings()
    pos = int(ts.frame.filter((c("split") == "train") & (c("label") == 1)).height)
    if pos == 0:
        raise NotReadyError(
            f"no positive {ts.target} labels in the training days ({ts.split.describe()['train_days']})",
            hint="pass --truth DIR for a synthetic world, or ingest reports and call-back outcomes",
        )
    train = training_rows(ts, p.max_train_rows, seed=p.lgbm.seed)  # what fit_booster would sample, cut at once
    booster, pos_weight, valid_sets, fitted_rows = fit_booster(train, ts.part("val"), ts.features, p, s)
    del train

    margin = raw_margin(booster, ts.frame, ts.features)
    fitted_on = (ts.frame["split"] == "val") & ts.frame["label"].is_not_null()
    calibration = fit_calibration(
        margin[fitted_on.to_numpy()], ts.frame["label"].filter(fitted_on).to_numpy(), pos_weight=pos_weight
    )
    scored = ts.frame.with_columns(pl.Series("score", calibration.probability(margin)))
    meta: dict[str, Any] = {
        "target": ts.target,
        "features": ts.features,
        "keys": ts.keys,
        "as_of": ts.as_of.isoformat(),
        "label_source": ts.label_source,
        "split": {name: [d.isoformat() for d in getattr(ts.split, name)] for name in ("train", "val", "test")},
        "capacity": p.capacity,
        "pos_weight": pos_weight,
        "best_iteration": int(booster.best_iteration or booster.current_iteration()),
        "early_stopped": bool(valid_sets),
        "calibration": calibration.to_dict(),
    }
    meta["horizon_hours"] = p.labels.horizon.total_seconds() / 3600
    if ts.target == "victim":
        meta["contacts"] = contact_params_to_dict(p.contacts)
        meta["contact_hours"] = contact_hours(ts.frame)
    else:
        meta["window_days"] = p.window.total_seconds() / 86400
    if ts.target == "mule":
        meta["mule"] = mule_params_to_dict(p.mule)
        meta["dropped"] = dict(ts.dropped)
        meta["notes"] = list(ts.notes)
    metrics, test_scored, thresholds = evaluate(scored, p, test_days=list(ts.split.test), victims=ts.victims)
    meta["thresholds"] = thresholds
    importance = feature_importance(booster)
    if ts.target == "victim":  # its evaluated rows reach back before the test days
        test_rows = scored.filter((c("split") == "test") & c("label").is_not_null())
    else:  # the test days' rows, as evaluate returned them
        test_rows = only_labelled(test_scored)
    metrics |= {f"{k}": float(v) for k, v in ts.summary().items()}
    metrics["best_iteration"] = float(meta["best_iteration"])
    metrics["train_rows_fitted"] = float(fitted_rows)
    if ts.target != "victim":
        metrics |= flag_metrics(test_rows, thresholds["flag"])
    if ts.target == "mule" and "fold" in ts.frame.columns:
        from fraudkit.model.grouped import grouped_metrics

        metrics |= grouped_metrics(ts, p, s, first_fold_margin=margin)  # fold 0's split is the model's
    return TrainResult(
        target=ts.target,
        booster=booster,
        features=ts.features,
        params=p,
        metrics=metrics,
        importance=importance,
        test_scored=test_scored,
        meta=meta,
        seconds=time.perf_counter() - started,
        test_victims=None
        if ts.victims is None
        else ts.victims.filter(c("first_loss_at").dt.date().is_in(list(ts.split.test))),
        calibration=calibration,
        reliability=reliability(test_rows["score"].to_numpy(), test_rows["label"].to_numpy()),
    )


def contact_hours(frame: pl.DataFrame) -> list[int]:
    """Victims' contacts of the training and validation days by hour of day: when people are hooked,
    which shapes a warning team's shifts when none are configured (``live.config.demand_profile``).
    The test days are left out, so a replay of them is not staffed by what it measures."""
    seen = frame.filter((c("label") == 1) & c("split").is_in(["train", "val"]))
    counts = dict(seen.group_by(c("scored_at").dt.hour().alias("hour")).len().iter_rows())
    return [int(counts.get(hour, 0)) for hour in range(24)]


def evaluate(
    scored: pl.DataFrame,
    params: TrainParams,
    *,
    test_days: list[date],
    victims: pl.DataFrame | None = None,
    thresholds: dict[str, float] | None = None,
) -> tuple[dict[str, float], pl.DataFrame, dict[str, float]]:
    """Metrics on the test days of scored rows (ranking, calibration, and for victims the capacity
    replay), the rows they were computed from, and the thresholds.

    Thresholds (capacity, red tier) come from the validation days unless given (a registered
    model keeps its own when it is compared with another on the same test days). For
    victims, the rows returned include the contacts of the ``horizon`` before the first test
    day, whose call-backs may still have come in time (see ``metrics.interception``).
    """
    test = split_part(scored, "test")
    victim = params.target == "victim"
    metrics = ranking_metrics(test, k=params.capacity, per_subscriber_day=victim, target=params.target)
    labelled = only_labelled(test)
    metrics |= calibration_metrics(labelled["score"].to_numpy(), labelled["label"].to_numpy())
    if thresholds is None:  # from the columns the thresholds read only, not a copy of every feature
        read = ["day", "score", "label", *(["callee"] if victim else [])]
        thresholds = _thresholds(scored.select(*read, "split").filter(c("split") == "val"), params.capacity, victim)
    if not victim:
        return metrics, test, thresholds
    if "scam_contact" in test.columns:
        scam = at_k(subscriber_days(test, label="scam_contact"), params.capacity)
        metrics["scam_contact_precision_at_k"] = scam["precision_at_k"]
    horizon = params.labels.horizon
    window = scored.filter((c("split") == "test") | (c("scored_at") >= start_of_day(min(test_days)) - horizon))
    test_victims = (victims if victims is not None else NO_VICTIMS).filter(
        c("first_loss_at").dt.date().is_in(test_days)
    )
    metrics |= interception(
        window, test_victims, threshold=thresholds["capacity"], capacity=params.capacity, horizon=horizon
    )
    metrics["subscriber_days"] = float(subscriber_days(test).height)
    return metrics, window, thresholds


def _thresholds(val: pl.DataFrame, capacity: int, victim: bool) -> dict[str, float]:
    """``capacity``: from the validation days, the probability at which alerts (victims: one per
    subscriber and day) averaged the daily capacity, the replay's threshold; the tiers are
    probabilities (``TIER_PROBABILITY``), the same for every model, since scores are calibrated."""
    if victim:
        return {"capacity": capacity_threshold(val, capacity), **TIER_PROBABILITY}
    days = max(val.group_by("day").len().height, 1)
    ranked = val["score"].sort(descending=True)
    capacity_score = float(ranked[min(capacity * days, ranked.len()) - 1]) if ranked.len() else 0.5
    labelled = val.filter(c("label").is_not_null())
    flag = best_f1_threshold(labelled["label"].to_numpy(), labelled["score"].to_numpy())
    return {"capacity": capacity_score, **TIER_PROBABILITY, "flag": flag}


def best_f1_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    """The score at and above which flagging gives the best F1 on these rows (validation rows:
    ``score`` flags with it); 0.5 when they hold no positive. Of equal F1, the higher score."""
    y = np.asarray(labels, dtype=np.int64)
    if y.sum() == 0:
        return 0.5
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    sorted_scores = np.asarray(scores, dtype=np.float64)[order]
    tp = np.cumsum(y[order])
    flagged = np.arange(1, y.size + 1)
    last_of_tie = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]  # a threshold flags all equal scores
    f1 = np.where(last_of_tie, 2 * tp / (flagged + y.sum()), -1.0)
    return float(sorted_scores[int(np.argmax(f1))])


def flag_metrics(rows: pl.DataFrame, threshold: float) -> dict[str, float]:
    """Precision, recall and F1 of flagging the rows scoring at least ``threshold``."""
    y = rows["label"].to_numpy().astype(bool)
    hit = rows["score"].to_numpy() >= threshold
    tp, flagged, positives = int((y & hit).sum()), int(hit.sum()), int(y.sum())
    precision = tp / flagged if flagged else float("nan")
    recall = tp / positives if positives else float("nan")
    f1 = 2 * tp / (flagged + positives) if flagged + positives else float("nan")
    return {"flag_precision": precision, "flag_recall": recall, "flag_f1": f1, "flagged": float(flagged)}


def feature_importance(booster: lightgbm.Booster) -> pl.DataFrame:
    """Gain and split counts per feature, largest gain first."""
    names = booster.feature_name()
    gain = booster.feature_importance("gain", iteration=booster.best_iteration or None)
    split = booster.feature_importance("split", iteration=booster.best_iteration or None)
    total = float(gain.sum()) or 1.0
    return pl.DataFrame(
        {"feature": names, "gain": gain.astype(float), "gain_share": gain / total, "splits": split.astype(np.int64)}
    ).sort("gain", "feature", descending=[True, False])


def _precision_text(m: dict[str, float]) -> str:
    """precision@k, with the best any ranking could reach when there were fewer positives than k."""
    text = f"{m.get('precision_at_k', float('nan')):.3f}"
    best = m.get("best_precision_at_k", 1.0)
    return text + (f" (at most {best:.3f}: fewer positives than k)" if best < 1.0 else "")


def summary_lines(result: TrainResult) -> list[tuple[str, str]]:
    """The figures a person reads first, as (measure, value) pairs."""
    m = result.metrics
    k = result.params.capacity
    rows = [
        ("test rows / positives", f"{m.get('rows', 0):,.0f} / {m.get('positives', 0):,.0f}"),
        ("AUC-PR", f"{m.get('auc_pr', float('nan')):.3f}"),
        (f"precision@{k}", _precision_text(m)),
        (f"recall@{k}", f"{m.get('recall_at_k', float('nan')):.3f}"),
    ]
    if result.target == "victim":
        rows += [
            ("test victims", f"{m.get('victims', 0):,.0f}"),
            ("warned before first transfer", f"{m.get('warned_share', float('nan')):.1%}"),
            ("median lead time", f"{m.get('median_lead_minutes', float('nan')):.0f} min"),
            ("loss that warning could have stopped", f"{m.get('loss_stopped_share', float('nan')):.1%}"),
            ("call-backs per day (capacity replay)", f"{m.get('calls_per_day', 0):.1f}"),
            ("share of call-backs reaching a victim", f"{m.get('call_precision', float('nan')):.3f}"),
        ]
        if "scam_contact_precision_at_k" in m:
            rows.append((f"precision@{k}, scam contacts", f"{m['scam_contact_precision_at_k']:.3f}"))
    if result.target != "victim" and "flag_f1" in m:
        flag = result.meta.get("thresholds", {}).get("flag", float("nan"))
        rows.append(
            (
                f"flagged from {format_probability(flag)} (best F1 on validation)",
                f"precision {m['flag_precision']:.3f}, recall {m['flag_recall']:.3f}, F1 {m['flag_f1']:.3f}",
            )
        )
    if result.target == "mule" and "cv_f1" in m:
        folds = f"{m.get('cv_folds', 0):.0f}"
        rows.append((f"ring-grouped {folds}-fold (pooled)", _figures_text(m, "cv")))
        rows.append(("ring-grouped F1 per fold", f"{m['cv_f1_mean']:.3f} ± {m['cv_f1_std']:.3f}"))
        rows.append(("temporal split (by first activity)", _figures_text(m, "temporal")))
    dropped = result.meta.get("dropped") or {}
    if dropped:
        rows.append(("features left out", ", ".join(dropped)))
    rows += calibration_lines(result)
    rows.append(("rounds (early stopping)", f"{m.get('best_iteration', 0):.0f}"))
    return rows


def _figures_text(m: dict[str, float], prefix: str) -> str:
    nan = float("nan")
    p, r = m.get(f"{prefix}_precision", nan), m.get(f"{prefix}_recall", nan)
    f1, auc = m.get(f"{prefix}_f1", nan), m.get(f"{prefix}_auc_pr", nan)
    positives = m.get(f"{prefix}_positives", 0)
    return f"precision {p:.3f}, recall {r:.3f}, F1 {f1:.3f}, PR-AUC {auc:.3f} ({positives:,.0f} positives)"


def calibration_lines(result: TrainResult) -> list[tuple[str, str]]:
    """How scores were made probabilities, how well that held on the test days, and the tiers."""
    m = result.metrics
    t = result.meta.get("thresholds", {})
    k = result.params.capacity
    per = {"victim": "subscribers", "fraud_number": "phones", "mule": "accounts"}.get(result.target, "rows")
    brier, error = m.get("brier", float("nan")), m.get("calibration_error", float("nan"))
    return [
        ("probabilities calibrated by", result.calibration.describe()),
        (
            "calibration on the test days",
            f"Brier {brier:.4f}, calibration error {error:.1%}; "
            f"mean predicted {format_probability(m.get('mean_probability'))}, "
            f"observed {format_probability(m.get('observed_rate'))}",
        ),
        (
            "tiers",
            f"red ≥ {format_probability(t.get('red'))}, orange ≥ {format_probability(t.get('orange'))}; "
            f"{k} {per} a day from {format_probability(t.get('capacity'))} (validation days)",
        ),
    ]
