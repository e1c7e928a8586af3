"""Reading and appending a canonical table by name: the DuckDB side of ``Backend.read`` / ``write``."""

from __future__ import annotations

from collections.abc import Sequence

from fraudkit.engine.sql import column_list, quote_ident


def select_span(table: str, columns: Sequence[str], time_column: str | None, *, start: bool, end: bool) -> str:
    """The columns of ``table``, events with ``$start <= time_column < $end`` where a bound is asked."""
    where = []
    if time_column is not None and start:
        where.append(f"{quote_ident(time_column)} >= $start")
    if time_column is not None and end:
        where.append(f"{quote_ident(time_column)} < $end")
    text = f"SELECT {column_list(list(columns))} FROM {quote_ident(table)}"
    return text + (" WHERE " + " AND ".join(where) if where else "")


def append_rows(table: str, source: str, columns: Sequence[str]) -> str:
    """Append the rows of the registered relation ``source`` to ``table``, columns matched by name."""
    names = column_list(list(columns))
    return f"INSERT INTO {quote_ident(table)} ({names}) SELECT {names} FROM {quote_ident(source)}"
