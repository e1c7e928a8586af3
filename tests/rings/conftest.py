"""The ring tests use the operational-store backends of tests/ops (SQLite always, PostgreSQL in CI)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "ops"))

from ops_backends import engine, ops_url  # noqa: F401  (fixtures)
