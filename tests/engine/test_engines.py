"""The same cases on every engine: connected components against NetworkX, and one Polars function
mapped over components, give the same frames on DuckDB and on Spark."""

from __future__ import annotations

import random
import sys
from itertools import pairwise

import networkx as nx
import polars as pl
import pytest
from engine_cases import ON_SPARK
from polars.testing import assert_frame_equal

from fraudkit.backend import Backend, DuckDBBackend
from fraudkit.engine.spark import SparkBackend, to_spark_arrow


def mixed_graph(seed: int) -> list[tuple[str, str]]:
    """One edge list holding every shape that has broken a components step: chains longer than
    2**6 with shuffled and with sorted ids, a star whose centre is not its smallest id, many small
    components, isolated edges, self loops, duplicated and reversed edges, and numeric-looking
    string ids ("9" sorts after "10"; "07" is not "7")."""
    rng = random.Random(seed)
    numbers = rng.sample(range(1, 10**6), 2000)
    ids = [f"0{n}" if rng.random() < 0.1 else str(n) for n in numbers]  # "0123" can never equal str(n)
    ids[0] = "账户7"  # a non-ASCII id sorts after every digit, byte-wise on every engine
    pool = iter(ids)

    def take(n: int) -> list[str]:
        return [next(pool) for _ in range(n)]

    edges: list[tuple[str, str]] = []
    chain = take(2**6 + rng.randrange(1, 40))
    edges += list(pairwise(chain))  # ids in random order along the chain
    ordered = sorted(take(2**6 + 1))
    edges += list(pairwise(ordered))  # smallest id at one end: the longest walk
    centre, *leaves = take(rng.randrange(15, 30))
    edges += [(centre, leaf) if rng.random() < 0.5 else (leaf, centre) for leaf in leaves]
    for _ in range(40):  # many small components: pairs and triangles
        members = take(rng.choice((2, 3)))
        edges += list(zip(members, members[1:] + members[:1], strict=False))
    loner, looped = take(2)
    edges += [(loner, loner), (chain[3], chain[3]), (looped, looped), (looped, next(pool))]
    random_part = take(120)
    graph = nx.gnm_random_graph(len(random_part), 100, seed=seed)
    edges += [(random_part[u], random_part[v]) for u, v in graph.edges()]
    edges += [edges[5], edges[7][::-1]]
    rng.shuffle(edges)
    return edges


def expected_components(edges: list[tuple[str, str]]) -> pl.DataFrame:
    graph = nx.DiGraph(edges)
    rows = [(node, min(comp)) for comp in nx.weakly_connected_components(graph) for node in comp]
    return pl.DataFrame(rows, schema={"node": pl.Utf8, "component": pl.Utf8}, orient="row").sort("node")


@pytest.mark.parametrize(
    ("engine", "seed"),
    # Spark on one graph: each JVM query costs 0.3-0.5 s
    [*(("duckdb", s) for s in (1, 2, 3, 4, 5)), pytest.param("spark", 1, marks=ON_SPARK)],
)
def test_connected_components_equal_networkx(backend: Backend, seed: int) -> None:
    edges = mixed_graph(seed)
    got = backend.connected_components(pl.DataFrame(edges, schema=["src", "dst"], orient="row"))
    # same members, the smallest id as the component's id, one row per node ordered by node
    assert_frame_equal(got, expected_components(edges))


SUMMARY = {"component": pl.Utf8, "src": pl.Utf8, "sent": pl.Float64, "partners": pl.UInt32, "first": pl.Utf8}


def component_summary(edges: pl.DataFrame) -> pl.DataFrame:
    """A real per-component function: each sender's money and partners, most money first; no rows
    for components whose total is below 200 (so some groups give nothing back)."""
    if edges["amount"].sum() < 200:
        return pl.DataFrame(schema=SUMMARY)
    return (
        edges.group_by("component", "src", maintain_order=True)
        .agg(
            pl.col("amount").sum().alias("sent"),
            pl.col("dst").n_unique().alias("partners"),
            pl.col("dst").first().alias("first"),
        )
        .sort("sent", descending=True, maintain_order=True)
    )


@pytest.mark.parametrize("engine", [pytest.param("spark", marks=ON_SPARK)])
def test_map_components_gives_the_duckdb_frame(backend: Backend) -> None:
    from pyspark import cloudpickle

    # the executors cannot import this test file (pytest put its folder on sys.path, not theirs)
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    rng = random.Random(3)
    rows = [(f"c{rng.randrange(30):02d}", f"a{rng.randrange(200)}", f"a{rng.randrange(200)}") for _ in range(600)]
    edges = pl.DataFrame(rows, schema=["component", "src", "dst"], orient="row").with_columns(
        amount=pl.Series([round(rng.uniform(0.5, 20.0), 2) for _ in rows])
    )
    local = DuckDBBackend().map_components(edges, component_summary)
    assert 0 < local["component"].n_unique() < edges["component"].n_unique()  # some groups gave rows, some none
    assert_frame_equal(backend.map_components(edges, component_summary), local)
    assert_frame_equal(backend.map_components(edges, component_summary, schema=SUMMARY), local)


@pytest.mark.parametrize("engine", [pytest.param("spark", marks=ON_SPARK)])
def test_spark_frames_in_and_out_give_the_same_answers(backend: SparkBackend) -> None:
    """The cluster forms (Spark DataFrames in and out, nothing through the driver) agree with the rest."""
    from pyspark import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    edges = [("b", "a"), ("c", "a"), ("d", "d"), ("10", "9"), ("9", "09"), ("x", "y")]
    spark = backend.session
    got = backend.components_frame(spark.createDataFrame(edges, "src string, dst string"))
    frame = pl.from_arrow(got.toArrow())
    assert isinstance(frame, pl.DataFrame)
    assert_frame_equal(frame.sort("node"), expected_components(edges))
    tagged = (
        pl.DataFrame(edges, schema=["src", "dst"], orient="row")
        .join(frame.rename({"node": "src"}), on="src")
        .with_columns(amount=pl.lit(150.0))
    )
    mapped = backend.map_frame(spark.createDataFrame(to_spark_arrow(tagged)), component_summary, SUMMARY)
    result = pl.from_arrow(mapped.toArrow())
    assert isinstance(result, pl.DataFrame)
    local = DuckDBBackend().map_components(tagged, component_summary)
    # Spark has no unsigned integers: partners comes back as a bigint
    assert_frame_equal(result.cast(SUMMARY).sort("component", "src"), local.sort("component", "src"))


def latest_per_group(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.group_by("component").agg(pl.col("ts").max().alias("latest"))


@pytest.mark.parametrize("engine", [pytest.param("spark", marks=ON_SPARK)])
def test_map_frame_takes_rows_with_timestamps(backend: SparkBackend) -> None:
    """Transfers carry times: the cluster form of the per-group map must take them (pyspark 4.3 asks a zone)."""
    from datetime import datetime

    from pyspark import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    rows = pl.DataFrame({"component": ["a", "a", "b"], "ts": [datetime(2026, 10, d) for d in (1, 3, 2)]})
    spark = backend.session
    schema = {"component": pl.Utf8, "latest": pl.Datetime("us")}
    mapped = backend.map_frame(spark.createDataFrame(to_spark_arrow(rows)), latest_per_group, schema)
    got = pl.from_arrow(mapped.toArrow())
    assert isinstance(got, pl.DataFrame)
    got = got.sort("component")
    assert got["component"].to_list() == ["a", "b"]
    assert got["latest"].dt.replace_time_zone(None).to_list() == [datetime(2026, 10, 3), datetime(2026, 10, 2)]
