"""`fraudkit demo`: every step runs in order, the scan's report and Parquet land in the workdir, the
models are trained on reports (not the truth) into the workdir's own MLflow store, the call-back
list is a masked XLSX, everything is held to the ground truth, and a rerun registers new versions.

The world is small (4,000 subscribers) with fraud boosted to 300 operations per 100k people, so that
the models have a few hundred victims and fraud numbers to learn from; LightGBM runs on one thread.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.demo import DEMO_STEPS, DemoResult, DemoRun, StepResult, run_demo
from fraudkit.errors import ConfigError
from fraudkit.model.registry import list_versions
from fraudkit.schema import TABLES
from fraudkit.settings import Settings
from fraudkit.store import quote_ident

SUBSCRIBERS, SEED, FRAUD_OPERATIONS = 4_000, 7, 300.0
BOOSTED = {"fraud_operations_per_100k": FRAUD_OPERATIONS}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, list[str]]:
    stages: list[str] = []
    result = run_demo(
        workdir=tmp_path_factory.mktemp("demo"),
        subscribers=SUBSCRIBERS,
        seed=SEED,
        progress=stages.append,
        synth_overrides=BOOSTED,
        threads=1,
    )
    return result, stages


def test_steps_run_in_order_and_report_progress(demo: tuple[DemoResult, list[str]]) -> None:
    result, stages = demo
    names = [name for name, _ in DEMO_STEPS]
    assert [step.name for step in result.steps] == names
    assert [s for s in stages if s in names] == names
    assert all(step.seconds > 0 and step.summary for step in result.steps)
    assert not [step.name for step in result.steps if step.skipped]


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


def test_models_learn_from_reports_into_the_workdirs_own_store(demo: tuple[DemoResult, list[str]]) -> None:
    result, _ = demo
    store = result.outputs["MLflow store"]
    assert store == result.workdir / "mlruns" / "mlflow.db" and store.exists()
    settings = Settings(mlruns_dir=result.workdir / "mlruns")
    for target in ("victim", "fraud_number"):
        step = result.step(f"train {target}")
        assert step.facts["version"] == 1 and step.facts["promoted"] == 1
        assert step.facts["train_positives"] > 0 and "labels from reports" in step.summary
        versions = list_versions(settings, target)
        assert [(v["version"], v["champion"], v["label_source"]) for v in versions] == [("1", True, "reports")]


def test_call_back_list_is_a_masked_xlsx_in_reports(demo: tuple[DemoResult, list[str]]) -> None:
    result, _ = demo
    path = result.outputs["call-back list (XLSX, masked)"]
    assert path.parent == result.workdir / "reports" and path.suffix == ".xlsx"
    sheet = openpyxl.load_workbook(path)["call-back list"]
    rows = list(sheet.iter_rows(values_only=True))
    listed = int(result.step("warn").facts["listed"])
    assert listed >= 1 and len(rows) == listed + 1
    header = rows[0]
    shown = [row[header.index("Phone")] for row in rows[1:]]
    assert all(re.fullmatch(r"\d{3}\*{4}\d{4}", phone) for phone in shown), shown[:3]
    assert any(row[header.index("Cluster")] for row in rows[1:]), "no cluster on the list: the account check is moot"
    world = result.workdir / "world"
    phones = set(pl.read_parquet(world / "subscribers.parquet")["phone"].cast(pl.String))
    accounts = set(pl.read_parquet(world / "accounts.parquet")["account_id"].cast(pl.String))
    text = _text_cells(rows)
    assert not [phone for phone in phones if phone in text], "a full phone number is in the masked list"
    assert not re.search(r"(?<!\d)1\d{10}(?!\d)", text), "an 11-digit mobile number is in the masked list"
    assert not [account for account in accounts if account in text], "a full account number is in the masked list"


def _text_cells(rows: list[tuple]) -> str:
    """The sheet's text cells joined (numeric cells are scores and minutes, never identifiers)."""
    return " ".join(cell for row in rows for cell in row if isinstance(cell, str))


def test_list_and_models_are_held_to_ground_truth(demo: tuple[DemoResult, list[str]]) -> None:
    result, _ = demo
    facts = result.step("evaluate models").facts
    assert facts["listed"] == result.step("warn").facts["listed"]
    assert 1 <= facts["list_real_victims"] <= min(facts["listed"], facts["list_victims_reachable"])
    assert facts["list_precision"] == pytest.approx(facts["list_real_victims"] / facts["listed"])
    assert facts["victim_victims"] >= 10 and 0.5 <= facts["victim_warned_share"] <= 1.0
    assert facts["fraud_number_auc_pr"] >= 0.8
    assert facts["victim_champion_version"] == facts["fraud_number_champion_version"] == 1
    summary = "\n".join(result.summary())
    assert f"real victims among them: {facts['list_real_victims']:.0f} " in summary
    assert "water-house clusters flagged" in summary and "mlflow ui --backend-store-uri sqlite:///" in summary


