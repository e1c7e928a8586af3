"""One validated configuration of the live loop, read from a TOML file (every key optional).

Example ``watch.toml``::

    every = "1m"                 # tick
    delivery_delay = "5m"        # replay: a record is visible this long after its call or transfer ended
    late_within = "10m"          # live: contacts up to this long before the last tick are looked at again
    [tiers]                      # default: the champion model's own (set on its validation days)
    red = 0.6
    orange = 0.3
    yellow = 0.1                 # below this no alert is written
    [capacity]
    calls_per_day = 100          # calls the team makes a day, spread over the hours as below
    calls_per_hour = [0,0,0,0,0,0,0,0,10,10,10,10,10,10,10,10,10,10,0,0,0,0,0,0]
                                 # the team's shifts, by hour of day; without it, calls_per_day
                                 # follows the hours the champion's victims were hooked (half of
                                 # it) and is spread evenly over the day (the other half)
    call_within = "30m"          # an orange alert not callable within this overflows to SMS
    retry_after = "30m"          # an alert whose person was unreachable comes back after this ...
    attempts = 3                 # ... until it has had this many calls
    [escalation]
    large_amount = 5000          # a first transfer this large ...
    new_account_within = "6h"    # ... to an account first seen this recently is suspect
    account_history = "30d"      # how far back (before the oldest watched alert) "first seen" looks
    open_for = "3d"              # alerts younger than this are watched for transfers
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from fraudkit.errors import ConfigError
from fraudkit.text import join_words, noun
from fraudkit.timeutil import format_duration, parse_duration

DEMAND_SHARE = 0.5
"""Of a team with no configured shifts, the share of calls placed where the victims were hooked;
the rest is spread evenly, so someone is on at every hour (and a model's quiet hours still get calls)."""


def scaled_profile(shape: tuple[float, ...], calls_per_day: int | None) -> tuple[int, ...]:
    """Calls by hour of day in the proportions of ``shape``, summing to ``calls_per_day`` (largest
    remainders); ``calls_per_day`` None keeps a whole-number shape as it is."""
    total = sum(shape)
    if total <= 0:
        raise ConfigError("capacity.calls_per_hour is all zero: the team makes no calls")
    if calls_per_day is None:
        return tuple(int(n) for n in shape)
    exact = [n * calls_per_day / total for n in shape]
    whole = [math.floor(x) for x in exact]
    by_remainder = sorted(range(24), key=lambda h: (-(exact[h] - whole[h]), h))
    for h in by_remainder[: calls_per_day - sum(whole)]:
        whole[h] += 1
    return tuple(whole)


def demand_profile(contact_hours: list[float] | None, calls_per_day: int) -> tuple[int, ...]:
    """``calls_per_day`` over the day: ``DEMAND_SHARE`` where ``contact_hours`` (victims' hooking
    contacts by hour, from the model's training days) were, the rest evenly."""
    hooked = sum(contact_hours or [])
    if not contact_hours or len(contact_hours) != 24 or hooked <= 0:
        return scaled_profile((1.0,) * 24, calls_per_day)
    shape = tuple(DEMAND_SHARE * n / hooked + (1 - DEMAND_SHARE) / 24 for n in contact_hours)
    return scaled_profile(shape, calls_per_day)


@dataclass(frozen=True)
class TierThresholds:
    """Scores of the tiers; ``None`` takes the champion's own (``yellow`` half its lower one)."""

    red: float | None = None
    orange: float | None = None
    yellow: float | None = None

    def resolve(self, model_thresholds: dict[str, float]) -> tuple[float, float, float]:
        """(red, orange, yellow), missing ones from the model, checked to be ordered."""
        orange = self.orange if self.orange is not None else float(model_thresholds.get("orange", 0.5))
        red = self.red if self.red is not None else max(float(model_thresholds.get("red", orange)), orange)
        base = min(orange, float(model_thresholds.get("capacity", orange)))
        yellow = self.yellow if self.yellow is not None else base / 2
        if not 0.0 <= yellow <= orange <= red <= 1.0:
            raise ConfigError(f"tiers need 0 <= yellow <= orange <= red <= 1, got {yellow}, {orange}, {red}")
        return red, orange, yellow


@dataclass(frozen=True)
class WatchConfig:
    """How often the loop ticks, what becomes an alert, how deep the call queue goes, what escalates."""

    every: timedelta = timedelta(minutes=1)
    delivery_delay: timedelta = timedelta(minutes=5)
    late_within: timedelta = timedelta(minutes=10)
    tiers: TierThresholds = field(default_factory=TierThresholds)
    calls_per_day: int = 100
    calls_per_hour: tuple[int, ...] | None = None
    call_within: timedelta = timedelta(minutes=30)
    retry_after: timedelta = timedelta(minutes=30)
    attempts: int = 3
    large_amount: float = 5000.0
    new_account_within: timedelta = timedelta(hours=6)
    account_history: timedelta = timedelta(days=30)
    open_for: timedelta = timedelta(days=3)

    def __post_init__(self) -> None:
        if not timedelta(seconds=1) <= self.every <= timedelta(days=1):
            raise ConfigError(f"every must be between 1 s and 1 day, got {format_duration(self.every)}")
        for name in (
            "delivery_delay",
            "late_within",
            "call_within",
            "retry_after",
            "new_account_within",
            "account_history",
            "open_for",
        ):
            if getattr(self, name) < timedelta(0):
                raise ConfigError(f"{name} must not be negative")
        if self.calls_per_hour is not None and (
            len(self.calls_per_hour) != 24 or any(n < 0 for n in self.calls_per_hour)
        ):
            raise ConfigError("capacity.calls_per_hour needs 24 numbers >= 0, one per hour of day")
        if self.calls_per_day < 1:
            raise ConfigError("capacity.calls_per_day must be at least 1")
        if self.attempts < 1:
            raise ConfigError("capacity.attempts must be at least 1")
        if self.large_amount <= 0:
            raise ConfigError("escalation.large_amount must be > 0")

    def team(self, model_meta: dict[str, Any]) -> tuple[int, ...]:
        """The team's calls by hour of day: the configured shifts, or ``calls_per_day`` shaped by
        the model's ``contact_hours`` (see ``demand_profile``)."""
        if self.calls_per_hour is not None:
            return self.calls_per_hour
        return demand_profile(model_meta.get("contact_hours"), self.calls_per_day)

    def with_(self, **changes: Any) -> WatchConfig:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _duration(section: dict[str, Any], key: str, where: str) -> timedelta | None:
    value = section.get(key)
    if value is None:
        return None
    return parse_duration(str(value), option=f"{where}{key}")


def _number(section: dict[str, Any], key: str, where: str) -> float | None:
    value = section.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}{key} must be a number, got {value!r}")
    return float(value)


