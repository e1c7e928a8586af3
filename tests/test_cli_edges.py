"""Options at the edge, as a user types them: --db that is no store, the store's time zone,
and numeric options out of range, each a one-line error with exit code 2 and no traceback."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from fraudkit.cli import app

runner = CliRunner(env={"COLUMNS": "200"})
HEADER = "txn_id,ts,src_account,dst_account,amount,currency,channel,status"
ROW = "T1,2026-10-01T10:00:00+08:00,6222000011112222,6228000033334444,100.00,CNY,mobile,success"


def _csv(tmp_path: Path) -> Path:
    path = tmp_path / "t.csv"
    path.write_text(f"{HEADER}\n{ROW}\n")
    return path


def _refused(result, text: str) -> None:
    assert result.exit_code == 2, result.output
    assert text in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("name", ["other.csv", "other.parquet", "other.db"])
def test_ingest_into_a_db_that_is_a_data_file_saves_nothing_and_says_so(tmp_path: Path, name: str) -> None:
    data = _csv(tmp_path)
    target = tmp_path / name
    target.write_bytes(data.read_bytes())
    result = runner.invoke(app, ["ingest", str(data), "--kind", "transactions", "--db", str(target)])
    _refused(result, "not a DuckDB store")
    assert target.read_bytes() == data.read_bytes()


def test_ingest_converts_offsets_to_the_store_zone_and_status_names_it(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    args = ["ingest", str(_csv(tmp_path)), "--kind", "transactions", "--db", str(db)]
    loaded = runner.invoke(app, [*args, "--timezone", "UTC"])
    assert loaded.exit_code == 0, loaded.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT ts FROM transactions").fetchall() == [(datetime(2026, 10, 1, 2, 0),)]
    con.close()
    status = runner.invoke(app, ["status", "--db", str(db)])
    assert status.exit_code == 0 and "(times in UTC)" in status.output
    _refused(runner.invoke(app, [*args, "--timezone", "Asia/Shanghai"]), "keeps its times in UTC")
    _refused(runner.invoke(app, [*args, "--timezone", "Beijing"]), "is not a time zone")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["scan", "--window", "1000000000d"], "--window '1000000000d' is too long"),
        (["scan", "--as-of", "0001-01-01"], "--as-of '0001-01-01' is out of range"),
        (["scan", "--top", "99999999999999999999"], "Invalid value for '--top'"),
        (["warn", "--out", "x.csv", "--top", "99999999999999999999"], "Invalid value for '--top'"),
        (["warn", "--out", "x.csv", "--lookback", "1000000000d"], "is too long"),
        (["trace", "--account", "1", "--within", "99999999999999h"], "is too long"),
        (["trace", "--hops", "99999999999999999999", "--account", "1"], "Invalid value for '--hops'"),
        (["features", "--history", "1000000000d"], "is too long"),
        (["features", "--window", "1w", "--history", "1d"], "history (1 day) must be at least the window (7 days)"),
        (["features", "--as-of", "2026-10-31T00:00+99:00"], "is not a date"),
        (["train", "--capacity", "99999999999999999999"], "Invalid value for '--capacity'"),
        (["train", "--threads", "99999999999999999999"], "Invalid value for '--threads'"),
        (["train", "--as-of", "0001-01-01"], "out of range"),
        (["rejects", "--limit", "99999999999999999999"], "Invalid value for '--limit'"),
        (["status", "--lock-wait", "1e9"], "Invalid value for '--lock-wait'"),
        (["synth", "--subscribers", "99999999999999999999"], "Invalid value for '--subscribers'"),
        (["synth", "--days", "99999999999"], "Invalid value for '--days'"),
        (["synth", "--seed", "-1"], "Invalid value for '--seed'"),
        (["demo", "--fraud-operations", "1e308"], "Invalid value for '--fraud-operations'"),
        (["demo", "--threads", "99999999999999999999"], "Invalid value for '--threads'"),
    ],
)
def test_out_of_range_options_are_one_line_errors(tmp_path: Path, args: list[str], says: str) -> None:
    db = tmp_path / "s.duckdb"
    runner.invoke(app, ["ingest", str(_csv(tmp_path)), "--kind", "transactions", "--db", str(db)])
    result = runner.invoke(app, [*args, "--db", str(db)] if args[0] not in ("synth", "demo") else args)
    _refused(result, says)


def test_an_as_of_with_an_offset_is_read_in_the_store_zone_by_scan_and_features(tmp_path: Path) -> None:
    """On an Asia/Shanghai store, midnight UTC is 08:00: the scan's run id and the feature file say so,
    and the machine's own zone (UTC here) plays no part."""
    db = tmp_path / "s.duckdb"
    loaded = runner.invoke(
        app, ["ingest", str(_csv(tmp_path)), "--kind", "transactions", "--db", str(db), "--timezone", "Asia/Shanghai"]
    )
    assert loaded.exit_code == 0, loaded.output
    out = tmp_path / "reports"
    scanned = runner.invoke(app, ["scan", "--db", str(db), "--as-of", "2026-10-02T00:00Z", "--out", str(out)])
    assert scanned.exit_code == 0, scanned.output
    assert (out / "scan-20261002T0800-168h.html").exists(), sorted(p.name for p in out.iterdir())
    features = tmp_path / "features"
    made = runner.invoke(app, ["features", "--db", str(db), "--as-of", "2026-10-02T00:00Z", "--out", str(features)])
    assert made.exit_code == 0, made.output
    assert {p.name for p in features.glob("*.parquet")} >= {"account_features_20261002T0800.parquet"}


def test_one_rejected_row_is_one_row_and_rejects_cut_long_lines(tmp_path: Path) -> None:
    """Counts agree with their nouns ("1 row rejected", not "1 rows"); `rejects` cuts a long raw
    line to one row and --full-lines shows it whole."""
    data = tmp_path / "t.csv"
    bad = "T2,2026-10-01T11:00:00+08:00,6222000011112222,6228000033334444,abc,CNY,mobile,success"
    data.write_text(f"{HEADER}\n{ROW}\n{bad}\n")
    db = tmp_path / "s.duckdb"
    loaded = runner.invoke(app, ["ingest", str(data), "--kind", "transactions", "--db", str(db)])
    assert loaded.exit_code == 0, loaded.output
    assert "1 row rejected: see fraudkit rejects --kind transactions" in loaded.output
    narrow = CliRunner(env={"COLUMNS": "80"})
    cut = narrow.invoke(app, ["rejects", "--db", str(db)])
    assert cut.exit_code == 0 and "cut at 40 characters" in cut.output and "success" not in cut.output
    whole = narrow.invoke(app, ["rejects", "--full-lines", "--db", str(db)])
    assert whole.exit_code == 0 and "success" in "".join(line.strip() for line in whole.output.splitlines())
