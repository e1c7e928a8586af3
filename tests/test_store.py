from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime

import polars as pl
import pytest

from fraudkit.errors import ConfigError, NotReadyError, StoreError
from fraudkit.exposure import current_user, reveal
from fraudkit.schema import TABLES
from fraudkit.store import connect, open_store, owner_path, quote_ident, scalar, store_timezone, table_counts


def test_new_store_has_every_canonical_table_with_contract_columns(tmp_path) -> None:
    con = connect(tmp_path / "s.duckdb")
    for name, table in TABLES.items():
        cols = [r[0] for r in con.execute(f"DESCRIBE {quote_ident(name)}").fetchall()]
        assert cols == table.column_names
    assert {"rejects", "ingest_log", "audit_log"} <= set(table_counts(con))


@pytest.mark.parametrize("hostile", ['a"b', "x; DROP TABLE calls; --", "交易时间", "it's"])
def test_quoted_identifiers_survive_hostile_names(tmp_path, hostile: str) -> None:
    con = connect(tmp_path / "s.duckdb")
    con.execute(f"CREATE TABLE t ({quote_ident(hostile)} INTEGER)")
    con.execute("INSERT INTO t VALUES (1)")
    assert con.execute(f"SELECT {quote_ident(hostile)} FROM t").fetchall() == [(1,)]
    assert "calls" in table_counts(con)


def test_read_only_open_of_missing_store_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(NotReadyError, match="no database"):
        connect(tmp_path / "missing.duckdb", read_only=True)


def test_reveal_is_recorded_with_who_and_what(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FRAUDKIT_USER", "officer.li")
    con = connect(tmp_path / "s.duckdb")
    with reveal(con, command="rejects", what="raw reject lines", rows=3):
        pass
    # the operating-system account is recorded; the claimed name only beside it
    assert con.execute("SELECT user_name, claimed_user, command, row_count FROM audit_log").fetchall() == [
        (current_user(), "officer.li", "rejects", 3)
    ]


# --db must name a DuckDB file or a new path (DuckDB opens a CSV or Parquet file as an
# in-memory database, so an ingest "succeeded" and saved nothing).


@pytest.mark.parametrize("name", ["drop.csv", "drop.parquet", "drop.db", "drop"])
def test_an_existing_file_that_is_not_duckdb_is_refused_by_name(tmp_path, name: str) -> None:
    path = tmp_path / name
    if name.endswith("parquet"):
        pl.DataFrame({"a": [1]}).write_parquet(path)
    else:
        path.write_text("交易时间,付款账号\nT1,2026-10-01\n")
    kind = "a Parquet file" if name.endswith("parquet") else r"a text file \(CSV\?\)"
    with pytest.raises(ConfigError, match=f"--db {path} is {kind}, not a DuckDB store") as caught:
        connect(path)
    assert "\n" not in caught.value.one_line()
    with pytest.raises(ConfigError, match="not a DuckDB store"):
        connect(path, read_only=True)
    assert path.read_bytes()[:4] != b"" and not owner_path(path).exists()


def test_an_empty_file_and_a_folder_are_refused(tmp_path) -> None:
    (tmp_path / "empty.duckdb").write_bytes(b"")
    with pytest.raises(ConfigError, match="is empty"):
        connect(tmp_path / "empty.duckdb")
    with pytest.raises(ConfigError, match="is a folder"):
        connect(tmp_path)


def test_a_new_path_is_created_and_reopens(tmp_path) -> None:
    path = tmp_path / "sub" / "new.duckdb"
    connect(path).close()
    connect(path, read_only=True).close()
    assert path.read_bytes()[8:12] == b"DUCK"


# The store's time zone: recorded at creation, fixed afterwards, the session's TimeZone.


def test_the_store_records_its_zone_and_sets_the_session_to_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FRAUDKIT_TIMEZONE", "Asia/Shanghai")
    path = tmp_path / "s.duckdb"
    with open_store(path, create=True) as con:  # open_store makes a store only when asked
        assert store_timezone(con) == "Asia/Shanghai"
        assert scalar(con, "SELECT current_setting('TimeZone')") == "Asia/Shanghai"
    monkeypatch.setenv("FRAUDKIT_TIMEZONE", "UTC")  # only a default for new stores
    with open_store(path, read_only=True) as con:
        assert scalar(con, "SELECT current_setting('TimeZone')") == "Asia/Shanghai"
        assert scalar(con, "SELECT CAST(TIMESTAMPTZ '2026-10-01 02:00:00+00' AS TIMESTAMP)") == datetime(
            2026, 10, 1, 10
        )


def test_a_different_zone_for_an_existing_store_is_refused(tmp_path) -> None:
    path = tmp_path / "s.duckdb"
    connect(path, timezone="Asia/Shanghai").close()
    connect(path, timezone="Asia/Shanghai").close()
    with pytest.raises(ConfigError, match="keeps its times in Asia/Shanghai, not UTC"):
        connect(path, timezone="UTC")


# A store another process holds: wait with a bound, then say who holds it and for how long.

HOLDER = """
import sys, time
from fraudkit.store import open_store
with open_store(sys.argv[2], read_only=sys.argv[3] == "ro"):
    print("holding", flush=True)
    time.sleep(float(sys.argv[4]))
"""


def _hold(tmp_path, path, *, seconds: float, mode: str = "rw") -> subprocess.Popen:
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    proc = subprocess.Popen(
        [sys.executable, str(script), "train", str(path), mode, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    return proc


@pytest.mark.parametrize("mode", ["rw", "ro"])
def test_a_held_store_is_refused_after_the_wait_naming_the_holder(tmp_path, mode: str) -> None:
    path = tmp_path / "s.duckdb"
    connect(path).close()
    proc = _hold(tmp_path, path, seconds=30, mode=mode)
    try:
        started = time.monotonic()
        with pytest.raises(StoreError) as caught:
            connect(path, lock_wait=0.6)
        waited = time.monotonic() - started
        message = caught.value.one_line()
        assert 0.6 <= waited < 5
        assert f"is held by `holder.py train` (PID {proc.pid}, {'read-only' if mode == 'ro' else 'write'})" in message
        assert "since " in message and "waited 0.6 s" in message and "--lock-wait" in message
    finally:
        proc.kill()
        proc.wait()


def test_a_store_released_within_the_wait_is_opened(tmp_path) -> None:
    path = tmp_path / "s.duckdb"
    connect(path).close()
    proc = _hold(tmp_path, path, seconds=1.0)
    try:
        started = time.monotonic()
        with open_store(path, lock_wait=20) as con:
            assert "calls" in table_counts(con)
        assert time.monotonic() - started < 15
    finally:
        proc.wait()
    assert not owner_path(path).exists()  # the holder removed its sidecar on close


def test_a_stale_sidecar_is_not_believed(tmp_path) -> None:
    path = tmp_path / "s.duckdb"
    connect(path).close()
    owner_path(path).write_text('{"pid": 1, "command": "fraudkit ghost", "started": "2000-01-01T00:00:00"}')
    proc = _hold(tmp_path, path, seconds=30, mode="ro")
    owner_path(path).write_text('{"pid": 1, "command": "fraudkit ghost", "started": "2000-01-01T00:00:00"}')
    try:
        with pytest.raises(StoreError, match=f"PID {proc.pid}") as caught:
            connect(path, lock_wait=0)
        assert "ghost" not in caught.value.one_line()
    finally:
        proc.kill()
        proc.wait()
