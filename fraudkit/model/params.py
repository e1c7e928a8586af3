"""What a model is trained on and how it is judged: targets, label sources, split, capacity, LightGBM.

Every number a data scientist may want to change lives in these frozen dataclasses, validated
once where they are built (CLI, notebook, pipeline) and passed down; nothing reads globals.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from fraudkit.errors import ConfigError

Target = Literal["victim", "fraud_number", "mule"]
TARGETS: tuple[Target, ...] = ("victim", "fraud_number", "mule")

LabelSource = Literal["truth", "reports", "labels"]
"""Where positives come from: a synthetic world's ground truth, the reports table, or a labels
file of known bad accounts (mule target, ``external.read_labels``).
Call-back outcomes (confirmed_victim / false_alarm) override either, for the victim target."""


def check_target(target: str) -> Target:
    """The target name, or a one-line error listing the known ones."""
    if target not in TARGETS:
        raise ConfigError(f"unknown target {target!r}", hint="one of " + ", ".join(TARGETS))
    return target  # type: ignore[return-value]


@dataclass(frozen=True)
class ContactParams:
    """What counts as a contact worth scoring, and the look-backs its features are measured over.

    A contact is an incoming voice call of at least ``min_duration_s`` whose two numbers were first
    in touch (either way) no earlier than ``new_within`` before it, judged against ``history``; or
    any such long call from a number named as ``fraud_phone`` in a report filed before it ended.
    A fraud is worked over hours or days, so every answered call between the two that begins
    within ``follow_up_within`` after such a call ended (the number ringing again, the subscriber
    calling it back) is a contact too. Each is scored when its call ends, from events that had
    ended before that moment.
    """

    min_duration_s: int = 180
    new_within: timedelta = timedelta(days=7)
    follow_up_within: timedelta = timedelta(hours=72)
    history: timedelta = timedelta(days=30)
    recent: timedelta = timedelta(hours=24)
    week: timedelta = timedelta(days=7)
    short_call_s: int = 30
    long_call_s: int = 300

    def __post_init__(self) -> None:
        if self.min_duration_s < 1:
            raise ConfigError(f"min_duration_s must be >= 1, got {self.min_duration_s}")
        if not timedelta(0) < self.recent <= self.week <= self.history:
            raise ConfigError("need 0 < recent <= week <= history")
        if not timedelta(0) < self.new_within <= self.history:
            raise ConfigError("need 0 < new_within <= history")
        if not timedelta(0) <= self.follow_up_within <= self.history:
            raise ConfigError("need 0 <= follow_up_within <= history")
        if not 0 < self.short_call_s <= self.long_call_s:
            raise ConfigError("need 0 < short_call_s <= long_call_s")

    @property
    def lookback(self) -> timedelta:
        """How far before the first scored contact events must be loaded for exact features:
        the week of counts and, for a later call, the long call it follows, each with its history."""
        return self.history + max(self.week, self.follow_up_within)


@dataclass(frozen=True)
class LabelParams:
    """How labels are attached to rows.

    ``horizon``: a contact is a positive when the callee's first loss falls within this long
    after it ended (or, for a victim already paying, before it). ``report_window``: without a known
    first-loss time, a reported victim's contacts this long before the report count.
    ``outcome_window``: a call-back outcome labels the subscriber's contacts this long before it.
    """

    source: LabelSource = "reports"
    horizon: timedelta = timedelta(hours=24)
    report_window: timedelta = timedelta(days=14)
    outcome_window: timedelta = timedelta(hours=72)

    def __post_init__(self) -> None:
        if self.source not in ("truth", "reports", "labels"):
            raise ConfigError(f"unknown label source {self.source!r}", hint="truth, reports or labels")
        for name in ("horizon", "report_window", "outcome_window"):
            if getattr(self, name) <= timedelta(0):
                raise ConfigError(f"{name} must be positive")


@dataclass(frozen=True)
class SplitParams:
    """Temporal split by whole days: the first ``burn_in`` days only feed features (their look-backs
    are too short to label "new" contacts honestly); of the days left, the last ``test_share`` are
    test days, the ``val_share`` before them validation days, the rest training days.
    """

    burn_in: timedelta = timedelta(days=7)
    val_share: float = 0.2
    test_share: float = 0.3

    def __post_init__(self) -> None:
        if not (0 < self.val_share < 1 and 0 < self.test_share < 1 and self.val_share + self.test_share < 1):
            raise ConfigError("val_share and test_share must be in (0, 1) and sum below 1")
        if self.burn_in < timedelta(0):
            raise ConfigError("burn_in must not be negative")


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, as a container or taskset limits it), at least 1:
    LightGBM is given that many threads, never OpenMP's guess, which counts the machine's cores."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class LightGBMParams:
    """Booster settings; deterministic by construction (fixed seed, deterministic=True, forced col-wise)."""

    num_leaves: int = 31
    learning_rate: float = 0.05
    max_rounds: int = 500
    early_stopping_rounds: int = 50
    min_data_in_leaf: int = 20
    feature_fraction: float = 0.9
    bagging_fraction: float = 0.9
    bagging_freq: int = 1
    lambda_l2: float = 1.0
    max_pos_weight: float = 50.0
    """Positives are up-weighted by negatives/positives, capped here (imbalance without overshoot)."""
    seed: int = 7

    def booster_params(self, *, pos_weight: float, threads: int | None) -> dict[str, Any]:
        return {
            "objective": "binary",
            "metric": ["average_precision"],  # what early stopping reads; AUC each round cost 10% of the time
            "num_leaves": self.num_leaves,
            "learning_rate": self.learning_rate,
            "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": self.bagging_freq,
            "lambda_l2": self.lambda_l2,
            "scale_pos_weight": pos_weight,
            "seed": self.seed,
            "deterministic": True,
            "force_col_wise": True,
            "num_threads": threads or available_cores(),
            "verbosity": -1,
        }


@dataclass(frozen=True)
class MuleParams:
    """The account-level mule rows: one per account active in [T - history, T) as of T.

    ``history``: the span of the transfer graph and of an account's activity (months: slow rings
    show over weeks). ``window``: the span of the per-account flow features (sums, dwell, fan-in,
    strangers), within the history. ``folds``: ring-grouped folds of the cross-validation (no ring
    in two folds; accounts without a group spread over them by a hash seeded with ``fold_seed``).
    ``round_unit``: what counts as a round amount in the graph's amount features.
    ``no_life_share``: a counterparty with less than this share of its transfers with hubs or its
    holder's own accounts has no ordinary life (``features.graph.GraphParams``).
    """

    history: timedelta = timedelta(days=90)
    window: timedelta = timedelta(days=30)
    folds: int = 5
    fold_seed: int = 13
    round_unit: float = 100.0
    no_life_share: float = 0.05

    def __post_init__(self) -> None:
        if not 0 < self.no_life_share < 1:
            raise ConfigError(f"no_life_share must be in (0, 1), got {self.no_life_share}")
        if not timedelta(0) < self.window <= self.history:
            raise ConfigError("need 0 < mule window <= mule history")
        if self.folds < 3:
            raise ConfigError(f"mule folds must be >= 3 (train, validation, test), got {self.folds}")
        if self.round_unit <= 0:
            raise ConfigError(f"round_unit must be positive, got {self.round_unit}")


@dataclass(frozen=True)
class TrainParams:
    """Everything one training needs besides the data: target, labels, split, capacity, booster."""

    target: Target = "victim"
    labels: LabelParams = field(default_factory=LabelParams)
    split: SplitParams = field(default_factory=SplitParams)
    contacts: ContactParams = field(default_factory=ContactParams)
    lgbm: LightGBMParams = field(default_factory=LightGBMParams)
    capacity: int = 100
    """Call-backs (victim) or checks (numbers, accounts) the team can make per day: the k of precision@k."""
    window: timedelta = timedelta(days=7)
    """Feature window of the per-day target (fraud_number), and the scan's window for the mule target."""
    mule: MuleParams = field(default_factory=MuleParams)
    """The mule target's account-level rows and its grouped folds."""
    max_train_rows: int = 1_000_000
    """Training rows beyond this are sampled: every positive kept, negatives drawn with the booster's
    seed; validation and test rows stay whole, so early stopping, calibration and the figures see
    every row. At 1M subscribers the fraud-number training days hold 2.5M rows (0.25% positive)."""

    def __post_init__(self) -> None:
        check_target(self.target)
        if self.capacity < 1:
            raise ConfigError(f"capacity must be >= 1, got {self.capacity}")
        if self.max_train_rows < 1000:
            raise ConfigError(f"max_train_rows must be >= 1000, got {self.max_train_rows}")


