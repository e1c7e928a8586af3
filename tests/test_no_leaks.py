"""Nothing leaked: a default run, as a user types it, writes no full phone, account, IMEI or
holder id anywhere but the canonical tables that hold the data itself.

The commands of the tour run one after another on a small world (the demo, then scan, trace,
warn in three formats, features, rejects after a bad file, the daily pipeline on a drop); then
every file in the work folder (Parquet, XLSX, CSV, HTML, the MLflow store and its artifacts),
every non-canonical table of the store and everything the commands printed are searched.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from leakscan import Leak, folder_leaks, known_identifiers, leaks_in_text, store_leaks
from typer.testing import CliRunner

from fraudkit.cli import app
from pipelines.daily import main as daily_main

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    work = tmp_path_factory.mktemp("leaks")
    db = work / "fraudkit.duckdb"
    tracking = f"sqlite:///{(work / 'mlruns' / 'mlflow.db').as_posix()}"
    out = work / "out"
    logs: list[str] = []

    def run(*args: str) -> None:
        result = runner.invoke(app, list(args))
        logs.append(result.output)
        assert result.exit_code == 0, f"fraudkit {' '.join(args)}: {result.output}"

    run("demo", "--workdir", str(work), "-n", "4000", "--fraud-operations", "300", "--threads", "1")
    con = duckdb.connect(str(db), read_only=True)
    report_id = con.execute("SELECT min(report_id) FROM reports WHERE victim_account IS NOT NULL").fetchall()[0][0]
    victim_account, src_line = con.execute(
        "SELECT src_account, src_account || ',' || dst_account FROM transactions LIMIT 1"
    ).fetchall()[0]
    con.close()
    run("scan", "--db", str(db), "--out", str(out))
    run("trace", "--db", str(db), "--report", report_id, "--out", str(out / "trace.html"))
    run("trace", "--db", str(db), "--account", victim_account, "--out", str(out / "trace.csv"))
    for suffix in ("xlsx", "csv", "parquet"):
        run("warn", "--db", str(db), "--tracking-uri", tracking, "--out", str(out / f"list.{suffix}"))
    run("features", "--db", str(db), "--out", str(out / "features"))
    bad = work / "drop" / "transactions_bad.csv"
    bad.parent.mkdir()
    bad.write_text(
        "txn_id,ts,src_account,dst_account,amount,currency,channel,status\n"
        f"X1,2026-10-30 10:00:00,{src_line},-5,CNY,mobile,success\n",
        encoding="utf-8",
    )
    run("ingest", str(bad), "--kind", "transactions", "--db", str(db))
    run("rejects", "--db", str(db))
    shutil.copy(bad, work / "drop" / "transactions_again.csv")
    code = daily_main(
        ["--drop", str(work / "drop"), "--db", str(db), "--out", str(work / "runs"), "--tracking-uri", tracking]
    )
    assert code == 0
    return work, logs


@pytest.fixture(scope="module")
def known(default_run: tuple[Path, list[str]]) -> set[str]:
    work, _ = default_run
    con = duckdb.connect(str(work / "fraudkit.duckdb"), read_only=True)
    try:
        return known_identifiers(con)
    finally:
        con.close()


def _shown(leaks: list[Leak]) -> str:
    return "; ".join(f"{leak.where}: {leak.identifier}" for leak in leaks[:10]) + f" ({len(leaks)} in all)"


def test_the_scanner_finds_a_planted_identifier(known: set[str]) -> None:
    account = sorted(a for a in known if a.startswith("62"))[0]
    spaced = " ".join(account[i : i + 4] for i in range(0, len(account), 4))
    assert leaks_in_text(f"paid into {spaced} yesterday", known, "note")
    assert not leaks_in_text(f"paid into {account[:4]}***********{account[-4:]}", known, "note")


def test_no_file_written_by_the_run_holds_a_full_identifier(
    default_run: tuple[Path, list[str]], known: set[str]
) -> None:
    work, _ = default_run
    written = [
        p for p in work.rglob("*") if p.is_file() and p.suffix in (".parquet", ".xlsx", ".csv", ".html", ".json")
    ]
    assert any(p.suffix == ".xlsx" for p in written) and any("mlruns" in p.parts for p in written)
    leaks = folder_leaks(work, known, skip=[work / "world", work / "drop"])
    assert not leaks, _shown(leaks)


def test_no_table_beyond_the_canonical_ones_holds_a_full_identifier(
    default_run: tuple[Path, list[str]], known: set[str]
) -> None:
    work, _ = default_run
    con = duckdb.connect(str(work / "fraudkit.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM scan_members").fetchall()[0][0] > 0
        leaks = store_leaks(con, known, "fraudkit.duckdb")
    finally:
        con.close()
    assert not leaks, _shown(leaks)


def test_nothing_the_commands_printed_holds_a_full_identifier(
    default_run: tuple[Path, list[str]], known: set[str]
) -> None:
    _, logs = default_run
    leaks = [leak for i, text in enumerate(logs) for leak in leaks_in_text(text, known, f"command {i + 1}")]
    assert not leaks, _shown(leaks)


def test_the_features_export_still_joins_across_files(default_run: tuple[Path, list[str]]) -> None:
    work, _ = default_run
    files = sorted((work / "out" / "features").glob("*.parquet"))
    assert files
    frame = pl.read_parquet(files[0])
    assert frame.height > 0 and frame.get_column(frame.columns[0]).n_unique() == frame.height
