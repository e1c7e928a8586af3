"""Features computed per shard equal build_features' (same rows, columns, order and values): on one
local shard, on several local shards (the sharding rule without Spark) and on Spark local[2].

Besides a synthetic world, a hand-built world holds one scenario per dependency of a shard on rows of
entities it does not own (a phone's linked accounts, a payee that paid first, a shared handset, a
capped holder, a counterparty's holder), each repeated under several names so that its entities
fall in different shards; removing any one route of the sharding changes the features on it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta

import polars as pl
import pytest
from engine_cases import ON_SPARK
from polars.testing import assert_frame_equal

from fraudkit.engine.shards import BROADCAST, LocalShards, Sharding, shard_of, tag_frames
from fraudkit.engine.spark import SparkBackend
from fraudkit.errors import ConfigError
from fraudkit.features import build_features, load_frames
from fraudkit.features.sharded import (
    RESULT_SCHEMA,
    build_features_sharded,
    feature_shard_job,
    feature_sharding,
    split_features,
)
from fraudkit.store import connect
from fraudkit.synth import SynthConfig, generate_world, store_world
from fraudkit.timeutil import default_as_of

WINDOW = timedelta(days=7)
HISTORY = timedelta(days=30)
T = datetime(2024, 3, 10)
TS = pl.Datetime("us")
BEFORE = datetime(2024, 2, 20, 10)  # in the history, before the window
DURING = datetime(2024, 3, 8, 10)  # in the window
COPIES = 12
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "transactions": {
        "txn_id": pl.String(),
        "ts": TS,
        "src_account": pl.String(),
        "dst_account": pl.String(),
        "amount": pl.Float64(),
        "currency": pl.String(),
        "channel": pl.String(),
        "status": pl.String(),
    },
    "calls": {
        "call_id": pl.String(),
        "caller": pl.String(),
        "callee": pl.String(),
        "start_time": TS,
        "duration_s": pl.Int32(),
        "kind": pl.String(),
        "caller_imei": pl.String(),
        "cell_id": pl.String(),
        "roaming": pl.Boolean(),
    },
    "accounts": {
        "account_id": pl.String(),
        "holder_id": pl.String(),
        "phone": pl.String(),
        "bank": pl.String(),
        "opened_at": TS,
        "account_type": pl.String(),
        "region": pl.String(),
    },
    "subscribers": {
        "phone": pl.String(),
        "holder_id": pl.String(),
        "activated_at": TS,
        "region": pl.String(),
        "plan": pl.String(),
    },
    "reports": {
        "report_id": pl.String(),
        "reported_at": TS,
        "victim_phone": pl.String(),
        "victim_account": pl.String(),
        "fraud_phone": pl.String(),
        "fraud_account": pl.String(),
        "loss_amount": pl.Float64(),
    },
}


class World:
    """Rows of the canonical tables, added scenario by scenario."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {name: [] for name in SCHEMAS}

    def txn(self, ts: datetime, src: str, dst: str, amount: float) -> None:
        n = len(self.rows["transactions"])
        self.rows["transactions"].append(
            {"txn_id": f"t{n}", "ts": ts, "src_account": src, "dst_account": dst, "amount": amount, "status": "success"}
        )

    def call(self, ts: datetime, caller: str, callee: str, duration: int, imei: str | None = None) -> None:
        n = len(self.rows["calls"])
        self.rows["calls"].append(
            {"call_id": f"c{n}", "caller": caller, "callee": callee, "start_time": ts, "duration_s": duration}
            | {"kind": "voice", "caller_imei": imei, "roaming": False}
        )

    def account(self, account_id: str, holder: str, phone: str | None = None) -> None:
        self.rows["accounts"].append({"account_id": account_id, "holder_id": holder, "phone": phone})

    def sim(self, phone: str, holder: str | None) -> None:
        self.rows["subscribers"].append({"phone": phone, "holder_id": holder, "activated_at": datetime(2023, 1, 1)})

    def report(self, **row: object) -> None:
        self.rows["reports"].append({"report_id": f"r{len(self.rows['reports'])}", "reported_at": BEFORE, **row})

    def frames(self) -> dict[str, pl.DataFrame]:
        return {name: pl.DataFrame(rows, schema=SCHEMAS[name], orient="row") for name, rows in self.rows.items()}


