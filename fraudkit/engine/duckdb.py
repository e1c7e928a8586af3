"""The DuckDB side of the connected-components rounds: each relation a temp table on a private connection."""

from __future__ import annotations

import duckdb

from fraudkit.engine.sql import quote_ident


class DuckDBRounds:
    """What :func:`fraudkit.engine.components.label_components` needs, on one DuckDB connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def materialize(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {quote_ident(name)} AS {sql}")

    def count(self, sql: str) -> int:
        return int(self.con.execute(sql).fetchall()[0][0])  # fetchall: DuckDB 2 keeps a half-read result open

    def rename(self, source: str, target: str) -> None:
        self.con.execute(f"DROP TABLE {quote_ident(target)}")
        self.con.execute(f"ALTER TABLE {quote_ident(source)} RENAME TO {quote_ident(target)}")
