"""The scan's pre-filter per shard on Spark: the driver receives only the transfers touching hot
accounts and their counterparties' flows, and the scan made from them is the store's, to the bit."""

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
from fraudkit.scan.flows import account_flows, hot_accounts, window_bounds, window_transactions
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


def test_the_driver_gets_the_hot_corner_and_its_flows_are_the_stores(stores) -> None:
    store, _, lake = stores
    params = ScanParams()
    start, end = window_bounds(AS_OF, WINDOW)
    transfers, flows = lake_window(lake, start=start, end=end, params=params, shards=3)
    window = window_transactions(store, start, end).pl()
    every = account_flows(store, window, params.flow)
    hot = hot_accounts(every, params.flow)["account"]
    touching = window.filter(pl.col("src").is_in(hot.implode()) | pl.col("dst").is_in(hot.implode()))
    assert hot.len() >= 10
    assert 0 < transfers.height < window.height, "only the hot corner comes back to the driver"
    assert_frame_equal(transfers, touching.sort("txn_id"), check_exact=True)
    near = pl.concat([touching["src"], touching["dst"]]).unique()
    assert set(flows["account"]) == set(near)
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
