"""The operational store on every backend for the queue tests: SQLite in a temp dir always, and
PostgreSQL when FRAUDKIT_TEST_PG_URL names a server (``.ci/run`` starts one), each test in a
database of its own. Also: seeding alerts the way the live loop writes them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Engine, make_url

from fraudkit.ops.db import ops_engine
from fraudkit.ops.schema import alerts

ENV_PG = "FRAUDKIT_TEST_PG_URL"
BACKENDS = ["sqlite", "postgresql"]
NO_PG = f"PostgreSQL tests need a server: set {ENV_PG} (.ci/run starts a throwaway one via .ci/with-postgres)"


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with its smallest costs in this process: the same hashes, checks and failures, 0.1 s
    less per login (the queue's tests log in a few hundred times; a real server keeps the defaults)."""
    from argon2 import PasswordHasher

    from fraudkit.ops import operators

    monkeypatch.setattr(operators, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


@pytest.fixture(params=BACKENDS)
def ops_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty operational store URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'f.ops.sqlite'}"
        return
    base = os.environ.get(ENV_PG)
    if not base:
        pytest.skip(NO_PG)
    yield from fresh_pg_database(base)


def fresh_pg_database(base: str) -> Iterator[str]:
    """A database made for one test on the server ``base`` names, dropped afterwards."""
    name = "fk_test_" + uuid.uuid4().hex[:12]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    quoted = admin.dialect.identifier_preparer.quote(name)  # identifiers cannot be bound parameters
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {quoted}"))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def engine(ops_url: str) -> Iterator[Engine]:
    made = ops_engine(ops_url)
    yield made
    made.dispose()


def alert_row(i: int, now: datetime, **overrides: Any) -> dict[str, Any]:
    """One alert as the loop writes it; phones are made-up 11-digit numbers."""
    row = {
        "alert_id": f"A{i:05d}",
        "contact_id": f"C{i:05d}",
        "created_at": now - timedelta(minutes=5),
        "phone": f"138{i:08d}",
        "score": 0.5,
        "tier": "orange",
        "channel": "call_queue",
        "reason_1": f"long call from new number 191{i:08d}",
        "reason_2": "first call from this number",
        "reason_3": None,
        "suspect_number": f"191{i:08d}",
        "contact_start": now - timedelta(minutes=25),
        "contact_end": now - timedelta(minutes=10),
        "model_version": "3",
        "status": "new",
        "urgent": False,
        "urgent_reason": None,
    }
    row.update(overrides)
    return row


def seed_alerts(engine: Engine, rows: list[dict[str, Any]]) -> list[str]:
    with engine.begin() as conn:
        conn.execute(insert(alerts), rows)
    return [r["alert_id"] for r in rows]


def seed_many(engine: Engine, n: int, now: datetime | None = None) -> list[str]:
    """``n`` plain alerts with distinct scores."""
    moment = now or datetime.now()
    return seed_alerts(engine, [alert_row(i, moment, score=0.5 + i / (10 * n)) for i in range(n)])
