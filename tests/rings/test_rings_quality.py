"""Rings on a generated world scanned day by day with a 7-day window, as the issue measures them: true
rings keep one id, joins and leaves match the truth's; and `fraudkit rings` as a user types it."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from leakscan import known_identifiers, tokens
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.exposure import store_secret
from fraudkit.ops.db import ops_engine
from fraudkit.rings.evaluate import tracking_quality
from fraudkit.rings.params import RingParams
from fraudkit.rings.track import track_scan
from fraudkit.scan.scan import run_scan
from fraudkit.store import connect

sys.path.insert(0, str(Path(__file__).parents[1] / "scan"))
from scan_world import store_world

runner = CliRunner(env={"COLUMNS": "220"})
FIRST_SCAN = datetime(2026, 10, 8)
LAST_SCAN = datetime(2026, 10, 31)


@dataclass(frozen=True)
class Tracked:
    db: Path
    ops: str
    quality: dict[str, float]
    truth: dict[str, pl.DataFrame]


@pytest.fixture(scope="module")
def tracked(tmp_path_factory: pytest.TempPathFactory) -> Tracked:
    """A default world of 12,000 subscribers, scanned every day of its last three weeks."""
    root = tmp_path_factory.mktemp("rings_world")
    stored = store_world(root, seed=5, subscribers=12_000)
    ops = f"sqlite:///{root / 'fraudkit.ops.sqlite'}"
    engine = ops_engine(ops)
    truth = {name: stored.world.truth[name] for name in ("mules", "fraud_transactions")}
    con = connect(stored.db)
    try:
        secret = store_secret(con)
        day = FIRST_SCAN
        while day <= LAST_SCAN:
            track_scan(engine, run_scan(con, as_of=day, window=timedelta(days=7)), secret, RingParams())
            day += timedelta(days=1)
        quality = tracking_quality(engine, con, truth, secret)
    finally:
        con.close()
        engine.dispose()  # the last connection closed: SQLite folds its write-ahead log into the file
    return Tracked(stored.db, ops, quality, truth)


def test_true_rings_keep_one_id_while_they_are_active(tracked: Tracked) -> None:
    q = tracked.quality
    assert q["detected_rings"] >= 0.8 * q["true_rings"], q
    assert q["kept_one_id_share"] >= 0.75, q


def test_joins_and_leaves_match_the_truths(tracked: Tracked) -> None:
    q = tracked.quality
    assert q["joined_true"] > 20 and q["left_true"] > 20, "the generator's rings recruit and drop accounts"
    assert q["joined_recall"] >= 0.85 and q["joined_precision"] >= 0.8, q
    assert q["left_recall"] >= 0.85 and q["left_precision"] >= 0.85, q


def test_the_rings_command_lists_what_changed_and_shows_one_ring_masked(tracked: Tracked) -> None:
    store = ["--db", str(tracked.db), "--ops-db", tracked.ops]
    listed = runner.invoke(app, ["rings", *store])
    assert listed.exit_code == 0, listed.output
    assert "R000001" in listed.output and "changes in the scan as of 2026-10-31" in listed.output
    changed = runner.invoke(app, ["rings", "--changed", "--since", "2026-10-25", *store])
    assert changed.exit_code == 0 and "changes since 2026-10-25" in changed.output
    one = runner.invoke(app, ["rings", "R000001", *store])
    assert one.exit_code == 0, one.output
    assert "timeline" in one.output and "appeared" in one.output and "members now (masked)" in one.output
    con = duckdb.connect(str(tracked.db), read_only=True)
    try:
        full = known_identifiers(con)
    finally:
        con.close()
    for output in (listed.output, changed.output, one.output):
        assert not full & set(tokens(output)), "a full number in the output"
    missing = runner.invoke(app, ["rings", "R999999", *store])
    assert missing.exit_code == 2 and "no ring 'R999999'" in missing.output and "Traceback" not in missing.output


def test_a_scan_from_the_command_line_is_taken_in_once(tracked: Tracked, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    db.write_bytes(tracked.db.read_bytes())
    scan = ["scan", "--as-of", "2026-10-20", "--db", str(db), "--out", str(tmp_path / "reports")]
    first = runner.invoke(app, scan)
    assert first.exit_code == 0, first.output
    assert "rings:" in first.output and " new " in first.output
    assert (tmp_path / "store.ops.sqlite").exists(), "the rings are kept beside the store"
    again = runner.invoke(app, scan)
    assert again.exit_code == 0 and "not taken in: taken in already" in again.output


def test_eval_scan_holds_the_scan_to_the_case_verdicts(tracked: Tracked, tmp_path: Path) -> None:
    from fraudkit.cases.cases import mark_case, open_case
    from fraudkit.rings.views import ring_list

    db = tmp_path / "store.duckdb"
    db.write_bytes(tracked.db.read_bytes())
    ops = tmp_path / "store.ops.sqlite"
    ops.write_bytes(Path(tracked.ops.removeprefix("sqlite:///")).read_bytes())
    engine = ops_engine(f"sqlite:///{ops}")
    seen_last = ring_list(engine).filter(pl.col("last_seen") == LAST_SCAN)["ring_id"].to_list()
    assert len(seen_last) >= 2
    for ring, verdict in zip(seen_last[:2], ("confirmed", "false_positive"), strict=True):
        open_case(engine, ring, by="tester")
        mark_case(engine, ring, verdict, by="tester")
    engine.dispose()
    judged = runner.invoke(app, ["eval", "scan", "--cases", "--as-of", "2026-10-31", "--db", str(db)])
    assert judged.exit_code == 0, judged.output
    assert "against the case verdicts" in " ".join(judged.output.split())
    precision = float(judged.output.split("precision")[1].split()[1])
    assert 0 < precision < 1, "judged flagged accounts: one confirmed ring, one false positive"
    bare = tmp_path / "bare" / "store.duckdb"  # no operational store beside it: no verdicts
    bare.parent.mkdir()
    bare.write_bytes(tracked.db.read_bytes())
    none = runner.invoke(app, ["eval", "scan", "--cases", "--db", str(bare)])
    assert none.exit_code == 2 and "no case verdicts beside the store" in none.output, none.output
