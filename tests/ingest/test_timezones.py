"""One rule for time zones: every input is converted to the store's zone, stored naive.

CSV text with an offset or Z, Parquet TIMESTAMP WITH TIME ZONE and epoch seconds are instants
and are converted; naive text and naive Parquet timestamps are already in the store's zone.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from ingest_helpers import write

from fraudkit.ingest import ingest_paths, mapping_from_dict
from fraudkit.store import connect

HEADER = "txn_id,ts,src_account,dst_account,amount,currency,channel,status"


def _row(txn: str, ts: str) -> str:
    return f"{txn},{ts},6222000011112222,6228000033334444,100.00,CNY,mobile,success"


@pytest.fixture
def shanghai(tmp_path):
    con = connect(tmp_path / "s.duckdb", timezone="Asia/Shanghai")
    yield con
    con.close()


def _stored(con) -> dict[str, datetime]:
    return dict(con.execute("SELECT txn_id, ts FROM transactions").fetchall())


def test_csv_offsets_are_converted_to_the_store_zone(tmp_path, shanghai) -> None:
    path = write(
        tmp_path / "t.csv",
        [
            HEADER,
            _row("naive", "2026-10-01 10:00:00"),
            _row("cst", "2026-10-01T10:00:00+08:00"),
            _row("compact", "2026-10-01T10:00:00+0800"),
            _row("utc", "2026-10-01T02:00:00Z"),
            _row("fraction", "2026-10-01T02:00:00.5Z"),
            _row("est", "2026-09-30T21:00:00-05:00"),
            _row("date", "2026-10-01"),
        ],
    )
    summary = ingest_paths(shanghai, [str(path)], "transactions")
    assert summary.loaded == 7 and summary.rejected == 0
    ten = datetime(2026, 10, 1, 10)
    assert _stored(shanghai) == {
        "naive": ten,
        "cst": ten,
        "compact": ten,
        "utc": ten,
        "fraction": ten.replace(microsecond=500_000),
        "est": ten,
        "date": datetime(2026, 10, 1),
    }


def test_parquet_zoned_timestamps_go_to_the_store_zone_not_utc(tmp_path, shanghai) -> None:
    instant = datetime(2026, 10, 1, 2, tzinfo=UTC)
    base = {
        "src_account": ["6222000011112222"],
        "dst_account": ["6228000033334444"],
        "amount": [100.0],
        "currency": ["CNY"],
        "channel": ["mobile"],
        "status": ["success"],
    }
    zoned = pl.DataFrame({"txn_id": ["zoned"], "ts": [instant], **base})
    assert zoned.schema["ts"] == pl.Datetime("us", "UTC")
    naive = pl.DataFrame({"txn_id": ["naive"], "ts": [datetime(2026, 10, 1, 10)], **base})
    zoned.write_parquet(tmp_path / "zoned.parquet")
    naive.write_parquet(tmp_path / "naive.parquet")
    summary = ingest_paths(shanghai, [str(tmp_path / "zoned.parquet"), str(tmp_path / "naive.parquet")], "transactions")
    assert summary.loaded == 2
    assert _stored(shanghai) == {"zoned": datetime(2026, 10, 1, 10), "naive": datetime(2026, 10, 1, 10)}


def test_epoch_seconds_are_instants(tmp_path, shanghai) -> None:
    path = write(tmp_path / "t.csv", [HEADER, _row("epoch", "1790820000")])  # 2026-10-01T02:00:00Z
    mapping = mapping_from_dict({"timestamps": {"ts": ["epoch"]}})
    ingest_paths(shanghai, [str(path)], "transactions", mapping)
    assert _stored(shanghai) == {"epoch": datetime(2026, 10, 1, 10)}
