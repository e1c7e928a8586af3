"""The times and durations users type: zones converted to the store's, bounds refused in one line."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from fraudkit.errors import ConfigError
from fraudkit.store import connect
from fraudkit.timeutil import parse_as_of, parse_duration, store_as_of, to_zone


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
