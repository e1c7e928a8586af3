"""Commands on a lake see the lake's tables in place of the store's: the features, the scan and a
money trace of a world kept in a Parquet lake are those of the same world kept in a DuckDB store."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from engine_cases import ON_SPARK
from polars.testing import assert_frame_equal

from fraudkit import synth
from fraudkit.backend import DuckDBBackend
from fraudkit.engine.lake_views import lake_views, local_folder
from fraudkit.engine.spark import SparkBackend
from fraudkit.features.frames import build_features
from fraudkit.scan.scan import run_scan
from fraudkit.scan.trace import trace_report
from fraudkit.store import connect
from fraudkit.synth import SynthConfig, generate_world

pytestmark = list(ON_SPARK)

AS_OF = datetime(2026, 10, 31)


@pytest.fixture(scope="module")
def world():
    return generate_world(SynthConfig.preset("default", seed=11, subscribers=4000))


@pytest.fixture
def stores(
    tmp_path: Path, world, spark_backend: SparkBackend
) -> tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection, SparkBackend]:
    """The world in a DuckDB store, and an empty catalogue store over the same world in a lake."""
    synth.store_world(world, tmp_path / "store.duckdb")
    lake = SparkBackend(spark_backend.settings, lake=tmp_path / "lake")
    for name, frame in world.tables.items():
        lake.write(name, frame)
    catalogue = connect(tmp_path / "catalogue.duckdb")
    return connect(tmp_path / "store.duckdb"), catalogue, lake


def test_features_scan_and_trace_on_the_lake_equal_the_store(stores) -> None:
    store, catalogue, lake = stores
    with lake_views(catalogue, lake.lake()) as shown:
        assert "calls" in shown and "transactions" in shown
        on_lake = build_features(catalogue, as_of=AS_OF)
        scan_lake = run_scan(catalogue, as_of=AS_OF, window=timedelta(days=7), backend=DuckDBBackend())
        report = store.execute("SELECT report_id FROM reports ORDER BY reported_at LIMIT 1").fetchall()[0][0]
        trace_lake = trace_report(catalogue, report)
    on_store = build_features(store, as_of=AS_OF)
    scan_store = run_scan(store, as_of=AS_OF, window=timedelta(days=7), backend=DuckDBBackend())
    trace_store = trace_report(store, report)
    for entity in ("account", "phone"):
        assert on_store[entity].height > 100
        assert_frame_equal(on_lake[entity], on_store[entity])
    assert scan_store.flagged.height >= 1
    assert_frame_equal(scan_lake.clusters, scan_store.clusters)
    assert_frame_equal(scan_lake.members, scan_store.members)
    assert_frame_equal(trace_lake.flows, trace_store.flows)
    assert trace_lake.total_out == trace_store.total_out
    # the block over, the catalogue's own (empty) tables are back
    assert catalogue.execute("SELECT count(*) FROM transactions").fetchall()[0][0] == 0


def test_a_lake_elsewhere_is_read_through_spark() -> None:
    assert local_folder("file:///data/lake/calls") == Path("/data/lake/calls")
    assert local_folder("file:/data/my%20lake/calls") == Path("/data/my lake/calls")
    assert local_folder("hdfs://nn:8020/lake/calls") is None
    assert local_folder("s3a://bucket/lake/calls") is None
