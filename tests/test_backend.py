"""The engine seam: choosing a backend, the one-line errors when Spark cannot run here, and the
map_components contract every backend keeps. (Every engine against NetworkX: tests/engine.)"""

from __future__ import annotations

import subprocess
import sys

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import fraudkit.engine.spark as spark_engine
from fraudkit.backend import DuckDBBackend, get_backend
from fraudkit.engine.spark import SparkBackend, SparkSettings
from fraudkit.errors import ConfigError

EMPTY_EDGES = pl.DataFrame({"src": [], "dst": []}, schema={"src": pl.Utf8, "dst": pl.Utf8})


def test_empty_edge_list_gives_no_components() -> None:
    got = DuckDBBackend().connected_components(EMPTY_EDGES)
    assert got.height == 0
    assert got.schema == pl.Schema({"node": pl.Utf8, "component": pl.Utf8})


def test_a_spark_backend_starts_no_session_until_there_is_work(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_session(settings: object = None) -> None:
        raise AssertionError("a Spark session was started for nothing")

    monkeypatch.setattr(spark_engine, "spark_session", no_session)
    backend = SparkBackend()
    assert backend.connected_components(EMPTY_EDGES).height == 0
    assert backend.map_components(pl.DataFrame({"component": []}), lambda g: g).shape == (0, 0)


def test_unknown_backend_keeps_its_error() -> None:
    with pytest.raises(ConfigError, match="unknown backend 'sqlite'"):
        get_backend("sqlite")


def test_spark_is_chosen_when_pyspark_and_java_are_there(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spark_engine, "pyspark_installed", lambda: True)
    monkeypatch.setattr(spark_engine, "java_runtime", lambda: ("/usr/bin/java", 17))
    backend = get_backend("spark")
    assert isinstance(backend, SparkBackend)
    assert backend.name == "spark"


def test_spark_without_pyspark_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spark_engine, "pyspark_installed", lambda: False)
    with pytest.raises(ConfigError) as caught:
        get_backend("spark")
    line = caught.value.one_line()
    assert "engine 'spark' needs pyspark" in line
    assert "pip install 'fraudkit[spark]'" in line
    assert "Java 17" in line
    assert "\n" not in line


@pytest.mark.parametrize(
    ("java", "expected"),
    [(None, "needs a Java runtime and none was found"), (("/opt/jdk8/bin/java", 8), "needs Java 17 or newer")],
    ids=["no-java", "java-8"],
)
def test_spark_without_java_17_names_the_runtime(monkeypatch: pytest.MonkeyPatch, java, expected: str) -> None:
    monkeypatch.setattr(spark_engine, "pyspark_installed", lambda: True)
    monkeypatch.setattr(spark_engine, "java_runtime", lambda: java)
    with pytest.raises(ConfigError, match=expected) as caught:
        get_backend("spark")
    assert "openjdk-17-jre-headless" in caught.value.one_line()


