"""User text (file names, headers, mapping values) never becomes SQL: hostile names just work."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from ingest_helpers import GOOD_ROWS, HEADERS, count, rejects, write

from fraudkit.ingest import ingest_paths, mapping_from_dict

HOSTILE = ["it's", 'say "hi"', "x'); DROP TABLE transactions; --", 'a"; DELETE FROM rejects; --', "交易;时间"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_file_and_folder_names(con: duckdb.DuckDBPyConnection, tmp_path: Path, name: str) -> None:
    folder = tmp_path / name
    folder.mkdir()
    path = write(folder / f"{name}.csv", [HEADERS["transactions"], *GOOD_ROWS["transactions"], "bad,row"])
    summary = ingest_paths(con, path, "transactions")
    assert (summary.loaded, summary.rejected) == (2, 1)
    assert con.execute("SELECT DISTINCT source_file FROM rejects").fetchall() == [(str(path.resolve()),)]
    assert ingest_paths(con, folder, "transactions").skipped == 1


def test_hostile_headers_and_mapping_values(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    headers = [f"{h}_{i}" for i, h in enumerate(HOSTILE)]
    columns = dict(zip(["txn_id", "ts", "src_account", "dst_account", "amount"], headers, strict=True))
    mapping = mapping_from_dict(
        {
            "columns": {**columns, "channel": "ch'an"},
            "defaults": {"currency": "C'N\"Y;--"},
            "values": {"channel": {"'; DROP TABLE calls; --": "mobile"}},
            "timestamps": {"ts": "%Y-%m-%d'%H"},
        }
    )
    lines = [
        ",".join(f'"{h.replace(chr(34), chr(34) * 2)}"' for h in [*headers, "ch'an"]),
        "T1,2024-03-01'10,A,B,5,\"'; DROP TABLE calls; --\"",
        "T2,2024-03-01'10,A,B,-5,mobile",
    ]
    summary = ingest_paths(con, write(tmp_path / "h.csv", lines), "transactions", mapping)
    assert (summary.loaded, summary.rejected) == (1, 1)
    assert con.execute("SELECT currency, channel FROM transactions").fetchall() == [("C'N\"Y;--", "mobile")]
    assert rejects(con)[0][1] == headers[4], "rejects name the file's own (hostile) header"
    assert count(con, "calls") == 0


def test_hostile_parquet_column_names(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    con.execute(
        """COPY (SELECT 'T1' AS "txn_id", '2024-03-01 10:00:00' AS "ts", 'A' AS "src_account",
                        'B' AS "dst_account", 1 AS "amount", 'mobile' AS "channel",
                        'x' AS "evil""; DROP TABLE transactions; --") TO $path (FORMAT parquet)""",
        {"path": str(path)},
    )
    mapping = mapping_from_dict({"columns": {"status": 'evil"; DROP TABLE transactions; --'}})
    summary = ingest_paths(con, path, "transactions", mapping)
    assert (summary.loaded, summary.rejected) == (0, 1)
    assert rejects(con)[0][1:3] == (
        'evil"; DROP TABLE transactions; --',
        "status: unknown value (allowed: success, failed, reversed, pending)",
    )
