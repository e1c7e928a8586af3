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

import duckdb

from fraudkit.engine.sql import ingest as sql
from fraudkit.resolution import Resolution
from fraudkit.schema import TIME_COLUMNS
from fraudkit.store import run, table_exists


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


def clock_of(row: tuple) -> Clock:
    """A :class:`Clock` from a row of the clock queries of :mod:`fraudkit.engine.sql.ingest`."""
    n, earliest, latest, several_days, off_hour, off_minute = row
    return Clock(int(n or 0), earliest, latest, bool(several_days), int(off_hour or 0), int(off_minute or 0))


def table_grain(
    con: duckdb.DuckDBPyConnection, table: str, *, start: datetime | None = None, end: datetime | None = None
) -> Resolution:
    """The grain of an event table's times in ``[start, end)`` (all of them without bounds), read
    from the clock like a file's: days that start at 08:00 in the store's zone are days."""
    column = TIME_COLUMNS[table]
    if not table_exists(con, table):
        return "none"
    row = run(con, sql.table_clock(table, column), {"start": start, "end": end}, table=table).fetchall()[0]
    return grain_of(clock_of(row))
