"""Timestamps given as numbers: a count of days (hours, minutes, seconds) after a base time, as
simulations and day-numbered exports give them, and Unix epoch seconds or milliseconds."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from ingest_helpers import write
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.errors import ConfigError
from fraudkit.ingest import ingest_paths, parse_mapping
from fraudkit.store import connect
from fraudkit.synth import SynthConfig, generate_world

runner = CliRunner(env={"COLUMNS": "200"})
HEADER = "id,step,from,to,amt"
MAPPING = """
kind = "transactions"
[columns]
txn_id = "id"
ts = "step"
src_account = "from"
dst_account = "to"
amount = "amt"
[defaults]
channel = "online"
[timestamps]
"""


def rows(steps: list[str]) -> list[str]:
    return [HEADER, *(f"S{i},{step},A{i},B{i},10.00" for i, step in enumerate(steps, start=1))]


def stored(db: str) -> dict[str, datetime]:
    with duckdb.connect(db, read_only=True) as con:
        return dict(con.execute("SELECT txn_id, ts FROM transactions").fetchall())


def reject_lines(db: str) -> list[tuple[int, str, str]]:
    with duckdb.connect(db, read_only=True) as con:
        return con.execute('SELECT line, "column", reason FROM rejects ORDER BY line').fetchall()


def test_cli_days_after_a_base_date_and_bad_counts_in_rejects(tmp_path: Path) -> None:
    mapping = tmp_path / "steps.toml"
    mapping.write_text(MAPPING + 'ts = { unit = "days", since = "2022-09-01" }\n')
    data = write(tmp_path / "steps.csv", rows(["0", "3", "1.5", "-1", "abc", "1e12", " 7 "]))
    db = str(tmp_path / "s.duckdb")
    args = ["ingest", str(data), "--kind", "transactions", "--mapping", str(mapping), "--db", db]
    result = runner.invoke(app, [*args, "--timezone", "UTC"])
    assert result.exit_code == 0, result.output
    assert "3 rows rejected" in result.output
    base = datetime(2022, 9, 1)
    assert stored(db) == {
        "S1": base,
        "S2": base + timedelta(days=3),
        "S3": base + timedelta(days=1, hours=12),
        "S7": base + timedelta(days=7),
    }
    assert reject_lines(db) == [
        (5, "step", "ts: negative (a number of days after 2022-09-01 must be >= 0)"),
        (6, "step", "ts: not a number of days after 2022-09-01 (or out of range)"),
        (7, "step", "ts: not a number of days after 2022-09-01 (or out of range)"),
    ]


def test_cli_epoch_milliseconds_and_seconds_are_instants_in_the_store_zone(tmp_path: Path) -> None:
    """1661990400 is 2022-09-01T00:00Z: 08:00 on a Shanghai store."""
    db = str(tmp_path / "s.duckdb")
    for unit, values in (("epoch_ms", ["1661990400000", "1661990400500", "soon"]), ("epoch_s", ["1662076800"])):
        mapping = tmp_path / f"{unit}.toml"
        mapping.write_text(MAPPING + f'ts = "{unit}"\n')
        data = write(tmp_path / f"{unit}.csv", [HEADER, *(f"{unit}{i},{v},A,B,1.00" for i, v in enumerate(values))])
        args = ["ingest", str(data), "--kind", "transactions", "--mapping", str(mapping), "--db", db]
        result = runner.invoke(app, [*args, "--timezone", "Asia/Shanghai"])
        assert result.exit_code == 0, result.output
    eight = datetime(2022, 9, 1, 8)
    assert stored(db) == {
        "epoch_ms0": eight,
        "epoch_ms1": eight + timedelta(milliseconds=500),
        "epoch_s0": eight + timedelta(days=1),
    }
    assert reject_lines(db) == [(4, "step", "ts: not a timestamp (expected epoch_ms or ISO 8601)")]


@pytest.mark.parametrize(
    ("spec", "step", "expected"),
    [
        ('{ unit = "hours", since = 2022-09-01 }', "30", datetime(2022, 9, 2, 6)),  # a TOML date
        ('{ unit = "minutes", since = "2022-09-01 06:00" }', "90", datetime(2022, 9, 1, 7, 30)),
        ('{ unit = "Seconds", since = 2022-09-01T00:00:00 }', "61", datetime(2022, 9, 1, 0, 1, 1)),
        # a base with an offset is an instant: midnight in Shanghai is 16:00 the day before in UTC
        ('{ unit = "days", since = "2022-09-01T00:00:00+08:00" }', "2", datetime(2022, 9, 2, 16)),
    ],
)
def test_units_and_bases(tmp_path: Path, spec: str, step: str, expected: datetime) -> None:
    mapping = parse_mapping(MAPPING + f"ts = {spec}\n")
    con = connect(tmp_path / "s.duckdb", timezone="UTC")
    try:
        summary = ingest_paths(con, write(tmp_path / "t.csv", rows([step])), "transactions", mapping)
        assert (summary.loaded, summary.rejected) == (1, 0)
        assert con.execute("SELECT ts FROM transactions").fetchall() == [(expected,)]
    finally:
        con.close()


def test_a_generated_world_given_as_day_numbers_lands_on_its_days(tmp_path: Path) -> None:
    """A world's transfers exported the way day-stepped simulations give them (day number after the
    first day): each lands at midnight of its own day, none lost."""
    world = generate_world(SynthConfig.preset("default", seed=5, subscribers=600))
    txns = world.tables["transactions"]
    base = txns["ts"].min().replace(hour=0, minute=0, second=0, microsecond=0)
    export = txns.select(
        pl.col("txn_id").alias("id"),
        ((pl.col("ts") - pl.lit(base)).dt.total_days()).alias("step"),
        pl.col("src_account").alias("from"),
        pl.col("dst_account").alias("to"),
        pl.col("amount").cast(pl.Float64).alias("amt"),
    )
    path = tmp_path / "steps.csv"
    export.write_csv(path)
    mapping = parse_mapping(MAPPING + f'ts = {{ unit = "days", since = "{base:%Y-%m-%d}" }}\n')
    con = connect(tmp_path / "s.duckdb", timezone="UTC")
    try:
        summary = ingest_paths(con, path, "transactions", mapping)
        assert (summary.loaded, summary.rejected) == (txns.height, 0)
        got = pl.DataFrame(
            con.execute("SELECT txn_id, ts FROM transactions").fetchall(), schema=["txn_id", "ts"], orient="row"
        )
    finally:
        con.close()
    want = txns.select("txn_id", pl.col("ts").dt.truncate("1d").alias("day"))
    joined = want.join(got, on="txn_id")
    assert joined.height == txns.height
    assert (joined["ts"] == joined["day"]).all()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ('{ unit = "weeks", since = "2022-09-01" }', "[timestamps] ts.unit = 'weeks' is not a unit of time"),
        ('{ unit = "days" }', "[timestamps] ts lacks since"),
        ('{ since = "2022-09-01" }', "[timestamps] ts lacks unit"),
        ('{ unit = "days", since = "2022-09-01", base = 1 }', "[timestamps] ts has unknown key 'base'"),
        ('{ unit = "days", since = "1st of May" }', "[timestamps] ts.since = '1st of May' is not a date"),
        ('{ unit = 3, since = "2022-09-01" }', "[timestamps] ts.unit = 3 is not a unit of time"),
    ],
)
def test_mapping_errors_name_the_key(spec: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_mapping(MAPPING + f"ts = {spec}\n", source="steps.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("steps.toml: ")


def test_a_count_on_a_column_that_is_not_a_time_is_refused() -> None:
    with pytest.raises(ConfigError, match="'amount' is not a timestamp column"):
        parse_mapping(MAPPING + 'amount = { unit = "days", since = "2022-09-01" }\n')
    with pytest.raises(ConfigError, match="unknown canonical column 'tss'"):
        parse_mapping('[timestamps]\ntss = { unit = "days", since = "2022-09-01" }\n')


def test_parquet_integer_steps_and_epochs(tmp_path: Path) -> None:
    """Typed numbers in Parquet read like their text: a BIGINT step column, an epoch_ms column."""
    path = tmp_path / "t.parquet"
    pl.DataFrame(
        {"id": ["P1", "P2", "P3"], "step": [0, 2, -4], "from": ["A"] * 3, "to": ["B"] * 3, "amt": [1.5, 2.0, 3.0]}
    ).write_parquet(path)
    con = connect(tmp_path / "s.duckdb", timezone="UTC")
    try:
        summary = ingest_paths(
            con, path, "transactions", parse_mapping(MAPPING + 'ts = { unit = "days", since = 2022-09-01 }\n')
        )
        assert (summary.loaded, summary.rejected) == (2, 1)
        assert dict(con.execute("SELECT txn_id, ts FROM transactions").fetchall()) == {
            "P1": datetime(2022, 9, 1),
            "P2": datetime(2022, 9, 3),
        }
        (reason,) = con.execute("SELECT reason FROM rejects").fetchall()[0]
        assert reason.startswith("ts: negative")
    finally:
        con.close()
