"""Every command that reads the tables takes ``--engine spark --lake``: with the catalogue store's own
copy of the rows deleted, status, trace, train and warn on the lake say and write what they say and
write on the DuckDB store of the same files."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from engine_cases import ON_SPARK
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from fraudkit import synth
from fraudkit.cli import app
from fraudkit.engine.spark import SparkBackend
from fraudkit.schema import TABLES
from fraudkit.store import connect
from fraudkit.synth import SynthConfig, generate_world

pytestmark = list(ON_SPARK)

runner = CliRunner(env={"COLUMNS": "200"})
WARN_AT = "2026-10-27T15:00"


def _run(args: list[str]) -> str:
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    return done.output


def _commands(db: str, tracking: Path, out: Path, report: str, truth: Path, where: list[str]) -> dict[str, str]:
    """What each command prints (and the call-back list it writes) on the store or the lake."""
    store = ["--db", db, *where]
    said = {
        "status": _run(["status", *store]),
        "trace": _run(["trace", "--report", report, "--reveal", *store]),
    }
    uri = ["--tracking-uri", f"sqlite:///{tracking / 'mlflow.db'}"]
    said["train"] = _run(["train", "--target", "victim", "--truth", str(truth), "--threads", "1", *store, *uri])
    said["warn"] = _run(["warn", "--as-of", WARN_AT, "--top", "25", "--reveal", "--out", str(out), *store, *uri])
    return said


def test_status_trace_train_and_warn_on_the_lake_say_what_they_say_on_the_store(
    tmp_path: Path, spark_backend: SparkBackend
) -> None:
    world = generate_world(SynthConfig(seed=3, subscribers=4_000, fraud_operations_per_100k=300.0))
    files = synth.write_world(world, tmp_path / "world", "parquet")
    truth = tmp_path / "world" / "truth"
    db, lake = str(tmp_path / "catalogue.duckdb"), str(tmp_path / "lake")
    on_lake = ["--engine", "spark", "--lake", lake]
    for name in TABLES:
        if name in files:
            _run(["ingest", str(files[name]), "--kind", name, "--db", db, *on_lake])
    report = world.tables["reports"].sort("reported_at")["report_id"][0]

    said = {"duckdb": _commands(db, tmp_path / "ml-duckdb", tmp_path / "duckdb.csv", report, truth, [])}
    con = connect(db)  # the catalogue's own rows go: the commands below can only read the lake
    for name in TABLES:
        con.execute(f"DELETE FROM {name}")
    con.close()
    said["spark"] = _commands(db, tmp_path / "ml-spark", tmp_path / "spark.csv", report, truth, on_lake)

    counts = re.compile(r"(calls|transactions|accounts|subscribers|reports)\D+([\d,]+)")
    assert counts.findall(said["duckdb"]["status"]) == counts.findall(said["spark"]["status"])
    assert ("transactions", f"{world.tables['transactions'].height:,}") in counts.findall(said["spark"]["status"])
    assert "canonical tables from the lake" in said["spark"]["status"]
    assert said["spark"]["trace"] == said["duckdb"]["trace"]
    assert "traced" in said["spark"]["trace"]
    metrics = re.compile(r"(precision@\d+|recall@\d+|AUC-PR|auc_pr)\D+([\d.]+)", re.IGNORECASE)
    assert metrics.findall(said["duckdb"]["train"]), said["duckdb"]["train"]
    assert metrics.findall(said["spark"]["train"]) == metrics.findall(said["duckdb"]["train"])
    listed = pl.read_csv(tmp_path / "duckdb.csv")
    assert listed.height > 0
    assert_frame_equal(pl.read_csv(tmp_path / "spark.csv"), listed)


@pytest.mark.parametrize("command", ["status", "trace", "train", "warn", "eval scan", "features", "scan"])
def test_every_table_reading_command_takes_engine_and_lake(command: str) -> None:
    shown = runner.invoke(app, [*command.split(), "--help"]).output
    assert "--engine" in shown and "--lake" in shown


def test_the_daily_batch_on_the_lake_reports_and_lists_what_it_does_on_the_store(
    tmp_path: Path, spark_backend: SparkBackend
) -> None:
    """One drop, two batches: on a DuckDB store, and on a fresh catalogue with the tables in a lake;
    the same champion model. The day's figures and the call-back list are the same."""
    import json

    world = generate_world(SynthConfig(seed=3, subscribers=2_500, fraud_operations_per_100k=300.0))
    drop = tmp_path / "drop"
    synth.write_world(world, drop, "parquet")
    uri = ["--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}"]
    on_store = ["--db", str(tmp_path / "store.duckdb")]
    batch = ["daily", "--drop", str(drop), "--format", "csv", "--as-of", WARN_AT, *uri]
    first = _run([*batch, "--out", str(tmp_path / "first"), *on_store])  # loads the store; no model yet
    assert "skipped" in first
    _run(["train", "--target", "victim", "--truth", str(drop / "truth"), "--threads", "1", *on_store, *uri])
    runs = {}
    for side, where in (
        ("duckdb", on_store),
        ("spark", ["--db", str(tmp_path / "catalogue.duckdb"), "--engine", "spark", "--lake", str(tmp_path / "lake")]),
    ):
        _run([*batch, "--out", str(tmp_path / side), *where])
        runs[side] = next((tmp_path / side).glob("2026-*"))
    facts = {side: json.loads((run / "summary.json").read_text()) for side, run in runs.items()}
    steps = {
        side: {s["name"]: s["facts"] for s in f["steps"] if s["name"] in ("scan", "warn")} for side, f in facts.items()
    }
    assert steps["duckdb"]["warn"]["listed"] > 0
    assert steps["spark"]["warn"] == steps["duckdb"]["warn"]
    assert {k: v for k, v in steps["spark"]["scan"].items() if k != "run_id"} == {
        k: v for k, v in steps["duckdb"]["scan"].items() if k != "run_id"
    }
    lists = {side: pl.read_csv(next(run.glob("callbacks-*.csv"))) for side, run in runs.items()}
    assert_frame_equal(lists["spark"], lists["duckdb"])
