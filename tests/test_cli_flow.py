"""The first-day path through the CLI, as a user types it: synth, ingest, status, rejects, demo."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.exposure import current_user

runner = CliRunner(env={"COLUMNS": "200"})
KINDS = ("subscribers", "accounts", "calls", "transactions", "reports")


@pytest.fixture(scope="module")
def csv_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "world"
    result = runner.invoke(app, ["synth", "-n", "600", "--seed", "3", "--out", str(out), "--format", "csv"])
    assert result.exit_code == 0, result.output
    return out


def test_synth_writes_tables_and_truth_apart(csv_world: Path) -> None:
    for kind in KINDS:
        assert (csv_world / f"{kind}.csv").stat().st_size > 0
    assert (csv_world / "truth" / "mules.csv").exists()
    assert not (csv_world / "mules.csv").exists()


def test_ingest_every_table_then_status_counts_match_the_files(csv_world: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    for kind in KINDS:
        result = runner.invoke(app, ["ingest", str(csv_world / f"{kind}.csv"), "--kind", kind, "--db", str(db)])
        assert result.exit_code == 0, result.output
    con = duckdb.connect(str(db), read_only=True)
    expected = {k: sum(1 for _ in (csv_world / f"{k}.csv").open(encoding="utf-8")) - 1 for k in KINDS}
    got = {k: con.execute(f"SELECT count(*) FROM {k}").fetchall()[0][0] for k in KINDS}
    con.close()
    assert got == expected
    status = runner.invoke(app, ["status", "--db", str(db)])
    assert status.exit_code == 0
    assert f"{expected['transactions']:,}" in status.output

    again = runner.invoke(app, ["ingest", str(csv_world / "calls.csv"), "--kind", "calls", "--db", str(db)])
    assert again.exit_code == 0
    assert "already ingested" in again.output


def test_bad_rows_are_listed_masked_and_reveal_is_audited(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    f = tmp_path / "tx.csv"
    f.write_text(
        "txn_id,ts,src_account,dst_account,amount,channel\n"
        "T1,2026-10-01 10:00:00,6222020012345678,6222020087654321,100.00,mobile\n"
        "T2,2026-10-01 10:05:00,6222020012345678,6222020087654321,-5,mobile\n"
        "T3,not a time,6222020012345678,6222020087654321,5,mobile\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["ingest", str(f), "--kind", "transactions", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "2 rows rejected" in result.output
    listed = runner.invoke(app, ["rejects", "--db", str(db)], env={"COLUMNS": "200"})
    assert listed.exit_code == 0
    assert "tx.csv:3" in listed.output and "tx.csv:4" in listed.output
    assert "6222020012345678" not in listed.output
    revealed = runner.invoke(
        app, ["rejects", "--reveal", "--db", str(db)], env={"COLUMNS": "250", "FRAUDKIT_USER": "li"}
    )
    assert revealed.exit_code == 0
    assert "6222020012345678" in revealed.output
    con = duckdb.connect(str(db), read_only=True)
    audit = con.execute("SELECT user_name, claimed_user, command, row_count, completed FROM audit_log").fetchall()
    assert audit == [(current_user(), "li", "rejects", 2, True)]  # the OS account; the claimed name beside it
    con.close()


def test_gbk_bank_export_loads_through_the_shipped_mapping(tmp_path: Path) -> None:
    f = tmp_path / "交易明细.csv"
    f.write_bytes(
        (
            "交易流水号,交易时间,付款账号,收款账号,交易金额,交易渠道\n"
            "L001,2026-10-01 10:00:00,6222020012345678,6222020087654321,5000.00,手机银行\n"
            "L002,2026-10-01 10:09:00,6222020087654321,6222020011112222,4900.00,网上银行\n"
        ).encode("gbk")
    )
    result = runner.invoke(
        app, ["ingest", str(f), "--kind", "transactions", "--mapping", "bank_cn", "--db", str(tmp_path / "s.duckdb")]
    )
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True)
    rows = con.execute("SELECT txn_id, channel, amount::DOUBLE FROM transactions ORDER BY txn_id").fetchall()
    con.close()
    assert rows == [("L001", "mobile", 5000.0), ("L002", "online", 4900.0)]


def test_missing_file_is_one_line_naming_it_and_loads_nothing(tmp_path: Path) -> None:
    good = tmp_path / "ok.csv"
    good.write_text("phone,holder_id\n13812345678,H1\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    result = runner.invoke(
        app, ["ingest", str(good), str(tmp_path / "nope.csv"), "--kind", "subscribers", "--db", str(db)]
    )
    assert result.exit_code == 2
    assert "nope.csv" in result.output and "Traceback" not in result.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM subscribers").fetchall() == [(0,)]
    con.close()
