"""Each scan stage on its own: handed what it reads, it needs no earlier stage on its connection.

The whole scan is run once with every stage call recorded; then each stage is called again on a
fresh connection to a store holding only the canonical tables, with the window's transfers
read straight from ``transactions``, and must give what it gave inside the scan.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scan_world import CLI_WORLD_AS_OF, StoredWorld

from fraudkit import synth
from fraudkit.errors import StoreError
from fraudkit.scan import scan as scan_module
from fraudkit.scan.flows import window_bounds, window_transactions
from fraudkit.scan.scan import run_scan
from fraudkit.schema import TABLES
from fraudkit.store import connect

WINDOW = timedelta(days=7)
STAGES = (
    "account_flows",
    "fast_flow_edges",
    "member_evidence",
    "cluster_evidence",
    "cluster_flow_edges",
    "cluster_transfers",
)
"""The stages of run_scan that read the store; each takes (con, transfers, ...) and returns a frame."""
UNORDERED = {"cluster_flow_edges": ("channel",)}
"""Columns a stage does not promise to pick the same way twice: one channel of a pair's transfers."""

Call = tuple[tuple[Any, ...], dict[str, Any], pl.DataFrame]


def _temporary_objects(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Temporary tables and views (registered frames and relations) on the connection."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal"
    ).fetchall()
    return sorted(r[0] for r in rows)


@pytest.fixture(scope="module")
def recorded(stored_world: StoredWorld, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Call]]:
    """The stored world's canonical tables in a store of their own (the session's store may hold other
    tests' scans), scanned once with every stage's arguments and result recorded."""
    db = tmp_path_factory.mktemp("stages") / "fraudkit.duckdb"
    synth.store_world(stored_world.world, db)
    calls: dict[str, Call] = {}

    def recording(name: str, stage: Callable[..., pl.DataFrame]) -> Callable[..., pl.DataFrame]:
        def wrapper(*args: Any, **kwargs: Any) -> pl.DataFrame:
            assert name not in calls, f"{name} ran twice in one scan"
            result = stage(*args, **kwargs)
            calls[name] = (args, kwargs, result)
            return result

        return wrapper

    with pytest.MonkeyPatch.context() as patch:
        for name in STAGES:
            patch.setattr(scan_module, name, recording(name, getattr(scan_module, name)))
        con = connect(db)
        try:
            result = run_scan(con, as_of=CLI_WORLD_AS_OF, window=WINDOW)
            left = _temporary_objects(con)
        finally:
            con.close()
    assert left == [], "run_scan left temporary tables or views on its connection"
    assert result.flagged.height > 0, "the world should have rings for the stages to find"
    assert sorted(calls) == sorted(STAGES)
    return db, calls


@pytest.mark.parametrize("name", STAGES)
@pytest.mark.parametrize("given", ["relation", "frame"])
def test_each_stage_runs_alone_on_a_fresh_connection(recorded, name: str, given: str) -> None:
    db, calls = recorded
    args, kwargs, inside_scan = calls[name]
    con = connect(db, read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert set(TABLES) <= tables and not any(t.startswith("scan_") for t in tables), tables
        assert _temporary_objects(con) == []
        transfers = window_transactions(con, *window_bounds(CLI_WORLD_AS_OF, WINDOW))
        alone = getattr(scan_module, name)(
            con, transfers if given == "relation" else transfers.pl(), *args[2:], **kwargs
        )
        assert _temporary_objects(con) == [], f"{name} left something on the connection"
    finally:
        con.close()
    assert inside_scan.height > 0, f"{name} gave nothing inside the scan: the comparison would prove little"
    drop = UNORDERED.get(name, ())
    assert_frame_equal(alone.drop(drop), inside_scan.drop(drop), check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


def test_a_stage_that_fails_leaves_nothing_behind(recorded) -> None:
    """A query error inside a stage is one StoreError naming the table, and still unregisters what the
    stage registered."""
    db, calls = recorded
    args, kwargs, _ = calls["member_evidence"]
    con = connect(db, read_only=True)
    try:
        transfers = window_transactions(con, *window_bounds(CLI_WORLD_AS_OF, WINDOW))
        no_flows = args[3].drop("money_in")
        with pytest.raises(StoreError, match="money_in") as caught:
            scan_module.member_evidence(con, transfers, args[2], no_flows, **kwargs)
        assert _temporary_objects(con) == []
    finally:
        con.close()
    assert caught.value.table == "accounts" and "money_in" in (caught.value.query or "")
