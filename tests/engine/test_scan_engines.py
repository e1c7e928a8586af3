"""The water-house scan on a small synthetic world gives the same clusters, members and evidence with
components and per-component analysis on Spark as on the DuckDB default."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from engine_cases import ON_SPARK
from polars.testing import assert_frame_equal

from fraudkit import synth
from fraudkit.backend import DuckDBBackend
from fraudkit.engine.spark import SparkBackend
from fraudkit.scan.scan import run_scan
from fraudkit.store import connect
from fraudkit.synth import SynthConfig, generate_world

pytestmark = list(ON_SPARK)

AS_OF = datetime(2026, 10, 31)
"""Midnight after the default world's 30 days."""


def test_scan_clusters_are_identical_on_spark(tmp_path, spark_backend: SparkBackend) -> None:
    world = generate_world(SynthConfig.preset("default", seed=5, subscribers=20_000))
    synth.store_world(world, tmp_path / "fraudkit.duckdb")
    con = connect(tmp_path / "fraudkit.duckdb")
    try:
        local = run_scan(con, as_of=AS_OF, window=timedelta(days=7), backend=DuckDBBackend())
        on_spark = run_scan(con, as_of=AS_OF, window=timedelta(days=7), backend=spark_backend)
    finally:
        con.close()
    assert local.clusters.height >= 10  # enough rings for the comparison to mean something
    assert local.flagged.height >= 5
    for name in ("clusters", "members", "edges", "flow_edges"):
        assert_frame_equal(getattr(on_spark, name), getattr(local, name), check_exact=True)
    assert set(local.members["account"]) == set(on_spark.members["account"])
    assert local.members.filter(pl.col("cluster_id").is_null()).height == 0
