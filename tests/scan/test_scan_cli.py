"""`fraudkit scan`, `trace`, `features` and `eval scan` as a user types them, on a small stored world.

Each command's terminal output and files are checked against the library function it wraps,
so a CLI that drops a flag, masks nothing or writes the wrong file fails here.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scan_world import CLI_WORLD_AS_OF, StoredWorld
from typer.testing import CliRunner, Result

from fraudkit.cli import app
from fraudkit.exposure import current_user, mask_account, pseudonym, read_store_secret
from fraudkit.features import FEATURE_CATALOGUE, FEATURE_SETS, build_features
from fraudkit.scan.evaluate import evaluate_scan, read_truth
from fraudkit.scan.scan import run_scan
from fraudkit.scan.trace import trace_account
from fraudkit.store import connect
from fraudkit.text import plural

runner = CliRunner(env={"COLUMNS": "200"})
AS_OF_TEXT = f"{CLI_WORLD_AS_OF:%Y-%m-%d}"


def invoke(*args: object, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(app, [str(a) for a in args], env=env)


def top_victim(stored: StoredWorld) -> dict:
    """The victim who lost most, with the accounts of the ring their money went to."""
    victim = stored.world.truth["victims"].sort("total_loss", descending=True).row(0, named=True)
    mules = stored.world.truth["mules"].filter(pl.col("ring_id") == victim["ring_id"])
    return {**victim, "ring": set(mules["account_id"].to_list())}


def audit_rows(db: Path, command: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT user_name, claimed_user, row_count, completed FROM audit_log WHERE command = ? "
            "ORDER BY recorded_at",
            [command],
        ).fetchall()
    finally:
        con.close()


# --- trace -----------------------------------------------------------------------------------


def test_trace_is_masked_and_matches_the_library(stored_world: StoredWorld) -> None:
    victim = top_victim(stored_world)
    since = f"{victim['first_loss_at']:%Y-%m-%dT%H:%M:%S}"
    result = invoke("trace", "--account", victim["account_id"], "--as-of", since, "--db", stored_world.db)
    assert result.exit_code == 0, result.output
    con = connect(stored_world.db, read_only=True)
    try:
        expected = trace_account(con, victim["account_id"], since=victim["first_loss_at"])
    finally:
        con.close()
    assert f"cashed out {expected.cashed_out:,.2f}" in result.output
    assert expected.cashed_out > 0
    reached = set(expected.reached["account"].to_list())
    assert victim["ring"] & reached
    shown = [a for a in reached | {victim["account_id"]} if mask_account(a) in result.output]
    assert shown, "the tree shows no account at all"
    assert not [a for a in reached | {victim["account_id"]} if a in result.output], "an account number leaked"


def test_trace_by_report_follows_the_payment_to_the_reported_account(stored_world: StoredWorld) -> None:
    mules = stored_world.world.truth["mules"].select("account_id")
    case = (
        stored_world.world.tables["reports"]
        .join(mules, left_on="fraud_account", right_on="account_id")
        .sort("report_id")
        .row(0, named=True)
    )
    result = invoke("trace", "--report", case["report_id"], "--hops", 4, "--db", stored_world.db)
    assert result.exit_code == 0, result.output
    assert mask_account(case["fraud_account"]) in result.output
    assert case["fraud_account"] not in result.output
    assert re.search(r"traced [\d,]+\.\d\d out of the origin", result.output)


def test_trace_reveal_shows_accounts_and_is_audited(stored_world: StoredWorld) -> None:
    victim = top_victim(stored_world)
    before = audit_rows(stored_world.db, "trace")
    result = invoke(
        "trace",
        "--account",
        victim["account_id"],
        "--as-of",
        f"{victim['first_loss_at']:%Y-%m-%dT%H:%M:%S}",
        "--reveal",
        "--db",
        stored_world.db,
        env={"FRAUDKIT_USER": "wang"},
    )
    assert result.exit_code == 0, result.output
    assert victim["account_id"] in result.output
    after = audit_rows(stored_world.db, "trace")
    assert len(after) == len(before) + 1
    user, claimed, rows, completed = after[-1]
    assert (user, claimed) == (current_user(), "wang")  # the real account, the claimed name beside it
    assert rows > 0 and completed


def test_trace_of_unknown_account_is_one_masked_line_and_exit_2(stored_world: StoredWorld) -> None:
    result = invoke("trace", "--account", "6299001122334455", "--db", stored_world.db)
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0, result.output
    assert "sent no successful transfers" in result.output
    assert "6299001122334455" not in result.output and "6299********4455" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give exactly one of --account or --report"),
        (["--account", "A", "--report", "R"], "give exactly one of --account or --report"),
        (["--report", "R-NOPE"], "no report 'R-NOPE'"),
        (["--account", "A", "--within", "two days"], "--within 'two days' is not a duration"),
    ],
)
def test_trace_option_mistakes_are_one_line_errors(stored_world: StoredWorld, args: list[str], message: str) -> None:
    result = invoke("trace", *args, "--db", stored_world.db)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".html"])
def test_trace_writes_its_flows_masked(stored_world: StoredWorld, tmp_path: Path, suffix: str) -> None:
    victim = top_victim(stored_world)
    out = tmp_path / "cases" / f"trace{suffix}"
    out.parent.mkdir()
    result = invoke("trace", "--account", victim["account_id"], "--hops", 6, "--out", out, "--db", stored_world.db)
    assert result.exit_code == 0, result.output
    assert f"written to {out}" in result.output.replace("\n", "")
    con = connect(stored_world.db, read_only=True)
    try:
        expected = trace_account(con, victim["account_id"], hops=6)
    finally:
        con.close()
    accounts = set(expected.reached["account"].to_list())
    if suffix == ".parquet":
        written = pl.read_parquet(out)
        assert written.height == expected.flows.height
        assert written["traced_amount"].sum() == pytest.approx(expected.flows["traced_amount"].sum())
        assert not accounts & set(written["account"].to_list())
        return
    text = out.read_text(encoding="utf-8")
    assert not [a for a in accounts if a in text], "an account number leaked"
    if suffix == ".csv":
        assert text.splitlines()[0].count("traced_amount") == 1
        assert len(text.splitlines()) == expected.flows.height + 1
    else:
        assert "<svg" in text and "https://" not in text


def test_trace_to_an_unknown_format_is_refused(stored_world: StoredWorld, tmp_path: Path) -> None:
    victim = top_victim(stored_world)
    result = invoke("trace", "--account", victim["account_id"], "--out", tmp_path / "t.xlsx", "--db", stored_world.db)
    assert result.exit_code == 2
    assert ".csv, .parquet or .html" in result.output
    assert result.output.strip().count("\n") == 0, "refused before tracing"
    assert not (tmp_path / "t.xlsx").exists()


# --- scan ------------------------------------------------------------------------------------


def test_scan_writes_tables_parquet_and_report_and_masks_by_default(stored_world: StoredWorld, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = invoke("scan", "--as-of", AS_OF_TEXT, "--out", out, "--top", 5, "--db", stored_world.db)
    assert result.exit_code == 0, result.output
    run_id = "scan-20261031T0000-168h"
    assert (out / f"{run_id}.html").exists()
    for part in ("clusters", "members", "flow_edges"):
        assert (out / f"{run_id}-{part}.parquet").exists()
    con = duckdb.connect(str(stored_world.db), read_only=True)
    try:
        clusters = con.sql("SELECT * FROM scan_clusters WHERE run_id = ? ORDER BY rank", params=[run_id]).pl()
        accounts = con.sql("SELECT account FROM scan_members WHERE run_id = ?", params=[run_id]).pl()["account"]
    finally:
        con.close()
    flagged = clusters.filter(pl.col("flagged"))
    assert flagged.height >= 1
    assert f"{flagged.height} of {plural(clusters.height, 'cluster')} flagged" in result.output
    assert clusters["cluster_label"][0] in result.output  # the store keeps the masked id the output shows
    assert clusters["cluster_id"][0].startswith("p:")  # and a keyed pseudonym for joins
    written = [
        (out / f"{run_id}.html").read_text(),
        *(
            pl.read_parquet(out / f"{run_id}-{part}.parquet").write_csv()
            for part in ("clusters", "members", "flow_edges")
        ),
        result.output,
    ]
    assert not [a for a in accounts.to_list() if any(a in text for text in written)]
    assert pl.read_parquet(out / f"{run_id}-clusters.parquet").height == clusters.height


def test_scan_reveal_writes_full_accounts_and_is_audited(stored_world: StoredWorld, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    before = _audit_rows(stored_world, "scan")
    result = invoke("scan", "--as-of", AS_OF_TEXT, "--out", out, "--reveal", "--db", stored_world.db)
    assert result.exit_code == 0, result.output
    members = pl.read_parquet(out / "scan-20261031T0000-168h-members.parquet")
    assert members["account"].str.contains(r"\*").sum() == 0
    assert _audit_rows(stored_world, "scan") == before + 1


def _audit_rows(world: StoredWorld, command: str) -> int:
    con = duckdb.connect(str(world.db), read_only=True)
    try:
        return int(con.execute("SELECT count(*) FROM audit_log WHERE command = ?", [command]).fetchall()[0][0])
    finally:
        con.close()


# --- features --------------------------------------------------------------------------------


def test_features_list_needs_no_store_and_names_every_feature(tmp_path: Path) -> None:
    result = runner.invoke(app, ["features", "--list", "--db", str(tmp_path / "none.duckdb")], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    missing = [spec.name for spec in FEATURE_CATALOGUE if spec.name not in result.output]
    assert not missing
    assert not (tmp_path / "none.duckdb").exists()


def test_features_compute_writes_one_parquet_per_entity(stored_world: StoredWorld, tmp_path: Path) -> None:
    out = tmp_path / "features"
    result = invoke(
        "features", "--as-of", AS_OF_TEXT, "--window", "7d", "--history", "30d", "--out", out, "--db", stored_world.db
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "account_features_20261031T0000.parquet",
        "phone_features_20261031T0000.parquet",
    ]
    con = connect(stored_world.db, read_only=True)
    try:
        expected = build_features(con, as_of=CLI_WORLD_AS_OF, window=timedelta(days=7), history=timedelta(days=30))
        secret = read_store_secret(con)
    finally:
        con.close()
    assert secret is not None
    for entity, frame in expected.items():
        written = pl.read_parquet(out / f"{entity}_features_20261031T0000.parquet")
        sets = [fs for fs in FEATURE_SETS if fs.entity == entity]
        key = sets[0].key
        # keys are the store's keyed pseudonyms: they join, and no number is written in full
        assert_frame_equal(written, frame.with_columns(pl.col(key).map_elements(lambda v: pseudonym(v, secret))))
        assert not set(written[key]) & set(frame[key])
        assert written.columns == [sets[0].key] + [name for fs in sets for name in fs.names]
        assert written.height > 100
        assert f"{entity}: {written.height:,} rows x {written.width - 1} features" in result.output


def test_features_bad_history_is_one_line_error(stored_world: StoredWorld, tmp_path: Path) -> None:
    result = invoke("features", "--history", "a month", "--out", tmp_path / "f", "--db", stored_world.db)
    assert result.exit_code == 2
    assert "--history 'a month' is not a duration" in result.output
    assert not (tmp_path / "f").exists()


# --- eval scan -------------------------------------------------------------------------------


def test_eval_scan_prints_the_quality_the_library_measures(stored_world: StoredWorld) -> None:
    result = invoke("eval", "scan", "--truth", stored_world.truth, "--as-of", AS_OF_TEXT, "--db", stored_world.db)
    assert result.exit_code == 0, result.output
    con = connect(stored_world.db)
    try:
        scanned = run_scan(con, as_of=CLI_WORLD_AS_OF, window=timedelta(days=7))
        quality = evaluate_scan(con, scanned, read_truth(stored_world.truth))
    finally:
        con.close()
    assert quality.active_mules > 0 and quality.flagged_accounts > 0  # something to print, not a quality gate
    assert re.search(rf"mule precision\W+{quality.mule_precision:.3f}", result.output)
    assert re.search(rf"mule recall\W+{quality.mule_recall:.3f}", result.output)
    assert f"{quality.rings_found} of {quality.rings_active}" in result.output


def test_eval_scan_without_ground_truth_says_where_it_looked(stored_world: StoredWorld, tmp_path: Path) -> None:
    result = invoke("eval", "scan", "--truth", tmp_path, "--db", stored_world.db)
    assert result.exit_code == 2
    assert "no ground truth 'mules'" in result.output and "Traceback" not in result.output