@pytest.mark.parametrize("worse", [False, True])
def test_the_demo_promotes_by_the_registrys_rule_and_says_what_happened(
    monkeypatch: pytest.MonkeyPatch, worse: bool
) -> None:
    """The demo applies the same rule as `fraudkit models promote` (fraudkit.model.promotion)."""
    from fraudkit.demo import promote_if_not_worse
    from fraudkit.model import registry
    from fraudkit.model.promotion import decide

    rows = [("auc_pr", 0.70 if worse else 0.80, 0.80)]
    cmp = registry.Comparison("victim", "2", "1", rows)
    moved: list[str] = []

    def promote(_settings: Settings, _target: str, version: str, force: bool = False) -> registry.Comparison:
        decision = decide(cmp)
        if not decision.promote and not force:
            raise registry.PromotionRefused(cmp, decision)
        moved.append(version)
        cmp.decision = decision.summary
        return cmp

    monkeypatch.setattr(registry, "promote", promote)
    said, is_champion = promote_if_not_worse(Settings(), "victim", "2")
    assert is_champion is not worse and moved == ([] if worse else ["2"])
    assert ("not promoted (AUC-PR 0.700 against 0.800" in said) is worse
    assert "champion v1 on the same test days" in said


def test_a_later_stage_is_one_more_step(tmp_path: Path) -> None:
    seen: list[int] = []

    def count_flagged(run: DemoRun) -> StepResult:
        assert run.scan is not None and run.as_of is not None
        seen.append(run.scan.flagged.height)
        listing = run.workdir / "flagged.csv"
        run.scan.flagged.select("cluster_id", "score").write_csv(listing)
        return StepResult("ignored", outputs={"flagged clusters": listing}, summary="listed")

    steps = [s for s in DEMO_STEPS if s[0] in ("synth", "ingest", "scan")] + [("list", count_flagged)]
    result = run_demo(workdir=tmp_path, subscribers=1000, seed=3, steps=steps)
    assert [step.name for step in result.steps] == ["synth", "ingest", "scan", "list"]
    assert result.outputs["flagged clusters"] == tmp_path / "flagged.csv"
    assert seen and (tmp_path / "flagged.csv").exists()
    with pytest.raises(KeyError):
        result.step("evaluate")


def test_without_reports_the_models_are_skipped_saying_why(tmp_path: Path) -> None:
    result = run_demo(workdir=tmp_path, subscribers=800, seed=3, synth_overrides={"report_rate": 0.0}, threads=1)
    skipped = {step.name: step.skipped for step in result.steps if step.skipped}
    assert set(skipped) == {"train victim", "train fraud_number", "warn", "evaluate models"}
    assert "no positive victim labels" in str(skipped["train victim"])
    assert "no victim model is registered" in str(skipped["warn"])
    assert result.step("scan").skipped is None and "train victim skipped" in "\n".join(result.summary())


def test_a_workdir_of_another_world_is_refused(demo: tuple[DemoResult, list[str]]) -> None:
    result, _ = demo
    with pytest.raises(ConfigError, match="another world"):
        run_demo(workdir=result.workdir, subscribers=SUBSCRIBERS, seed=SEED + 1, synth_overrides=BOOSTED)


def test_fresh_clears_an_earlier_demo_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "world").mkdir()
    (tmp_path / "world" / "world.json").write_text('{"config": {"seed": 1}}')
    (tmp_path / "fraudkit.duckdb").write_bytes(b"old store")
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="another world") as refused:
        run_demo(workdir=tmp_path, steps=[DEMO_STEPS[0]], subscribers=SUBSCRIBERS, seed=SEED, synth_overrides=BOOSTED)
    assert "--fresh" in refused.value.one_line()
    result = run_demo(
        workdir=tmp_path, steps=[DEMO_STEPS[0]], subscribers=SUBSCRIBERS, seed=SEED, synth_overrides=BOOSTED, fresh=True
    )
    assert result.step("synth").skipped is None
    assert not (tmp_path / "fraudkit.duckdb").exists()  # the old store is gone; synth alone makes none
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_cli_rerun_registers_new_versions_and_prints_the_summary(demo: tuple[DemoResult, list[str]]) -> None:
    """Last in the module: it reruns the demo in the shared workdir, which moves the champions to version 2."""
    result, _ = demo
    runner = CliRunner(env={"COLUMNS": "200"})
    loaded_before = _row_counts(result.workdir / "fraudkit.duckdb")
    args = ["demo", "--workdir", str(result.workdir), "-n", str(SUBSCRIBERS), "--seed", str(SEED)]
    out = runner.invoke(app, [*args, "--fraud-operations", str(FRAUD_OPERATIONS), "--threads", "1"])
    assert out.exit_code == 0, out.output
    said = " ".join(out.output.split())  # Rich wraps long lines
    assert "0 new rows loaded" in said
    assert _row_counts(result.workdir / "fraudkit.duckdb") == loaded_before  # the rerun added no row
    assert "fraudkit-victim version 2" in said and "fraudkit-fraud_number version 2" in said
    # the same world trains the same model again: a tie on every gate, and the newest takes the alias
    assert said.count("promoted to champion (at least as good as champion v1") == 2
    assert "clusters flagged as water houses" in said and "real victims" in said
    assert "call-back list (XLSX, masked)" in said and "summary" in said
    champions = [v["version"] for v in list_versions(Settings(mlruns_dir=result.workdir / "mlruns"), "victim")]
    assert champions == ["2", "1"]


def _row_counts(db: Path) -> dict[str, int]:
    """Rows in each canonical table of a store."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {name: con.execute(f"SELECT count(*) FROM {quote_ident(name)}").fetchall()[0][0] for name in TABLES}
    finally:
        con.close()
