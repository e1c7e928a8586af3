"""Audit of revealing exports: who saw unmasked personal data, when, and what."""

from __future__ import annotations

import getpass
import json
import os
from datetime import datetime
from typing import Any

import duckdb

AUDIT_DDL = """
CREATE TABLE IF NOT EXISTS audit_log (
    recorded_at TIMESTAMP NOT NULL,
    user_name VARCHAR NOT NULL,
    command VARCHAR NOT NULL,
    what VARCHAR NOT NULL,
    row_count BIGINT NOT NULL,
    details VARCHAR
)
"""


def current_user() -> str:
    """The operating-system user running the command (FRAUDKIT_USER overrides it for shared accounts)."""
    if os.environ.get("FRAUDKIT_USER"):
        return os.environ["FRAUDKIT_USER"]
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


def record_reveal(
    con: duckdb.DuckDBPyConnection, *, command: str, what: str, rows: int, details: dict[str, Any] | None = None
) -> None:
    """Write one audit row for an export that showed unmasked personal data."""
    con.execute(AUDIT_DDL)
    con.execute(
        "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?)",
        [datetime.now(), current_user(), command, what, rows, json.dumps(details or {}, ensure_ascii=False)],
    )
