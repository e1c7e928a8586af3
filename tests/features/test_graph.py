"""Graph features on a transfer graph small enough to work out by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from fraudkit.errors import ConfigError
from fraudkit.features.catalogue import model_inputs
from fraudkit.features.graph import GRAPH, GraphParams, graph_features

T = datetime(2026, 3, 1)


def _tx(rows: list[tuple[str, str, float, int]]) -> pl.DataFrame:
    """(src, dst, amount, days before T) as canonical transactions, all successful."""
    return pl.DataFrame(
        {
            "src_account": [r[0] for r in rows],
            "dst_account": [r[1] for r in rows],
            "amount": [r[2] for r in rows],
            "ts": [T - timedelta(days=r[3]) for r in rows],
            "status": ["success"] * len(rows),
        }
    )


# A triangle a-b-c (a pays b, b pays c, c pays a), d pays a and a pays d back (a mutual pair),
# e pays b once; m relays: x pays m 1,000 and m pays y 980 three days later (2% kept).
WORLD = _tx(
    [
        ("a", "b", 100.0, 10),
        ("b", "c", 100.0, 9),
        ("c", "a", 100.0, 8),
        ("d", "a", 250.0, 7),
        ("a", "d", 50.0, 6),
        ("e", "b", 300.0, 5),
        ("x", "m", 1_000.0, 20),
        ("m", "y", 980.0, 17),
        ("old", "a", 5.0, 200),  # outside the 90-day history: no row, no edge
    ]
)


@pytest.fixture(scope="module")
def rows() -> dict[str, dict[str, float]]:
    frame = graph_features(WORLD, as_of=T, reports=None, flagged=["c"])
    return {r["account_id"]: r for r in frame.iter_rows(named=True)}


def test_one_row_per_account_active_in_the_history(rows: dict[str, dict[str, float]]) -> None:
    assert sorted(rows) == ["a", "b", "c", "d", "e", "m", "x", "y"]


def test_degrees_money_and_activity(rows: dict[str, dict[str, float]]) -> None:
    a = rows["a"]
    assert (a["in_degree"], a["out_degree"]) == (2, 2)  # from c, d; to b, d
    assert (a["weighted_in_degree"], a["weighted_out_degree"]) == (350.0, 150.0)
    assert a["transfers_history"] == 4 and a["active_days"] == 4
    assert a["first_active_days"] == 10.0 and a["last_active_days"] == 6.0
    assert a["flow_balance"] == pytest.approx((350 - 150) / 500)
    assert rows["e"]["flow_balance"] == -1.0 and rows["y"]["flow_balance"] == 1.0


def test_reciprocity_clustering_and_core(rows: dict[str, dict[str, float]]) -> None:
    # a's counterparties: b, c, d; only d pays a and is paid by a
    assert rows["a"]["reciprocity"] == pytest.approx(1 / 3)
    assert rows["b"]["reciprocity"] == 0.0
    # b's counterparties a, c, e: of the three pairs only a-c transact
    assert rows["b"]["clustering"] == pytest.approx(1 / 3)
    assert rows["c"]["clustering"] == 1.0  # a and b transact
    assert rows["d"]["clustering"] == 0.0  # one counterparty
    assert {k: rows[k]["core_number"] for k in ("a", "b", "c", "d", "e", "m")} == {
        "a": 2,
        "b": 2,
        "c": 2,
        "d": 1,
        "e": 1,
        "m": 1,
    }


def test_pagerank_is_scaled_to_one_on_average(rows: dict[str, dict[str, float]]) -> None:
    assert sum(r["pagerank"] for r in rows.values()) == pytest.approx(len(rows))
    assert rows["y"]["pagerank"] > rows["x"]["pagerank"]  # money flows x -> m -> y


def test_a_relay_is_money_passed_on_whole_minus_a_cut(rows: dict[str, dict[str, float]]) -> None:
    m = rows["m"]
    assert m["relayed_share"] == 1.0 and m["relayed_transfers"] == 1
    assert rows["a"]["relayed_transfers"] == 0  # a got 100 from c, paid 50 on: not the same money
    # b got 100 from a and paid 100 to c a day later: a relay; c relays too (100 to a)
    assert rows["b"]["relayed_transfers"] == 1 and rows["b"]["relay_partners_relaying"] == 1
    assert rows["x"]["neighbour_max_relayed_share"] == 1.0


def test_the_ends_of_a_relay_see_it_too(rows: dict[str, dict[str, float]]) -> None:
    assert rows["x"]["outflow_passed_on_share"] == 1.0 and rows["y"]["inflow_relayed_share"] == 1.0
    assert rows["m"]["outflow_passed_on_share"] == 0.0 and rows["m"]["inflow_relayed_share"] == 0.0
    # a paid b 100 (passed on to c) and d 50 (kept); a got 100 from c (relaying b's) and 250 from d
    assert rows["a"]["outflow_passed_on_share"] == pytest.approx(100 / 150)
    assert rows["a"]["inflow_relayed_share"] == pytest.approx(100 / 350)
    # x's one counterparty, m, relays all it gets: x sits next to a chain
    assert rows["x"]["neighbour_chain_share"] == 1.0 and rows["x"]["neighbours_in_chains"] == 1
    # d's one counterparty, a, has 2/3 of its money out passed on by b: a chain's first link
    assert rows["d"]["neighbour_chain_share"] == pytest.approx(2 / 3) and rows["d"]["neighbours_in_chains"] == 1


def test_a_relay_needs_the_amount_the_time_and_another_account() -> None:
    late = graph_features(_tx([("x", "m", 1_000.0, 40), ("m", "y", 980.0, 20)]), as_of=T)
    small = graph_features(_tx([("x", "m", 1_000.0, 40), ("m", "y", 900.0, 38)]), as_of=T)
    back = graph_features(_tx([("x", "m", 1_000.0, 40), ("m", "x", 990.0, 38)]), as_of=T)
    for frame in (late, small, back):
        assert frame.filter(pl.col("account_id") == "m")["relayed_transfers"].item() == 0
    wide = graph_features(
        _tx([("x", "m", 1_000.0, 40), ("m", "y", 900.0, 38)]), as_of=T, params=GraphParams(relay_fee=0.15)
    )
    assert wide.filter(pl.col("account_id") == "m")["relayed_transfers"].item() == 1


def test_neighbour_aggregates_read_scans_and_reports_not_labels(rows: dict[str, dict[str, float]]) -> None:
    assert rows["a"]["flagged_neighbour_share"] == pytest.approx(1 / 3)  # c is in a flagged cluster
    assert rows["d"]["neighbour_degree"] == 3.0  # its one counterparty, a, has three
    reports = pl.DataFrame({"reported_at": [T - timedelta(days=1), T + timedelta(days=1)], "fraud_account": ["b", "d"]})
    reported = graph_features(WORLD, as_of=T, reports=reports)
    a = reported.filter(pl.col("account_id") == "a")
    assert a["reported_neighbour_share"].item() == pytest.approx(1 / 3), "only the report filed before T counts"


def test_later_transfers_change_nothing() -> None:
    later = pl.concat([WORLD, _tx([("a", "z", 10_000.0, -1)])])
    assert graph_features(later, as_of=T).equals(graph_features(WORLD, as_of=T))


def test_every_column_is_a_catalogued_mule_input() -> None:
    frame = graph_features(WORLD, as_of=T)
    assert frame.columns == ["account_id", *GRAPH.names]
    mule = {s.name for s in model_inputs("mule")}
    assert set(GRAPH.names) <= mule
    assert frame.null_count().row(0) == (0,) * frame.width


def test_bad_settings_are_one_line_errors() -> None:
    with pytest.raises(ConfigError, match="relay_fee"):
        GraphParams(relay_fee=1.5)
    with pytest.raises(ConfigError, match="history"):
        GraphParams(history=timedelta(0))


# Ordinary life: p1..p6 each pay the shop S twice (S is the one hub); p4, p5, p6 pay each other round a
# triangle (friends); p3 moves money to its own savings account p3s; n1 and n2 do nothing but pass p1's
# money on to p2.
LIFE = _tx(
    [
        *((p, "S", 100.0, day) for p in ("p1", "p2", "p3", "p4", "p5", "p6") for day in (30, 20)),
        ("p4", "p5", 50.0, 25),
        ("p5", "p6", 50.0, 24),
        ("p6", "p4", 50.0, 23),
        ("p3", "p3s", 300.0, 19),
        ("p1", "n1", 500.0, 15),
        ("n1", "n2", 490.0, 12),
        ("n2", "p2", 480.0, 10),
    ]
)
HOLDERS = pl.DataFrame(
    {
        "account_id": ["p1", "p2", "p3", "p3s", "p4", "p5", "p6", "n1", "n2", "S"],
        "holder_id": ["H1", "H2", "H3", "H3", "H4", "H5", "H6", "H7", "H8", "H9"],
    }
)
HUB_AT_TWICE_THE_MEDIAN = GraphParams(hub_quantile=0.5, hub_factor=2.0)  # degrees 1-3, S has 6


@pytest.fixture(scope="module")
def life() -> dict[str, dict[str, float]]:
    frame = graph_features(LIFE, as_of=T, params=HUB_AT_TWICE_THE_MEDIAN, accounts=HOLDERS)
    return {r["account_id"]: r for r in frame.iter_rows(named=True)}


def test_ordinary_life_is_transfers_with_hubs(life: dict[str, dict[str, float]]) -> None:
    assert life["p1"]["hub_transfer_share"] == pytest.approx(2 / 3)  # S twice, n1 once
    assert life["n1"]["hub_transfer_share"] == 0.0 and life["p3s"]["hub_transfer_share"] == 0.0
    assert life["p4"]["neighbour_min_hub_share"] == pytest.approx(0.5)  # p5, p6: two of four with S
    assert life["p1"]["neighbour_min_hub_share"] == 0.0 and life["p1"]["neighbour_min_transfers"] == 2


def test_money_with_accounts_that_have_no_life_shows_on_both_sides(life: dict[str, dict[str, float]]) -> None:
    assert life["p1"]["no_life_partners"] == 1 and life["p2"]["no_life_partners"] == 1
    assert life["p1"]["no_life_money_share"] == pytest.approx(500 / 700)
    assert life["p1"]["no_life_stranger_money_share"] == pytest.approx(500 / 700)
    assert life["n2"]["no_life_money_share"] == pytest.approx(490 / 970)  # n1 has none; p2 shops
    assert life["p2"]["neighbour_max_no_life_money_share"] == pytest.approx(490 / 970), "one hop further"
    assert life["p1"]["no_life_neighbour_max_strangers"] == 2  # n1's p1 and n2 know nobody it knows
    assert life["p1"]["neighbour_max_no_life_partners"] == 1
    for friend in ("p4", "p5", "p6"):
        assert life[friend]["no_life_partners"] == 0 and life[friend]["no_life_money_share"] == 0.0


def test_ones_own_savings_account_is_life_not_a_stranger(life: dict[str, dict[str, float]]) -> None:
    p3 = life["p3"]
    assert p3["same_holder_partners"] == 1 and p3["no_life_partners"] == 0 and p3["stranger_partners"] == 0
    assert p3["neighbour_min_hub_share"] == -1.0, "no ordinary counterparty: S is a hub, p3s its own"
    unheld = graph_features(LIFE, as_of=T, params=HUB_AT_TWICE_THE_MEDIAN)
    p3_unheld = unheld.filter(pl.col("account_id") == "p3").row(0, named=True)
    assert p3_unheld["same_holder_partners"] == 0 and p3_unheld["no_life_partners"] == 1, "without holders"


def test_friends_know_each_other_strangers_do_not(life: dict[str, dict[str, float]]) -> None:
    assert life["p4"]["stranger_partners"] == 0  # p5 and p6 pay each other too
    assert life["p1"]["stranger_partners"] == 1 and life["n1"]["stranger_partners"] == 2
    with pytest.raises(ConfigError, match="no_life_share"):
        GraphParams(no_life_share=0.0)
    with pytest.raises(ConfigError, match="hub_quantile"):
        GraphParams(hub_quantile=1.5)


def test_the_same_graph_gives_the_same_features_bit_for_bit() -> None:
    """igraph's pagerank and Polars' parallel float sums differed in the last bits from run to run."""
    import numpy as np

    rng = np.random.default_rng(5)
    n, m = 3_000, 40_000
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = src != dst
    big = pl.DataFrame(
        {
            "src_account": [f"A{i}" for i in src[keep]],
            "dst_account": [f"A{i}" for i in dst[keep]],
            "amount": np.round(rng.lognormal(5, 1, int(keep.sum())), 2),
            "ts": [T - timedelta(days=int(d) + 1) for d in rng.integers(0, 80, int(keep.sum()))],
            "status": ["success"] * int(keep.sum()),
        }
    )
    first, second = graph_features(big, as_of=T), graph_features(big, as_of=T)
    assert first.equals(second)
    import igraph as ig

    pairs = big.group_by("src_account", "dst_account").agg(pl.col("amount").sum()).sort("src_account", "dst_account")
    names = sorted(set(pairs["src_account"]) | set(pairs["dst_account"]))
    index = {a: i for i, a in enumerate(names)}
    graph = ig.Graph(
        n=len(names),
        edges=[(index[s], index[d]) for s, d in pairs.select("src_account", "dst_account").iter_rows()],
        directed=True,
    )
    expected = np.asarray(graph.pagerank(weights=pairs["amount"].to_list())) * len(names)
    ours = first.sort("account_id")["pagerank"].to_numpy()
    assert np.allclose(ours, expected, rtol=1e-6), "the same ranks igraph gives, to six digits"
