"""Open the operational store: SQLite in WAL mode beside the DuckDB store by default, or any
SQLAlchemy URL (``postgresql+psycopg://...``) from ``--ops-db`` / ``FRAUDKIT_OPS_DB``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fraudkit.errors import ConfigError, StoreError

ENV_OPS_DB = "FRAUDKIT_OPS_DB"
BUSY_TIMEOUT_MS = 10_000


def default_ops_url(db_path: str | Path) -> str:
    """``<store>.ops.sqlite`` next to the DuckDB file: one folder holds a deployment's state."""
    path = Path(db_path)
    return f"sqlite:///{path.with_name(path.stem + '.ops.sqlite').resolve().as_posix()}"


def ops_url(db_path: str | Path, explicit: str | None = None) -> str:
    """The URL asked for, else the environment's, else the SQLite file beside the store."""
    return explicit or os.environ.get(ENV_OPS_DB) or default_ops_url(db_path)


def ops_engine(url: str, *, create: bool = True) -> Any:
    """An engine with the schema in place; SQLite connections get WAL and a busy timeout, so
    the loop and many operators can write at once."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.exc import ArgumentError, OperationalError

    from fraudkit.ops.schema import metadata

    try:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:
        raise ConfigError(f"cannot use operational store {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        Path(engine.url.database or ".").parent.mkdir(parents=True, exist_ok=True)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    if create:
        try:
            metadata.create_all(engine)
        except OperationalError as exc:
            raise StoreError(f"cannot open operational store {engine.url!r}: {str(exc).splitlines()[0]}") from exc
    return engine
