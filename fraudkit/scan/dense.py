"""The dense detector: laundering rings found by the shape of their money over a long span, not its speed.

The fast detector needs money forwarded within hours; a ring that waits days between hops, or data with
one timestamp a day, gives it nothing to see. What such a ring still cannot hide is that it links accounts
that otherwise have nothing to do with each other, with more money than they pay anyone else, again and
again. In the spirit of Fraudar (Hooi et al., KDD 2016: dense blocks that camouflage cannot dilute) and
FlowScope (Li et al., AAAI 2020: flows source -> middle -> sink), but resistant to the camouflage of an
ordinary economy in a different way:

1. **Surprising links (DuckDB).** Over the span, per pair of accounts: their money, summed. A pair is kept
   when neither account is a hub (shops, employers and utilities have many counterparties: their links are
   the economy, Fraudar's "column weighting" taken to its limit), it carries real money (an amount floor
   read from the data's own pairs), it is not a standing order (rent, pay, bills: the same amount again and
   again) and the two accounts share no counterparty (family and friends know the same people; the
   recruits of a ring do not). On a world of 20,000 accounts this keeps a few thousand of 300,000 pairs.
2. **Dense blocks (NetworkX, on that small graph).** The 2-core of the surprising links: accounts with at
   least two of them, peeled until none has fewer (Fraudar's greedy peeling with unit weights): cycles,
   scatter-gather, stacked layers, bipartite rings and random walks. Then one-directional stars: an
   account that only sends (or only receives) surprising links, to at least ``min_star`` others: fan-out
   and fan-in, where there is no middle for money to pass through. Each block of at least
   ``min_cluster_size`` accounts is a cluster (``detector`` "dense").
3. **No-life blocks (DuckDB, then NetworkX).** An account with no ordinary life (not a hub, under
   ``no_life_share`` of its transfers with hubs, in standing orders or with its holder's own accounts)
   exists to move money; the links touching such accounts, where the other side has no life either or
   feeds at least ``no_life_partners`` of them, make connected parts: rings whose links carry sums under
   the floor, gather-scatter centres, chains. Shape "no_life".
4. **Score.** ``score = sqrt(density x cohesion)``: density is the block's internal money per member against
   the amount floor (``d / (d + floor)``), cohesion the share of its members' surprising and no-life money
   that stays inside the block. Flagged at ``flag_at`` (a no-life block at ``no_life_flag_at``). Evidence
   (victims, money in and out, roles, typology) is the water houses', over the span.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import networkx as nx
import polars as pl

from fraudkit.engine.sql import scan as sql
from fraudkit.store import Data, frame, registered

LINK_SCHEMA = {
    "src": pl.Utf8,
    "dst": pl.Utf8,
    "amount": pl.Float64,
    "n_txns": pl.Int64,
    "first_ts": pl.Datetime("us"),
    "last_ts": pl.Datetime("us"),
    "floor": pl.Float64,
    "hub_degree": pl.Int64,
}


@dataclass(frozen=True)
class DenseParams:
    """Settings of the dense detector (``[scan.dense]``); None is "auto", read from the span's data."""

    hub_degree: int | None = None
    """Accounts with more counterparty links than this (a two-way contact counts twice) are hubs, left out
    (auto: ``hub_factor`` x the ``hub_quantile`` of every account's, at least ``min_star``)."""
    hub_quantile: float = 0.99
    hub_factor: float = 2.0
    min_link_amount: float | None = None
    """Least money a pair must carry over the span (auto: the ``link_quantile`` of the pairs between non-hubs)."""
    link_quantile: float = 0.9
    standing_order_transfers: int = 3
    """A pair with this many transfers or more ..."""
    standing_order_spread: float = 0.05
    """... whose amounts vary by less than this (coefficient of variation) ..."""
    standing_order_days: int = 3
    """... or that all fall within this many days of the same day of the month ..."""
    standing_order_gaps: float = 0.1
    """... or whose gaps between transfers vary by less than this (coefficient of variation) is a standing
    order: pay, rent, bills come on a calendar; a ring's rounds come when the money does."""
    min_star: int = 5
    """Fewest surprising links of a one-directional star (fan-in, fan-out) ..."""
    star_min_transfers: int = 2
    """... each of them repeated at least this often: one payment each from several people to one account
    is how rent and shared bills look; a ring's star repeats as the money keeps coming."""
    no_life_share: float = 0.05
    """An account that is not a hub with less than this share of its transfers with hubs, in standing orders
    or with its holder's own accounts has no ordinary life: it exists to move money ..."""
    no_life_partners: int = 2
    """... and an account with an ordinary life joins its block when it is linked to at least this many such
    accounts (paying one friend who barely uses the account is ordinary; feeding two that do nothing else
    is not)."""
    min_cluster_size: int = 3
    split_above: int = 40
    """Blocks larger than this are split into their Louvain communities (rings rarely exceed it)."""
    seed: int = 0
    """Seed of that split."""
    flag_at: float = 0.5
    """Score at which a dense cluster is flagged."""
    no_life_flag_at: float = 0.25
    """Score at which a no-life block is flagged: lower, as its members' lack of any ordinary life is evidence
    already, which the money of its links (the score) does not count."""


