"""The live loop with its tables in a Parquet lake: a tick over the same drop files alerts the same
people with the same scores as on the DuckDB store, the files' rows land in the lake, and an outcome
recorded in the queue reaches the lake's outcomes as well as the store's."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from conftest import LiveWorld
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.live.alerts import alerts_frame, export_outcomes
from fraudkit.live.clock import store_now
from fraudkit.ops.db import ops_engine
from fraudkit.store import connect

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

c = pl.col
CONFIG = 'every = "1m"\nlate_within = "2d"\n[tiers]\nyellow = 0.0\n'


def _drop(world: LiveWorld, folder: Path, calls: pl.DataFrame) -> Path:
    folder.mkdir()
    for kind in ("subscribers", "accounts"):
        world.world.tables[kind].write_parquet(folder / f"{kind}.parquet")
    calls.write_parquet(folder / "calls_1.parquet")
    return folder


def test_a_tick_on_the_lake_alerts_who_it_alerts_on_the_store(
    live_world: LiveWorld, tmp_path: Path, spark_backend
) -> None:
    calls = live_world.world.tables["calls"]
    ended = (c("start_time") + pl.duration(seconds=c("duration_s"))).max()
    last = calls.select(ended).item()
    now = store_now("UTC")
    recent = calls.filter(c("start_time") >= last - timedelta(days=2))
    recent = recent.with_columns(c("start_time") + ((now - timedelta(minutes=2)) - last))
    (tmp_path / "watch.toml").write_text(CONFIG, encoding="utf-8")
    env = {"FRAUDKIT_TIMEZONE": "UTC", "MLFLOW_TRACKING_URI": live_world.settings.resolved_tracking_uri}
    runner = CliRunner(env=env)
    alerts, lake = {}, tmp_path / "lake"
    for side, extra in (("duckdb", []), ("spark", ["--engine", "spark", "--lake", str(lake)])):
        drop = _drop(live_world, tmp_path / f"drop-{side}", recent)
        url = f"sqlite:///{tmp_path / f'ops-{side}.sqlite'}"
        db = tmp_path / f"{side}.duckdb"
        args = ["watch", "--once", "--drop", str(drop), "--config", str(tmp_path / "watch.toml")]
        done = runner.invoke(app, [*args, "--db", str(db), "--ops-db", url, *extra])
        assert done.exit_code == 0, done.output
        alerts[side] = alerts_frame(ops_engine(url)).select("phone", "score", "tier").sort("phone")
    assert alerts["duckdb"].height > 0
    assert_frame_equal(alerts["spark"], alerts["duckdb"])
    on_lake = spark_backend.__class__(spark_backend.settings, lake=lake)
    assert on_lake.read("calls", ["call_id"]).height == recent.height

    # an outcome the team recorded goes to the lake's outcomes too, once however often it is exported
    from fraudkit.ops.operators import create_operator
    from fraudkit.ops.queue import claim_next, get_alert, record_outcome

    engine = ops_engine(f"sqlite:///{tmp_path / 'ops-spark.sqlite'}")
    create_operator(engine, "op1", "a long passphrase")
    alert_id = claim_next(engine, "op1", now=now)
    assert alert_id is not None
    record_outcome(engine, alert_id, "op1", "reached", now=now)
    con = connect(tmp_path / "spark.duckdb")
    try:
        assert export_outcomes(engine, con, now, lake=on_lake) == 1
    finally:
        con.close()
    got = on_lake.read("outcomes")
    assert got["phone"].to_list() == [get_alert(engine, alert_id)["phone"]]
    assert got["result"].to_list() == ["reached"]
