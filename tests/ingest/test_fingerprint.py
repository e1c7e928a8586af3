"""The fingerprint pass runs alongside the first load; what it finds still decides the load."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import GOOD_ROWS, HEADERS, count, write

import fraudkit.ingest.pipeline as pipeline
from fraudkit.errors import InputFileError
from fraudkit.ingest import IngestSettings, ingest_paths
from fraudkit.ingest.fingerprint import FingerprintPass
from fraudkit.ingest.load import load_file

SMALL_CHUNKS = IngestSettings(chunk_bytes=4096)  # the first chunk, which a peek reads, is 4 KB


def many_rows(n: int, start: int = 0) -> list[str]:
    return [f"T{i},2024-03-01 10:00:00,6222{i:012d},6228000033334444,10.00,CNY,mobile,success" for i in range(start, n)]


@pytest.fixture(autouse=True)
def fingerprint_never_early(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small files hash before their load starts; pretend they did not, as a big file would not."""
    monkeypatch.setattr(FingerprintPass, "ready", lambda _self, _index: False)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records, per call of ``load_file``, whether it ran speculatively (before the hash was known)."""
    seen: list[bool] = []

    def recording(*args: object, **kwargs: object) -> object:
        seen.append(kwargs.get("fingerprint") is not None)
        return load_file(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "load_file", recording)
    return seen


def test_new_file_loads_while_hashed_and_logs_its_sha256(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, loads: list[bool]
) -> None:
    path = write(tmp_path / "t.csv", [HEADERS["transactions"], *many_rows(500)])
    summary = ingest_paths(con, path, "transactions", settings=SMALL_CHUNKS)
    assert summary.loaded == 500 and loads == [True]
    logged = con.execute("SELECT file_sha256 FROM ingest_log").fetchall()
    # what an investigator gets from `sha256sum` on the evidence file
    assert logged == [(hashlib.sha256(path.read_bytes()).hexdigest(),)]


def test_copy_of_an_ingested_file_is_rolled_back_after_the_hash(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, loads: list[bool]
) -> None:
    first = write(tmp_path / "t.csv", [HEADERS["transactions"], *many_rows(300)])
    ingest_paths(con, first, "transactions")
    copy = tmp_path / "renamed.csv"
    shutil.copy(first, copy)
    summary = ingest_paths(con, copy, "transactions")
    assert summary.skipped == 1 and summary.loaded == 0
    assert loads == [True, True]  # the copy's new path gave no hint, so it was loaded, then undone
    assert count(con, "transactions") == 300 and count(con, "ingest_log") == 1


def test_same_path_again_waits_for_the_hash_instead_of_loading(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, loads: list[bool]
) -> None:
    path = write(tmp_path / "t.csv", [HEADERS["transactions"], *many_rows(300)])
    ingest_paths(con, path, "transactions")
    assert ingest_paths(con, path, "transactions").skipped == 1
    write(path, [HEADERS["transactions"], *many_rows(350)])  # next day's export, same name
    assert ingest_paths(con, path, "transactions").loaded == 50
    assert loads == [True, False]  # the re-run skipped without loading; the new content loaded


def test_file_that_turns_gbk_after_its_first_chunk_loads_as_gb18030(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = [*many_rows(200), "T900,2024-03-01 10:00:00,张三的账户,6228000033334444,10.00,CNY,mobile,success"]
    path = write(tmp_path / "t.csv", [HEADERS["transactions"], *rows], encoding="gb18030")
    assert path.stat().st_size > 4 * SMALL_CHUNKS.chunk_bytes
    summary = ingest_paths(con, path, "transactions", settings=SMALL_CHUNKS)
    assert summary.loaded == 201 and summary.files[0].encoding == "gb18030"
    stored = con.execute("SELECT src_account FROM transactions WHERE txn_id = 'T900'").fetchall()
    assert stored == [("张三的账户",)]


def test_undecodable_bytes_deep_in_a_later_file_stop_the_run_before_any_commit(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    good = write(tmp_path / "a.csv", [HEADERS["transactions"], *GOOD_ROWS["transactions"]])
    bad = tmp_path / "b.csv"
    lines = [HEADERS["transactions"], *many_rows(200)]
    bad.write_bytes(("\n".join(lines) + "\n").encode() + b"T999,2024-03-01 10:00:00,\xff\xfe,B,1,CNY,mobile,\n")
    with pytest.raises(InputFileError) as info:
        ingest_paths(con, [good, bad], "transactions", encoding="utf-8", settings=SMALL_CHUNKS)
    assert "b.csv" in info.value.one_line() and info.value.line == 202
    for table in ("transactions", "rejects", "ingest_log"):
        assert count(con, table) == 0, table
