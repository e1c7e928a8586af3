"""The work-queue database's own statements: SQLite's connection pragmas and its index catalogue.
Everything else there goes through SQLAlchemy's schema and expressions (:mod:`fraudkit.ops.schema`)."""

from __future__ import annotations


def sqlite_pragmas(busy_timeout_ms: int) -> tuple[str, ...]:
    """What each new SQLite connection runs: write-ahead logging (the loop and many operators write at
    once), waiting up to ``busy_timeout_ms`` for a lock, and enforced foreign keys."""
    return ("PRAGMA journal_mode=WAL", f"PRAGMA busy_timeout={int(busy_timeout_ms)}", "PRAGMA foreign_keys=ON")


SQLITE_INDEX_NAMES = "SELECT name FROM sqlite_master WHERE type = 'index'"
"""Names of every index of an SQLite database, expression indexes included: SQLAlchemy's inspector
skips those (with a warning), so it is no drop-in here."""


def add_column(quoted_table: str, column_spec: str) -> str:
    """Add a column the schema gained to an existing table: ``quoted_table`` quoted by the dialect,
    ``column_spec`` compiled by SQLAlchemy from the schema (never user text)."""
    return f"ALTER TABLE {quoted_table} ADD COLUMN {column_spec}"
