"""The store's one error-wrapping execute, its frame reader, what it registers, and the one
"moved money" rule in SQL and in Polars."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from fraudkit.errors import StoreError
from fraudkit.features.prepare import successful as successful_pl
from fraudkit.schema import SUCCESSFUL, TXN_STATUSES, successful
from fraudkit.store import frame, materialised, registered, run


def _temporary_objects(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal"
    ).fetchall()
    return [r[0] for r in rows]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS i, 'x' || range AS s FROM range(5)")
    yield con
    con.close()


def test_run_binds_list_and_named_parameters(con) -> None:
    assert run(con, "SELECT count(*) FROM t WHERE i >= ?", [3]).fetchall() == [(2,)]
    assert run(con, "SELECT count(*) FROM t WHERE i < $n", {"n": 1}).fetchall() == [(1,)]


def test_run_names_the_table_and_keeps_the_query(con) -> None:
    query = "SELECT nope FROM t"
    with pytest.raises(StoreError) as caught:
        run(con, query, table="transactions")
    error = caught.value
    assert str(error).startswith("table 'transactions': Binder Error")
    assert "\n" not in str(error), "one line: the engine's first"
    assert error.table == "transactions" and error.query == query
    assert isinstance(error.__cause__, duckdb.Error)


def test_frame_wraps_errors_raised_while_the_result_streams(con) -> None:
    """con.sql is lazy: a bad cast fails only when the rows are fetched, and is wrapped all the same."""
    query = "SELECT s::INTEGER AS n FROM t"
    with pytest.raises(StoreError, match=r"^table 'calls': Conversion Error") as caught:
        frame(con, query, table="calls")
    assert caught.value.query == query
    assert frame(con, "SELECT i FROM t WHERE i > $m ORDER BY i", {"m": 2})["i"].to_list() == [3, 4]


def test_registered_data_is_gone_after_the_block_even_on_error(con) -> None:
    data = pl.DataFrame({"a": [1, 2, 3]})
    with registered(con, data, "probe") as one, registered(con, data, "probe") as two:
        assert one != two and one.startswith("probe_")
        assert con.execute(f"SELECT sum(a) FROM {one}").fetchall() == [(6,)]
    assert _temporary_objects(con) == []
    with pytest.raises(StoreError), registered(con, data) as name:
        run(con, f"SELECT missing FROM {name}")
    assert _temporary_objects(con) == []


def test_materialised_computes_once_and_drops_its_table(con) -> None:
    lazy = con.sql("SELECT i FROM t WHERE i >= $lo", params={"lo": 2})
    with materialised(con, lazy, "win") as kept:
        con.execute("INSERT INTO t VALUES (100, 'x100')")
        assert sorted(r[0] for r in kept.fetchall()) == [2, 3, 4], "read as computed, not again"
        assert len(_temporary_objects(con)) == 1
    assert _temporary_objects(con) == []
    with pytest.raises(RuntimeError), materialised(con, lazy):
        raise RuntimeError("a stage failed")
    assert _temporary_objects(con) == []


def test_the_sql_and_polars_rules_count_the_same_transfers() -> None:
    statuses = [*TXN_STATUSES, None, "SUCCESS", ""]
    data = pl.DataFrame({"status": statuses}, schema={"status": pl.String})
    con = duckdb.connect()
    with registered(con, data) as name:
        in_sql = [r[0] for r in con.execute(f"SELECT {SUCCESSFUL} FROM {name}").fetchall()]
        aliased = [r[0] for r in con.execute(f"SELECT {successful('x')} FROM {name} AS x").fetchall()]
    in_polars = data.select(successful_pl())["status"].to_list()
    assert in_sql == aliased == in_polars == [True, False, False, False, True, False, False]


def test_the_sql_rule_takes_only_an_alias() -> None:
    with pytest.raises(ValueError, match="alias"):
        successful("t.status; DROP TABLE calls")
