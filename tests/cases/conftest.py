"""The case tests use the operational-store backends and the hand-built rings of tests/ops."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "ops"))

from ops_backends import cheap_password_hashing, engine, ops_url  # noqa: F401  (fixtures)
