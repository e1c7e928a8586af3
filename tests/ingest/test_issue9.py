"""Issue 9: no row lost or read from the wrong file, whatever the names, line ends, keys or crashes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import GOOD_ROWS, HEADERS, count, rejects, write

from fraudkit.errors import ConfigError, InputFileError
from fraudkit.ingest import ingest_paths, parse_mapping

TS = "2024-03-01 10:00:00"


def txn(i: int, amount: str = "10.00", status: str = "success") -> str:
    return f"T{i},{TS},6222000011112222,6228000033334444,{amount},CNY,mobile,{status}"


@pytest.mark.parametrize("name", ["b[1].csv", "g*.csv", "q?.csv", "{a,b}.csv"])
def test_a_file_named_like_a_pattern_reads_itself(con: duckdb.DuckDBPyConnection, tmp_path: Path, name: str) -> None:
    write(tmp_path / "b1.csv", [HEADERS["transactions"], txn(1)])
    write(tmp_path / "g1.csv", [HEADERS["transactions"], txn(2)])
    write(tmp_path / "qx.csv", [HEADERS["transactions"], txn(3)])
    write(tmp_path / "a.csv", [HEADERS["transactions"], txn(4)])
    own = write(tmp_path / name, [HEADERS["transactions"], txn(9)])
    summary = ingest_paths(con, own, "transactions")
    assert summary.loaded == 1
    assert con.execute("SELECT txn_id FROM transactions").fetchall() == [("T9",)]


def test_a_pattern_is_expanded_once_and_each_match_read_by_its_name(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    write(tmp_path / "b1.csv", [HEADERS["transactions"], txn(1)])
    write(tmp_path / "b[1].csv", [HEADERS["transactions"], txn(2)])
    summary = ingest_paths(con, str(tmp_path / "b*.csv"), "transactions")
    assert (len(summary.files), summary.loaded) == (2, 2)
    assert sorted(r[0] for r in con.execute("SELECT txn_id FROM transactions").fetchall()) == ["T1", "T2"]


@pytest.mark.parametrize(
    "data",
    [
        b"\r".join([HEADERS["transactions"].encode(), txn(1).encode(), txn(2).encode(), txn(3).encode()]) + b"\r",
        (HEADERS["transactions"] + "\n" + txn(1) + "\r\n" + txn(2) + "\n" + txn(3) + "\n").encode(),
        (HEADERS["transactions"] + "\r\n" + txn(1) + "\n" + txn(2) + "\r\n" + txn(3)).encode(),
        (
            HEADERS["transactions"] + "\n" + txn(1) + "\n" + txn(2).replace("mobile", "mob\rile") + "\n" + txn(3)
        ).encode(),
    ],
    ids=["cr-only", "one-crlf-in-lf", "mixed", "lone-cr-in-a-field"],
)
def test_every_line_end_reads(con: duckdb.DuckDBPyConnection, tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    result = ingest_paths(con, path, "transactions").files[0]
    assert result.rows_read == 3 and result.lines == 3
    assert result.rows_read == result.loaded + result.rejected + result.duplicates
    if b"mob\rile" in data:
        assert [(line, column) for line, column, _, _ in rejects(con)] == [(3, "channel")]
    else:
        assert result.loaded == 3


def test_one_failing_file_commits_nothing_of_the_run(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fraudkit.ingest.pipeline as pipeline

    good = write(tmp_path / "good.csv", [HEADERS["transactions"], *GOOD_ROWS["transactions"]])
    bad = write(tmp_path / "bad.csv", [HEADERS["transactions"], txn(7)])
    real = pipeline.load_file

    def fails_on_bad(con: duckdb.DuckDBPyConnection, plan, **kwargs):  # type: ignore[no-untyped-def]
        if plan.path.name == "bad.csv":
            raise InputFileError(plan.path, "cannot be parsed", line=2)
        return real(con, plan, **kwargs)

    monkeypatch.setattr(pipeline, "load_file", fails_on_bad)
    with pytest.raises(InputFileError, match=r"bad\.csv:2"):
        ingest_paths(con, [good, bad], "transactions")
    for table in ("transactions", "rejects", "ingest_log", "ingest_keys"):
        assert count(con, table) == 0, table
    monkeypatch.setattr(pipeline, "load_file", real)
    assert ingest_paths(con, [good, bad], "transactions").loaded == 3


def test_a_correcting_source_updates_and_others_reject_conflicts(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    first = write(tmp_path / "d1.csv", [HEADERS["transactions"], txn(1), txn(2)])
    fix = write(tmp_path / "d2.csv", [HEADERS["transactions"], txn(2, "20.00", "reversed"), txn(1), txn(3)])
    ingest_paths(con, first, "transactions")
    summary = ingest_paths(con, fix, "transactions")
    assert (summary.loaded, summary.duplicates, summary.rejected, summary.updates) == (1, 1, 1, 0)
    assert rejects(con)[0][2] == f"conflicts with the row loaded from {first.resolve()}:3"
    again = write(tmp_path / "d3.csv", [HEADERS["transactions"], txn(2, "20.00", "reversed"), txn(4)])
    updating = parse_mapping('on_conflict = "update"', source="corrections.toml")
    summary = ingest_paths(con, again, "transactions", updating)
    assert (summary.loaded, summary.updates, summary.rejected) == (1, 1, 0)
    stored = con.execute("SELECT amount, status FROM transactions WHERE txn_id = 'T2'").fetchall()
    assert [(str(a), s) for a, s in stored] == [("20.00", "reversed")]
    assert count(con, "transactions") == 4


def test_on_conflict_is_checked_like_every_key() -> None:
    with pytest.raises(ConfigError, match="on_conflict must be one of reject, update"):
        parse_mapping('on_conflict = "merge"', source="m.toml")


@pytest.mark.parametrize(
    "text",
    ['[columns]\nsrc_account = "账号"\ndst_account = "账号"', '[columns]\ntxn_id = "amount"'],
    ids=["two-on-one-header", "id-on-the-amount"],
)
def test_two_canonical_columns_on_one_source_column_are_refused(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, text: str
) -> None:
    path = write(tmp_path / "t.csv", ["txn_id,ts,账号,dst_account,amount,channel", f"T1,{TS},A,B,1,mobile"])
    with pytest.raises((ConfigError, InputFileError)) as info:
        ingest_paths(con, path, "transactions", parse_mapping(text, source="m.toml"))
    message = info.value.one_line()
    assert "\n" not in message
    assert ("src_account" in message and "dst_account" in message) or ("txn_id" in message and "amount" in message)
    assert count(con, "ingest_log") == 0


@pytest.mark.parametrize("encoding", ["rot13", "base64", "zlib", "hex"])
def test_transforms_are_not_text_encodings(con: duckdb.DuckDBPyConnection, tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path / "t.csv", [HEADERS["transactions"], txn(1)])
    with pytest.raises(InputFileError, match="unknown encoding") as info:
        ingest_paths(con, path, "transactions", encoding=encoding)
    assert "\n" not in info.value.one_line()
    with pytest.raises(ConfigError, match="unknown encoding"):
        parse_mapping(f'encoding = "{encoding}"')


def test_a_headerless_file_hint_masks_the_numbers_it_shows(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", ["T1,2024-03-01 10:00:00,6222000011112222,6228000033334444,1,CNY,mobile,"])
    with pytest.raises(InputFileError) as info:
        ingest_paths(con, path, "transactions")
    assert "6222000011112222" not in info.value.one_line() and "4444" in info.value.one_line()


KILLED_INGEST = """
import sys
from fraudkit.ingest import IngestSettings, ingest_paths
from fraudkit.store import connect
import fraudkit.ingest.encoding as encoding

