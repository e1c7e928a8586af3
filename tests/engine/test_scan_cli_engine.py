"""`fraudkit scan --engine spark` as a user types it: the same clusters, report tables and files as DuckDB."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from engine_cases import ON_SPARK
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from fraudkit import synth
from fraudkit.cli import app
from fraudkit.engine.spark import SparkBackend
from fraudkit.synth import SynthConfig, generate_world

pytestmark = list(ON_SPARK)


def test_scan_on_spark_writes_what_the_duckdb_scan_writes(tmp_path: Path, spark_backend: SparkBackend) -> None:
    db = tmp_path / "fraudkit.duckdb"
    synth.store_world(generate_world(SynthConfig.preset("default", seed=3, subscribers=5_000)), db)
    runner = CliRunner(env={"COLUMNS": "200"})
    said = {}
    for engine in ("duckdb", "spark"):
        out = tmp_path / engine
        result = runner.invoke(app, ["scan", "--db", str(db), "--engine", engine, "--out", str(out)])
        assert result.exit_code == 0, result.output
        said[engine] = next(line for line in result.output.splitlines() if "flagged." in line)
    assert said["spark"].split(". Report")[0] == said["duckdb"].split(". Report")[0]
    for table in sorted(p.name for p in (tmp_path / "duckdb").glob("*.parquet")):
        local, on_spark = pl.read_parquet(tmp_path / "duckdb" / table), pl.read_parquet(tmp_path / "spark" / table)
        assert_frame_equal(on_spark, local, check_exact=True)
    assert any((tmp_path / "duckdb").glob("*.parquet")), "the scan writes Parquet files to compare"


def test_an_unknown_engine_is_a_one_line_mistake(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["scan", "--engine", "sprak", "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 2 and "spark" in result.output and "Traceback" not in result.output
