"""Matching a scan's clusters to known rings on hand-built members: continue, split, merge, new."""

from __future__ import annotations

import polars as pl

from fraudkit.rings.match import match_clusters
from fraudkit.rings.params import RingParams


def known(**rings: dict[str, float]) -> pl.DataFrame:
    rows = [(ring, a, w) for ring, members in rings.items() for a, w in members.items()]
    return pl.DataFrame(rows, schema={"ring_id": pl.String, "account": pl.String, "weight": pl.Float64}, orient="row")


def found(**clusters: dict[str, float]) -> pl.DataFrame:
    rows = [(cl, a, w) for cl, members in clusters.items() for a, w in members.items()]
    return pl.DataFrame(
        rows, schema={"cluster_id": pl.String, "account": pl.String, "weight": pl.Float64}, orient="row"
    )


def test_a_cluster_that_recruited_and_dropped_a_few_continues_its_ring() -> None:
    m = match_clusters(known(R1={"a": 5, "b": 5, "c": 1}), found(C={"a": 5, "b": 4, "d": 1}), RingParams())
    assert m.continued == {"C": ("R1", m.continued["C"][1])} and m.continued["C"][1] > 0.8
    assert not m.new and not m.merged


def test_the_money_decides_which_part_of_a_split_keeps_the_id() -> None:
    money = {"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 9, "g": 9}
    small, big = {k: money[k] for k in "abcde"}, {k: money[k] for k in "fg"}
    m = match_clusters(known(R1=money), found(SMALL=small, BIG=big), RingParams())
    assert m.continued["BIG"][0] == "R1" and m.new == {"SMALL": "R1"}, "the small part split from R1"
    ones = {k: 1.0 for k in money}  # weights as member_weights gives them with match = "members"
    by_count = match_clusters(
        known(R1=ones), found(SMALL={k: 1.0 for k in small}, BIG={k: 1.0 for k in big}), RingParams()
    )
    assert by_count.continued["SMALL"][0] == "R1" and by_count.new == {"BIG": "R1"}


def test_two_rings_in_one_cluster_merge_into_the_one_with_more_money_shared() -> None:
    m = match_clusters(
        known(R1={"a": 9, "b": 9}, R2={"c": 1, "d": 1}), found(C={"a": 9, "b": 9, "c": 1, "d": 1}), RingParams()
    )
    assert m.continued == {"C": ("R1", 1.0)} and m.merged == {"R2": "R1"} and not m.new


def test_an_unrelated_cluster_or_a_thin_overlap_starts_a_new_ring() -> None:
    ring = known(R1={"a": 1, "b": 1, "c": 1, "d": 1})
    m = match_clusters(ring, found(C={"a": 1, "x": 1, "y": 1, "z": 1}, D={"p": 1}), RingParams(match_threshold=0.3))
    assert m.new == {"C": None, "D": None} and not m.continued, "one shared account of four is under 0.3"
    assert match_clusters(ring, found(C={"a": 1, "x": 1, "y": 1, "z": 1}), RingParams(match_threshold=0.25)).continued
