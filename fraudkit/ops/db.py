"""Open the operational store: SQLite in WAL mode beside the DuckDB store by default, or any
SQLAlchemy URL (``postgresql+psycopg://...``) from ``--ops-db`` / ``FRAUDKIT_OPS_DB``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fraudkit.engine.sql import ops as sql
from fraudkit.errors import ConfigError, StoreError

ENV_OPS_DB = "FRAUDKIT_OPS_DB"
BUSY_TIMEOUT_MS = 10_000


def default_ops_url(db_path: str | Path) -> str:
    """``<store>.ops.sqlite`` next to the DuckDB file: one folder holds a deployment's state."""
    path = Path(db_path)
    return f"sqlite:///{path.with_name(path.stem + '.ops.sqlite').resolve().as_posix()}"


def ops_url(db_path: str | Path, explicit: str | None = None) -> str:
    """The URL asked for, else the environment's, else the SQLite file beside the store."""
    return explicit or os.environ.get(ENV_OPS_DB) or default_ops_url(db_path)


def ops_engine(url: str, *, create: bool = True) -> Any:
    """An engine with the schema in place; SQLite connections get WAL and a busy timeout, so
    the loop and many operators can write at once."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.exc import ArgumentError

    try:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:
        raise ConfigError(f"cannot use operational store {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        Path(engine.url.database or ".").parent.mkdir(parents=True, exist_ok=True)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            for pragma in sql.sqlite_pragmas(BUSY_TIMEOUT_MS):
                cursor.execute(pragma)
            cursor.close()

    if create:
        ensure_schema(engine)
    return engine


def ensure_schema(engine: Any) -> None:
    """Create the tables that are missing, and the columns and indexes missing from tables that
    exist: ``create_all`` skips an existing table whole, so a column or an index added to the schema
    later (the operators' role, the call order's index) would never reach an older store. Tried
    twice, because two processes opening a new store at once (the loop and ``serve`` under systemd)
    can race to create the same table."""
    from sqlalchemy.exc import DBAPIError

    for attempt in (1, 2):
        try:
            with engine.begin() as conn:
                _create_missing(conn)
            return
        except DBAPIError as exc:
            if attempt == 2:
                first = str(exc.orig or exc).splitlines()[0]
                raise StoreError(f"cannot open operational store {engine.url!r}: {first}") from exc


def _create_missing(conn: Any) -> None:
    from sqlalchemy.schema import CreateIndex

    from fraudkit.ops.schema import metadata

    metadata.create_all(conn)
    _add_missing_columns(conn)
    present = _index_names(conn)
    for table in metadata.sorted_tables:
        for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
            if index.name not in present:  # IF NOT EXISTS: another process may add it meanwhile
                conn.execute(CreateIndex(index, if_not_exists=True))


def _add_missing_columns(conn: Any) -> None:
    """Add the columns the schema gained since an existing table was made (``operators.role``). Such a
    column has a server default (or allows null), so rows already there take it; its definition is
    SQLAlchemy's compilation of the schema's column for the store's dialect, names quoted."""
    from sqlalchemy import inspect, text
    from sqlalchemy.schema import CreateColumn

    from fraudkit.ops.schema import metadata

    found = inspect(conn).get_multi_columns(filter_names=list(metadata.tables))
    present = {table: {str(column["name"]) for column in columns} for (_, table), columns in found.items()}
    quote = conn.dialect.identifier_preparer.quote
    for table in metadata.sorted_tables:
        for column in table.columns:
            if column.name not in present.get(table.name, {column.name}):
                spec = CreateColumn(column).compile(dialect=conn.dialect)
                conn.execute(text(sql.add_column(quote(table.name), str(spec))))


def _index_names(conn: Any) -> set[str]:
    """Names of the store's indexes. SQLite's reflection skips expression indexes (with a
    warning), so there the catalogue is read; PostgreSQL reflects them."""
    from sqlalchemy import inspect, text

    from fraudkit.ops.schema import metadata

    if conn.dialect.name == "sqlite":
        return set(conn.execute(text(sql.SQLITE_INDEX_NAMES)).scalars())
    found = inspect(conn).get_multi_indexes(filter_names=list(metadata.tables))
    return {str(index["name"]) for indexes in found.values() for index in indexes}
