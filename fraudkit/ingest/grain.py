"""How finely a file's times tell time, read from where they sit on the clock.

A file of one timestamp a day is "day" even when its days do not start at the store's midnight:
a UTC-midnight export (``2017-01-05T00:00:00Z``) in an Asia/Shanghai store lands at 08:00 every
day, and its night share and hour of day mean nothing all the same. So a file is "day" when every
time falls at midnight, or, over more than one day, at one other time of day or at two whole hours
an hour apart (a zone's summer time moving the same instants by an hour); otherwise the coarsest
of hour, minute, second its times are on. (One time of day on a single day says nothing.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from fraudkit.resolution import Resolution


@dataclass(frozen=True)
class Clock:
    """Where a file's loaded times sit on the clock (what :func:`grain_of` needs)."""

    n: int
    earliest: time | None
    latest: time | None
    several_days: bool
    off_hour: int
    off_minute: int


def grain_of(clock: Clock) -> Resolution:
    """The coarsest grain every time is on: "day", "hour", "minute", "second" ("none": no times)."""
    if clock.n == 0 or clock.earliest is None or clock.latest is None:
        return "none"
    spread = (datetime.combine(datetime.min, clock.latest) - datetime.combine(datetime.min, clock.earliest)).seconds
    if spread == 0 and clock.earliest == time():
        return "day"
    if clock.several_days and (spread == 0 or (spread == 3600 and clock.off_hour == 0)):
        return "day"
    if clock.off_hour == 0:
        return "hour"
    return "minute" if clock.off_minute == 0 else "second"
