"""How finely the data tells time: a store whose transfers all fall at midnight cannot say who
forwarded money within hours, or who calls at night, so the stages that need sub-day times ask first.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import duckdb
import polars as pl

from fraudkit.engine.sql import store as sql
from fraudkit.schema import TIME_COLUMNS
from fraudkit.store import frame, table_exists

Resolution = Literal["day", "hour", "minute", "second", "none"]
"""The coarsest grain every time of a table is on ("none": no rows to tell)."""

GRAIN: dict[str, timedelta] = {
    "day": timedelta(days=1),
    "hour": timedelta(hours=1),
    "minute": timedelta(minutes=1),
    "second": timedelta(seconds=1),
}
"""The length of each resolution's tick."""

SUB_DAY: tuple[Resolution, ...] = ("hour", "minute", "second")
"""Resolutions at which night share, hour of day and hours-long dwell mean something."""


def _grain(n: int, off_day: int, off_hour: int, off_minute: int) -> Resolution:
    if n == 0:
        return "none"
    if off_day == 0:
        return "day"
    if off_hour == 0:
        return "hour"
    return "minute" if off_minute == 0 else "second"


def time_resolution(
    con: duckdb.DuckDBPyConnection, table: str, *, start: datetime | None = None, end: datetime | None = None
) -> Resolution:
    """The resolution of ``table``'s event times in ``[start, end)`` (the whole table without bounds)."""
    column = TIME_COLUMNS[table]
    if not table_exists(con, table):
        return "none"
    row = frame(con, sql.time_grain(table, column), {"start": start, "end": end}, table=table).row(0)
    return _grain(*(int(v or 0) for v in row))


def frame_resolution(times: pl.Series) -> Resolution:
    """The resolution of a column of times (a frame's, when no store holds them)."""
    times = times.drop_nulls()
    if times.len() == 0:
        return "none"
    off = [int((times != times.dt.truncate(every)).sum()) for every in ("1d", "1h", "1m")]
    return _grain(times.len(), *off)


def sub_day(resolution: Resolution) -> bool:
    """Whether times at ``resolution`` can say night from day (no rows: assume they can)."""
    return resolution in SUB_DAY or resolution == "none"
