"""Parsing of the times and durations users type: `--as-of 2026-10-31`, `--window 7d`, `--within 48h`."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import duckdb

from fraudkit.errors import ConfigError, NotReadyError
from fraudkit.store import quote_ident, scalar

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dhm])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_duration(text: str, *, option: str = "--window") -> timedelta:
    """'7d', '48h' or '30m' as a timedelta; anything else is a one-line error naming the option."""
    match = _DURATION.match(text or "")
    if not match:
        raise ConfigError(f"{option} {text!r} is not a duration", hint="write e.g. 7d, 48h or 30m")
    value = timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
    if value <= timedelta(0):
        raise ConfigError(f"{option} must be positive, got {text!r}")
    return value


def parse_as_of(text: str, *, option: str = "--as-of") -> datetime:
    """A date or date-time in ISO form; a bare date means midnight at its start."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"{option} {text!r} is not a date", hint="write e.g. 2026-10-31 or 2026-10-31T12:00"
        ) from None


def start_of_day(day: date | datetime) -> datetime:
    """Midnight at the start of ``day``: where days begin for splits, windows and the default as-of."""
    return datetime(day.year, day.month, day.day)


def default_as_of(con: duckdb.DuckDBPyConnection, table: str = "transactions", column: str = "ts") -> datetime:
    """Midnight after the latest event in the store: the natural 'now' of a data drop."""
    latest = scalar(con, f"SELECT max({quote_ident(column)}) FROM {quote_ident(table)}")
    if latest is None:
        raise NotReadyError(f"no {table} in the store", hint=f"load some with `fraudkit ingest --kind {table}`")
    return start_of_day(latest) + timedelta(days=1)
