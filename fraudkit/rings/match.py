"""Which known ring each of a scan's clusters continues: member overlap weighted by money.

A cluster and a ring are linked when the weight of the members they share is at least
``match_threshold`` of the smaller one's whole weight (the overlap coefficient), so a ring keeps its
id when it recruits or drops a few accounts, and a part that split off is still linked to it.
Links are then taken strongest first, each ring and cluster once: what is left over is lineage — a
cluster linked only to rings already taken splits from the strongest of them, a ring linked only to
clusters already taken merges into the ring that took its strongest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from fraudkit.rings.params import RingParams

c = pl.col

MEMBERS_SCHEMA = {"account": pl.String, "weight": pl.Float64}
"""Besides ``ring_id`` (known) or ``cluster_id`` (found): each member account and what it weighs."""


@dataclass(frozen=True)
class Matching:
    """``continued``: cluster -> (ring it continues, overlap); ``new``: clusters that start a ring, each
    with the ring it split from (None: a ring never seen); ``merged``: ring -> the ring it merged into."""

    continued: dict[str, tuple[str, float]] = field(default_factory=dict)
    new: dict[str, str | None] = field(default_factory=dict)
    merged: dict[str, str] = field(default_factory=dict)


def member_weights(members: pl.DataFrame, key: str, params: RingParams) -> pl.DataFrame:
    """``key``, ``account``, ``weight`` from member rows with ``money_in`` and ``money_out``: the money
    through the account (at least a cent, so a member never weighs nothing), or 1 each."""
    weight = (
        pl.max_horizontal(c("money_in").fill_null(0) + c("money_out").fill_null(0), pl.lit(0.01))
        if params.match == "money"
        else pl.lit(1.0)
    )
    return members.select(key, "account", weight.cast(pl.Float64).alias("weight"))


def links(known: pl.DataFrame, found: pl.DataFrame, params: RingParams) -> pl.DataFrame:
    """Every (ring, cluster) whose overlap reaches the threshold: ``ring_id``, ``cluster_id``, ``shared``
    (the weight in common, each shared member counted at the smaller of its two weights), ``overlap``;
    strongest first, ties broken by ids so the same scans always match alike."""
    ring_total = known.group_by("ring_id").agg(c("weight").sum().alias("_ring_total"))
    cluster_total = found.group_by("cluster_id").agg(c("weight").sum().alias("_cluster_total"))
    shared = (
        found.join(known, on="account", suffix="_known")
        .group_by("ring_id", "cluster_id")
        .agg(pl.min_horizontal("weight", "weight_known").sum().alias("shared"))
        .join(ring_total, on="ring_id")
        .join(cluster_total, on="cluster_id")
        .with_columns((c("shared") / pl.min_horizontal("_ring_total", "_cluster_total")).alias("overlap"))
    )
    return (
        shared.filter(c("overlap") >= params.match_threshold - 1e-12)
        .select("ring_id", "cluster_id", "shared", "overlap")
        .sort(["shared", "overlap", "ring_id", "cluster_id"], descending=[True, True, False, False])
    )


def match_clusters(known: pl.DataFrame, found: pl.DataFrame, params: RingParams) -> Matching:
    """Match this scan's clusters (``found``: cluster_id, account, weight) to the known rings'
    members now (``known``: ring_id, account, weight)."""
    linked = links(known, found, params).rows()
    continued: dict[str, tuple[str, float]] = {}
    taken: dict[str, str] = {}  # ring -> cluster
    for ring, cluster, _shared, overlap in linked:
        if ring not in taken and cluster not in continued:
            continued[cluster] = (ring, float(overlap))
            taken[ring] = cluster
    new: dict[str, str | None] = {}
    merged: dict[str, str] = {}
    for ring, cluster, _shared, _overlap in linked:  # strongest first: the first leftover link is lineage
        if cluster not in continued and cluster not in new:
            new[cluster] = ring
        if ring not in taken and ring not in merged:
            merged[ring] = continued[cluster][0] if cluster in continued else ring
    merged = {ring: into for ring, into in merged.items() if into != ring}
    for cluster in found["cluster_id"].unique(maintain_order=True).to_list():
        if cluster not in continued and cluster not in new:
            new[cluster] = None
    return Matching(continued=continued, new=new, merged=merged)