def flat_params(params: TrainParams) -> dict[str, str]:
    """The parameters as flat strings, for MLflow and for reading back what a model was trained with."""
    out: dict[str, str] = {
        "target": params.target,
        "capacity": str(params.capacity),
        "window_days": f"{params.window.total_seconds() / 86400:g}",
        "max_train_rows": str(params.max_train_rows),
    }
    for prefix, obj in (("labels", params.labels), ("split", params.split), ("lgbm", params.lgbm)):
        for key, value in vars(obj).items():
            out[f"{prefix}.{key}"] = str(value)
    if params.target == "victim":
        for key, value in vars(params.contacts).items():
            out[f"contacts.{key}"] = str(value)
    if params.target == "mule":
        for key, value in vars(params.mule).items():
            out[f"mule.{key}"] = str(value)
    return out


def contact_params_to_dict(params: ContactParams) -> dict[str, float]:
    """Contact settings as plain numbers (durations in seconds), kept with a model so scoring matches training."""
    return {k: (v.total_seconds() if isinstance(v, timedelta) else float(v)) for k, v in vars(params).items()}


def mule_params_to_dict(params: MuleParams) -> dict[str, float]:
    """Mule settings as plain numbers (durations in days), kept with a model so scoring builds its rows alike."""
    return {k: (v.total_seconds() / 86400 if isinstance(v, timedelta) else float(v)) for k, v in vars(params).items()}


def mule_params_from_dict(values: dict[str, float] | None) -> MuleParams:
    """The inverse of :func:`mule_params_to_dict`; defaults for a model that kept none."""
    if not values:
        return MuleParams()
    return MuleParams(
        history=timedelta(days=float(values["history"])),
        window=timedelta(days=float(values["window"])),
        folds=int(values["folds"]),
        fold_seed=int(values["fold_seed"]),
        round_unit=float(values["round_unit"]),
        no_life_share=float(values.get("no_life_share", MuleParams.no_life_share)),
    )


def contact_params_from_dict(values: dict[str, float] | None) -> ContactParams:
    """The inverse of :func:`contact_params_to_dict`; defaults for a model that kept none."""
    if not values:
        return ContactParams()
    defaults = ContactParams()
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        current = getattr(defaults, key, None)
        if isinstance(current, timedelta):
            kwargs[key] = timedelta(seconds=float(value))
        elif current is not None:
            kwargs[key] = int(value)
    return ContactParams(**kwargs)
