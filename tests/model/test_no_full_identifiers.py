"""No full identifier in what the library writes by default: every writer of the exposure policy
(scan, trace, features, the call-back list, MLflow artifacts, terminal views, the scan tables in
the store) run on one small world, then every file and non-canonical table searched for any
phone, account number, IMEI or holder id of that world. The CLI run end to end is tested in
``tests/test_no_leaks.py``; this one calls the library, the way a notebook would.
"""

from __future__ import annotations

import io
import shutil
import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from model_world import AS_OF, ModelWorld
from rich.console import Console

from fraudkit.exposure import store_secret
from fraudkit.features import build_features
from fraudkit.features.export import write_features
from fraudkit.model.registry import load_model, register
from fraudkit.model.train import TrainResult
from fraudkit.scan.outputs import publish_scan
from fraudkit.scan.scan import run_scan
from fraudkit.scan.trace import trace_report, trace_tree, write_trace
from fraudkit.settings import Settings
from fraudkit.store import connect, list_rejects
from fraudkit.views import clusters_table, rejects_table
from fraudkit.warn import warning_list, write_warning_list
from fraudkit.warn.views import warning_table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from leakscan import folder_leaks, known_identifiers, leaks_in_text, store_leaks


def rendered(*renderables: object) -> str:
    console = Console(width=250, record=True, file=io.StringIO())
    for r in renderables:
        console.print(r)
    return console.export_text()


@pytest.fixture(scope="module")
def outputs(
    model_world: ModelWorld,
    victim_model: TrainResult,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path, Settings, str]:
    work = tmp_path_factory.mktemp("exposure")
    settings = Settings(
        threads=1, tracking_uri=f"sqlite:///{work / 'mlruns' / 'mlflow.db'}", mlruns_dir=work / "mlruns"
    )
    db = work / "fraudkit.duckdb"
    shutil.copy(model_world.db, db)
    out = work / "out"
    out.mkdir()
    con = connect(db)
    try:
        # a rejected line with a spaced card number and a dashed phone, as banks write them
        account = con.execute("SELECT min(account_id) FROM accounts").fetchall()[0][0]
        phone = con.execute("SELECT min(phone) FROM subscribers").fetchall()[0][0]
        spaced = " ".join(account[i : i + 4] for i in range(0, len(account), 4))
        dashed = f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}"
        con.execute(
            "INSERT INTO rejects VALUES ('transactions', 'drop.csv', 2, 'amount', 'not a number', ?, 'x', now())",
            [f"T9,{spaced},{dashed},abc"],
        )
        result = run_scan(con, as_of=AS_OF, window=timedelta(days=7))
        publish_scan(con, result, out)
        report_id = con.execute(
            "SELECT min(report_id) FROM reports WHERE victim_account IS NOT NULL AND reported_at < ?", [AS_OF]
        ).fetchall()[0][0]
        trace = trace_report(con, report_id)
        for suffix in (".csv", ".parquet", ".html"):
            write_trace(trace, out / f"trace{suffix}")
        frames = build_features(con, as_of=AS_OF, window=timedelta(days=7), history=timedelta(days=30))
        write_features(frames, out / "features", as_of=AS_OF, secret=store_secret(con))
        register(victim_model, settings, secret=store_secret(con))
        wl = warning_list(con, load_model(settings, "victim"), as_of=AS_OF, top=50)
        for suffix in (".xlsx", ".csv", ".parquet"):
            write_warning_list(wl, out / f"callbacks{suffix}")
        terminal = rendered(
            clusters_table(result, top=10),
            trace_tree(trace),
            warning_table(wl, rows=50),
            rejects_table(list_rejects(con)),
        )
        assert wl.frame["account"].drop_nulls().len() > 0, "no account on the list: the check is moot"
    finally:
        con.close()
    return db, out, settings, terminal


def test_no_output_of_a_default_run_holds_a_full_identifier(outputs: tuple[Path, Path, Settings, str]) -> None:
    db, out, settings, terminal = outputs
    con = duckdb.connect(str(db), read_only=True)
    try:
        known = known_identifiers(con)
        leaks = store_leaks(con, known, str(db))
        assert {"scan_clusters", "scan_members", "scan_flows", "audit_log", "store_secret"} <= {
            r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
    finally:
        con.close()
    leaks += folder_leaks(out, known)
    pictures = sorted(p.name for p in settings.mlruns_dir.rglob("pictures/*.svg"))
    assert pictures == ["calibration.svg", "importance.svg", "pr_curve.svg"], "the run's pictures are checked too"
    leaks += folder_leaks(settings.mlruns_dir, known)  # the MLflow store (sqlite) and every artifact
    leaks += leaks_in_text(terminal, known, "terminal")
    assert sorted(out.rglob("*.parquet")) and sorted(out.rglob("*.xlsx")) and sorted(out.rglob("*.html"))
    assert not leaks, f"{len(leaks)} full identifiers, e.g. {leaks[:5]}"
