"""Repeats are looked for only in earlier files whose key range overlaps the new file's, and in
slices of the key hashes for large files: the same duplicates, conflicts and rows as looking
everywhere at once (a Python oracle of first-row-wins says what that is)."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import HEADERS, count, write

from fraudkit.engine.sql import ingest as sql
from fraudkit.ingest import ingest_paths
from fraudkit.ingest import load as load_module

TS = "2024-03-01 10:00:00"


def txn(key: str, amount: str) -> str:
    return f"{key},{TS},6222000011112222,6228000033334444,{amount},CNY,mobile,success"


def oracle(files: list[tuple[Path, list[tuple[str, str]]]]) -> tuple[list[tuple[int, int, int]], dict, list]:
    """Per file (loaded, duplicates, rejected), the stored amount of every key, and every reject's
    (file, line, reason): the first row of a key stays, a later one with its content is a
    duplicate, with other content a conflict naming the first row's file and line."""
    stored: dict[str, tuple[str, Path, int]] = {}
    counts, rejected = [], []
    for path, rows in files:
        loaded = dups = bad = 0
        for line, (key, amount) in enumerate(rows, start=2):
            if key not in stored:
                stored[key] = (amount, path, line)
                loaded += 1
            elif stored[key][0] == amount:
                dups += 1
            else:
                bad += 1
                _, where, at = stored[key]
                rejected.append(
                    (str(path.resolve()), line, f"conflicts with the row loaded from {where.resolve()}:{at}")
                )
        counts.append((loaded, dups, bad))
    return counts, {k: v[0] for k, v in stored.items()}, sorted(rejected)


def random_files(tmp_path: Path, seed: int) -> list[tuple[Path, list[tuple[str, str]]]]:
    """Five files of keys drawn from ranges that overlap some earlier files and miss others,
    with repeats inside a file too; amounts from two values, so repeats are both duplicates and
    conflicts."""
    rng = random.Random(seed)
    spans = [(0, 40), (100, 140), (30, 60), (200, 220), (0, 220)]
    files = []
    for n, (lo, hi) in enumerate(spans):
        rows = [(f"T{rng.randint(lo, hi):05d}", rng.choice(["10.00", "20.00"])) for _ in range(30)]
        path = write(tmp_path / f"f{n}.csv", [HEADERS["transactions"], *(txn(k, a) for k, a in rows)])
        files.append((path, rows))
    return files


def outcome(con: duckdb.DuckDBPyConnection, files: list[tuple[Path, list[tuple[str, str]]]]) -> tuple:
    counts = []
    for path, _ in files:
        summary = ingest_paths(con, path, "transactions")
        counts.append((summary.loaded, summary.duplicates, summary.rejected))
    stored = {k: f"{a:.2f}" for k, a in con.execute("SELECT txn_id, amount FROM transactions").fetchall()}
    rejected = sorted(con.execute("SELECT source_file, line, reason FROM rejects").fetchall())
    return counts, stored, rejected


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_repeats_across_overlapping_and_separate_files_match_the_oracle(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, seed: int
) -> None:
    files = random_files(tmp_path, seed)
    expected = oracle(files)
    assert sum(d for _, d, _ in expected[0]) and sum(r for _, _, r in expected[0]), "the files hold both kinds"
    assert outcome(con, files) == expected
    assert count(con, "ingest_keys") == count(con, "transactions")


