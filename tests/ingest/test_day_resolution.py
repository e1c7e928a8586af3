"""A file whose times all fall at midnight tells days, not hours: ingest says so, because night
share and hour-of-day features cannot be had from it, and the store's resolution says "day"."""

from __future__ import annotations

import gzip
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import HEADERS, write
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.ingest import ingest_paths
from fraudkit.resolution import time_resolution
from fraudkit.store import connect

runner = CliRunner(env={"COLUMNS": "200"})
NOTE = "falls at midnight"


def txns(times: list[str], prefix: str = "T") -> list[str]:
    rows = [f"{prefix}{i},{ts},6222000011112222,6228000033334444,5.00,CNY,mobile,success" for i, ts in enumerate(times)]
    return [HEADERS["transactions"], *rows]


def ingest(path: Path, db: str) -> str:
    result = runner.invoke(app, ["ingest", str(path), "--kind", "transactions", "--db", db])
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_notes_a_file_of_whole_days_and_the_store_says_day(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    daily = tmp_path / "daily.csv.gz"
    daily.write_bytes(gzip.compress("\n".join(txns(["2022-09-01", "2022-09-02 00:00:00", "2022-09-05"])).encode()))
    output = ingest(daily, db)
    notes = [line for line in output.splitlines() if NOTE in line]
    assert len(notes) == 1 and "daily.csv.gz" in notes[0] and "hour-of-day" in notes[0]
    with duckdb.connect(db, read_only=True) as con:
        assert time_resolution(con, "transactions") == "day"

    timed = write(tmp_path / "timed.csv", txns(["2022-09-06 10:30:00"], prefix="U"))
    assert NOTE not in ingest(timed, db)  # this file tells minutes
    with duckdb.connect(db, read_only=True) as con:
        assert time_resolution(con, "transactions") == "minute"


def test_each_file_gets_the_grain_of_what_it_loaded(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    files = {
        "days.csv": ["2022-09-01", "2022-09-03"],
        "hours.csv": ["2022-09-01 10:00:00", "2022-09-01 00:00:00"],
        "seconds.csv": ["2022-09-01 10:00:07"],
        "rejected.csv": ["not a time"],  # nothing loaded: no grain to tell, no note
    }
    paths = [write(tmp_path / name, txns(times, prefix=f"F{n}-")) for n, (name, times) in enumerate(files.items())]
    summary = ingest_paths(con, paths, "transactions")
    assert {f.path.name: f.resolution for f in summary.files} == {
        "days.csv": "day",
        "hours.csv": "hour",
        "seconds.csv": "second",
        "rejected.csv": "none",
    }
    assert [n for n in summary.notes() if "days.csv" in n] and len(summary.notes()) == 1
    assert summary.notes()[0] in summary.describe()


def test_tables_without_hour_features_get_no_note(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write(tmp_path / "accounts.csv", [HEADERS["accounts"], "6222000011112222,H1,13800001111,ICBC,2019-05-01,,"])
    summary = ingest_paths(con, path, "accounts")
    assert summary.loaded == 1 and summary.notes() == []


def test_utc_midnight_days_in_a_shanghai_store_are_still_whole_days(tmp_path: Path) -> None:
    """AMLSim-style ``2017-01-05T00:00:00Z`` lands at 08:00 in Asia/Shanghai: one time of day, so days."""
    db = str(tmp_path / "s.duckdb")
    path = write(tmp_path / "t.csv", txns([f"2017-01-0{d}T00:00:00Z" for d in (1, 2, 5)]))
    result = runner.invoke(
        app, ["ingest", str(path), "--kind", "transactions", "--db", db, "--timezone", "Asia/Shanghai"]
    )
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if "whole days" in line]
    assert len(notes) == 1 and "08:00 (one time of day)" in notes[0]


@pytest.mark.parametrize(
    ("times", "grain"),
    [
        (["2022-03-20 01:00", "2022-04-02 02:00", "2022-11-01 01:00"], "day"),  # summer time moves the hour
        (["2022-03-20 01:00", "2022-03-20 03:00"], "hour"),
        (["2022-03-20 10:00:07"], "second"),  # one time on one day says nothing of days
        (["2022-03-20 00:00"], "day"),  # midnight is the convention for a date
        (["2022-03-20 10:30", "2022-03-21 10:31"], "minute"),
        (["2022-03-20 10:30", "2022-03-21 10:30", "2022-03-22 10:30"], "day"),
    ],
)
def test_grain_from_the_clock(con: duckdb.DuckDBPyConnection, tmp_path: Path, times: list[str], grain: str) -> None:
    summary = ingest_paths(con, write(tmp_path / "t.csv", txns(times)), "transactions")
    assert summary.loaded == len(times)
    assert summary.files[0].resolution == grain


def test_a_stored_table_is_read_like_a_file(tmp_path: Path) -> None:
    """The store-wide answer for the stages: days at 08:00 are days; a window sees its own times."""
    con = connect(tmp_path / "s.duckdb", timezone="Asia/Shanghai")
    try:
        assert time_resolution(con, "transactions") == "none"
        days = [f"2017-01-0{d}T00:00:00Z" for d in (1, 2, 5)]
        ingest_paths(con, write(tmp_path / "days.csv", txns(days)), "transactions")
        assert time_resolution(con, "transactions") == "day"
        ingest_paths(con, write(tmp_path / "later.csv", txns(["2017-02-01 10:31:00"], prefix="L")), "transactions")
        assert time_resolution(con, "transactions") == "minute"
        assert time_resolution(con, "transactions", end=datetime(2017, 1, 31)) == "day"
        assert time_resolution(con, "transactions", start=datetime(2017, 1, 31)) == "minute"
        assert time_resolution(con, "calls") == "none"
    finally:
        con.close()