real = encoding.transcode_to_utf8
def slow(*args, **kwargs):
    tally = real(*args, **kwargs)
    print("transcoded", flush=True)
    import time; time.sleep(60)
    return tally
import fraudkit.ingest.plan as plan
plan.transcode_to_utf8 = slow
con = connect(sys.argv[2])
ingest_paths(con, sys.argv[1], "transactions", settings=IngestSettings(temp_dir=sys.argv[3]))
"""


def test_a_killed_gbk_ingest_leaves_no_plaintext_copy(tmp_path: Path) -> None:
    rows = [f"T{i},{TS},张三{i:012d},6228000033334444,10.00,CNY,mobile,success" for i in range(2000)]
    source = write(tmp_path / "gbk.csv", [HEADERS["transactions"], *rows], encoding="gbk")
    temp = tmp_path / "tmp"
    temp.mkdir()
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_INGEST, str(source), str(tmp_path / "s.duckdb"), str(temp)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "transcoded"
        open_copies = [p for p in Path(f"/proc/{child.pid}/fd").iterdir() if "(deleted)" in os.readlink(p)]
        assert open_copies, "the transcoded copy lives only as an open file"
        assert list(temp.iterdir()) == []  # nothing reachable by name, even while it runs
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    time.sleep(0.1)
    assert list(temp.iterdir()) == []
