"""The DuckDB store: one file holds the canonical tables and every stage's outputs.

All engine-specific access goes through here, so a second backend (Spark) has one
place to differ. SQL is never built by pasting user text: identifiers are quoted
with :func:`quote_ident` and values are bound as parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from fraudkit.errors import NotReadyError, StoreError
from fraudkit.exposure import AUDIT_DDL
from fraudkit.schema import INGEST_LOG_DDL, REJECTS_DDL, TABLES

DEFAULT_DB = Path("fraudkit.duckdb")


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB so that any text is safe as a column or table name."""
    return '"' + name.replace('"', '""') + '"'


def connect(
    path: str | Path = DEFAULT_DB, *, read_only: bool = False, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the store and make sure the canonical tables exist."""
    path = Path(path)
    if read_only and not path.exists():
        raise NotReadyError(f"no database at {path}", hint="run `fraudkit ingest` or `fraudkit demo` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:  # locked by another process, not a DuckDB file, ...
        raise StoreError(f"cannot open {path}: {exc}") from exc
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if not read_only:
        ensure_schema(con)
    return con


@contextmanager
def open_store(path: str | Path = DEFAULT_DB, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Context manager around :func:`connect` that always closes the connection."""
    con = connect(path, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the canonical, rejects and bookkeeping tables when missing."""
    for table in TABLES.values():
        con.execute(table.ddl())
    con.execute(REJECTS_DDL)
    con.execute(INGEST_LOG_DDL)
    con.execute(AUDIT_DDL)


def scalar(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> Any:
    """First value of a query's only row. DuckDB 2.0 blocks a connection whose result is not
    fetched to the end, so never use ``fetchone()`` on a shared connection: fetch all."""
    rows = con.execute(query, params or []).fetchall()
    return rows[0][0] if rows else None


def frame(con: duckdb.DuckDBPyConnection, query: str, params: list | dict | None = None) -> pl.DataFrame:
    """A query's result as a Polars frame, through Arrow without a DB-API copy."""
    return con.sql(query, params=params).pl() if params else con.sql(query).pl()


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]))


def row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    if not table_exists(con, table):
        return 0
    return int(scalar(con, f"SELECT count(*) FROM {quote_ident(table)}") or 0)


def run(
    con: duckdb.DuckDBPyConnection, query: str, params: list | None = None, *, table: str | None = None
) -> duckdb.DuckDBPyConnection:
    """Execute a query, wrapping engine errors with the logical table's name and the query."""
    try:
        return con.execute(query, params or [])
    except duckdb.Error as exc:
        raise StoreError(str(exc).splitlines()[0], table=table, query=query) from exc


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows in every table of the store, canonical tables first."""
    names = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name"
        ).fetchall()
    ]
    ordered = [n for n in TABLES if n in names] + [n for n in names if n not in TABLES]
    return {n: row_count(con, n) for n in ordered}


def list_rejects(con: duckdb.DuckDBPyConnection, *, kind: str | None = None, limit: int = 20) -> list[dict]:
    """The most recent rejected rows, optionally of one kind."""
    where, params = ("WHERE kind = ?", [kind]) if kind else ("", [])
    cur = con.execute(
        f'SELECT kind, source_file, line, "column", reason, raw FROM rejects {where} '
        "ORDER BY ingested_at DESC, source_file, line LIMIT ?",
        [*params, limit],
    )
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
