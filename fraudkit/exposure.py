"""Exposure of personal data: the one module that decides how phones, ID and account numbers,
and names appear in any output, log, error message or MLflow artifact.

Everything a user sees is masked unless a command is explicitly asked to reveal it, and a
reveal is recorded in ``audit_log``.
"""

from __future__ import annotations

import getpass
import json
import os
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import polars as pl

_DIGIT_RUN = re.compile(r"\d{7,}")

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


def mask_phone(phone: str | None) -> str | None:
    """Keep the first three and last four digits: 138****5678."""
    if phone is None:
        return None
    if len(phone) <= 7:
        return phone[:1] + "*" * max(len(phone) - 2, 0) + phone[-1:] if len(phone) > 2 else "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_account(account: str | None) -> str | None:
    """Keep the first four and last four characters of an account or ID number."""
    if account is None:
        return None
    if len(account) <= 8:
        return account[:2] + "*" * max(len(account) - 4, 0) + account[-2:] if len(account) > 4 else "*" * len(account)
    return account[:4] + "*" * (len(account) - 8) + account[-4:]


def mask_text(text: str | None) -> str | None:
    """Mask every run of seven or more digits in free text (raw reject lines, notes)."""
    if text is None:
        return None
    return _DIGIT_RUN.sub(lambda m: mask_phone(m.group(0)) or "", text)


def mask_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column with its digit runs masked: for exports whose columns mix accounts,
    phones and ID numbers. Masking is deterministic, so masked keys still join across files."""
    import polars as pl

    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(pl.col(name).map_elements(mask_text, return_dtype=pl.String) for name in text)


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