def payee_paid_first(w: World, s: str) -> None:
    """A phone's account pays 6,000 to a payee who had paid that account before the window: not a new
    payee. The earlier transfer touches neither the phone nor its shard but through the link."""
    w.sim(f"pA{s}", f"hA{s}")
    w.account(f"aA{s}", f"hA{s}", f"pA{s}")
    w.account(f"bA{s}", f"hB{s}")
    w.txn(BEFORE, f"bA{s}", f"aA{s}", 100)
    w.txn(DURING, f"aA{s}", f"bA{s}", 6_000)


def shared_handset(w: World, s: str) -> None:
    """A phone calls from a handset another number used before the window: two SIMs on that IMEI."""
    w.call(DURING, f"pB{s}", f"xB{s}", 60, imei=f"IB{s}")
    w.call(BEFORE, f"qB{s}", f"yB{s}", 60, imei=f"IB{s}")


def capped_holder(w: World, s: str) -> None:
    """A payroll holder with 3 SIMs and 34 accounts (102 pairs > 100): its phones are linked to none of them,
    which a shard can tell only seeing every SIM and account of the holder."""
    for i in range(3):
        w.sim(f"pC{i}{s}", f"hC{s}")
        w.call(DURING, f"pC{i}{s}", f"zC{s}", 40)
    for i in range(34):
        w.account(f"aC{i:02d}{s}", f"hC{s}")
        w.txn(DURING, f"aC{i:02d}{s}", f"zC{s}", 100 + i)


def linked_elsewhere(w: World, s: str) -> None:
    """A phone whose holder's three accounts live in other shards: one paid a new payee 7,000 in the
    window, one paid 200 before it (the baseline), one never moved money (still counted as linked)."""
    w.sim(f"pD{s}", f"hD{s}")
    for i in (1, 2, 3):
        w.account(f"aD{i}{s}", f"hD{s}")
    w.account(f"eD{s}", f"hE{s}")
    w.txn(BEFORE, f"aD1{s}", f"oD{s}", 200)
    w.txn(DURING, f"aD2{s}", f"eD{s}", 7_000)


def registered_phone(w: World, s: str) -> None:
    """Two accounts registered with a phone that has no SIM row and no call: one pays out, one does not."""
    w.account(f"aE1{s}", f"hF{s}", f"pE{s}")
    w.account(f"aE2{s}", f"hF{s}", f"pE{s}")
    w.txn(DURING, f"aE1{s}", f"fE{s}", 300)


def counterparty_holder(w: World, s: str) -> None:
    """An account receives from its holder's other account and from a stranger: one unrelated sender;
    a phone's account pays 8,000 to its holder's other account: not a new payee."""
    w.account(f"aF{s}", f"hG{s}")
    w.account(f"bF{s}", f"hG{s}")
    w.account(f"cF{s}", f"hH{s}")
    w.txn(DURING, f"bF{s}", f"aF{s}", 50)
    w.txn(DURING, f"cF{s}", f"aF{s}", 60)
    w.sim(f"pG{s}", f"hI{s}")
    w.account(f"aG{s}", f"hI{s}")
    w.account(f"bG{s}", f"hI{s}")
    w.txn(DURING, f"aG{s}", f"bG{s}", 8_000)


def reported(w: World, s: str) -> None:
    """Reports name a fraud account an account pays and a fraud number that calls a phone."""
    w.report(fraud_account=f"xR{s}", fraud_phone=f"qR{s}")
    w.account(f"aR{s}", f"hR{s}")
    w.txn(DURING, f"aR{s}", f"xR{s}", 900)
    w.call(DURING, f"qR{s}", f"pR{s}", 30)


SCENARIOS: list[Callable[[World, str], None]] = [
    payee_paid_first,
    shared_handset,
    capped_holder,
    linked_elsewhere,
    registered_phone,
    counterparty_holder,
    reported,
]


def dependency_world() -> dict[str, pl.DataFrame]:
    w = World()
    for i in range(COPIES):
        for scenario in SCENARIOS:
            scenario(w, f"-{i}")
    return w.frames()


@pytest.fixture(scope="module")
def deps() -> dict[str, pl.DataFrame]:
    return dependency_world()


