"""The live loop's ingest applies the same checks and bounds as `fraudkit ingest`, the configuration's included."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from fraudkit.ingest.validate import IngestSettings
from fraudkit.live.loop import DropSource
from fraudkit.store import connect, scalar

ROWS = (
    "txn_id,ts,src_account,dst_account,amount,channel\n"
    "T1,2026-10-01 10:00:00,6222021234567890123,6228480011112222333,50.00,mobile\n"
    "T2,2026-10-01 10:05:00,6222021234567890123,6228480011112222333,5000.00,mobile\n"
)


def _drop(folder: Path) -> Path:
    """A drop folder holding the two transfers, as the banks' files land."""
    (folder / "drop" / "transactions").mkdir(parents=True)
    (folder / "drop" / "transactions" / "t_1000.csv").write_text(ROWS)
    return folder / "drop"


def test_a_tick_rejects_what_the_configured_bounds_refuse_and_loads_the_rest(tmp_path: Path) -> None:
    drop = _drop(tmp_path)
    con = connect(tmp_path / "fraudkit.duckdb")
    try:
        loaded = DropSource(drop, settings=IngestSettings(max_amount=Decimal("1000"))).arrive(con)
        assert loaded == 1
        assert scalar(con, "SELECT count(*) FROM transactions") == 1
        reasons = con.execute("SELECT reason FROM rejects").fetchall()
        assert len(reasons) == 1 and "amount" in reasons[0][0]
    finally:
        con.close()


def test_without_settings_the_defaults_apply(tmp_path: Path) -> None:
    drop = _drop(tmp_path)
    con = connect(tmp_path / "fraudkit.duckdb")
    try:
        assert DropSource(drop).arrive(con) == 2
    finally:
        con.close()
