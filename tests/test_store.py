from __future__ import annotations

import pytest

from fraudkit.errors import NotReadyError
from fraudkit.exposure import record_reveal
from fraudkit.schema import TABLES
from fraudkit.store import connect, quote_ident, table_counts


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
    record_reveal(con, command="rejects", what="raw reject lines", rows=3)
    assert con.execute("SELECT user_name, command, row_count FROM audit_log").fetchall() == [
        ("officer.li", "rejects", 3)
    ]
