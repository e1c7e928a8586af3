"""Every SQL text of the package lives under :mod:`fraudkit.engine`: here, one module per stage
(``scan``, ``ingest``, ``live``, ...), and the connected-components rounds in
:mod:`fraudkit.engine.components`.

Stage modules import a query by name (``from fraudkit.engine.sql import scan as sql`` then
``sql.FAST_EDGES``) and run it through :func:`fraudkit.store.run`; a query that depends on a
table or column name is a function here that quotes the identifiers with :func:`quote_ident`
and leaves every value to a bound parameter. A test greps the rest of the package for SQL.
"""

from __future__ import annotations

BEGIN = "BEGIN TRANSACTION"
"""Start one transaction: what a stage writes together (a scan's three tables, a file's rows) lands together."""

COMMIT = "COMMIT"
"""Keep what the transaction wrote."""

ROLLBACK = "ROLLBACK"
"""Undo what the transaction wrote: a crash or an error leaves the store as it was."""


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB so that any text is safe as a column or table name."""
    return '"' + name.replace('"', '""') + '"'


def column_list(columns: list[str] | tuple[str, ...]) -> str:
    """``"a", "b", "c"``: quoted column names for a SELECT or INSERT list."""
    return ", ".join(quote_ident(c) for c in columns)
