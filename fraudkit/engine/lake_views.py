"""Every command on a lake: the catalogue store sees the lake's canonical tables in place of its own.

On the Spark engine the heavy stages run on Spark (the ingest's write, connected components, the
per-component analysis, the features per shard); what is left of a command (ranking the call-back
list, fitting a model, following a trace) runs on the driver, as on one machine. It reads the lake
through these views, so every command runs unchanged and writes the same outputs: on a lake the
driver reaches as a folder, DuckDB reads the committed Parquet files lazily (only the columns a
query names, and row groups outside its time filter skipped); on HDFS or S3, Spark reads the tables
and hands them over through Arrow.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import duckdb
import polars as pl

from fraudkit.engine.lake import Lake, polars_schema
from fraudkit.schema import TABLES

LAKE_TABLES: tuple[str, ...] = tuple(TABLES)
"""The canonical tables a lake holds; the catalogue store keeps everything else (rejects, outputs)."""


def local_folder(uri: str) -> Path | None:
    """The folder a ``file:`` URI names, or None for a lake elsewhere (``hdfs://``, ``s3a://``)."""
    parsed = urlparse(uri)
    return Path(unquote(parsed.path)) if parsed.scheme in ("", "file") else None


def _table_relation(con: duckdb.DuckDBPyConnection, lake: Lake, table: str) -> duckdb.DuckDBPyRelation | pl.DataFrame:
    """``table`` of the lake as something DuckDB can query: its files (lazily) or, remote, its rows."""
    columns = TABLES[table].column_names
    folder = local_folder(lake.files.uri(table))
    if folder is None:
        return lake.read(table)
    files = [str(folder / name) for name in lake.files.files_under(table) if name.endswith(".parquet")]
    if not files:
        return pl.DataFrame(schema=polars_schema(table))
    return con.read_parquet(files, hive_partitioning=False).select(*columns)


@contextmanager
def lake_views(con: duckdb.DuckDBPyConnection, lake: Lake, tables: Iterable[str] = LAKE_TABLES) -> Iterator[list[str]]:
    """For the block, the canonical ``tables`` on ``con`` are the lake's (the store's own, if any, are
    hidden, not touched); the lake's unfinished commit, if a crash left one, is finished first.
    Yields the names shown; a write to one of them fails (writes go through the lake)."""
    lake.recover()
    shown: list[str] = []
    try:
        for table in tables:
            con.register(table, _table_relation(con, lake, table))
            shown.append(table)
        yield shown
    finally:
        for table in shown:
            con.unregister(table)


def tables_of(
    con: duckdb.DuckDBPyConnection, on_lake: Any, command: str, tables: Iterable[str] = LAKE_TABLES
) -> AbstractContextManager[Any]:
    """Where a command reads the tables: the lake's through :func:`lake_views` when ``on_lake`` (a Spark
    backend on a lake) is given, else the store's own (nothing to do). ``command`` names it in errors."""
    if on_lake is None:
        return nullcontext()
    return lake_views(con, on_lake.lake(command), tables)
