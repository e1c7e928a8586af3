"""``ingest_keys``: one narrow row per stored row, so that a later conflict names FILE:LINE."""

from __future__ import annotations

from pathlib import Path

import duckdb
from ingest_helpers import HEADERS, count, write

from fraudkit.ingest import ingest_paths, parse_mapping
from fraudkit.ingest.load import ensure_tables

TS = "2024-03-01 10:00:00"


def txn(i: int, amount: str = "10.00", status: str = "success") -> str:
    return f"T{i},{TS},6222000011112222,6228000033334444,{amount},CNY,mobile,{status}"


def reason_in(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """The one reject reason of a file."""
    rows = con.execute("SELECT reason FROM rejects WHERE source_file = ?", [str(path.resolve())]).fetchall()
    assert len(rows) == 1, rows
    return rows[0][0]


def test_rows_that_go_take_their_keys_with_them(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [txn(1), txn(2), txn(1), txn(2, "99.00"), "T3,bad-ts,6222,6228,1,CNY,mobile,success", txn(4)]
    first = write(tmp_path / "a.csv", [HEADERS["transactions"], *rows])
    summary = ingest_paths(con, first, "transactions")
    assert (summary.loaded, summary.duplicates, summary.rejected) == (3, 1, 2)
    assert count(con, "ingest_keys") == count(con, "transactions") == 3
    lines = con.execute("SELECT line FROM ingest_keys ORDER BY line").fetchall()
    assert lines == [(2,), (3,), (7,)]
    later = write(tmp_path / "b.csv", [HEADERS["transactions"], txn(4, "5.00")])
    ingest_paths(con, later, "transactions")
    assert reason_in(con, later) == f"conflicts with the row loaded from {first.resolve()}:7"


def test_an_update_moves_the_key_to_the_updating_row(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    ingest_paths(con, write(tmp_path / "a.csv", [HEADERS["transactions"], txn(1), txn(2)]), "transactions")
    updating = parse_mapping('on_conflict = "update"', source="corrections.toml")
    fix = write(tmp_path / "fix.csv", [HEADERS["transactions"], txn(5), txn(2, "20.00", "reversed")])
    assert ingest_paths(con, fix, "transactions", updating).updates == 1
    assert count(con, "ingest_keys") == count(con, "transactions") == 3
    again = write(tmp_path / "c.csv", [HEADERS["transactions"], txn(2, "30.00")])
    ingest_paths(con, again, "transactions")
    assert reason_in(con, again) == f"conflicts with the row loaded from {fix.resolve()}:3"


def test_keys_named_by_sha256_are_moved_to_file_ids(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """Stores written before the table was narrowed keep naming their rows' lines."""
    con.execute("CREATE TABLE ingest_keys (kind VARCHAR, key_hash UBIGINT, file_sha256 VARCHAR, line BIGINT)")
    con.execute(
        "INSERT INTO transactions VALUES ('T1', TIMESTAMP '2024-03-01 10:00:00', '6222000011112222', "
        "'6228000033334444', 10.00, 'CNY', 'mobile', 'success')"
    )
    con.execute("INSERT INTO ingest_keys SELECT 'transactions', hash('T1'), 'abc', 5")
    con.execute("INSERT INTO ingest_log VALUES ('abc', 'transactions', '/old/a.csv', 1, 1, 0, 0, now())")
    ensure_tables(con)
    columns = con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'ingest_keys'").fetchall()
    assert [c for (c,) in columns] == ["file_id", "key_hash", "line"]
    later = write(tmp_path / "b.csv", [HEADERS["transactions"], txn(1, "2.00")])
    ingest_paths(con, later, "transactions")
    assert reason_in(con, later) == "conflicts with the row loaded from /old/a.csv:5"
