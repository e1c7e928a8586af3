"""ingest_paths given a fraudkit.progress Reporter: the stage of the kind counts the bytes of the files
loaded, a stage per file when there are several, and the end says what was loaded (issue 11)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from ingest_helpers import GOOD_ROWS, HEADERS, write

from fraudkit.ingest import ingest_paths, pipeline
from fraudkit.progress import EventLog


def _drop(folder: Path, files: int) -> list[Path]:
    folder.mkdir()
    rows = GOOD_ROWS["transactions"]
    return [write(folder / f"{name}.csv", [HEADERS["transactions"], rows[i]]) for i, name in enumerate("ab"[:files])]


def test_the_kinds_stage_counts_the_bytes_of_each_file_as_it_is_loaded(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    paths = _drop(tmp_path / "drop", 2)
    sizes = [p.stat().st_size for p in paths]
    log = EventLog()
    ingest_paths(con, paths, "transactions", progress=log)
    shape = [(e.kind, e.path, e.amount) for e in log.events]
    assert shape == [
        ("start", "transactions", 0.0),
        ("start", "transactions: a.csv", 0.0),
        ("finish", "transactions: a.csv", 0.0),
        ("advance", "transactions", sizes[0]),
        ("start", "transactions: b.csv", 0.0),
        ("finish", "transactions: b.csv", 0.0),
        ("advance", "transactions", sizes[1]),
        ("finish", "transactions", sum(sizes)),
    ]
    assert log.events[0].total == sum(sizes) and log.events[0].unit == "bytes"
    assert log.events[2].note == "1 row loaded, 0 rejected"
    assert log.events[-1].note == "2 files, 2 rows loaded, 0 rejected"


def test_one_file_is_one_stage_and_a_rerun_says_it_was_skipped(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    (path,) = _drop(tmp_path / "drop", 1)
    first, again = EventLog(), EventLog()
    ingest_paths(con, [path], "transactions", progress=first)
    ingest_paths(con, [path], "transactions", progress=again)
    assert first.of("start") == ["transactions"] and first.events[-1].note == "1 row loaded, 0 rejected"
    assert again.events[-1].note == "already ingested, skipped"


def test_a_load_that_fails_ends_the_stage_as_stopped(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (path,) = _drop(tmp_path / "drop", 1)

    def disk_gone(*_args: object, **_kwargs: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(pipeline, "load_file", disk_gone)
    log = EventLog()
    with pytest.raises(OSError, match="Input/output"):
        ingest_paths(con, [path], "transactions", progress=log)
    assert [(e.kind, e.path, e.failed) for e in log.events] == [
        ("start", "transactions", False),
        ("finish", "transactions", True),
    ]
