"""Time in the world: seconds from ``start``, daily rhythms and the calendar.

Every event time is an int64 number of seconds since the world's start; they become
naive datetimes only when the tables are built.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from fraudkit.synth.rand import Rng, categorical

MINUTE = 60
HOUR = 3_600
DAY = 86_400


def _norm(weights: list[float]) -> np.ndarray:
    arr = np.asarray(weights, dtype=np.float64)
    return arr / arr.sum()


# Share of each hour of the day (0..23) in an activity; few calls at night.
PERSONAL_CALL_HOURS = _norm(
    [
        0.25,
        0.1,
        0.05,
        0.04,
        0.05,
        0.12,
        0.4,
        1.0,
        1.5,
        1.8,
        1.9,
        1.8,
        1.6,
        1.5,
        1.6,
        1.7,
        1.8,
        1.9,
        2.1,
        2.3,
        2.2,
        1.7,
        1.1,
        0.55,
    ]
)
SHOPPING_HOURS = _norm(
    [
        0.3,
        0.15,
        0.08,
        0.05,
        0.05,
        0.08,
        0.3,
        0.9,
        1.3,
        1.4,
        1.6,
        2.0,
        2.3,
        1.8,
        1.5,
        1.5,
        1.6,
        1.8,
        2.2,
        2.5,
        2.6,
        2.3,
        1.6,
        0.8,
    ]
)
OFFICE_HOURS = _norm([0, 0, 0, 0, 0, 0, 0, 0.2, 0.9, 1.6, 1.8, 1.6, 0.7, 1.0, 1.7, 1.8, 1.6, 1.2, 0.4, 0.1, 0, 0, 0, 0])
DELIVERY_HOURS = _norm(
    [0, 0, 0, 0, 0, 0, 0.05, 0.4, 1.2, 1.8, 2.0, 1.8, 1.2, 1.3, 1.8, 2.0, 1.9, 1.6, 1.2, 0.8, 0.4, 0.1, 0, 0]
)
FRAUD_CALL_HOURS = _norm(
    [
        0.05,
        0.02,
        0.01,
        0.01,
        0.01,
        0.02,
        0.1,
        0.5,
        1.3,
        1.9,
        2.0,
        1.9,
        1.2,
        1.4,
        1.9,
        2.0,
        1.9,
        1.7,
        1.3,
        1.2,
        1.1,
        0.8,
        0.4,
        0.15,
    ]
)


def weekday_of_day(start: datetime, days: int) -> np.ndarray:
    """Weekday (0 = Monday) of each day index of the world."""
    return (start.weekday() + np.arange(days)) % 7


def day_probabilities(start: datetime, days: int, weekend: float = 0.9) -> np.ndarray:
    """How likely an ordinary event falls on each day: weekends a little different."""
    weights = np.where(weekday_of_day(start, days) >= 5, weekend, 1.0)
    return weights / weights.sum()


def sample_seconds(
    rng: Rng,
    n: int,
    days: int,
    hours: np.ndarray,
    day_p: np.ndarray | None = None,
) -> np.ndarray:
    """``n`` event times over the whole world following a daily rhythm."""
    day = categorical(rng, day_p, n) if day_p is not None else rng.integers(0, days, size=n)
    return seconds_on(rng, day, hours)


def seconds_on(rng: Rng, day: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """An event time on each given day index, at an hour drawn from the rhythm."""
    hour = categorical(rng, hours, len(day))
    return day.astype(np.int64) * DAY + hour * HOUR + rng.integers(0, HOUR, size=len(day))


def days_with_day_of_month(start: datetime, days: int, dom: int) -> np.ndarray:
    """Day indices falling on day-of-month ``dom`` (or the month's last day if shorter)."""
    found: list[int] = []
    for i in range(days):
        date = start + timedelta(days=i)
        nxt = date + timedelta(days=1)
        if date.day == dom or (date.day < dom and nxt.month != date.month):
            found.append(i)
    return np.asarray(found, dtype=np.int64)


def epoch_microseconds(start: datetime, seconds: np.ndarray) -> np.ndarray:
    """Seconds from start as naive microseconds since 1970 (for Datetime("us"))."""
    base = int((start - datetime(1970, 1, 1)) / timedelta(microseconds=1))
    return base + np.asarray(seconds, dtype=np.int64) * 1_000_000
