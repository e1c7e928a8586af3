"""A clean file is read once; any sign of a faulty row sends it down the exact, two-read path."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ingest_helpers import GOOD_ROWS, HEADERS, count, rejects, write

import fraudkit.ingest.load as load
from fraudkit.ingest import ingest_paths
from fraudkit.ingest.encoding import LineTally


def _second_read_forbidden(*_args: object, **_kwargs: object) -> int:
    raise AssertionError("a clean file was read a second time")


@pytest.mark.parametrize(("newline", "ending"), [("\n", "\n"), ("\n", ""), ("\n", "\n\n\n"), ("\r\n", "\r\n\r\n")])
def test_clean_file_is_read_once(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, newline: str, ending: str
) -> None:
    monkeypatch.setattr(load, "_stage_faulty", _second_read_forbidden)
    path = tmp_path / "t.csv"
    text = newline.join([HEADERS["transactions"], *GOOD_ROWS["transactions"]]) + ending
    path.write_bytes(text.encode("utf-8"))
    summary = ingest_paths(con, path, "transactions")
    assert (summary.rows_read, summary.loaded, summary.rejected) == (2, 2, 0)


def test_blank_line_inside_a_file_with_a_bad_row_keeps_lines_right(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    good = GOOD_ROWS["transactions"]
    bad = good[0].replace("5000", "-5")
    path = write(tmp_path / "t.csv", [HEADERS["transactions"], good[0], "", bad.replace(good[0].split(",")[0], "T9")])
    summary = ingest_paths(con, path, "transactions")
    assert (summary.rows_read, summary.loaded, summary.rejected) == (2, 1, 1)
    assert [(line, reason) for line, _, reason, _ in rejects(con)] == [(4, "amount: must be positive")]


def test_repeats_in_file_and_in_store_are_removed_after_a_direct_insert(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    first, second = GOOD_ROWS["transactions"]
    ingest_paths(con, write(tmp_path / "a.csv", [HEADERS["transactions"], first]), "transactions")
    path = write(tmp_path / "b.csv", [HEADERS["transactions"], first, second, second, second])
    summary = ingest_paths(con, path, "transactions")
    assert (summary.rows_read, summary.loaded, summary.duplicates) == (4, 1, 3)
    assert count(con, "transactions") == 2


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(st.sampled_from(["a,b", "1,2", "", "\r", "数据,1"]), max_size=20),
    trailing=st.sampled_from(["", "\n", "\n\n", "\r\n\r\n"]),
    chunk=st.integers(min_value=1, max_value=7),
)
def test_line_tally_counts_data_lines_exactly(lines: list[str], trailing: str, chunk: int) -> None:
    data = ("\n".join(["h,h", *lines]) + trailing).encode("utf-8")
    tally = LineTally()
    for i in range(0, len(data), chunk):
        tally.feed(data[i : i + chunk])
    records = [line for line in data.split(b"\n")[1:] if line not in (b"", b"\r")]
    assert tally.data_lines() == len(records)
