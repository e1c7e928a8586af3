"""An operational store made before an index, a table or a column was added to the schema gets it when it is
next opened the normal way (``ops_engine``), on every backend, and opening again changes nothing."""

from __future__ import annotations

from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.schema import DropIndex

from fraudkit.ops.db import ops_engine
from fraudkit.ops.schema import alerts, login_failures, operators

CALL_ORDER_INDEX = "ix_alerts_call_order"


def index_names(engine: Engine, table: str) -> set[str]:
    """Read from the catalogue, not through the code under test; SQLite's reflection leaves out
    expression indexes, so there its ``sqlite_master`` is asked."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            query = text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t")
            return set(conn.execute(query, {"t": table}).scalars())
        return {ix["name"] for ix in inspect(conn).get_indexes(table)}


def make_old_store(url: str) -> None:
    """The store as it was before the call-order index and the login-failure table."""
    engine = ops_engine(url)
    index = next(ix for ix in alerts.indexes if ix.name == CALL_ORDER_INDEX)
    with engine.begin() as conn:
        conn.execute(DropIndex(index))
        login_failures.drop(conn)
    assert CALL_ORDER_INDEX not in index_names(engine, "alerts")
    assert not inspect(engine).has_table("login_failures")
    engine.dispose()


def test_opening_an_old_store_adds_the_missing_index_and_table(ops_url: str) -> None:
    make_old_store(ops_url)
    for _ in range(2):  # the second open finds everything in place
        engine = ops_engine(ops_url)
        try:
            assert CALL_ORDER_INDEX in index_names(engine, "alerts")
            assert {"ix_alerts_queue", "ix_alerts_phone"} <= index_names(engine, "alerts")
            assert inspect(engine).has_table("login_failures")
            assert {"ix_login_failures_subject", "ix_login_failures_at"} <= index_names(engine, "login_failures")
        finally:
            engine.dispose()


def test_operators_of_a_store_made_before_roles_are_warning_operators(ops_url: str) -> None:
    engine = ops_engine(ops_url)
    with engine.begin() as conn:  # the table as it was, with one operator
        conn.execute(text("ALTER TABLE operators DROP COLUMN role"))
        conn.execute(text("INSERT INTO operators VALUES ('ana', 'x', NULL, TRUE, '2026-11-01 08:00:00')"))
    engine.dispose()
    for _ in range(2):  # the second open finds the column in place
        engine = ops_engine(ops_url)
        try:
            with engine.connect() as conn:
                assert conn.execute(select(operators.c.operator_id, operators.c.role)).all() == [
                    ("ana", "warning_operator")
                ]
        finally:
            engine.dispose()
