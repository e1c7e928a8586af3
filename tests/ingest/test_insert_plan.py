"""The insert of good rows runs without DuckDB's filter pushdown (which made it parse every value
again in the filter), keeps file order over many row groups, and leaves the database's optimizer
setting as it found it, whether the run commits or fails."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from ingest_helpers import HEADERS, write

from fraudkit.engine.sql import ingest as sql
from fraudkit.errors import StoreError
from fraudkit.ingest import ingest_paths
from fraudkit.ingest import load as load_module

SETTING = "SELECT current_setting('disabled_optimizers')"


def setting(con: duckdb.DuckDBPyConnection) -> str:
    return str(con.execute(SETTING).fetchall()[0][0])


def as_parquet(con: duckdb.DuckDBPyConnection, csv: Path) -> Path:
    """The CSV as Parquet: small CSV files are read line by line, Parquet by the insert of good rows."""
    out = csv.with_suffix(".parquet")
    con.execute(
        "COPY (SELECT * FROM read_csv($p, all_varchar = true)) TO $o (FORMAT parquet)", {"p": str(csv), "o": str(out)}
    )
    return out


def call(i: int) -> str:
    return f"C{i:07d},138{i:08d},139{i:08d},2024-03-01 09:55:00,{i % 600},voice,86{i:013d},CELL-{i % 97},false"


def test_the_pass_is_off_during_the_insert_only(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    original = load_module._exec

    def spying(c: duckdb.DuckDBPyConnection, query: str, *args: object, **kwargs: object) -> list:
        if query.startswith('INSERT INTO "calls"'):
            seen.append(setting(c))
        return original(c, query, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(load_module, "_exec", spying)
    con.execute("SET disabled_optimizers = 'in_clause'")  # a user's own choice is kept
    path = as_parquet(con, write(tmp_path / "calls.csv", [HEADERS["calls"], call(1), call(2)]))
    assert ingest_paths(con, path, "calls").loaded == 2
    assert [set(s.split(",")) for s in seen] == [{"in_clause", "filter_pushdown"}]
    assert setting(con) == "in_clause"


def test_the_filter_holds_no_parsing_without_the_pass(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """Pushed down, ``fault IS NULL`` took in the phone regex and the timestamp parse; without the
    pass they stay in the projections, computed once."""
    from dataclasses import replace
    from datetime import datetime

    from fraudkit.ingest.plan import peek_file
    from fraudkit.ingest.validate import IngestSettings
    from fraudkit.schema import TABLES

    path = write(tmp_path / "calls.csv", [HEADERS["calls"], call(1)])
    settings = IngestSettings()
    plan = peek_file(path, TABLES["calls"], None, encoding=None, settings=settings, con=con)
    stage = load_module.stage_sql(replace(plan, read_path=str(path)), TABLES["calls"], None, settings, datetime.now())
    query = "EXPLAIN " + sql.insert_good("calls", TABLES["calls"].column_names, stage.query)
    params = {k: v for k, v in stage.params.items() if f"${k}" in query}

    def filters() -> str:
        plan_text = con.execute(query, params).fetchall()[0][1]
        return "".join(part.split("╰", 1)[0] for part in plan_text.split("Filter")[1:])

    assert "regexp_full_match" in filters(), "DuckDB pushes the filter down by default"
    with load_module._without_optimizer(con, sql.FILTER_PUSHDOWN, "calls"):
        assert "regexp_full_match" not in filters() and "TRY_CAST" not in filters()
    assert setting(con) == ""


def test_many_row_groups_keep_file_order_and_lines(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    con.execute("SET threads = 2")
    rows = [call(i) for i in range(1, 300_001)]
    rows[250_000] = rows[250_000].replace(",voice,", ",fax,")  # line 250,002
    path = write(tmp_path / "calls.csv", [HEADERS["calls"], *rows])
    summary = ingest_paths(con, path, "calls")
    assert (summary.loaded, summary.rejected) == (299_999, 1)
    ((line,),) = con.execute("SELECT line FROM rejects").fetchall()
    assert line == 250_002
    out_of_order = con.execute(
        "SELECT count(*) FROM (SELECT call_id, lag(call_id) OVER (ORDER BY rowid) AS prev FROM calls) "
        "WHERE call_id <= prev"
    ).fetchall()[0][0]
    assert out_of_order == 0
    misplaced = con.execute(
        "SELECT count(*) FROM calls c JOIN ingest_keys k ON k.key_hash = hash(c.call_id) "
        "WHERE k.line <> CAST(substr(c.call_id, 2) AS INTEGER) + 1"
    ).fetchall()[0][0]
    assert misplaced == 0


def test_a_failed_insert_leaves_the_setting_as_it_was(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The failure aborts the transaction, so the load cannot turn the pass back on itself."""
    original = sql.insert_good

    def failing(table: str, columns: list[str], stage: str) -> str:
        return original(table, columns, stage).replace("WHERE s.fault IS NULL", "WHERE error('boom') IS NULL")

    monkeypatch.setattr(sql, "insert_good", failing)
    path = as_parquet(con, write(tmp_path / "calls.csv", [HEADERS["calls"], call(1)]))
    with pytest.raises(StoreError, match="boom"):
        ingest_paths(con, path, "calls")
    assert setting(con) == ""
    assert con.execute("SELECT count(*) FROM calls").fetchall()[0][0] == 0
