"""``timezone = ZONE`` in a mapping: the file's times without an offset are wall-clock times in
ZONE (a Beijing export loaded into a UTC store), converted to the store's zone like every instant;
times with an offset, epoch times and zoned Parquet columns are instants and are not moved."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
from ingest_helpers import write
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.errors import ConfigError
from fraudkit.ingest import ingest_paths, mapping_from_dict, parse_mapping
from fraudkit.store import connect

runner = CliRunner(env={"COLUMNS": "200"})
HEADER = "txn_id,ts,src_account,dst_account,amount,currency,channel,status"
TEN_IN_BEIJING = datetime(2026, 10, 1, 2)  # 2026-10-01 10:00 +08:00, as a UTC store keeps it


def _row(txn: str, ts: str) -> str:
    return f"{txn},{ts},6222000011112222,6228000033334444,100.00,CNY,mobile,success"


@pytest.fixture
def utc(tmp_path: Path):
    con = connect(tmp_path / "s.duckdb", timezone="UTC")
    yield con
    con.close()


def _stored(con: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    return dict(con.execute("SELECT txn_id, ts FROM transactions").fetchall())


def test_naive_text_is_read_in_the_mapping_zone_and_instants_are_not_moved(tmp_path: Path, utc) -> None:
    path = write(
        tmp_path / "t.csv",
        [
            HEADER,
            _row("iso", "2026-10-01 10:00:00"),
            _row("compact", "20261001100000"),
            _row("offset", "2026-10-01T02:00:00Z"),
            _row("epoch", "1790820000"),
        ],
    )
    mapping = mapping_from_dict(
        {"timezone": "Asia/Shanghai", "timestamps": {"ts": ["%Y%m%d%H%M%S", "epoch"]}}, source="m.toml"
    )
    summary = ingest_paths(utc, path, "transactions", mapping)
    assert (summary.loaded, summary.rejected) == (4, 0)
    assert _stored(utc) == dict.fromkeys(("iso", "compact", "offset", "epoch"), TEN_IN_BEIJING)


def test_parquet_naive_columns_take_the_zone_zoned_ones_do_not(tmp_path: Path, utc) -> None:
    base = {"src_account": ["A"], "dst_account": ["B"], "amount": [1.0], "channel": ["mobile"]}
    naive = tmp_path / "naive.parquet"
    zoned = tmp_path / "zoned.parquet"
    pl.DataFrame({"txn_id": ["naive"], "ts": [datetime(2026, 10, 1, 10)], **base}).write_parquet(naive)
    pl.DataFrame({"txn_id": ["zoned"], "ts": [datetime(2026, 10, 1, 2, tzinfo=UTC)], **base}).write_parquet(zoned)
    ingest_paths(utc, [naive, zoned], "transactions", mapping_from_dict({"timezone": "Asia/Shanghai"}))
    assert _stored(utc) == {"naive": TEN_IN_BEIJING, "zoned": TEN_IN_BEIJING}


def test_cli_day_numbers_from_a_beijing_base_in_a_utc_store(tmp_path: Path) -> None:
    """Day 0 is Beijing's midnight, 16:00 the day before in UTC; the whole-days note still comes."""
    mapping = tmp_path / "steps.toml"
    mapping.write_text(
        'kind = "transactions"\ntimezone = "Asia/Shanghai"\n[columns]\nts = "step"\n'
        '[timestamps]\nts = { unit = "days", since = "2022-09-01" }\n'
    )
    data = write(tmp_path / "t.csv", [HEADER.replace(",ts,", ",step,"), _row("d0", "0"), _row("d2", "2")])
    db = str(tmp_path / "s.duckdb")
    result = runner.invoke(
        app,
        ["ingest", str(data), "--kind", "transactions", "-m", str(mapping), "--db", db, "--timezone", "UTC"],
    )
    assert result.exit_code == 0, result.output
    with duckdb.connect(db, read_only=True) as con:
        assert _stored(con) == {"d0": datetime(2022, 8, 31, 16), "d2": datetime(2022, 9, 2, 16)}
    assert "falls at 16:00 (one time of day)" in result.output


def test_an_unknown_zone_is_a_mapping_error_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"m\.toml: timezone = 'Asia/Shanghia' is not a time zone"):
        parse_mapping('timezone = "Asia/Shanghia"', source="m.toml")
