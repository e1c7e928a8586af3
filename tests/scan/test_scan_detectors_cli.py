"""`fraudkit scan --detector/--span` and `eval scan` as typed, on a transfer-only world of whole days."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from fraudkit import synth
from fraudkit.cli import app
from fraudkit.synth import SynthConfig, generate_world

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def daily_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A transfers-preset world in a store, and its truth folder."""
    folder = tmp_path_factory.mktemp("daily")
    world = generate_world(SynthConfig.preset("transfers", seed=7, subscribers=5_000))
    db = folder / "fraudkit.duckdb"
    synth.store_world(world, db)
    truth = folder / "truth"
    truth.mkdir()
    world.truth["mules"].write_parquet(truth / "mules.parquet")
    labels = folder / "labels.csv"
    world.truth["mules"].select("account_id", pl.col("ring_id").alias("group")).write_csv(labels)
    return db, labels


def test_the_dense_detector_finds_slow_rings_the_fast_one_cannot_flag(daily_world, tmp_path: Path) -> None:
    db, _ = daily_world
    said = {}
    for detector in ("fast", "dense"):
        out = tmp_path / detector
        args = ["scan", "--db", str(db), "--detector", detector, "--span", "90d", "--out", str(out)]
        done = runner.invoke(app, args)
        assert done.exit_code == 0, done.output
        said[detector] = done.output
        clusters = next(out.glob("*-clusters.parquet"))
        said[f"{detector}-clusters"] = pl.read_parquet(clusters)
    dense = said["dense-clusters"]
    assert set(dense["detector"]) == {"dense"} and dense["flagged"].sum() >= 1
    assert said["fast-clusters"]["flagged"].sum() == 0, "on whole days speed is absent: fast ranks, flags nothing"
    assert "dense" in said["dense"] and "speed" in said["fast"], "the notes say what ran and what the data lacks"


def test_eval_scan_against_labels_with_the_detectors_as_run(daily_world) -> None:
    db, labels = daily_world
    done = runner.invoke(app, ["eval", "scan", "--labels", str(labels), "--db", str(db), "--span", "90d"])
    assert done.exit_code == 0, done.output
    precision = float(re.search(r"precision\W+([0-9.]+)", done.output).group(1))  # type: ignore[union-attr]
    assert precision >= 0.5, done.output


def test_an_unknown_detector_is_a_one_line_mistake(daily_world) -> None:
    db, _ = daily_world
    done = runner.invoke(app, ["scan", "--db", str(db), "--detector", "fats"])
    assert done.exit_code != 0 and "fats" in done.output and "fast, dense, auto" in done.output
    assert "Traceback" not in done.output
