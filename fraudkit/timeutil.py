"""Parsing of the times and durations users type: `--as-of 2026-10-31`, `--window 1w`, `--within 48h`.

Times in the store are naive wall-clock times in the store's zone (see :func:`fraudkit.store.connect`);
a time typed with an offset (``2026-10-31T00:00+08:00``, ``...Z``) is converted to that zone here,
once, so run ids, windows and file names all come from the converted time.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime, timedelta

import duckdb

from fraudkit.engine.sql import store as sql
from fraudkit.errors import ConfigError, NotReadyError
from fraudkit.schema import TIME_COLUMNS
from fraudkit.settings import check_timezone, default_timezone
from fraudkit.store import scalar, store_timezone
from fraudkit.text import plural

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([wdhm])\s*$", re.IGNORECASE)
_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60}
"""Units a duration may be typed in: weeks, days, hours, minutes (1w, 2d, 12h, 30m)."""
DURATION_EXAMPLES = "1w, 2d, 12h or 30m"
MAX_DURATION = timedelta(days=3660)
"""Longest window, look-back or hop time accepted: ten years."""
EARLIEST_AS_OF = datetime(1990, 1, 1)
LATEST_AS_OF = datetime(2100, 1, 1)
"""--as-of must fall in [1990-01-01, 2100-01-01]: the span ingest accepts event times in, and more."""


def parse_duration(text: str, *, option: str = "--window") -> timedelta:
    """'1w', '7d', '48h' or '30m' as a timedelta, at most ten years; anything else is a one-line error."""
    match = _DURATION.match(text or "")
    if not match:
        raise ConfigError(f"{option} {text!r} is not a duration", hint=f"write e.g. {DURATION_EXAMPLES}")
    seconds = float(match.group(1)) * _SECONDS[match.group(2).lower()]
    if seconds > MAX_DURATION.total_seconds():
        raise ConfigError(f"{option} {text!r} is too long", hint=f"at most {MAX_DURATION.days}d")
    value = timedelta(seconds=seconds)
    if value <= timedelta(0):
        raise ConfigError(f"{option} must be positive, got {text!r}")
    return value


def to_zone(when: datetime, zone: str) -> datetime:
    """``when`` as a naive wall-clock time in ``zone``: an aware time is converted, a naive one is
    taken as already in ``zone``."""
    if when.tzinfo is None:
        return when
    return when.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)


def parse_time(text: str, *, option: str = "--as-of") -> datetime:
    """A date or date-time in ISO form as typed: aware when it carries an offset or Z, else naive."""
    cleaned = (text or "").strip()
    if cleaned.endswith(("z", "Z")):  # Python 3.10 does not read Z
        cleaned = cleaned[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(cleaned)
    except ValueError:
        raise ConfigError(
            f"{option} {text!r} is not a date", hint="write e.g. 2026-10-31 or 2026-10-31T12:00"
        ) from None


def in_zone(when: datetime, zone: str | None = None, *, option: str = "--as-of", text: str | None = None) -> datetime:
    """``when`` as a naive time in ``zone`` (default: the zone new stores get), within the bounds."""
    try:
        converted = to_zone(when, check_timezone(zone) if zone else default_timezone())
    except OverflowError:
        converted = when.replace(tzinfo=None)
    if not EARLIEST_AS_OF <= converted <= LATEST_AS_OF:
        raise ConfigError(
            f"{option} {text or when.isoformat()!r} is out of range",
            hint=f"give a time between {EARLIEST_AS_OF:%Y-%m-%d} and {LATEST_AS_OF:%Y-%m-%d}",
        )
    return converted


def parse_as_of(text: str, *, zone: str | None = None, option: str = "--as-of") -> datetime:
    """A date or date-time in ISO form as a naive time in the store's ``zone`` (default: the zone
    new stores get); a bare date means midnight at its start, an offset or Z is converted."""
    return in_zone(parse_time(text, option=option), zone, option=option, text=text)


def store_as_of(
    con: duckdb.DuckDBPyConnection,
    text: str | None,
    table: str = "transactions",
    column: str = "ts",
    *,
    window: timedelta | None = None,
    slack: timedelta = timedelta(0),
    forward: bool = False,
    option: str = "--as-of",
) -> datetime:
    """``--as-of`` converted to the store's zone, or the store's 'now' when not given (the midnight
    after its latest transfer or call, whichever table is checked: see :func:`default_as_of`).

    The one place that checks a typed time against the data: a time with nothing to look at is
    refused naming the span the store holds, instead of an empty result and exit 0. Looking back
    (the default), there must be rows of ``table`` before it, and when a ``window`` is given, in
    ``[when - window - slack, when)`` (``slack``: a call that started before the look-back can end
    in it). With ``forward`` (trace's --since) there must be rows from it on. An empty table is
    left to the command (a store with no data is refused where it is opened or defaulted).
    """
    if not text:
        return default_as_of(con)
    when = parse_as_of(text, zone=store_timezone(con), option=option)
    _check_data_at(con, when, table, column, window=window, slack=slack, forward=forward, option=option)
    return when


def data_span(con: duckdb.DuckDBPyConnection, table: str, column: str) -> tuple[datetime, datetime] | None:
    """Earliest and latest value of ``table.column``, or None when the table is empty."""
    rows = con.execute(sql.span(table, column)).fetchall()
    if not rows or rows[0][0] is None:
        return None
    return rows[0][0], rows[0][1]


def _check_data_at(
    con: duckdb.DuckDBPyConnection,
    when: datetime,
    table: str,
    column: str,
    *,
    window: timedelta | None,
    slack: timedelta,
    forward: bool,
    option: str,
) -> None:
    span = data_span(con, table, column)
    if span is None:
        return
    first, last = span
    holds = f"the store holds {table} from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}"
    hint = f"give an {option} in that span" + ("" if forward else ", or leave it out for the midnight after the data")
    if forward:
        if when > last:
            raise NotReadyError(f"no {table} at or after {option} {when:%Y-%m-%d %H:%M}; {holds}", hint=hint)
        return
    if when <= first:
        raise NotReadyError(f"no {table} before {option} {when:%Y-%m-%d %H:%M}; {holds}", hint=hint)
    if window is None:
        return
    found = scalar(con, sql.count_between(table, column), [when - window - slack, when])
    if not found:
        raise NotReadyError(
            f"no {table} in the {format_duration(window)} before {option} {when:%Y-%m-%d %H:%M}; {holds}", hint=hint
        )


def format_duration(span: timedelta) -> str:
    """'7 days', '1 day', '36 hours', '30 minutes': a duration as a person writes it, never
    Python's '1 day, 0:00:00' (the largest unit that divides it whole)."""
    seconds = round(span.total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            return plural(seconds // size, unit)
    return plural(seconds, "second")


def start_of_day(day: date | datetime) -> datetime:
    """Midnight at the start of ``day``: where days begin for splits, windows and the default as-of."""
    return datetime(day.year, day.month, day.day)


EVENT_TABLES: tuple[tuple[str, str], ...] = tuple((t, TIME_COLUMNS[t]) for t in ("transactions", "calls"))
"""The store's event tables and their time columns: the latest record of either is the store's 'now'."""


def latest_event(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The latest transfer or call start in the store, or None when it holds neither."""
    found = [scalar(con, sql.latest(tbl, col)) for tbl, col in EVENT_TABLES]
    times = [t for t in found if t is not None]
    return max(times) if times else None


def default_as_of(con: duckdb.DuckDBPyConnection, table: str | None = None, column: str | None = None) -> datetime:
    """The store's 'now': midnight after its latest record, transfers and calls alike, so every
    command, the demo and the daily batch pick the same as-of on the same store. ``table`` (with
    ``column``) asks for the midnight after one table's latest record instead."""
    if table is None:
        latest = latest_event(con)
        if latest is None:
            raise NotReadyError(
                "no transactions or calls in the store",
                hint="load some with `fraudkit ingest --kind transactions` (or --kind calls)",
            )
        return start_of_day(latest) + timedelta(days=1)
    latest = scalar(con, sql.latest(table, column or "ts"))
    if latest is None:
        raise NotReadyError(f"no {table} in the store", hint=f"load some with `fraudkit ingest --kind {table}`")
    return start_of_day(latest) + timedelta(days=1)
