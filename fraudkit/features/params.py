"""The point in time and the thresholds every feature is computed with, validated once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fraudkit.errors import ConfigError


@dataclass(frozen=True)
class TimeFrame:
    """As-of time T with the window [T - window, T) and the look-back [T - history, T).

    Every feature row as of T is computed from events strictly before T only.
    """

    as_of: datetime
    window: timedelta
    history: timedelta

    def __post_init__(self) -> None:
        if self.as_of.tzinfo is not None:
            raise ConfigError(
                f"as_of {self.as_of.isoformat()} carries a time zone; the tables hold naive local times",
                hint="pass a naive datetime in the data's local time",
            )
        from fraudkit.timeutil import format_duration  # here: the timeutil module reads the store

        if self.window <= timedelta(0):
            raise ConfigError(f"window must be positive, got {format_duration(self.window)}")
        if self.history < self.window:
            raise ConfigError(
                f"history ({format_duration(self.history)}) must be at least the window "
                f"({format_duration(self.window)})",
                hint="first-seen look-backs need the window inside the history",
            )

    @property
    def window_start(self) -> datetime:
        return self.as_of - self.window

    @property
    def history_start(self) -> datetime:
        return self.as_of - self.history


@dataclass(frozen=True)
class FeatureParams:
    """Thresholds of the signals; defaults follow the anti-fraud centres' usual rules of thumb.

    ``thresholds`` with ``under_band``: an amount is "just under" a threshold t when it lies
    in [t * (1 - under_band), t), e.g. 49,000-49,999.99 for 50,000 and 4,900-4,999.99 for 5,000.
    """

    round_unit: float = 1_000.0
    thresholds: tuple[float, ...] = (5_000.0, 10_000.0, 20_000.0, 50_000.0)
    under_band: float = 0.02
    large_amount: float = 5_000.0
    baseline_floor: float = 1_000.0
    forward_within: timedelta = timedelta(hours=2)
    cash_out_channels: tuple[str, ...] = ("atm", "third_party")
    night_hours: tuple[int, int] = (0, 6)
    burst_period: timedelta = timedelta(hours=1)
    short_call_s: int = 30
    one_ring_max_s: int = 5
    long_call_s: int = 300

    def __post_init__(self) -> None:
        if self.round_unit <= 0 or self.large_amount <= 0 or self.baseline_floor <= 0:
            raise ConfigError("round_unit, large_amount and baseline_floor must be positive")
        if not 0 < self.under_band < 1:
            raise ConfigError(f"under_band must be in (0, 1), got {self.under_band}")
        if any(t <= 0 for t in self.thresholds):
            raise ConfigError(f"thresholds must be positive, got {self.thresholds}")
        start, end = self.night_hours
        if not (0 <= start <= 23 and 0 <= end <= 24):
            raise ConfigError(f"night_hours must be hours of the day, got {self.night_hours}")
        if self.forward_within <= timedelta(0) or self.burst_period <= timedelta(0):
            raise ConfigError("forward_within and burst_period must be positive")
        if not 0 <= self.one_ring_max_s < self.short_call_s <= self.long_call_s:
            raise ConfigError("need 0 <= one_ring_max_s < short_call_s <= long_call_s")


DEFAULT_PARAMS = FeatureParams()
