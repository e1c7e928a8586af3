"""Per-account features of the transfer graph over a long history: where an account sits in the flow of money.

Laundering spread over weeks (fan-in, fan-out, cycles, scatter-gather) leaves few traces in a
single account's week, but a clear one in the graph of who paid whom over months: mules sit
between many counterparties that do not know each other, in dense cores, with money that
comes in and goes out in equal measure. The whole-graph measures (pagerank, k-core, local
clustering) run in igraph (C), the per-account sums in Polars; one row per account with a
successful transfer in [T - history, T).

The neighbour aggregates read no label: the share of counterparties the scan put in a flagged
cluster as of T, or that a report filed before T names as a fraud account, are data a centre
has at T (``flagged`` and ``reports``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from fraudkit.errors import ConfigError
from fraudkit.features.engine import in_pieces
from fraudkit.features.params import TimeFrame
from fraudkit.features.prepare import (
    ID,
    identifier_code,
    reports_before,
    to_cents,
    transactions_in_history,
    transfer_legs,
)
from fraudkit.features.spec import HISTORY, REPORTS, SCAN, FeatureSet, ratio

c = pl.col
MICROS_PER_DAY = 86_400_000_000
GRAPH = FeatureSet(entity="account", key="account_id", producer="graph_features")
_f = GRAPH.define


@dataclass(frozen=True)
class GraphParams:
    """The look-back of the transfer graph and what counts as a round amount in it.

    ``history``: transfers in [T - history, T) make the graph (months: slow rings show over weeks).
    ``round_unit``: an amount that is a whole multiple of it is round (hundreds, in data whose
    amounts are in the hundreds; the per-week features' own ``round_unit`` is 1,000).
    ``damping``: pagerank's damping factor.
    ``relay_within`` and ``relay_fee``: a transfer in is relayed when a single transfer out to another
    account follows it within ``relay_within`` for between (1 - relay_fee) and 1 times its amount:
    a mule passing money on, its cut kept, days later.
    ``hub_quantile`` and ``hub_factor``: an account with more distinct counterparties than
    ``hub_factor`` x the ``hub_quantile`` of every account's is a hub (a shop, an employer, a
    utility: where ordinary life pays and is paid; the scan's dense detector draws the same line).
    ``no_life_share``: a counterparty with less than this share of its transfers with hubs has no
    ordinary life in the data: an account that exists only to move money.
    """

    history: timedelta = timedelta(days=90)
    round_unit: float = 100.0
    damping: float = 0.85
    relay_within: timedelta = timedelta(days=14)
    relay_fee: float = 0.05
    hub_quantile: float = 0.99
    hub_factor: float = 2.0
    no_life_share: float = 0.05

    def __post_init__(self) -> None:
        if self.history <= timedelta(0):
            raise ConfigError("graph history must be positive")
        if self.round_unit <= 0:
            raise ConfigError(f"round_unit must be positive, got {self.round_unit}")
        if not 0 < self.damping < 1:
            raise ConfigError(f"damping must be in (0, 1), got {self.damping}")
        if self.relay_within <= timedelta(0):
            raise ConfigError("relay_within must be positive")
        if not 0 < self.relay_fee < 1:
            raise ConfigError(f"relay_fee must be in (0, 1), got {self.relay_fee}")
        if not 0 < self.hub_quantile <= 1:
            raise ConfigError(f"hub_quantile must be in (0, 1], got {self.hub_quantile}")
        if self.hub_factor <= 0:
            raise ConfigError(f"hub_factor must be positive, got {self.hub_factor}")
        if not 0 < self.no_life_share < 1:
            raise ConfigError(f"no_life_share must be in (0, 1), got {self.no_life_share}")


DEFAULT_GRAPH_PARAMS = GraphParams()

_f("in_degree", c("_in_deg"), "distinct senders over the history", window=HISTORY, kind="count")
_f("out_degree", c("_out_deg"), "distinct receivers over the history", window=HISTORY, kind="count")
_f("weighted_in_degree", c("_in_cents") / 100, "money received over the history", window=HISTORY, kind="amount")
_f("weighted_out_degree", c("_out_cents") / 100, "money paid out over the history", window=HISTORY, kind="amount")
_f(
    "transfers_history",
    c("_n"),
    "transfers in and out over the history",
    window=HISTORY,
    kind="count",
)
_f(
    "pagerank",
    c("_pagerank"),
    "pagerank of the account in the directed transfer graph weighted by money, times the number of "
    "accounts (1 is average): money flowing towards it from accounts that themselves receive a lot",
    window=HISTORY,
    kind="score",
)
_f(
    "core_number",
    c("_core"),
    "k-core number in the undirected graph of counterparties: the largest k such that the account "
    "sits in a group where every account has at least k counterparties inside it",
    window=HISTORY,
    kind="count",
)
_f(
    "clustering",
    c("_clustering"),
    "local clustering coefficient (undirected): share of pairs of its counterparties that also "
    "transact with each other; 0 with fewer than two counterparties",
    window=HISTORY,
    kind="ratio",
)
_f(
    "reciprocity",
    ratio(c("_mutual"), c("_deg")),
    "share of its counterparties with transfers both ways (it pays them and they pay it)",
    window=HISTORY,
    kind="ratio",
)
_f(
    "first_active_days",
    c("_first_us") / MICROS_PER_DAY,
    "days from its first transfer in the history to T",
    window=HISTORY,
    kind="duration",
    fill=-1.0,
)
_f(
    "last_active_days",
    c("_last_us") / MICROS_PER_DAY,
    "days from its last transfer in the history to T",
    window=HISTORY,
    kind="duration",
    fill=-1.0,
)
_f("active_days", c("_days"), "distinct days with a transfer in or out over the history", window=HISTORY, kind="count")
_f(
    "amount_cv",
    ratio(c("_std_cents"), c("_mean_cents")),
    "coefficient of variation of its transfer amounts (in and out) over the history: "
    "standard deviation / mean; 0 with one transfer",
    window=HISTORY,
    kind="ratio",
)
_f(
    "round_share_history",
    ratio(c("_round_n"), c("_n")),
    "share of its transfers over the history whose amount is a whole multiple of round_unit (default 100)",
    window=HISTORY,
    kind="ratio",
)
_f(
    "flow_balance",
    ratio(c("_in_cents") - c("_out_cents"), c("_in_cents") + c("_out_cents")),
    "(money in - money out) / (money in + money out) over the history: near 0 for an account "
    "that passes on what it gets, 1 for one that only receives, -1 for one that only pays",
    window=HISTORY,
    kind="ratio",
)
_f(
    "neighbour_pagerank",
    c("_nb_pagerank"),
    "mean pagerank (as above) of its counterparties",
    window=HISTORY,
    kind="score",
)
_f(
    "neighbour_degree",
    c("_nb_degree"),
    "mean number of distinct counterparties of its counterparties",
    window=HISTORY,
    kind="ratio",
)
_f(
    "flagged_neighbour_share",
    ratio(c("_nb_flagged"), c("_deg")),
    "share of its counterparties in a cluster the scan flagged as of T",
    window=f"{HISTORY}; {SCAN}",
    kind="ratio",
)
_f(
    "reported_neighbour_share",
    ratio(c("_nb_reported"), c("_deg")),
    "share of its counterparties named as fraud_account in reports filed before T",
    window=f"{HISTORY}; {REPORTS}",
    kind="ratio",
)

_f(
    "relayed_share",
    ratio(c("_relayed_cents"), c("_in_cents")),
    "share of the money received over the history that was relayed: followed within relay_within "
    "(default 14 days) by a single transfer out to another account of (1 - relay_fee) to 1 times "
    "its amount (relay_fee default 5%)",
    window=HISTORY,
    kind="ratio",
)
_f(
    "relayed_transfers",
    c("_relayed_n"),
    "transfers received over the history that were relayed (as above)",
    window=HISTORY,
    kind="count",
)
_f(
    "relay_partners_relaying",
    c("_relay_partners"),
    "distinct accounts it relayed money from or to that relay money themselves: links of a chain",
    window=HISTORY,
    kind="count",
)
_f(
    "outflow_passed_on_share",
    ratio(c("_out_passed_cents"), c("_out_cents")),
    "share of the money it paid out over the history that the receiver relayed (as above): the first link of a chain",
    window=HISTORY,
    kind="ratio",
)
_f(
    "inflow_relayed_share",
    ratio(c("_in_relayed_cents"), c("_in_cents")),
    "share of the money it received over the history that the sender was relaying (as above): the last link of a chain",
    window=HISTORY,
    kind="ratio",
)
_f(
    "neighbour_chain_share",
    c("_nb_chain_mean"),
    "mean over its counterparties of their largest share of money in a chain: relayed, paid to an "
    "account that relayed it, or received from one relaying it (each as above)",
    window=HISTORY,
    kind="ratio",
)
_f(
    "neighbours_in_chains",
    c("_nb_chain_n"),
    "counterparties with more than half of their money in or out in a chain (as above)",
    window=HISTORY,
    kind="count",
)
_f(
    "neighbour_max_relayed_share",
    c("_nb_relayed_max"),
    "largest relayed_share (as above) among its counterparties",
    window=HISTORY,
    kind="ratio",
)


# Ordinary life: most accounts pay shops and bills and are paid by employers (hubs); an account
# that exists only to move money trades with none of them, and neither do the accounts it trades
# with. "Ordinary counterparties" below are those that are not hubs and not held by the same holder.
_f(
    "hub_transfer_share",
    c("_hub_share"),
    "share of its transfers over the history with hubs (accounts with more distinct counterparties "
    "than hub_factor x the hub_quantile of every account's, default 2 x the 99th percentile: shops, "
    "employers, utilities): how much ordinary life it has",
    window=HISTORY,
    kind="ratio",
)
_f(
    "same_holder_partners",
    c("_same_holder"),
    "counterparties held by the same holder (accounts.holder_id): money moved between one's own accounts",
    window=HISTORY,
    kind="count",
)
_f(
    "neighbour_min_hub_share",
    c("_nb_min_hub"),
    "least hub_transfer_share (as above) among its ordinary counterparties (not hubs, not the same holder); "
    "-1 with none",
    window=HISTORY,
    kind="ratio",
    fill=-1.0,
)
_f(
    "neighbour_mean_hub_share",
    c("_nb_mean_hub"),
    "mean hub_transfer_share (as above) of its ordinary counterparties; -1 with none",
    window=HISTORY,
    kind="ratio",
    fill=-1.0,
)
_f(
    "neighbour_min_transfers",
    c("_nb_min_n"),
    "fewest transfers over the history of one of its ordinary counterparties; -1 with none",
    window=HISTORY,
    kind="count",
    fill=-1.0,
)
_f(
    "no_life_partners",
    c("_no_life_n"),
    "ordinary counterparties with no ordinary life: under no_life_share (default 5%) of their transfers "
    "with hubs or between their holder's own accounts",
    window=HISTORY,
    kind="count",
)
_f(
    "no_life_money_share",
    ratio(c("_no_life_cents"), c("_in_cents") + c("_out_cents")),
    "share of its money in and out over the history moved with counterparties with no ordinary life (as above)",
    window=HISTORY,
    kind="ratio",
)
_f(
    "no_life_stranger_money_share",
    ratio(c("_no_life_stranger_cents"), c("_in_cents") + c("_out_cents")),
    "share of its money in and out over the history moved with counterparties with no ordinary life "
    "that are strangers to it (as below): a friend who barely uses the account shares friends with it",
    window=HISTORY,
    kind="ratio",
)
_f(
    "stranger_partners",
    c("_strangers"),
    "ordinary counterparties with which it shares no other non-hub counterparty: family and friends "
    "know the same people, a ring's recruits know each other only through the ring",
    window=HISTORY,
    kind="count",
)
_f(
    "neighbour_max_no_life_money_share",
    c("_nb_max_no_life_money"),
    "largest no_life_money_share (as above) among its ordinary counterparties: one hop further along a ring",
    window=HISTORY,
    kind="ratio",
)
_f(
    "no_life_neighbour_max_strangers",
    c("_no_life_nb_strangers"),
    "most stranger_partners (as above) of one of its counterparties with no ordinary life: an account "
    "that only moves money between people who do not know each other",
    window=HISTORY,
    kind="count",
)
_f(
    "neighbour_max_no_life_partners",
    c("_nb_max_no_life_n"),
    "largest no_life_partners (as above) among its ordinary counterparties",
    window=HISTORY,
    kind="count",
)


def _ordinary_life(
    pairs: pl.DataFrame, degree: np.ndarray, transfers: pl.DataFrame, holder: pl.DataFrame, params: GraphParams
) -> pl.DataFrame:
    """Per vertex ``_v``: the ordinary-life measures above (``_hub_share`` ... ``_nb_max_no_life_n``).

    ``pairs``: undirected pairs (``_v``, ``_u``, both ways) with their money ``_cents`` and transfers
    ``_k``; ``degree``: distinct counterparties per vertex; ``transfers``: ``_v``, ``_n`` (transfers)
    and ``_money`` (cents in and out); ``holder``: ``_v``, ``_holder`` (null when unknown).
    """
    cut = params.hub_factor * float(np.quantile(degree, params.hub_quantile)) if degree.size else 0.0
    vertex = pl.DataFrame({"_v": np.arange(degree.size, dtype=np.uint32), "_hub": degree > cut}).join(
        holder, on="_v", how="left"
    )
    of_u = vertex.rename({"_v": "_u", "_hub": "_u_hub", "_holder": "_u_holder"})
    # not sorted: what is read of it is summed in integers or sorted again (``ordinary``)
    tagged = pairs.join(vertex, on="_v").join(of_u, on="_u")
    own = (c("_holder") == c("_u_holder")).fill_null(False)
    hub_share = tagged.group_by("_v").agg(
        (c("_k").filter(c("_u_hub")).sum() / c("_k").sum()).alias("_hub_share"),
        (c("_k").filter(c("_u_hub") | own).sum() / c("_k").sum()).alias("_life_share"),
        own.sum().alias("_same_holder"),
    )
    plain = tagged.filter(~c("_hub") & ~c("_u_hub")).select("_v", "_u")
    shared = (
        plain.join(plain.rename({"_u": "_w", "_v": "_x"}), left_on="_u", right_on="_x")  # v - u - w
        .filter(c("_w") != c("_v"))
        .join(plain.rename({"_u": "_w"}), on=["_v", "_w"], how="semi")  # and v - w: w is shared
        .select("_v", "_u", pl.lit(True).alias("_shared"))
        .unique()
    )
    ordinary = (
        tagged.filter(~c("_u_hub") & (c("_holder") != c("_u_holder")).fill_null(True))
        .join(shared, on=["_v", "_u"], how="left")
        .with_columns((~c("_hub") & c("_shared").is_null()).alias("_stranger"))
        .sort("_v", "_u")
    )
    first = (
        ordinary.join(
            hub_share.select(c("_v").alias("_u"), c("_hub_share").alias("_u_share"), c("_life_share").alias("_u_life")),
            on="_u",
        )
        .join(transfers.select(c("_v").alias("_u"), c("_n").alias("_u_n")), on="_u")
        .with_columns((c("_u_life") < params.no_life_share).alias("_u_no_life"))
        .sort("_v", "_u")
        .group_by("_v", maintain_order=True)
        .agg(
            c("_u_share").min().alias("_nb_min_hub"),
            c("_u_share").mean().alias("_nb_mean_hub"),
            c("_u_n").min().alias("_nb_min_n"),
            c("_u_no_life").sum().alias("_no_life_n"),
            c("_cents").filter(c("_u_no_life")).sum().alias("_no_life_cents"),
            c("_cents").filter(c("_u_no_life") & c("_stranger")).sum().alias("_no_life_stranger_cents"),
            c("_stranger").sum().alias("_strangers"),
        )
    )
    measures = (
        vertex.select("_v")
        .join(hub_share, on="_v", how="left")
        .join(first, on="_v", how="left")
        .join(transfers.select("_v", "_money"), on="_v", how="left")
        .with_columns(
            (c("_no_life_cents").fill_null(0) / c("_money")).fill_nan(0.0).fill_null(0.0).alias("_nl_share"),
            c("_no_life_n").fill_null(0),
        )
    )
    second = (
        ordinary.select("_v", "_u")
        .join(measures.select(c("_v").alias("_u"), "_nl_share", "_no_life_n", "_strangers", "_life_share"), on="_u")
        .group_by("_v")
        .agg(
            c("_nl_share").max().alias("_nb_max_no_life_money"),
            c("_no_life_n").max().alias("_nb_max_no_life_n"),
            c("_strangers").filter(c("_life_share") < params.no_life_share).max().alias("_no_life_nb_strangers"),
        )
    )
    return measures.drop("_money", "_nl_share", "_life_share").join(second, on="_v", how="left")


def _relays(txns: pl.LazyFrame, params: GraphParams) -> pl.LazyFrame:
    """Every (transfer in, transfer out) pair of an account where the out passes the in on (``GraphParams``).

    Amounts are bucketed on a log scale one ``relay_fee`` wide, so a transfer in meets only the
    transfers out of its own and the next lower bucket, not every transfer out of its account.
    """
    width = float(np.log(1.0 / (1.0 - params.relay_fee)))
    bucket = (c("cents").cast(pl.Float64).log() / width).floor().cast(pl.Int64).alias("_b")
    ins = txns.select(
        c("dst").alias("account"),
        c("src").alias("_from"),
        c("ts").alias("_t_in"),
        c("cents").alias("_c_in"),
        c("_x").alias("_i"),
        bucket,
    )
    outs = txns.select(
        c("src").alias("account"),
        c("dst").alias("_to"),
        c("ts").alias("_t_out"),
        c("cents").alias("_c_out"),
        c("_x").alias("_o"),
        bucket,
    )
    candidates = pl.concat([outs, outs.with_columns(c("_b") + 1)])
    return ins.join(candidates, on=["account", "_b"]).filter(
        (c("_c_out") <= c("_c_in"))
        & (c("_c_out").cast(pl.Float64) >= c("_c_in").cast(pl.Float64) * (1.0 - params.relay_fee))
        & (c("_t_out") > c("_t_in"))
        & (c("_t_out") <= c("_t_in") + params.relay_within)
        & (c("_to") != c("_from"))
    )


def _relay_measures(txns: pl.LazyFrame, params: GraphParams) -> pl.LazyFrame:
    """Per account: money and transfers in relayed, how many of its relay partners relay too, and
    the money at either end of someone else's relay (paid to an account that passed it on; received
    from one that had just received it). ``txns`` carry a transfer index ``_x``."""
    pairs = _relays(txns, params).collect().lazy()
    relayed = (
        pairs.unique("_i")
        .group_by("account")
        .agg(c("_c_in").sum().alias("_relayed_cents"), pl.len().alias("_relayed_n"))
    )
    relayers = relayed.select(c("account").alias("_partner"))
    partners = pl.concat(
        [pairs.select("account", c("_from").alias("_partner")), pairs.select("account", c("_to").alias("_partner"))]
    ).unique()
    linked = (
        partners.join(relayers, on="_partner", how="semi").group_by("account").agg(pl.len().alias("_relay_partners"))
    )
    passed_on = pairs.select(c("_i").alias("_x")).unique()
    relayed_on = pairs.select(c("_o").alias("_x")).unique()
    paid_and_passed = (
        txns.join(passed_on, on="_x", how="semi")
        .group_by(c("src").alias("account"))
        .agg(c("cents").sum().alias("_out_passed_cents"))
    )
    received_relayed = (
        txns.join(relayed_on, on="_x", how="semi")
        .group_by(c("dst").alias("account"))
        .agg(c("cents").sum().alias("_in_relayed_cents"))
    )
    ends = paid_and_passed.join(received_relayed, on="account", how="full", coalesce=True)
    return relayed.join(linked, on="account", how="left").join(ends, on="account", how="full", coalesce=True)


def _per_account(txns: pl.LazyFrame, tf: TimeFrame, params: GraphParams) -> pl.LazyFrame:
    """Sums, spread and activity days per account from both legs of every transfer."""
    legs = transfer_legs(txns).sort("account", "ts", "cents", "is_out", "counterparty").collect()  # one order
    is_out = c("is_out")
    sums = (
        legs.lazy()
        .group_by("account", maintain_order=True)
        .agg(
            c("cents").filter(~is_out).sum().alias("_in_cents"),
            c("cents").filter(is_out).sum().alias("_out_cents"),
            pl.len().alias("_n"),
            (pl.lit(tf.as_of) - c("ts").min()).dt.total_microseconds().alias("_first_us"),
            (pl.lit(tf.as_of) - c("ts").max()).dt.total_microseconds().alias("_last_us"),
            c("ts").dt.date().n_unique().alias("_days"),
            ((c("cents") % to_cents(params.round_unit)) == 0).sum().alias("_round_n"),
        )
    )
    return sums.join(_spread(legs).lazy(), on="account", how="left", maintain_order="left")


def _spread(legs: pl.DataFrame) -> pl.DataFrame:
    """Per account (``legs`` sorted by account): mean and standard deviation of its amounts, summed in numpy
    in the rows' order (Polars' parallel float sums differ in the last bits from run to run)."""
    if legs.is_empty():
        return pl.DataFrame(
            schema={"account": legs.schema["account"], "_mean_cents": pl.Float64, "_std_cents": pl.Float64}
        )
    # an account's rows lie together: where the category code changes (the text, for text accounts)
    account = legs["account"].to_physical().to_numpy() if legs.schema["account"] == ID else legs["account"].to_numpy()
    cents = legs["cents"].cast(pl.Float64).to_numpy()
    starts = np.flatnonzero(np.r_[True, account[1:] != account[:-1]])
    counts = np.diff(np.r_[starts, len(account)])
    mean = np.add.reduceat(cents, starts) / counts
    deviation = cents - np.repeat(mean, counts)
    std = np.sqrt(np.add.reduceat(deviation * deviation, starts) / counts)
    return pl.DataFrame({"account": legs["account"].gather(starts), "_mean_cents": mean, "_std_cents": std})


def _whole_graph(edges: pl.DataFrame, n: int, params: GraphParams) -> dict[str, np.ndarray]:
    """Pagerank (directed, money-weighted), core number and local clustering (undirected), per vertex."""

    pairs = edges.select("_s", "_d").to_numpy()
    pagerank = _pagerank(pairs, edges["_cents"].cast(pl.Float64).to_numpy(), n, params.damping)
    ends = edges.select(pl.min_horizontal("_s", "_d").alias("_a"), pl.max_horizontal("_s", "_d").alias("_b"))
    undirected = _undirected_graph(ends.filter(c("_a") != c("_b")).unique().sort("_a", "_b"), n)
    return {
        "_pagerank": pagerank * n,
        "_core": np.asarray(undirected.coreness(), dtype=np.int64),
        "_clustering": np.nan_to_num(np.asarray(undirected.transitivity_local_undirected(mode="zero"))),
        "_deg": np.asarray(undirected.degree(), dtype=np.int64),
    }


EDGE_PIECES = 4
"""The edges are summed this many pieces of senders at a time: every edge has one sender, so the
pieces are the whole; at 1M subscribers summing 10M transfers at once took 1.3 GiB more."""


def _edges(txns: pl.DataFrame, vertices: pl.DataFrame) -> pl.DataFrame:
    """Directed edges between vertices ``_s`` -> ``_d`` with their money ``_cents`` and transfers ``_k``,
    sorted, summed ``EDGE_PIECES`` pieces of senders at a time."""
    vertex = vertices.lazy()
    summed = in_pieces(
        lambda piece: (
            txns.lazy()
            .filter(piece)
            .group_by("src", "dst")
            .agg(c("cents").sum().alias("_cents"), pl.len().alias("_k"))
            .join(vertex.rename({"account": "src", "_v": "_s"}), on="src")
            .join(vertex.rename({"account": "dst", "_v": "_d"}), on="dst")
            .select("_s", "_d", "_cents", "_k")
        ),
        identifier_code("src", txns.schema["src"]),
        EDGE_PIECES,
    )
    return summed.sort("_s", "_d").collect()


def _undirected_graph(pairs: pl.DataFrame, n: int) -> Any:
    """The igraph graph of ``n`` vertices and the edge list ``pairs`` (two vertex-number columns), made
    through igraph's own edge-list reader: from Python objects or numpy, igraph takes about a microsecond
    an edge (at 1M subscribers, 6.4 s of the 17 the whole-graph measures took went on making graphs)."""
    import igraph as ig

    with tempfile.TemporaryDirectory(prefix="fraudkit-graph-") as scratch:
        path = Path(scratch) / "edges.txt"
        pairs.write_csv(path, separator=" ", include_header=False)
        graph = ig.Graph.Read_Edgelist(str(path), directed=False)
    if graph.vcount() < n:  # vertices with no edge after the highest numbered one
        graph.add_vertices(n - graph.vcount())
    return graph


def _pagerank(pairs: np.ndarray, weights: np.ndarray, n: int, damping: float) -> np.ndarray:
    """Money-weighted pagerank by power iteration, an account with no money out spreading its rank evenly.

    igraph's solver sums in parallel threads and differs in the last bits from run to run; here every sum
    has one order (``np.bincount``), so the same graph gives the same ranks, bit for bit."""
    if n == 0:
        return np.zeros(0)
    src, dst = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    out_weight = np.bincount(src, weights=weights, minlength=n)
    share = weights / out_weight[src]
    dangling = out_weight == 0
    rank = np.full(n, 1.0 / n)
    for _ in range(PAGERANK_MAX_ROUNDS):
        spread = np.bincount(dst, weights=rank[src] * share, minlength=n)
        new = (1.0 - damping) / n + damping * (spread + rank[dangling].sum() / n)
        done = np.abs(new - rank).sum() < PAGERANK_TOLERANCE
        rank = new
        if done:
            break
    return rank / rank.sum()


PAGERANK_MAX_ROUNDS = 1_000
PAGERANK_TOLERANCE = 1e-12
"""Power iteration stops when the ranks move by less than this in all (L1), or after the rounds."""


def graph_features(
    transactions: pl.LazyFrame | pl.DataFrame,
    *,
    as_of: datetime,
    params: GraphParams = DEFAULT_GRAPH_PARAMS,
    reports: pl.LazyFrame | pl.DataFrame | None = None,
    flagged: Iterable[str] | pl.Series | None = None,
    accounts: pl.LazyFrame | pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per account with a successful transfer in [as_of - history, as_of), key ``account_id``.

    ``transactions`` are canonical rows (src_account, dst_account, amount, ts, status); ``reports``
    the reports table (only those filed before ``as_of`` count); ``flagged`` the accounts of the
    clusters the scan flagged as of ``as_of``; ``accounts`` the accounts table (its ``holder_id`` tells
    money moved between one holder's own accounts from money moved to someone else).
    """
    tf = TimeFrame(as_of, params.history, params.history)
    txns = transactions_in_history(transactions.lazy(), tf).collect()
    per_account = (
        _per_account(txns.lazy(), tf, params)
        .join(_relay_measures(txns.lazy().with_row_index("_x"), params), on="account", how="left")
        .collect()
    )
    vertices = per_account.select(c("account").sort()).with_row_index("_v")
    edges = _edges(txns, vertices)
    del txns  # the whole history's transfers: from here on, the graph's edges say all (frees ~1 GiB at 1M)
    whole = _whole_graph(edges, vertices.height, params)
    measures = pl.DataFrame(whole).with_row_index("_v")
    out_deg = edges.group_by(c("_s").alias("_v")).agg(pl.len().alias("_out_deg"))
    in_deg = edges.group_by(c("_d").alias("_v")).agg(pl.len().alias("_in_deg"))
    # the next two in EDGE_PIECES pieces of vertices, one after the other: every row belongs to one
    # vertex ``_v``; at once, they took 1.3 GiB more for a second at 1M subscribers
    forward = edges.lazy().select(c("_s").alias("_v"), c("_d").alias("_u"), "_cents", "_k")
    backward = edges.lazy().select(c("_d").alias("_v"), c("_s").alias("_u"), "_cents", "_k")
    mutual = in_pieces(  # a semi-join on (_v, _u) matches rows of the same _v: each piece meets its own
        lambda piece: (
            forward.filter(piece)
            .join(backward.filter(piece).select("_v", "_u"), on=["_v", "_u"], how="semi")
            .group_by("_v")
            .agg(pl.len().alias("_mutual"))
        ),
        c("_v"),
        EDGE_PIECES,
    ).collect()
    pairs = in_pieces(  # each pair of counterparties both ways, with the money and transfers between them
        lambda piece: (
            pl.concat([forward, backward]).filter(piece).group_by("_v", "_u").agg(c("_cents").sum(), c("_k").sum())
        ),
        c("_v"),
        EDGE_PIECES,
    ).collect()
    del edges
    neighbours = pairs.select("_v", "_u").sort("_v", "_u")  # means summed in one order: the same bits on every run
    marked = vertices.select(
        "_v",
        c("account").is_in(_names(flagged).implode()).alias("_flagged"),
        c("account").is_in(_reported(reports, tf).implode()).alias("_reported"),
    )

    def share(part: str, whole: str) -> pl.Expr:
        return (c(part).fill_null(0) / c(whole)).fill_nan(0.0).fill_null(0.0)

    relayed_share = per_account.select(
        c("account"),
        share("_relayed_cents", "_in_cents").alias("_rs"),
        pl.max_horizontal(
            share("_relayed_cents", "_in_cents"),
            share("_out_passed_cents", "_out_cents"),
            share("_in_relayed_cents", "_in_cents"),
        ).alias("_chain"),
    )
    # each neighbour's measures looked up by its vertex number (every frame below has one row per
    # vertex, in vertex order): three joins of 16M rows at 1M subscribers held 1.3 GiB more
    by_vertex = pl.concat(
        [
            measures.select("_pagerank", "_deg"),
            vertices.join(relayed_share, on="account", maintain_order="left").select("_rs", "_chain"),
            marked.select("_flagged", "_reported"),
        ],
        how="horizontal",
    )
    nb = (
        neighbours.hstack(by_vertex.select(pl.all().gather(neighbours["_u"])))
        .group_by("_v", maintain_order=True)
        .agg(
            c("_pagerank").mean().alias("_nb_pagerank"),
            c("_deg").cast(pl.Float64).mean().alias("_nb_degree"),
            c("_flagged").sum().alias("_nb_flagged"),
            c("_reported").sum().alias("_nb_reported"),
            c("_rs").max().alias("_nb_relayed_max"),
            c("_chain").mean().alias("_nb_chain_mean"),
            (c("_chain") > 0.5).sum().alias("_nb_chain_n"),
        )
    )
    del neighbours, marked, relayed_share
    transfers = vertices.join(per_account, on="account").select(
        "_v", "_n", (c("_in_cents") + c("_out_cents")).alias("_money")
    )
    life = _ordinary_life(pairs, whole["_deg"], transfers, _holders(accounts, vertices), params)
    raw = (
        vertices.join(per_account, on="account")
        .join(measures, on="_v", how="left")
        .join(out_deg, on="_v", how="left")
        .join(in_deg, on="_v", how="left")
        .join(mutual, on="_v", how="left")
        .join(nb, on="_v", how="left")
        .join(life, on="_v", how="left")
        .rename({"account": "account_id"})
    )
    return GRAPH.finish(raw.lazy()).collect()


