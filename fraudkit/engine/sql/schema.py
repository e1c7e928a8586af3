"""The store's tables as DuckDB makes them: the canonical tables from their definitions in
:mod:`fraudkit.schema`, and the rejects and ingest log beside them."""

from __future__ import annotations

from collections.abc import Iterable

from fraudkit.engine.sql import quote_ident


def create_table(name: str, columns: Iterable[tuple[str, str, bool]]) -> str:
    """The table ``name`` with its (column, type, stored uncompressed) columns, unless it exists."""
    cols = ", ".join(
        f"{quote_ident(column)} {sql_type}" + (" USING COMPRESSION uncompressed" if uncompressed else "")
        for column, sql_type, uncompressed in columns
    )
    return f"CREATE TABLE IF NOT EXISTS {quote_ident(name)} ({cols})"


REJECTS_DDL = """
CREATE TABLE IF NOT EXISTS rejects (
    kind VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    line BIGINT,
    "column" VARCHAR,
    reason VARCHAR NOT NULL,
    raw VARCHAR,
    file_sha256 VARCHAR NOT NULL,
    ingested_at TIMESTAMP NOT NULL
)
"""
"""Every input row that could not be loaded, with its file, line and reason."""

INGEST_LOG_DDL = """
CREATE TABLE IF NOT EXISTS ingest_log (
    file_sha256 VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    rows_read BIGINT NOT NULL,
    loaded BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    duplicates BIGINT NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    PRIMARY KEY (file_sha256, kind)
)
"""
"""One row per file and kind ingested: what was read, loaded, rejected and already there."""
