"""Water-house clusters: components of the fast-flow subgraph, split and explained per component.

The component step is the backend's (one iterative SQL text, fraudkit.engine.components, on DuckDB or Spark); everything
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
    """The typology one cluster's internal flow looks like, from its shape: a hint for the investigator."""
    graph = _digraph(edges)
    if graph.number_of_nodes() == 0:
        return "unknown"
    counts = {role: sum(1 for r in roles.values() if r == role) for role in ROLES}
    return _typology(graph, just_under_share, counts["collector"], counts["layer"], counts["cashout"])


def guess_typologies(edges: pl.DataFrame, members: pl.DataFrame, evidence: pl.DataFrame) -> pl.DataFrame:
    """cluster_id -> typology for every cluster of ``evidence``, with edges and roles grouped by cluster once
    instead of filtered per cluster: the cost grows with the edges, not with clusters x edges.

    ``edges``: internal fast-flow edges (cluster_id, src, dst); ``members``: (cluster_id, role);
    ``evidence``: (cluster_id, just_under_share). Same answer as :func:`guess_typology` per cluster.
    """
    role_counts = members.group_by("cluster_id").agg((pl.col("role") == role).sum().alias(role) for role in ROLES)
    graphs = {key[0]: _digraph(group) for key, group in edges.select("cluster_id", "src", "dst").group_by("cluster_id")}
    rows = evidence.select("cluster_id", "just_under_share").join(role_counts, on="cluster_id", how="left")
    typologies = [
        _typology(graphs[cluster_id], just_under or 0.0, collectors or 0, layers or 0, cashouts or 0)
        if cluster_id in graphs
        else "unknown"
        for cluster_id, just_under, collectors, layers, cashouts in rows.select(
            "cluster_id", "just_under_share", *ROLES
        ).iter_rows()
    ]
    return pl.DataFrame(
        {"cluster_id": rows["cluster_id"], "typology": typologies}, schema={"cluster_id": pl.Utf8, "typology": pl.Utf8}
    )


def _digraph(edges: pl.DataFrame) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_edges_from(edges.select("src", "dst").iter_rows())
    return graph


def _typology(graph: nx.DiGraph, just_under_share: float, collectors: int, layers: int, cashouts: int) -> str:
    """The rules, on a cluster's non-empty internal flow graph and its role counts (one definition for both)."""
    if just_under_share >= 0.3:
        return "layered_split"
    try:
        nx.find_cycle(graph)
        return "cycle"
    except nx.NetworkXNoCycle:
        pass
    longest = nx.dag_longest_path_length(graph)
    max_in = max((d for _, d in graph.in_degree()), default=0)
    max_out = max((d for _, d in graph.out_degree()), default=0)
    if not layers and collectors <= 2 and max_out >= 3:
        return "fan_out"
    if longest >= 3 and max_out <= 2 and max_in <= 2:
        return "chain"
    if max_out >= 2 and max_in >= 2 and longest >= 2:
        return "scatter_gather"
    if cashouts >= 1 and max_in >= 3:
        return "fan_in"
    return "chain" if longest >= 3 else "fan_in"
