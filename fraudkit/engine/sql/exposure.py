"""The exposure policy's queries: the audit log, the store's pseudonym key, and keyed pseudonyms
computed in DuckDB (see :mod:`fraudkit.exposure`)."""

from __future__ import annotations

AUDIT_DDL = """
CREATE TABLE IF NOT EXISTS audit_log (
    recorded_at TIMESTAMP NOT NULL,
    user_name VARCHAR NOT NULL,
    command VARCHAR NOT NULL,
    what VARCHAR NOT NULL,
    row_count BIGINT NOT NULL,
    details VARCHAR
);
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS audit_id VARCHAR;
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS claimed_user VARCHAR;
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS completed BOOLEAN;
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS completed_at TIMESTAMP;
CREATE TABLE IF NOT EXISTS store_secret (
    name VARCHAR PRIMARY KEY,
    secret VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);
"""
"""The audit table (``user_name`` is the operating-system account) and the pseudonym key's table;
run by ``store.ensure_schema``: old stores gain the new columns."""

STORE_SECRET = "SELECT secret FROM store_secret WHERE name = 'pseudonym'"
"""The store's pseudonym key as hex (no row: none made yet)."""

NEW_STORE_SECRET = "INSERT INTO store_secret VALUES ('pseudonym', ?, ?) ON CONFLICT DO NOTHING"
"""Record a key (hex, made at) unless another process recorded one first."""

AUDIT_ROW = (
    "INSERT INTO audit_log (recorded_at, user_name, command, what, row_count, details, audit_id, claimed_user, "
    "completed, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
"""One reveal's audit row, written before anything is shown."""

AUDIT_COMPLETED = "UPDATE audit_log SET completed = true, completed_at = ? WHERE audit_id = ?"
"""Mark a reveal's audit row completed (at, audit id) once its output is in place."""


def pseudonyms(prefix: str, digits: int) -> str:
    """``prefix`` and the first ``digits`` hex digits of HMAC-SHA256 of each ``v`` of the relation
    ``pseudonym_input``, as ``p``; the key's inner and outer pads are bound as ``$inner``/``$outer``.
    ``prefix`` and ``digits`` are the module's constants, never user text."""
    literal = prefix.replace("'", "''")
    return (
        f"SELECT '{literal}' || left(sha256($outer::BLOB || unhex(sha256($inner::BLOB || encode(v)))), "
        f"{int(digits)}) AS p FROM pseudonym_input"
    )