def test_importing_the_engines_needs_no_pyspark() -> None:
    """pyspark (and its JVM) load only when a Spark backend does work: `import fraudkit` stays light."""
    code = (
        "import sys; import fraudkit.backend, fraudkit.engine.spark, fraudkit.scan.scan; "
        "fraudkit.backend.get_backend('duckdb'); print('pyspark' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_spark_settings_come_from_the_environment_and_are_checked() -> None:
    env = {"FRAUDKIT_SPARK_MASTER": "yarn", "FRAUDKIT_SPARK_CHECKPOINT_DIR": "hdfs:///tmp/fk-checkpoints"}
    settings = SparkSettings.from_env(env)
    assert (settings.master, settings.checkpoint_dir) == ("yarn", "hdfs:///tmp/fk-checkpoints")
    assert SparkSettings.from_env({}).master is None  # spark-submit's master, else local[2]
    with pytest.raises(ConfigError, match="checkpoint_every must be at least 1"):
        SparkSettings(checkpoint_every=0)
    with pytest.raises(ConfigError, match="checkpoint must be"):
        SparkSettings(checkpoint="sometimes")  # type: ignore[arg-type]


def test_map_components_keeps_key_order_and_each_groups_row_order() -> None:
    """Groups come back in key order (nulls first), each group's rows as fn returned them, and fn sees
    a group's rows in their input order: what lets Spark give the very same frame."""
    nodes = pl.DataFrame({"component": ["b", "a", None, "b", "a", "b"], "x": [1, 2, 3, 4, 5, 6]})
    seen: list[list[int]] = []

    def reverse(group: pl.DataFrame) -> pl.DataFrame:
        seen.append(group["x"].to_list())
        return group.reverse()

    got = DuckDBBackend().map_components(nodes, reverse)
    assert seen == [[3], [2, 5], [1, 4, 6]]
    assert got.rows() == [(None, 3), ("a", 5), ("a", 2), ("b", 6), ("b", 4), ("b", 1)]


def test_map_components_with_a_schema_gives_it_even_when_no_group_has_rows() -> None:
    nodes = pl.DataFrame({"component": ["a", "b"], "x": [1, 2]})
    schema = {"component": pl.Utf8, "x": pl.Int64}
    got = DuckDBBackend().map_components(nodes, lambda g: g.filter(pl.col("x") > 5), schema=schema)
    assert_frame_equal(got, pl.DataFrame(schema=schema))
    assert DuckDBBackend().map_components(nodes, lambda g: g.filter(pl.col("x") > 5)).shape == (0, 0)


# --- reading and writing canonical tables through the seam ----------------------------------------


def _transfers() -> pl.DataFrame:
    from datetime import datetime

    return pl.DataFrame(
        {
            "txn_id": ["t1", "t2", "t3"],
            "ts": [datetime(2026, 10, 1, 9), datetime(2026, 10, 2, 9), datetime(2026, 10, 3, 9)],
            "src_account": ["a1", "a2", "a3"],
            "dst_account": ["a2", "a3", "a4"],
            "amount": [100.0, 200.0, 300.0],
        }
    )


def test_duckdb_backend_appends_and_reads_a_span_of_a_table(tmp_path) -> None:
    from datetime import datetime

    from fraudkit.store import connect

    con = connect(tmp_path / "fk.duckdb")
    backend = DuckDBBackend(con=con)
    assert backend.write("transactions", _transfers()) == 3
    got = backend.read(
        "transactions", ["txn_id", "amount"], start=datetime(2026, 10, 2), end=datetime(2026, 10, 3, 9)
    ).sort("txn_id")
    assert got.columns == ["txn_id", "amount"]
    assert got["txn_id"].to_list() == ["t2"]  # start inclusive, end exclusive
    assert backend.read("transactions").columns[:3] == ["txn_id", "ts", "src_account"]  # schema order
    assert backend.read("transactions").height == 3


def test_duckdb_backend_runs_a_named_query_with_bound_values(tmp_path) -> None:
    from datetime import datetime

    from fraudkit.store import connect

    con = connect(tmp_path / "fk.duckdb")
    con.execute("CREATE TABLE scan_clusters (cluster_id VARCHAR, as_of TIMESTAMP, flagged BOOLEAN)")
    con.execute(
        "INSERT INTO scan_clusters VALUES ('c1', '2026-10-31', true), ('c2', '2026-10-31', false), "
        "('c3', '2026-10-30', true)"
    )
    got = DuckDBBackend(con=con).query("scan.FLAGGED", {"at": datetime(2026, 10, 31)})
    assert got["cluster_id"].to_list() == ["c1"]


def test_the_seam_says_which_engine_lacks_what() -> None:
    import duckdb

    from fraudkit.errors import ConfigError, EngineCapabilityError

    in_memory = DuckDBBackend(con=duckdb.connect())
    with pytest.raises(EngineCapabilityError, match="the duckdb engine cannot read the table 'calls' without a store"):
        DuckDBBackend().read("calls")
    with pytest.raises(ConfigError, match=r"the spark engine needs a lake to run the named query 'scan\.FLAGGED'"):
        SparkBackend().query("scan.FLAGGED")
    with pytest.raises(ConfigError, match="no canonical table 'call'"):
        in_memory.read("call")
    with pytest.raises(ConfigError, match="table 'calls' has no column 'duration'"):
        in_memory.read("calls", ["duration"])
    with pytest.raises(ConfigError, match=r"no named query 'scan\.NOPE'"):
        in_memory.query("scan.NOPE")


# --- the same cases on every engine (DuckDB store, Spark lake) ---------------------------------------


@pytest.fixture
def with_tables(backend, tmp_path):
    """The engine with a small world's tables in it: a DuckDB store, or a Parquet lake on Spark."""
    from fraudkit.engine.spark import SparkBackend
    from fraudkit.store import connect
    from fraudkit.synth import SynthConfig, generate_world

    world = generate_world(SynthConfig.preset("default", seed=2, subscribers=600))
    if isinstance(backend, SparkBackend):
        engine = SparkBackend(backend.settings, lake=tmp_path / "lake")
    else:
        engine = DuckDBBackend(con=connect(tmp_path / "fk.duckdb"))
    for name in ("calls", "transactions", "accounts"):
        assert engine.write(name, world.tables[name]) == world.tables[name].height
    return engine, world


@pytest.mark.engines
def test_a_span_of_a_table_reads_the_same_on_every_engine(with_tables) -> None:
    from datetime import datetime

    engine, world = with_tables
    start, end = datetime(2026, 10, 10), datetime(2026, 10, 12, 6)
    got = engine.read("transactions", ["txn_id", "ts", "amount"], start=start, end=end).sort("txn_id")
    expected = world.tables["transactions"].filter(pl.col("ts").is_between(start, end, closed="left"))
    assert got.height == expected.height > 0
    assert got["txn_id"].to_list() == sorted(expected["txn_id"].to_list())
    assert got.schema["ts"] == pl.Datetime("us") and str(got.schema["amount"]).startswith("Decimal")


@pytest.mark.engines
def test_a_named_query_gives_the_same_rows_on_every_engine(with_tables) -> None:
    from datetime import datetime

    engine, world = with_tables
    span = {"s": datetime(2026, 10, 10), "e": datetime(2026, 10, 11)}
    got = engine.query("model.ACTIVE_CALLERS", span).sort("key")
    calls = world.tables["calls"].filter(pl.col("start_time").is_between(span["s"], span["e"], closed="left"))
    assert got["key"].to_list() == sorted(calls["caller"].unique().to_list())
    assert got.height > 10


@pytest.mark.engines
def test_a_query_only_one_engine_can_run_names_the_engine_that_cannot(with_tables, engine: str) -> None:
    """The live loop's numbers query is written with DuckDB's interval functions."""
    from datetime import datetime

    from fraudkit.errors import EngineCapabilityError

    backend, _ = with_tables
    at = datetime(2026, 10, 20)
    params = {"first": at, "until": at, "since": at, "hook_first": at, "hook_since": at, "min_s": 60}
    if engine == "duckdb":
        assert backend.query("live.TICK_NUMBERS", params).height == 0  # an empty span: no numbers
    else:
        with pytest.raises(EngineCapabilityError, match=r"the spark engine cannot run the named query 'live\.TICK"):
            backend.query("live.TICK_NUMBERS", params)


def _money_sent_and_received(shard) -> pl.DataFrame:
    """Per account of the shard: what it sent and received (a function that must see both ends' rows).
    Defined at module level: Spark pickles it to its Python workers."""
    tx = shard.frames["transactions"]
    sent = tx.group_by(pl.col("src_account").alias("account")).agg(pl.col("amount").sum().alias("sent"))
    got = tx.group_by(pl.col("dst_account").alias("account")).agg(pl.col("amount").sum().alias("received"))
    both = sent.join(got, on="account", how="full", coalesce=True).fill_null(0.0)
    return shard.keep(both, "account", "account")


@pytest.mark.engines
def test_a_function_per_shard_gives_what_it_gives_on_all_the_rows(backend) -> None:
    from pyspark import cloudpickle

    from fraudkit.engine.shards import Owner, Sharding

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the executors cannot import this test file
    tx = pl.DataFrame(
        {
            "src_account": [f"a{i % 37}" for i in range(400)],
            "dst_account": [f"a{(i * 7) % 41}" for i in range(400)],
            "amount": [float(i % 13) for i in range(400)],
        }
    )
    sharding = Sharding({"transactions": (Owner("src_account", "account"), Owner("dst_account", "account"))})
    schema = {"account": pl.String(), "sent": pl.Float64(), "received": pl.Float64()}
    got = backend.map_shards({"transactions": tx}, sharding, _money_sent_and_received, schema, shards=5)
    expected = DuckDBBackend().map_shards({"transactions": tx}, sharding, _money_sent_and_received, schema, shards=1)
    assert got.height == expected.height == tx["src_account"].append(tx["dst_account"]).n_unique()
    assert_frame_equal(got.sort("account"), expected.sort("account"))
