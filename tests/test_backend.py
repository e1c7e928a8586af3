"""Backends against NetworkX as the oracle on seeded random graphs."""

from __future__ import annotations

import networkx as nx
import polars as pl
import pytest

from fraudkit.backend import get_backend
from fraudkit.errors import ConfigError


def _components_as_sets(frame: pl.DataFrame) -> set[frozenset[str]]:
    groups = frame.group_by("component").agg(pl.col("node"))
    return {frozenset(nodes) for nodes in groups["node"].to_list()}


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("backend_name", ["duckdb"])
def test_connected_components_match_networkx(seed: int, backend_name: str) -> None:
    graph = nx.gnm_random_graph(300, 260, seed=seed)
    # A long path makes sure labels travel far, not just one hop.
    nx.add_path(graph, range(1000, 1150))
    edges = pl.DataFrame(
        {"src": [f"A{u:05d}" for u, _ in graph.edges()], "dst": [f"A{v:05d}" for _, v in graph.edges()]}
    )
    got = get_backend(backend_name).connected_components(edges)
    expected = {
        frozenset(f"A{n:05d}" for n in comp)
        for comp in nx.connected_components(graph)
        if len(comp) > 1 or graph.degree(next(iter(comp))) > 0
    }
    assert _components_as_sets(got) == expected
    # The component id is the smallest member: deterministic across engines.
    smallest = got.group_by("component").agg(pl.col("node").min().alias("m"))
    assert (smallest["component"] == smallest["m"]).all()


def test_empty_edge_list_gives_no_components() -> None:
    got = get_backend().connected_components(
        pl.DataFrame({"src": [], "dst": []}, schema={"src": pl.Utf8, "dst": pl.Utf8})
    )
    assert got.height == 0


def test_planned_backend_is_named_in_the_error() -> None:
    with pytest.raises(ConfigError, match="spark"):
        get_backend("spark")
