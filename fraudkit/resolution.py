"""How finely the data tells time, read from where its times sit on the clock: a store whose
transfers all fall on one time of day cannot say who forwarded money within hours, or who calls
at night, so the stages that need sub-day times ask first (and ingest says so of each file).

Times of one timestamp a day are "day" even when the days do not start at the store's midnight:
a UTC-midnight export (``2017-01-05T00:00:00Z``) in an Asia/Shanghai store lands at 08:00 every
day, and its night share and hour of day mean nothing all the same. So times are "day" when every
one falls at midnight, or, over more than one day, at one other time of day or at two whole hours
an hour apart (a zone's summer time moving the same instants by an hour); otherwise the coarsest
of hour, minute, second they are on. (One time of day on a single day says nothing.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal

import duckdb
import polars as pl

from fraudkit.engine.sql import ingest as sql
from fraudkit.schema import TIME_COLUMNS
from fraudkit.store import run, table_exists

Resolution = Literal["day", "hour", "minute", "second", "none"]
"""The coarsest grain every time is on ("none": no times to tell)."""

GRAIN: dict[str, timedelta] = {
    "day": timedelta(days=1),
    "hour": timedelta(hours=1),
    "minute": timedelta(minutes=1),
    "second": timedelta(seconds=1),
}
"""The length of each resolution's tick."""

SUB_DAY: tuple[Resolution, ...] = ("hour", "minute", "second")
"""Resolutions at which night share, hour of day and hours-long dwell mean something."""


@dataclass(frozen=True)
class Clock:
    """Where a set of times sits on the clock: what :func:`grain_of` reads."""

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


def clock_of(row: tuple) -> Clock:
    """A :class:`Clock` from a row of the clock queries of :mod:`fraudkit.engine.sql.ingest`."""
    n, earliest, latest, several_days, off_hour, off_minute = row
    return Clock(int(n or 0), earliest, latest, bool(several_days), int(off_hour or 0), int(off_minute or 0))


def time_resolution(
    con: duckdb.DuckDBPyConnection, table: str, *, start: datetime | None = None, end: datetime | None = None
) -> Resolution:
    """The resolution of event table ``table``'s times in ``[start, end)`` (all of them without bounds)."""
    column = TIME_COLUMNS[table]
    if not table_exists(con, table):
        return "none"
    row = run(con, sql.table_clock(table, column), {"start": start, "end": end}, table=table).fetchall()[0]
    return grain_of(clock_of(row))


def frame_resolution(times: pl.Series) -> Resolution:
    """The resolution of a column of times (a frame's, when no store holds them)."""
    times = times.drop_nulls()
    if times.len() == 0:
        return "none"
    of_day = times.dt.time()
    clock = Clock(
        n=times.len(),
        earliest=of_day.min(),  # type: ignore[arg-type]
        latest=of_day.max(),  # type: ignore[arg-type]
        several_days=bool(times.min() < times.dt.truncate("1d").max()),  # type: ignore[operator]
        off_hour=int((times != times.dt.truncate("1h")).sum()),
        off_minute=int((times != times.dt.truncate("1m")).sum()),
    )
    return grain_of(clock)


def sub_day(resolution: Resolution) -> bool:
    """Whether times at ``resolution`` can say night from day (no times: assume they can)."""
    return resolution in SUB_DAY or resolution == "none"