def _names(values: Iterable[str] | pl.Series | None) -> pl.Series:
    if values is None:
        return pl.Series([], dtype=pl.String)
    return pl.Series(list(values) if not isinstance(values, pl.Series) else values, dtype=pl.String)


def _reported(reports: pl.LazyFrame | pl.DataFrame | None, tf: TimeFrame) -> pl.Series:
    """Accounts named as fraud_account by reports filed before T."""
    reps = reports_before(reports.lazy() if reports is not None else None, tf)
    return reps.select(c("fraud_account").cast(pl.String)).drop_nulls().unique().collect()["fraud_account"]


def _holders(accounts: pl.LazyFrame | pl.DataFrame | None, vertices: pl.DataFrame) -> pl.DataFrame:
    """``_v`` -> ``_holder``: each vertex's holder_id (null when the accounts table is absent or silent)."""
    if accounts is None or "holder_id" not in accounts.lazy().collect_schema().names():
        return vertices.select("_v", pl.lit(None, ID).alias("_holder"))
    held = accounts.lazy().select(c("account_id").cast(ID).alias("account"), c("holder_id").cast(ID))
    return (
        vertices.lazy()
        .join(held.unique("account", keep="first"), on="account", how="left")
        .select("_v", c("holder_id").alias("_holder"))
        .collect()
    )
