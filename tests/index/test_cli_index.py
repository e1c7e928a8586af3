"""`fraudkit index` as a user types it."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
from index_world import build
from typer.testing import CliRunner, Result

from fraudkit.cli import app
from fraudkit.store import connect

runner = CliRunner(env={"COLUMNS": "200"})


def _run(*args: object) -> Result:
    return runner.invoke(app, ["index", *(str(a) for a in args)])


def _finished(path: Path) -> Path:
    """The hand-built store with a transfer in November: October is over, so it is published."""
    con = build(path)
    con.execute(
        "INSERT INTO transactions VALUES ('T9', TIMESTAMP '2026-11-02 10:00', '6222000000000009',"
        " '6222000000000008', 5.00, 'CNY', 'mobile', 'success')"
    )
    con.close()
    return path


def test_the_month_ranked_coloured_and_written(tmp_path: Path) -> None:
    db = _finished(tmp_path / "s.duckdb")
    result = _run("--month", "2026-10", "--db", db, "--out", tmp_path / "index.xlsx")
    assert result.exit_code == 0, result.output
    assert "county index, 2026-10" in result.output and "Old Town (440103)" in result.output
    assert "green" in result.output and "2026-10: published" in result.output
    book = openpyxl.load_workbook(tmp_path / "index.xlsx")
    assert {"City", "County", "Definitions"} <= set(book.sheetnames)


def test_a_published_month_reads_back_the_same(tmp_path: Path) -> None:
    db = _finished(tmp_path / "s.duckdb")
    first = _run("--month", "2026-10", "--db", db, "--level", "county", "--out", tmp_path / "a.parquet")
    con = connect(db)
    con.execute(
        "INSERT INTO reports (report_id, reported_at, victim_phone) VALUES ('L', TIMESTAMP '2026-10-30', '13800000005')"
    )
    con.close()
    second = _run("--month", "2026-10", "--db", db, "--level", "county", "--out", tmp_path / "b.parquet")
    assert first.exit_code == second.exit_code == 0, second.output
    assert "as published (index-2026-10-county)" in second.output
    a, b = pl.read_parquet(tmp_path / "a.parquet"), pl.read_parquet(tmp_path / "b.parquet")
    assert a.equals(b), "the late report does not change what was published"
    stored = connect(db, read_only=True).sql("SELECT run_id FROM index_runs").fetchall()
    assert stored == [("index-2026-10-county",)]


def test_a_draft_publishes_nothing(tmp_path: Path) -> None:
    db = _finished(tmp_path / "s.duckdb")
    result = _run("--month", "2026-10", "--db", db, "--draft")
    assert result.exit_code == 0 and "draft, not published" in result.output
    tables = [r[0] for r in connect(db, read_only=True).sql("SHOW TABLES").fetchall()]
    assert "index_runs" not in tables


def test_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    db = _finished(tmp_path / "s.duckdb")
    bad_month = _run("--month", "October", "--db", db)
    assert bad_month.exit_code == 2 and "month 'October' is not YYYY-MM" in bad_month.output
    bad_out = _run("--db", db, "--out", tmp_path / "index.pdf")
    assert bad_out.exit_code == 2 and "must end in .xlsx, .html or .parquet" in bad_out.output
    empty = tmp_path / "empty.duckdb"
    connect(empty).close()
    no_regions = _run("--db", empty)
    assert no_regions.exit_code == 2 and "the store has no regions" in no_regions.output
    assert "--kind regions" in no_regions.output
    for said in (bad_month, bad_out, no_regions):
        assert "Traceback" not in said.output and len(said.output.strip().splitlines()) <= 2