KNOWN = {
    "": {"every", "delivery_delay", "late_within", "tiers", "capacity", "escalation"},
    "tiers": {"red", "orange", "yellow"},
    "capacity": {"calls_per_day", "calls_per_hour", "call_within", "retry_after", "attempts"},
    "escalation": {"large_amount", "new_account_within", "account_history", "open_for"},
}


def _whole(section: dict[str, Any], key: str, where: str) -> int | None:
    value = section.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}{key} must be a whole number, got {value!r}")
    return value


def config_from_dict(data: dict[str, Any]) -> WatchConfig:
    """A WatchConfig from parsed TOML; unknown keys are refused (a typo must not pass silently)."""
    for section, keys in KNOWN.items():
        part = data.get(section, {}) if section else data
        if not isinstance(part, dict):
            raise ConfigError(f"[{section}] must be a table")
        unknown = sorted(set(part) - keys)
        if unknown:
            where = f"[{section}] " if section else ""
            raise ConfigError(
                f"unknown {noun(len(unknown), 'key')} {where}{join_words(unknown, 'and')} in the watch config",
                hint="known keys: " + join_words(sorted(keys), "and"),
            )
    tiers, cap, esc = data.get("tiers", {}), data.get("capacity", {}), data.get("escalation", {})
    per_hour = cap.get("calls_per_hour")
    if per_hour is not None and (not isinstance(per_hour, list) or not all(isinstance(n, int) for n in per_hour)):
        raise ConfigError("capacity.calls_per_hour must be a list of 24 whole numbers")
    return WatchConfig().with_(
        every=_duration(data, "every", ""),
        delivery_delay=_duration(data, "delivery_delay", ""),
        late_within=_duration(data, "late_within", ""),
        tiers=TierThresholds(
            red=_number(tiers, "red", "tiers."),
            orange=_number(tiers, "orange", "tiers."),
            yellow=_number(tiers, "yellow", "tiers."),
        ),
        calls_per_day=_whole(cap, "calls_per_day", "capacity."),
        calls_per_hour=tuple(per_hour) if per_hour is not None else None,
        call_within=_duration(cap, "call_within", "capacity."),
        retry_after=_duration(cap, "retry_after", "capacity."),
        attempts=_whole(cap, "attempts", "capacity."),
        large_amount=_number(esc, "large_amount", "escalation."),
        new_account_within=_duration(esc, "new_account_within", "escalation."),
        account_history=_duration(esc, "account_history", "escalation."),
        open_for=_duration(esc, "open_for", "escalation."),
    )


def load_config(path: Path | None) -> WatchConfig:
    """The config file's settings over the defaults (the defaults alone without a file)."""
    if path is None:
        return WatchConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read watch config {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"watch config {path} is not valid TOML: {exc}") from exc
    return config_from_dict(data)