@dataclass(frozen=True)
class DenseFinds:
    """The blocks (account, cluster_id, shape), the surprising links inside them (cluster_id, src, dst, ...),
    each block's score parts, and the hub degree and amount floor the span resolved to."""

    blocks: pl.DataFrame
    links: pl.DataFrame
    scores: pl.DataFrame
    hub_degree: int | None
    floor: float | None


def surprising_links(con: duckdb.DuckDBPyConnection, transfers: Data, params: DenseParams) -> pl.DataFrame:
    """The span's surprising links (:func:`fraudkit.engine.sql.scan.surprising_links`), one row per pair,
    with the amount floor and hub degree the span resolved to."""
    values = _hub_values(params) | {
        "floor": None if params.min_link_amount is None else float(params.min_link_amount),
        "fq": float(params.link_quantile),
        "so_gap": float(params.standing_order_gaps),
    }
    with registered(con, transfers, "dense_tx") as tx:
        links = frame(con, sql.surprising_links(tx), values, table="transactions")
    return links.cast(LINK_SCHEMA)  # type: ignore[arg-type]


def _hub_values(params: DenseParams) -> dict[str, object]:
    """The bound values of hubs and standing orders, which both of the detector's queries read."""
    return {
        "hub": None if params.hub_degree is None else int(params.hub_degree),
        "factor": float(params.hub_factor),
        "q": float(params.hub_quantile),
        "least": int(params.min_star),
        "so_n": int(params.standing_order_transfers),
        "so_cv": float(params.standing_order_spread),
        "so_days": int(params.standing_order_days),
    }


def no_life_links(con: duckdb.DuckDBPyConnection, transfers: Data, params: DenseParams) -> pl.DataFrame:
    """The span's links touching accounts with no ordinary life (:func:`fraudkit.engine.sql.scan.no_life_links`),
    one row per pair (src, dst, amount, n_txns, first_ts, last_ts)."""
    values = _hub_values(params) | {"life": float(params.no_life_share), "partners": int(params.no_life_partners)}
    with registered(con, transfers, "dense_tx") as tx:
        links = frame(con, sql.no_life_links(tx), values, table="transactions")
    schema = {k: v for k, v in LINK_SCHEMA.items() if k not in ("floor", "hub_degree")}
    return links.cast(schema)  # type: ignore[arg-type]


def dense_blocks(
    links: pl.DataFrame, params: DenseParams, exclude: set[str] | None = None, bare: pl.DataFrame | None = None
) -> pl.DataFrame:
    """account -> cluster_id (smallest member) and shape ("core", "star" or "no_life") of every block of
    ``links`` and then of ``bare`` (:func:`no_life_links`: its connected parts); accounts in ``exclude``
    (found by another detector already) are left out. Deterministic."""
    exclude = exclude or set()
    graph = _graph(links, exclude)
    rows: list[tuple[str, str, str]] = []
    taken: set[str] = set()
    if graph.number_of_nodes():
        core = nx.core_number(graph)
        for members in _split(graph.subgraph(n for n, c in core.items() if c >= 2), params):
            rows.extend((m, members[0], "core") for m in members)
            taken.update(members)
    kept = links.filter(
        ~pl.col("src").is_in(list(exclude))
        & ~pl.col("dst").is_in(list(exclude))
        & (pl.col("n_txns") >= params.star_min_transfers)
    )
    sends = kept.group_by("src").agg(pl.col("dst").alias("to")).rename({"src": "account"})
    gets = kept.group_by("dst").agg(pl.col("src").alias("from")).rename({"dst": "account"})
    ends = sends.join(gets, on="account", how="full", coalesce=True).sort("account")
    for account, to, got in ends.iter_rows():
        to, got = to or [], got or []
        if (len(to) >= params.min_star and not got) or (len(got) >= params.min_star and not to):
            if account in taken:
                continue
            members = sorted({account, *to, *got} - taken)
            if len(members) >= params.min_cluster_size:
                rows.extend((m, members[0], "star") for m in members)
                taken.update(members)
    if bare is not None:
        for members in _parts(bare, exclude | taken, params):
            rows.extend((m, members[0], "no_life") for m in members)
    return pl.DataFrame(rows, schema={"account": pl.Utf8, "cluster_id": pl.Utf8, "shape": pl.Utf8}, orient="row").sort(
        "cluster_id", "account"
    )


def _split(graph: nx.Graph, params: DenseParams) -> list[list[str]]:
    """The connected parts of ``graph`` of at least ``min_cluster_size`` accounts, each sorted, in order of
    their smallest member; a part larger than ``split_above`` is split into its Louvain communities
    (too large to be one ring)."""
    parts: list[list[str]] = []
    for component in nx.connected_components(graph):
        if len(component) > params.split_above:
            found = nx.community.louvain_communities(graph.subgraph(component), seed=params.seed)
            parts.extend(sorted(c) for c in found)
        else:
            parts.append(sorted(component))
    return sorted((p for p in parts if len(p) >= params.min_cluster_size), key=lambda p: p[0])


