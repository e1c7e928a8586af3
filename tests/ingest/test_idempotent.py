"""Re-ingesting adds nothing: files are fingerprinted, rows deduplicated by their natural key."""

from __future__ import annotations

from pathlib import Path

import duckdb
from ingest_helpers import HEADERS, count, rejects, write

from fraudkit.ingest import ingest_paths

TS = "2024-03-01 10:00:00"


def txn(i: int, amount: str = "10.00") -> str:
    return f"T{i},{TS},A{i},B{i},{amount},CNY,mobile,success"


def test_same_file_twice_is_skipped_and_adds_nothing(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", [HEADERS["transactions"], txn(1), txn(2), txn(3, amount="-1")])
    first = ingest_paths(con, path, "transactions")
    assert (first.loaded, first.rejected, first.skipped) == (2, 1, 0)
    copy = write(tmp_path / "copy.csv", path.read_text().splitlines())  # same bytes, other name
    again = ingest_paths(con, [path, copy], "transactions")
    assert again.skipped == 2 and again.loaded == again.rejected == again.rows_read == 0
    assert all(f.skipped for f in again.files)
    assert count(con, "transactions") == 2
    assert len(rejects(con)) == 1, "rejects are not duplicated either"
    assert count(con, "ingest_log") == 1


def test_same_content_listed_twice_in_one_call_loads_once(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", [HEADERS["transactions"], txn(1)])
    b = write(tmp_path / "b.csv", [HEADERS["transactions"], txn(1)])
    summary = ingest_paths(con, [a, b], "transactions")
    assert [f.skipped for f in summary.files] == [False, True]
    assert count(con, "transactions") == 1


def test_same_file_as_another_kind_is_not_skipped(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", ["phone,holder_id,contacted_at,result", f"13800001111,H1,{TS},reached"])
    assert ingest_paths(con, path, "subscribers").loaded == 1
    assert ingest_paths(con, path, "outcomes").loaded == 1


def test_overlapping_second_file_adds_only_new_keys(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    first = write(tmp_path / "day1.csv", [HEADERS["transactions"], txn(1), txn(2), txn(3)])
    second = write(tmp_path / "day2.csv", [HEADERS["transactions"], txn(3), txn(2, "99.00"), txn(4), txn(5)])
    ingest_paths(con, first, "transactions")
    summary = ingest_paths(con, second, "transactions")
    assert (summary.rows_read, summary.loaded, summary.duplicates, summary.rejected) == (4, 2, 1, 1)
    assert count(con, "transactions") == 5
    kept = con.execute("SELECT amount FROM transactions WHERE txn_id = 'T2'").fetchall()
    assert [str(a) for (a,) in kept] == ["10.00"], "the stored row wins over a later one with the same key"
    ((line, reason),) = con.execute("SELECT line, reason FROM rejects").fetchall()
    assert line == 3 and reason == f"conflicts with the row loaded from {first.resolve()}:3"


def test_repeated_key_within_a_file_keeps_the_first(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    lines = [HEADERS["transactions"], txn(1, "1.00"), txn(2), txn(1, "2.00"), txn(1, "3.00"), txn(1, "1.00")]
    path = write(tmp_path / "t.csv", lines)
    summary = ingest_paths(con, path, "transactions")
    assert (summary.loaded, summary.duplicates, summary.rejected) == (2, 1, 2)
    assert con.execute("SELECT amount FROM transactions WHERE txn_id = 'T1'").fetchall()[0][0] == 1
    reasons = con.execute("SELECT line, reason FROM rejects ORDER BY line").fetchall()
    assert reasons == [(n, f"conflicts with the row loaded from {path.resolve()}:2") for n in (4, 5)]


def test_composite_key_dedup_for_outcomes(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [
        "13800001111,2024-03-01 11:00:00,reached,",
        "13800001111,2024-03-01 12:00:00,refused,",
        "138-0000-1111,2024-03-01T11:00:00,unreachable,",
    ]  # same phone and time once normalised
    summary = ingest_paths(con, write(tmp_path / "o.csv", [HEADERS["outcomes"], *rows]), "outcomes")
    assert (summary.loaded, summary.duplicates, summary.rejected) == (2, 0, 1)  # another result: a conflict
    again = write(tmp_path / "o2.csv", [HEADERS["outcomes"], "0086 138 0000 1111,2024-03-01 11:00:00,reached,"])
    assert ingest_paths(con, again, "outcomes").duplicates == 1


def test_derived_key_makes_files_without_ids_idempotent(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header = "ts,src_account,dst_account,amount,channel"
    rows = [f"{TS},A,B,10,mobile", f"{TS},A,B,10.00,MOBILE", f"{TS},A,C,10,mobile"]
    first = ingest_paths(con, write(tmp_path / "a.csv", [header, *rows]), "transactions")
    assert first.files[0].derived_key
    assert (first.loaded, first.duplicates) == (2, 1), "same values after normalising -> same key"
    second = ingest_paths(con, write(tmp_path / "b.csv", [header, rows[2], f"{TS},A,D,10,mobile"]), "transactions")
    assert (second.loaded, second.duplicates) == (1, 1)
    ids = [r[0] for r in con.execute("SELECT txn_id FROM transactions").fetchall()]
    assert len(set(ids)) == 3 and all(i.startswith("md5:") for i in ids)
