"""Fixtures shared by the scan tests: one small stored world per session."""

from __future__ import annotations

import pytest
from scan_world import StoredWorld, store_world


@pytest.fixture(scope="session")
def stored_world(tmp_path_factory: pytest.TempPathFactory) -> StoredWorld:
    """A 3,000-subscriber default world (seed 5) in a DuckDB file; CLI tests read it, `--reveal` audits into it."""
    return store_world(tmp_path_factory.mktemp("stored_world"))
