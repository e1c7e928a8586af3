"""The data's time resolution: daily data is told apart from data with hours, minutes and seconds."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from fraudkit.resolution import frame_resolution, sub_day, time_resolution
from fraudkit.store import connect


def _store(tmp_path, times: list[datetime]):
    con = connect(tmp_path / "t.duckdb")
    rows = pl.DataFrame(
        {
            "txn_id": [f"t{i}" for i in range(len(times))],
            "ts": times,
            "src_account": ["a"] * len(times),
            "dst_account": ["b"] * len(times),
            "amount": [1.0] * len(times),
            "channel": ["online"] * len(times),
        }
    )
    columns = ", ".join(c for c in rows.columns)
    con.register("rows", rows)
    con.execute(f"INSERT INTO transactions ({columns}) SELECT {columns} FROM rows")
    return con


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        ([datetime(2026, 10, 1), datetime(2026, 10, 5)], "day"),
        ([datetime(2026, 10, 1, 3), datetime(2026, 10, 5)], "hour"),
        ([datetime(2026, 10, 1, 3, 7), datetime(2026, 10, 5)], "minute"),
        ([datetime(2026, 10, 1, 3, 7, 9), datetime(2026, 10, 5)], "second"),
    ],
)
def test_the_coarsest_grain_every_time_is_on(tmp_path, times, expected) -> None:
    con = _store(tmp_path, times)
    assert time_resolution(con, "transactions") == expected
    assert frame_resolution(pl.Series(times)) == expected
    assert sub_day(expected) == (expected != "day")


def test_a_span_is_judged_on_its_own_rows_and_no_rows_say_nothing(tmp_path) -> None:
    con = _store(tmp_path, [datetime(2026, 10, 1), datetime(2026, 10, 9, 14, 30)])
    assert time_resolution(con, "transactions", end=datetime(2026, 10, 5)) == "day"
    assert time_resolution(con, "transactions") == "minute"
    assert time_resolution(con, "transactions", start=datetime(2027, 1, 1)) == "none"
    assert time_resolution(con, "calls") == "none"


def test_days_that_start_at_another_hour_are_days(tmp_path) -> None:
    """UTC-midnight exports read into an Asia/Shanghai store fall at 08:00 every day: still whole days."""
    eight = [datetime(2026, 10, 1, 8), datetime(2026, 10, 2, 8), datetime(2026, 10, 9, 8)]
    assert frame_resolution(pl.Series(eight)) == "day"
    assert time_resolution(_store(tmp_path, eight), "transactions") == "day"
    assert frame_resolution(pl.Series([datetime(2026, 10, 1, 8)])) == "hour", "one time on one day says nothing"
