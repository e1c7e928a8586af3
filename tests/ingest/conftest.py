"""Fixtures for ingest tests: a fresh in-memory store per test."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from fraudkit.store import ensure_schema


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    ensure_schema(connection)
    yield connection
    connection.close()
