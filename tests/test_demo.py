"""`fraudkit demo`: every step runs in order, the scan's report and Parquet land in the workdir,
and a later stage can be appended as one more step."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.demo import DEMO_STEPS, DemoResult, DemoRun, StepResult, run_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, list[str]]:
    stages: list[str] = []
    result = run_demo(workdir=tmp_path_factory.mktemp("demo"), subscribers=3000, seed=7, progress=stages.append)
    return result, stages


def test_steps_run_in_order_and_report_progress(demo: tuple[DemoResult, list[str]]) -> None:
    result, stages = demo
    names = [name for name, _ in DEMO_STEPS]
    assert [step.name for step in result.steps] == names
    assert [s for s in stages if s in names] == names
    assert all(step.seconds > 0 and step.summary for step in result.steps)


def test_scan_step_writes_report_and_parquet_and_flags_a_ring(demo: tuple[DemoResult, list[str]]) -> None:
    result, _ = demo
    scan = result.step("scan")
    assert scan.facts["clusters_flagged"] >= 1
    assert scan.facts["accounts_flagged"] >= 3 and scan.facts["money_in"] > 0
    report = result.outputs["scan report (HTML)"]
    assert report.parent == result.workdir / "reports" and report.suffix == ".html"
    assert "<svg" in report.read_text(encoding="utf-8")
    clusters = pl.read_parquet(result.outputs["scan clusters (Parquet)"])
    assert clusters.filter(pl.col("flagged")).height == scan.facts["clusters_flagged"]
    assert f"{int(scan.facts['clusters_flagged'])} of {clusters.height} clusters flagged" in scan.summary
    for path in result.outputs.values():
        assert path.exists(), path
    con = duckdb.connect(str(result.outputs["database"]), read_only=True)
    try:
        saved = con.execute("SELECT count(*) FROM scan_clusters").fetchall()[0][0]
    finally:
        con.close()
    assert saved == clusters.height


def test_evaluate_step_holds_the_scan_to_ground_truth(demo: tuple[DemoResult, list[str]]) -> None:
    result, _ = demo
    facts = result.step("evaluate").facts
    assert facts["rings_active"] >= 1
    assert facts["mule_precision"] >= 0.9 and facts["mule_recall"] >= 0.8


def test_a_later_stage_is_one_more_step(tmp_path: Path) -> None:
    seen: list[int] = []

    def count_flagged(run: DemoRun) -> StepResult:
        assert run.scan is not None and run.as_of is not None
        seen.append(run.scan.flagged.height)
        listing = run.workdir / "flagged.csv"
        run.scan.flagged.select("cluster_id", "score").write_csv(listing)
        return StepResult("ignored", outputs={"flagged clusters": listing}, summary="listed")

    steps = [s for s in DEMO_STEPS if s[0] != "evaluate"] + [("list", count_flagged)]
    result = run_demo(workdir=tmp_path, subscribers=1000, seed=3, steps=steps)
    assert [step.name for step in result.steps] == ["synth", "ingest", "scan", "list"]
    assert result.outputs["flagged clusters"] == tmp_path / "flagged.csv"
    assert seen and (tmp_path / "flagged.csv").exists()
    with pytest.raises(KeyError):
        result.step("evaluate")


def test_cli_prints_what_each_step_found(tmp_path: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "200"})
    out = runner.invoke(app, ["demo", "--workdir", str(tmp_path), "-n", "1000", "--seed", "3"])
    assert out.exit_code == 0, out.output
    assert "clusters flagged as water houses" in out.output
    assert "against ground truth: mule precision" in out.output
    assert "scan report (HTML)" in out.output
