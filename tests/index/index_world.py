"""A store small enough to work the index out by hand: one province, two cities, four counties."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from fraudkit.backend import DuckDBBackend
from fraudkit.store import connect

REGIONS = pl.DataFrame(
    {
        "code": ["440000", "440100", "440103", "440104", "440300", "440303", "440304"],
        "name": ["Province", "North City", "Old Town", "River", "South City", "Harbour", "Hills"],
        "parent_code": [None, "440000", "440100", "440100", "440000", "440300", "440300"],
        "level": ["province", "city", "county", "county", "city", "county", "county"],
        "population": [3_000_000, 2_000_000, 1_000_000, 1_000_000, 1_000_000, 500_000, 500_000],
        "gdp": [3.5e11, 2e11, 1e11, 1e11, 1.5e11, 1e11, 5e10],
    }
)
SUBSCRIBERS = [  # phone, county
    ("13800000001", "440103"),
    ("13800000002", "440103"),
    ("13800000003", "440303"),
    ("13800000004", "440304"),
    ("13800000005", "440104"),
    ("13800000006", "440303"),
]
T = datetime(2026, 10, 5, 10, 0)


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def build(path: Path, *, october_reports: int = 0) -> duckdb.DuckDBPyConnection:
    """The store; ``october_reports`` extra reports of Hills (440304) victims in October make a spike."""
    con = connect(path)
    con.execute(
        "CREATE TABLE IF NOT EXISTS regions (code VARCHAR, name VARCHAR, parent_code VARCHAR, level VARCHAR,"
        " population BIGINT, gdp DOUBLE)"
    )
    con.register("given_regions", REGIONS)
    con.execute(
        "INSERT INTO regions (code, name, parent_code, level, population, gdp)"
        " SELECT code, name, parent_code, level, population, gdp FROM given_regions"
    )
    con.unregister("given_regions")
    backend = DuckDBBackend(con=con)
    subscribers = pl.DataFrame(
        {
            "phone": [p for p, _ in SUBSCRIBERS],
            "holder_id": [f"H{i}" for i in range(len(SUBSCRIBERS))],
            "activated_at": [datetime(2025, 1, 1)] * len(SUBSCRIBERS),
            "region": [r for _, r in SUBSCRIBERS],
            "plan": ["4g-basic"] * len(SUBSCRIBERS),
        }
    )
    backend.write("subscribers", subscribers)
    reports = [
        # report_id, reported_at, victim_phone, victim_account, fraud_account, loss
        ("R1", "2026-10-05 12:00", "13800000001", "6222000000000001", "6222999900000001", 1000.0),
        ("R2", "2026-10-12 09:00", "13800000002", "6222000000000002", "6222999900000002", 3000.0),
        ("R3", "2026-10-20 16:00", "13800000003", "6222000000000003", "6222999900000003", 500.0),
        ("R4", "2026-09-10 11:00", "13800000004", "6222000000000004", "6222999900000004", 200.0),
        ("R5", "2026-10-22 11:00", "13800000004", "6222000000000004", "6222999900000004", 200.0),
        *(
            (f"S{i}", "2026-10-25 11:00", "13800000004", "6222000000000004", "6222999900000004", 100.0)
            for i in range(october_reports)
        ),
    ]
    backend.write(
        "reports",
        pl.DataFrame(
            {
                "report_id": [r[0] for r in reports],
                "reported_at": [_ts(r[1]) for r in reports],
                "victim_phone": [r[2] for r in reports],
                "victim_account": [r[3] for r in reports],
                "fraud_phone": [None] * len(reports),
                "fraud_account": [r[4] for r in reports],
                "loss_amount": pl.Series([r[5] for r in reports]).cast(pl.Decimal(18, 2)),
            },
            schema_overrides={"fraud_phone": pl.Utf8},
        ),
    )
    backend.write(
        "transactions",
        pl.DataFrame(
            {
                "txn_id": ["T1", "T2", "T3"],
                "ts": [T, _ts("2026-10-12 08:00"), _ts("2026-09-01 08:00")],
                "src_account": ["6222000000000001", "6222000000000002", "6222000000000009"],
                "dst_account": ["6222999900000001", "6222999900000002", "6222000000000008"],
                "amount": pl.Series([1000.0, 3000.0, 10.0]).cast(pl.Decimal(18, 2)),
                "currency": ["CNY"] * 3,
                "channel": ["mobile"] * 3,
                "status": ["success"] * 3,
            }
        ),
    )
    backend.write(
        "outcomes",
        pl.DataFrame(
            {
                "phone": ["13800000001", "13800000005", "13800000006"],
                "contacted_at": [_ts("2026-10-05 09:30"), _ts("2026-10-08 14:00"), _ts("2026-10-09 14:00")],
                "result": ["reached", "reached", "unreachable"],
                "note": [None, None, None],
            },
            schema_overrides={"note": pl.Utf8},
        ),
    )
    return con


@pytest.fixture
def store(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The store of :func:`build` (import this fixture into a test module)."""
    con = build(tmp_path / "index.duckdb")
    yield con
    con.close()