@pytest.mark.parametrize("seed", [4, 5])
def test_sliced_search_for_repeats_in_a_file_finds_the_same(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large files sort their key hashes in slices of the hash space; a repeat is in one slice."""
    monkeypatch.setattr(load_module, "KEYS_PER_SLICE", 7)
    files = random_files(tmp_path, seed)
    assert outcome(con, files) == oracle(files)


def test_each_file_records_its_key_range(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", [HEADERS["transactions"], txn("T3", "1.00"), txn("T1", "1.00")])
    b = write(tmp_path / "b.csv", [HEADERS["transactions"], txn("T7", "1.00"), txn("T9", "1.00")])
    bad = write(tmp_path / "bad.csv", [HEADERS["transactions"], txn("T5", "-1.00")])  # rejected: no rows
    for path in (a, b, bad):
        ingest_paths(con, path, "transactions")
    ranges = con.execute("SELECT file_id, key_lo, key_hi FROM ingest_ranges ORDER BY file_id").fetchall()
    assert ranges == [(1, "T1", "T3"), (2, "T7", "T9"), (3, None, None)]

    def overlapping(lo: str, hi: str) -> list[int]:
        params = {"kind": "transactions", "file": 99, "lo": lo, "hi": hi}
        return [f for (f,) in con.execute(sql.OVERLAPPING_FILES, params).fetchall()]

    assert overlapping("T4", "T6") == []
    assert overlapping("T2", "T2") == [1]
    assert overlapping("T3", "T7") == [1, 2]
    assert overlapping("T0", "T9") == [1, 2], "a file that added no rows holds no keys"


def test_files_keyed_by_phones_keep_no_range_and_still_find_their_repeats(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """A range of phone numbers would keep two real ones in a bookkeeping table: none is kept."""
    sim = "13800001111,H1,2024-01-01 00:00:00,440300,prepaid"
    first = write(
        tmp_path / "a.csv", [HEADERS["subscribers"], sim, "13900002222,H2,2024-01-01 00:00:00,440300,prepaid"]
    )
    ingest_paths(con, first, "subscribers")
    assert con.execute("SELECT count(*) FROM ingest_ranges").fetchall() == [(0,)]
    again = write(tmp_path / "b.csv", [HEADERS["subscribers"], sim])
    summary = ingest_paths(con, again, "subscribers")
    assert (summary.loaded, summary.duplicates) == (0, 1)


def test_a_file_without_a_recorded_range_is_always_looked_in(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """Files loaded before ranges were recorded may hold any key."""
    first = write(tmp_path / "a.csv", [HEADERS["transactions"], txn("T1", "1.00"), txn("T5", "1.00")])
    ingest_paths(con, first, "transactions")
    con.execute("DELETE FROM ingest_ranges")
    later = write(tmp_path / "b.csv", [HEADERS["transactions"], txn("T5", "2.00"), txn("T5", "1.00")])
    summary = ingest_paths(con, later, "transactions")
    assert (summary.loaded, summary.duplicates, summary.rejected) == (0, 1, 1)
    ((reason,),) = con.execute("SELECT reason FROM rejects").fetchall()
    assert reason == f"conflicts with the row loaded from {first.resolve()}:3"


def test_a_store_without_keys_of_every_row_is_scanned_in_the_range(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Rows stored before ``ingest_keys`` existed are found by scanning the table in the new range."""
    con.execute(
        "INSERT INTO transactions VALUES ('T5', TIMESTAMP '2024-03-01 10:00:00', '6222000011112222', "
        "'6228000033334444', 1.00, 'CNY', 'mobile', 'success')"
    )
    later = write(tmp_path / "b.csv", [HEADERS["transactions"], txn("T5", "2.00"), txn("T4", "1.00")])
    summary = ingest_paths(con, later, "transactions")
    assert (summary.loaded, summary.duplicates, summary.rejected) == (1, 0, 1)
    ((reason,),) = con.execute("SELECT reason FROM rejects").fetchall()
    assert reason == "conflicts with the row loaded from an earlier file (line not recorded)"
    missed = write(tmp_path / "c.csv", [HEADERS["transactions"], txn("T6", "1.00")])
    assert ingest_paths(con, missed, "transactions").loaded == 1


def test_ranges_that_touch_at_one_key_still_meet(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    first = write(tmp_path / "a.csv", [HEADERS["transactions"], txn("T1", "1.00"), txn("T3", "1.00")])
    low = write(tmp_path / "b.csv", [HEADERS["transactions"], txn("T0", "1.00"), txn("T1", "2.00")])
    high = write(tmp_path / "c.csv", [HEADERS["transactions"], txn("T3", "1.00"), txn("T4", "1.00")])
    counts = [ingest_paths(con, path, "transactions") for path in (first, low, high)]
    assert [(s.loaded, s.duplicates, s.rejected) for s in counts] == [(2, 0, 0), (1, 0, 1), (1, 1, 0)]
    ((reason,),) = con.execute("SELECT reason FROM rejects").fetchall()
    assert reason == f"conflicts with the row loaded from {first.resolve()}:2"