def _graph(links: pl.DataFrame, leave_out: set[str]) -> nx.Graph:
    """The undirected graph of ``links`` without the accounts of ``leave_out``."""
    graph = nx.Graph()
    graph.add_edges_from(
        (s, d) for s, d in links.select("src", "dst").iter_rows() if s not in leave_out and d not in leave_out
    )
    return graph


def _parts(links: pl.DataFrame, leave_out: set[str], params: DenseParams) -> list[list[str]]:
    """:func:`_split` of the graph of ``links`` without the accounts of ``leave_out``."""
    return _split(_graph(links, leave_out), params)


def score_blocks(blocks: pl.DataFrame, links: pl.DataFrame, floor: float | None, params: DenseParams) -> pl.DataFrame:
    """Per block: its internal surprising money and transfers, density, cohesion, ``score`` and ``flagged``."""
    if blocks.height == 0:
        return pl.DataFrame(
            schema={
                "cluster_id": pl.Utf8,
                "shape": pl.Utf8,
                "members": pl.UInt32,
                "link_flow": pl.Float64,
                "link_txns": pl.Int64,
                "score_density": pl.Float64,
                "score_cohesion": pl.Float64,
                "score": pl.Float64,
                "flagged": pl.Boolean,
            }
        )
    of = blocks.select("account", "cluster_id")
    tagged = links.join(of.rename({"account": "src", "cluster_id": "src_block"}), on="src", how="left").join(
        of.rename({"account": "dst", "cluster_id": "dst_block"}), on="dst", how="left"
    )
    internal = (
        tagged.filter(pl.col("src_block") == pl.col("dst_block"))
        .group_by(pl.col("src_block").alias("cluster_id"))
        .agg(pl.col("amount").sum().alias("link_flow"), pl.col("n_txns").sum().alias("link_txns"))
    )
    touching = (
        pl.concat(
            [
                tagged.filter(pl.col("src_block").is_not_null()).select(
                    pl.col("src_block").alias("cluster_id"), "amount", "src", "dst"
                ),
                tagged.filter(
                    pl.col("dst_block").is_not_null() & (pl.col("dst_block") != pl.col("src_block").fill_null(""))
                ).select(pl.col("dst_block").alias("cluster_id"), "amount", "src", "dst"),
            ]
        )
        .group_by("cluster_id")
        .agg(pl.col("amount").sum().alias("touching_flow"))
    )
    size = blocks.group_by("cluster_id").agg(pl.len().alias("members"), pl.col("shape").first())
    scale = float(floor) if floor else 1.0
    density = pl.col("link_flow") / pl.col("members")
    return (
        size.join(internal, on="cluster_id", how="left")
        .join(touching, on="cluster_id", how="left")
        .with_columns(pl.col("link_flow").fill_null(0.0), pl.col("link_txns").fill_null(0))
        .with_columns(
            score_density=density / (density + scale),
            score_cohesion=(pl.col("link_flow") / pl.col("touching_flow").clip(lower_bound=1.0)).clip(0.0, 1.0),
        )
        .with_columns(score=(pl.col("score_density") * pl.col("score_cohesion")).sqrt())
        .with_columns(
            flagged=pl.col("score")
            >= pl.when(pl.col("shape") == "no_life").then(params.no_life_flag_at).otherwise(params.flag_at)
        )
        .select(
            "cluster_id",
            "shape",
            "members",
            "link_flow",
            "link_txns",
            "score_density",
            "score_cohesion",
            "score",
            "flagged",
        )
        .sort("cluster_id")
    )


def find_dense(
    con: duckdb.DuckDBPyConnection, transfers: Data, params: DenseParams, exclude: set[str] | None = None
) -> DenseFinds:
    """The dense detector's blocks over the span's ``transfers`` (as :func:`fraudkit.scan.flows.window_transactions`
    gives them), leaving out the accounts of ``exclude``."""
    surprising = surprising_links(con, transfers, params)
    floor = float(surprising["floor"][0]) if surprising.height else None
    hub = int(surprising["hub_degree"][0]) if surprising.height else params.hub_degree
    bare = no_life_links(con, transfers, params)
    blocks = dense_blocks(surprising, params, exclude, bare=bare)
    links = pl.concat([surprising.drop("floor", "hub_degree"), bare]).unique(["src", "dst"], keep="first")
    links = links.sort("src", "dst")
    of = blocks.select("account", "cluster_id")
    inside = (
        links.join(of.rename({"account": "src"}), on="src")
        .join(of.rename({"account": "dst", "cluster_id": "dst_block"}), on="dst")
        .filter(pl.col("cluster_id") == pl.col("dst_block"))
        .drop("dst_block")
    )
    return DenseFinds(
        blocks=blocks, links=inside, scores=score_blocks(blocks, links, floor, params), hub_degree=hub, floor=floor
    )