@pytest.fixture(scope="module")
def deps_expected(tmp_path_factory, deps) -> dict[str, pl.DataFrame]:
    """build_features on the dependency world, read from a DuckDB store as users run it."""
    con = connect(tmp_path_factory.mktemp("deps") / "deps.duckdb")
    for name, frame in deps.items():
        con.register("incoming", frame)
        con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM incoming")
        con.unregister("incoming")
    built = build_features(con, as_of=T, window=WINDOW, history=HISTORY)
    con.close()
    return built


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> tuple[dict[str, pl.DataFrame], datetime, dict[str, pl.DataFrame]]:
    """A small synthetic world in a store: (load_frames' frames, as_of, build_features' frames)."""
    db = tmp_path_factory.mktemp("sharded") / "world.duckdb"
    store_world(generate_world(SynthConfig(seed=5, subscribers=1_500, fraud_operations_per_100k=600.0)), db)
    con = connect(db)
    as_of = default_as_of(con)
    frames = {k: v.collect() for k, v in load_frames(con, as_of=as_of, window=WINDOW, history=HISTORY).items()}
    built = build_features(con, as_of=as_of, window=WINDOW, history=HISTORY)
    con.close()
    return frames, as_of, built


def assert_same_features(got: dict[str, pl.DataFrame], expected: dict[str, pl.DataFrame]) -> None:
    assert list(got) == ["account", "phone"]
    for name in expected:
        # same rows in the same order, same columns and types, values to 1e-9, nulls where nulls
        assert_frame_equal(got[name], expected[name], check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


def test_the_dependency_world_has_each_case(deps_expected) -> None:
    """The scenarios do what their docstrings say on the whole data, so a shard that misses a row shows."""
    account = deps_expected["account"].filter(pl.col("account_id").str.ends_with("-0"))
    phone = deps_expected["phone"].filter(pl.col("phone").str.ends_with("-0"))

    def get(frame: pl.DataFrame, key: str, feature: str) -> float:
        return frame.filter(pl.col(frame.columns[0]) == f"{key}-0")[feature].item()

    assert get(phone, "pA", "linked_new_payee_large_transfers") == 0  # the payee had paid first
    assert get(phone, "pB", "sims_per_imei") == 2
    assert get(phone, "pC0", "linked_accounts") == 0  # capped
    assert get(phone, "pD", "linked_accounts") == 3 and get(phone, "pD", "linked_new_payee_large_transfers") == 1
    assert get(phone, "pD", "first_new_payee_large_vs_history") == 7.0  # 7,000 / max(200, floor 1,000)
    assert get(phone, "pE", "linked_accounts") == 2 and get(phone, "pE", "linked_amount_out") == 300.0
    assert get(account, "aF", "unrelated_senders") == 1
    assert get(phone, "pG", "linked_new_payee_large_transfers") == 0
    assert get(account, "aR", "reported_fraud_counterparties") == 1
    assert get(phone, "pR", "calls_from_reported_fraud_numbers") == 1


def test_the_dependency_world_crosses_shards(deps) -> None:
    """In some copy of each scenario the phone's shard differs from where the rows it needs live."""
    keys = pl.Series([f"{k}-{i}" for i in range(COPIES) for k in ("pA", "aA", "bA", "pB", "qB", "yB", "pD", "aD3")])
    s = dict(zip(keys, pl.select(shard_of(pl.lit(keys), 3)).to_series(), strict=True))
    copies = range(COPIES)
    assert any(s[f"pA-{i}"] not in {s[f"aA-{i}"], s[f"bA-{i}"]} for i in copies)
    assert any(s[f"pB-{i}"] not in {s[f"qB-{i}"], s[f"yB-{i}"]} for i in copies)
    assert any(s[f"pD-{i}"] != s[f"aD3-{i}"] for i in copies)


def test_one_local_shard_is_build_features(synth) -> None:
    frames, as_of, expected = synth
    lazy = {name: frame.lazy() for name, frame in frames.items()}  # as load_frames gives them
    assert_same_features(build_features_sharded(lazy, as_of=as_of, window=WINDOW, history=HISTORY), expected)


@pytest.mark.parametrize("shards", [2, 3, 7])
def test_local_shards_equal_build_features(synth, deps, deps_expected, shards: int) -> None:
    frames, as_of, expected = synth
    assert_same_features(build_features_sharded(frames, as_of=as_of, shards=shards), expected)
    got = build_features_sharded(deps, as_of=T, window=WINDOW, history=HISTORY, shards=shards)
    assert_same_features(got, deps_expected)


def _without(sharding: Sharding, frame: str, index: int) -> Sharding:
    routes = sharding.routes[frame]
    if isinstance(routes, str):
        return Sharding({**sharding.routes, frame: ()}, sharding.derived)
    return Sharding({**sharding.routes, frame: routes[:index] + routes[index + 1 :]}, sharding.derived)


ROUTES = [
    (frame, i, BROADCAST if isinstance(route, str) else f"{type(route).__name__}({route.column})")
    for frame, routes in feature_sharding(T).routes.items()
    for i, route in enumerate([routes] if isinstance(routes, str) else routes)
]


@pytest.mark.parametrize(("frame", "index", "route"), ROUTES, ids=[f"{f}-{r}" for f, _, r in ROUTES])
def test_every_route_is_needed(deps, deps_expected, frame: str, index: int, route: str) -> None:
    """Without any one route some shard misses rows it needs (or cannot tell what it owns)."""
    sharding, fn, schema = feature_shard_job(as_of=T, window=WINDOW, history=HISTORY)
    fewer = _without(sharding, frame, index)
    differs = []
    for shards in (2, 3):
        got = split_features(LocalShards().map_shards(deps, fewer, fn, schema, shards=shards))
        differs += [not got[name].equals(deps_expected[name]) for name in deps_expected]
    assert any(differs), f"dropping {route} from {frame} changed nothing"


def test_a_row_goes_once_to_each_shard_that_needs_it(deps) -> None:
    tagged = tag_frames(deps, feature_sharding(T), 3)
    for name, frame in tagged.items():
        assert frame.select(*deps[name].columns, "__shard").is_duplicated().sum() == 0, name
    assert tagged["reports"].height == 3 * deps["reports"].height  # every shard gets every report


def test_shard_mistakes_are_one_line_errors(deps) -> None:
    with pytest.raises(ConfigError, match="shards must be at least 1"):
        build_features_sharded(deps, as_of=T, shards=0)
    partial = {k: v for k, v in deps.items() if k != "calls"}
    with pytest.raises(ConfigError, match="lacks the frame 'calls'") as error:
        build_features_sharded(partial, as_of=T, shards=2)
    assert "calls" in error.value.one_line()
    with pytest.raises(ConfigError, match="not a Polars frame"):
        build_features_sharded({**deps, "calls": deps["calls"].to_dicts()}, as_of=T, shards=2)


@pytest.mark.parametrize("shards", [1, 3])
def test_an_empty_world_gives_build_features_empty_frames(tmp_path, shards: int) -> None:
    got = build_features_sharded(World().frames(), as_of=T, window=WINDOW, history=HISTORY, shards=shards)
    expected = build_features(connect(tmp_path / "empty.duckdb"), as_of=T, window=WINDOW, history=HISTORY)
    assert got["account"].height == 0 and got["phone"].height == 0
    assert_same_features(got, expected)


def test_the_sharded_modules_import_without_pyspark() -> None:
    code = (
        "import sys, fraudkit.engine.spark_shards, fraudkit.features.sharded; "
        "assert 'pyspark' not in sys.modules, 'pyspark imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- Spark -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", [pytest.param("spark", marks=ON_SPARK)])
def test_spark_shards_equal_build_features(backend: SparkBackend, synth) -> None:
    from pyspark.sql import functions as F

    from fraudkit.engine.spark_shards import SparkShards, spark_shard_of

    frames, as_of, expected = synth
    got = build_features_sharded(frames, as_of=as_of, shards=3, runner=SparkShards(backend))
    assert_same_features(got, expected)
    # Spark places keys by its own hash: in some copy it too separates a phone from the rows it needs
    keys = [(f"{k}-{i}",) for i in range(COPIES) for k in ("pA", "aA", "bA")]
    keys = backend.session.createDataFrame(keys, "k string")
    s = dict(keys.select("k", spark_shard_of(F.col("k"), 3).alias("s")).collect())
    assert any(s[f"pA-{i}"] not in {s[f"aA-{i}"], s[f"bA-{i}"]} for i in range(COPIES))


@pytest.mark.parametrize("engine", [pytest.param("spark", marks=ON_SPARK)])
def test_spark_lake_to_lake_form(backend: SparkBackend, deps, deps_expected) -> None:
    """Spark DataFrames in (as read from a Parquet lake), one Spark DataFrame of both feature frames out,
    on the world of every cross-shard dependency."""
    from fraudkit.engine.spark import to_spark_arrow
    from fraudkit.engine.spark_shards import SparkShards

    spark = backend.session
    lake = {name: spark.createDataFrame(to_spark_arrow(frame)) for name, frame in deps.items()}
    sharding, fn, schema = feature_shard_job(as_of=T, window=WINDOW, history=HISTORY)
    out = SparkShards(backend).map_shards_frame(lake, sharding, fn, schema, shards=3)
    assert out.columns == list(RESULT_SCHEMA)
    result = pl.from_arrow(out.toArrow()).cast(RESULT_SCHEMA)
    assert_same_features(split_features(result), deps_expected)
