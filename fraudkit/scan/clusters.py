"""Water-house clusters: components of the fast-flow subgraph, split and explained per component.

The component step is the backend's (DuckDB here, GraphFrames on Spark); everything
after it is a function of one component's edges, so it runs the same in both places.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import polars as pl

from fraudkit.backend import Backend

ROLES = ("collector", "layer", "cashout")


@dataclass(frozen=True)
class ClusterParams:
    min_cluster_size: int = 3
    split_above: int = 40
    """Components larger than this are split with Louvain communities (rings rarely exceed it)."""
    seed: int = 0


def find_components(edges: pl.DataFrame, backend: Backend) -> pl.DataFrame:
    """account -> component id over the (undirected) fast-flow edges."""
    return backend.connected_components(edges.select("src", "dst")).rename({"node": "account"})


def split_component(edges: pl.DataFrame, params: ClusterParams) -> list[set[str]]:
    """One component's clusters: itself, or its Louvain communities when it is too large to be one ring."""
    graph = nx.Graph()
    for src, dst, amount in edges.select("src", "dst", "amount").iter_rows():
        graph.add_edge(src, dst, weight=amount)
    if graph.number_of_nodes() <= params.split_above:
        return [set(graph.nodes)]
    communities = nx.community.louvain_communities(graph, weight="weight", seed=params.seed)
    return [set(c) for c in communities]


def clusters_from_edges(edges: pl.DataFrame, backend: Backend, params: ClusterParams) -> pl.DataFrame:
    """account -> cluster_id (smallest member id, so deterministic), dropping clusters below the minimum size."""
    if edges.height == 0:
        return pl.DataFrame(schema={"account": pl.Utf8, "cluster_id": pl.Utf8})
    components = find_components(edges, backend)
    tagged = edges.join(components.rename({"account": "src"}), on="src")

    def per_component(component_edges: pl.DataFrame) -> pl.DataFrame:
        rows: list[tuple[str, str]] = []
        for members in split_component(component_edges, params):
            if len(members) >= params.min_cluster_size:
                cluster_id = min(members)
                rows.extend((m, cluster_id) for m in sorted(members))
        return pl.DataFrame(rows, schema={"account": pl.Utf8, "cluster_id": pl.Utf8}, orient="row")

    result = backend.map_components(tagged, per_component)
    if result.height == 0:
        return pl.DataFrame(schema={"account": pl.Utf8, "cluster_id": pl.Utf8})
    return result.sort("cluster_id", "account")


def guess_typology(edges: pl.DataFrame, roles: dict[str, str], just_under_share: float) -> str:
    """The typology a cluster's internal flow looks like, from its shape: a hint for the investigator."""
    graph = nx.DiGraph()
    graph.add_edges_from(edges.select("src", "dst").iter_rows())
    if graph.number_of_nodes() == 0:
        return "unknown"
    if just_under_share >= 0.3:
        return "layered_split"
    try:
        nx.find_cycle(graph)
        return "cycle"
    except nx.NetworkXNoCycle:
        pass
    collectors = [n for n, r in roles.items() if r == "collector"]
    cashouts = [n for n, r in roles.items() if r == "cashout"]
    layers = [n for n, r in roles.items() if r == "layer"]
    longest = nx.dag_longest_path_length(graph)
    max_in = max((d for _, d in graph.in_degree()), default=0)
    max_out = max((d for _, d in graph.out_degree()), default=0)
    if not layers and len(collectors) <= 2 and max_out >= 3:
        return "fan_out"
    if longest >= 3 and max_out <= 2 and max_in <= 2:
        return "chain"
    if max_out >= 2 and max_in >= 2 and longest >= 2:
        return "scatter_gather"
    if len(cashouts) >= 1 and max_in >= 3:
        return "fan_in"
    return "chain" if longest >= 3 else "fan_in"
