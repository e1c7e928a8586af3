"""The times and durations users type: zones converted to the store's, bounds refused in one line."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from fraudkit.errors import ConfigError
from fraudkit.store import connect
from fraudkit.timeutil import format_duration, parse_as_of, parse_duration, store_as_of, to_zone


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2026-10-31T00:00+08:00", "UTC", datetime(2026, 10, 30, 16, 0)),
        ("2026-10-31T00:00+08:00", "Asia/Shanghai", datetime(2026, 10, 31, 0, 0)),
        ("2026-10-31T00:00Z", "Asia/Shanghai", datetime(2026, 10, 31, 8, 0)),
        ("2026-10-31T12:00-05:00", "Asia/Shanghai", datetime(2026, 11, 1, 1, 0)),
        ("2026-10-31", "Asia/Shanghai", datetime(2026, 10, 31)),  # naive: already in the store's zone
    ],
)
def test_as_of_with_an_offset_is_converted_to_the_store_zone_and_naive(text, zone, expected) -> None:
    when = parse_as_of(text, zone=zone)
    assert when == expected and when.tzinfo is None


@pytest.mark.parametrize("text", ["0001-01-01", "1989-12-31T23:59", "2100-01-02", "9999-12-31T23:59-05:00"])
def test_as_of_out_of_range_is_one_line(text: str) -> None:
    with pytest.raises(ConfigError, match="out of range"):
        parse_as_of(text, zone="UTC")


def test_as_of_that_is_no_date_is_one_line() -> None:
    with pytest.raises(ConfigError, match="is not a date"):
        parse_as_of("yesterday")


@pytest.mark.parametrize("text", ["1000000000d", "3661d", "99999999999999999999999h", "9" * 400 + "m"])
def test_durations_past_ten_years_are_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="too long"):
        parse_duration(text)


def test_ten_years_is_the_longest_window() -> None:
    assert parse_duration("3660d") == timedelta(days=3660)


def test_to_zone_keeps_naive_times() -> None:
    assert to_zone(datetime(2026, 1, 1, 3), "Asia/Shanghai") == datetime(2026, 1, 1, 3)


def test_store_as_of_uses_the_zone_the_store_recorded(tmp_path) -> None:
    con = connect(tmp_path / "s.duckdb", timezone="Asia/Shanghai")
    assert store_as_of(con, "2026-10-31T00:00Z") == datetime(2026, 10, 31, 8, 0)
    con.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1w", timedelta(weeks=1)),
        ("2d", timedelta(days=2)),
        ("12h", timedelta(hours=12)),
        ("30m", timedelta(minutes=30)),
        ("1.5d", timedelta(hours=36)),
        (" 2W ", timedelta(weeks=2)),
    ],
)
def test_durations_in_weeks_days_hours_and_minutes(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["1y", "7", "d", "-1d", "1 week", ""])
def test_a_duration_in_no_known_unit_names_the_units(text: str) -> None:
    with pytest.raises(ConfigError, match="is not a duration") as refused:
        parse_duration(text)
    assert "write e.g. 1w, 2d, 12h or 30m" in refused.value.one_line()


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(days=1), "1 day"),
        (timedelta(weeks=1), "7 days"),
        (timedelta(hours=36), "36 hours"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(minutes=30), "30 minutes"),
        (timedelta(seconds=1), "1 second"),
    ],
)
def test_a_duration_reads_as_a_person_writes_it_never_as_python_s(span: timedelta, text: str) -> None:
    assert format_duration(span) == text
    assert ":" not in format_duration(span)
