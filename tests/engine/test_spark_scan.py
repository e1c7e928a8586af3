"""The scan's pre-filter per shard on Spark: the driver receives the fast edges between hot accounts and
then only the transfers touching the clusters, and the scan made from them is the store's, to the bit."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from engine_cases import ON_SPARK
from polars.testing import assert_frame_equal

from fraudkit import synth
from fraudkit.backend import DuckDBBackend
from fraudkit.engine.lake_views import lake_views
from fraudkit.engine.spark import SparkBackend
from fraudkit.engine.spark_scan import lake_window
from fraudkit.scan.flows import (
    FlowParams,
    account_flows,
    fast_flow_edges,
    hot_accounts,
    window_bounds,
    window_transactions,
)
from fraudkit.scan.scan import ScanParams, run_scan
from fraudkit.store import connect
from fraudkit.synth import SynthConfig, generate_world

pytestmark = list(ON_SPARK)

AS_OF = datetime(2026, 10, 31)
WINDOW = timedelta(days=7)


@pytest.fixture(scope="module")
def world():
    return generate_world(SynthConfig.preset("default", seed=17, subscribers=4000))


@pytest.fixture
def stores(tmp_path: Path, world, spark_backend: SparkBackend):
    """The world in a DuckDB store; the same world in a lake with an empty catalogue store."""
    synth.store_world(world, tmp_path / "store.duckdb")
    lake = SparkBackend(spark_backend.settings, lake=tmp_path / "lake")
    for name, frame in world.tables.items():
        lake.write(name, frame)
    return connect(tmp_path / "store.duckdb"), connect(tmp_path / "catalogue.duckdb"), lake


def test_the_driver_gets_the_fast_edges_and_the_clusters_corner_as_the_store_has_them(stores) -> None:
    store, _, lake = stores
    params = ScanParams(flow=FlowParams(pass_through_hours=24.0, edge_dwell_hours=6.0, min_inflow=1_000.0))
    start, end = window_bounds(AS_OF, WINDOW)
    window = window_transactions(store, start, end).pl()
    every = account_flows(store, window, params.flow)
    hot = hot_accounts(every, params.flow)
    edges = fast_flow_edges(store, window, hot, params.flow)
    members = pl.Series(sorted(set(edges["src"].head(5)) | set(edges["dst"].head(5))))
    touching = window.filter(pl.col("src").is_in(members.implode()) | pl.col("dst").is_in(members.implode()))
    near = pl.concat([touching["src"], touching["dst"]]).unique()
    with lake_window(lake, start=start, end=end, params=params, shards=3) as on_lake:
        assert hot.height >= 10 and edges.height >= 10
        assert_frame_equal(on_lake.hot_flows, hot.sort("account"), check_exact=True)
        assert_frame_equal(on_lake.fast_edges, edges, check_exact=True)
        rows, flows = on_lake.around(members)
    assert 0 < rows.height < window.height / 4, "only the transfers touching the members come back"
    assert_frame_equal(rows, touching.sort("txn_id"), check_exact=True)
    assert_frame_equal(flows, every.filter(pl.col("account").is_in(near.implode())).sort("account"), check_exact=True)


def test_a_scan_on_the_lake_is_the_store_scan_to_the_bit(stores) -> None:
    store, catalogue, lake = stores
    with lake_views(catalogue, lake.lake()):
        on_lake = run_scan(catalogue, as_of=AS_OF, window=WINDOW, backend=lake)
    on_store = run_scan(store, as_of=AS_OF, window=WINDOW, backend=DuckDBBackend())
    assert on_store.flagged.height >= 1
    for part in ("clusters", "members", "edges", "flow_edges", "transfers"):
        assert_frame_equal(getattr(on_lake, part), getattr(on_store, part), check_exact=True)


def test_an_empty_window_on_the_lake_finds_nothing(stores) -> None:
    _, catalogue, lake = stores
    with lake_views(catalogue, lake.lake()):
        result = run_scan(catalogue, as_of=datetime(2020, 1, 1), window=WINDOW, backend=lake)
    assert result.clusters.height == 0 and result.members.height == 0
