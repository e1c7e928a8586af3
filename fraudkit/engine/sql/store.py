"""The store's own queries (settings, catalogue, counts, temporary tables) and the generic reads
of one table's time column that commands use to check a typed time against the data."""

from __future__ import annotations

from fraudkit.engine.sql import quote_ident

STORE_SETTINGS_DDL = "CREATE TABLE IF NOT EXISTS store_settings (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)"
"""Settings fixed when the store is made (its time zone), one row each."""

STORE_TIMEZONE = "SELECT value FROM store_settings WHERE name = 'timezone'"
"""The zone recorded when the store was made (no row: an older store)."""

RECORD_TIMEZONE = "INSERT INTO store_settings VALUES ('timezone', ?)"
"""Record the store's zone, once."""

SET_TIMEZONE = "SET TimeZone = ?"
"""The session's zone: the store's, so that times read and written are its wall-clock times."""

TABLE_EXISTS = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
"""1 when a table of that name exists, else 0."""

COLUMN_EXISTS = "SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = ?"
"""1 when the table has a column of that name, else 0."""

TABLE_NAMES = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name"
"""The store's tables by name."""


def set_threads(threads: int) -> str:
    """Limit the session to ``threads`` threads (DuckDB takes no parameter in SET)."""
    return f"SET threads = {int(threads)}"


def set_memory_limit(size: str) -> str:
    """Cap the memory DuckDB holds (it spills to the store's temp folder past it); ``size`` is checked
    against ``fraudkit.store.MEMORY_SIZE`` first, so only digits and a unit reach the text."""
    return f"SET memory_limit = '{size}'"


STORE_FILE = "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
"""The file of the store a DuckDB connection is open on (null for an in-memory store)."""

TEMP_DIRECTORY = "SELECT current_setting('temp_directory')"
"""Where DuckDB spills: ``<db>.tmp`` beside a store file."""


def row_count(table: str) -> str:
    """The rows of ``table``."""
    return f"SELECT count(*) FROM {quote_ident(table)}"


def materialise(name: str, source: str) -> str:
    """The relation ``source`` computed once into the temporary table ``name``."""
    return f"CREATE TEMP TABLE {name} AS SELECT * FROM {source}"


def drop_temp(name: str) -> str:
    """Drop the temporary table ``name`` if it is there."""
    return f"DROP TABLE IF EXISTS temp.main.{name}"


def insert_by_name(table: str, source: str) -> str:
    """Every row of the relation ``source`` appended to ``table``, columns matched by name."""
    return f"INSERT INTO {quote_ident(table)} BY NAME SELECT * FROM {quote_ident(source)}"


def rejects(*, of_kind: bool) -> str:
    """The newest rejected rows first, at most ``?`` of them (and of the kind ``?`` first when ``of_kind``)."""
    where = "WHERE kind = ? " if of_kind else ""
    return (
        f'SELECT kind, source_file, line, "column", reason, raw FROM rejects {where}'
        "ORDER BY ingested_at DESC, source_file, line LIMIT ?"
    )


def span(table: str, column: str) -> str:
    """Earliest and latest value of ``table.column``."""
    col, tbl = quote_ident(column), quote_ident(table)
    return f"SELECT min({col}), max({col}) FROM {tbl}"


def latest(table: str, column: str) -> str:
    """Latest value of ``table.column``."""
    return f"SELECT max({quote_ident(column)}) FROM {quote_ident(table)}"


def latest_before(table: str, column: str) -> str:
    """Latest value of ``table.column`` before ``?``."""
    col = quote_ident(column)
    return f"SELECT max({col}) FROM {quote_ident(table)} WHERE {col} < ?"


def count_between(table: str, column: str) -> str:
    """Rows of ``table`` with ``column`` in [``?``, ``?``)."""
    col, tbl = quote_ident(column), quote_ident(table)
    return f"SELECT count(*) FROM {tbl} WHERE {col} >= ? AND {col} < ?"
