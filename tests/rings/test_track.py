"""Taking scans into the rings: ids kept across scans, joins and leaves, splits and merges, cash-out
points, dormancy, and the same scan twice changing nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import polars as pl
from scans import SECRET, account, scan_of
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from fraudkit.exposure import mask_id, pseudonym
from fraudkit.ops.schema import ring_events, ring_members, ring_snapshots, rings
from fraudkit.rings.params import RingParams
from fraudkit.rings.track import track_scan
from fraudkit.rings.views import ring_detail, ring_list

DAY1 = datetime(2026, 10, 10)
PARAMS = RingParams()


def events(engine: Engine, kind: str) -> list[tuple]:
    with engine.connect() as conn:
        q = select(ring_events.c.ring_id, ring_events.c.label, ring_events.c.other_ring).where(
            ring_events.c.kind == kind
        )
        return sorted(conn.execute(q).all(), key=lambda r: (r[0], r[1] or ""))


def counts(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as conn:
        return tuple(
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (rings, ring_snapshots, ring_members, ring_events)
        )


def test_a_ring_keeps_its_id_as_members_join_and_leave(engine: Engine) -> None:
    first = track_scan(engine, scan_of(DAY1, {"w": {"a": 50, "b": 40, "c": 10}}), SECRET, PARAMS)
    assert first.taken and first.new == 1
    later = scan_of(DAY1 + timedelta(days=1), {"w": {"a": 50, "b": 40, "d": 10}}, {"w": ["atm-1"]})
    second = track_scan(engine, later, SECRET, PARAMS)
    assert (second.continued, second.new, second.joined, second.left, second.lost) == (1, 0, 1, 0, 0)
    assert ring_list(engine).row(0, named=True)["members_now"] == 4, "one missed scan is no leave"
    third = track_scan(engine, scan_of(DAY1 + timedelta(days=2), {"w": {"a": 50, "b": 40, "d": 10}}), SECRET, PARAMS)
    assert (third.continued, third.joined, third.left, third.lost) == (1, 0, 0, 1), "unseen two days, money in window"
    assert events(engine, "joined") == [("R000001", mask_id(account("d")), None)]
    assert events(engine, "lost") == [("R000001", mask_id(account("c")), None)]
    assert [r[1] for r in events(engine, "cash_out_point")] == [mask_id(account("atm-1"))]
    row = ring_list(engine).row(0, named=True)
    assert (row["ring_id"], row["members_now"], row["members_ever"], row["joined"], row["lost"]) == (
        "R000001",
        3,
        4,
        0,
        1,
    )
    assert row["money_in"] == 100 * 3, "each scan's transfers counted once"
    detail = ring_detail(engine, "R000001")
    assert detail.snapshots.height == 3 and set(detail.members["label"]) == {mask_id(account(p)) for p in "abd"}
    with engine.connect() as conn:
        stored = set(conn.execute(select(ring_members.c.account)).scalars())
    assert stored == {pseudonym(account(p), SECRET) for p in "abcd"}, "accounts are kept as pseudonyms"


def test_a_member_whose_money_left_the_window_has_left_and_a_late_find_is_no_recruit(engine: Engine) -> None:
    track_scan(engine, scan_of(DAY1, {"w": {"a": 5, "b": 5, "e": 5}}), SECRET, PARAMS)
    week = scan_of(DAY1 + timedelta(days=8), {"w": {"a": 5, "b": 5, "f": 5}})
    early = week.transfers.with_columns(  # f's first money in came before the previous scan: it was there
        ts=pl.when(pl.col("account") == account("f")).then(pl.lit(DAY1 - timedelta(days=2))).otherwise(pl.col("ts"))
    )
    summary = track_scan(engine, replace(week, transfers=early), SECRET, PARAMS)
    assert (summary.left, summary.lost, summary.joined, summary.found) == (1, 0, 0, 1)
    assert events(engine, "left") == [("R000001", mask_id(account("e")), None)]
    assert events(engine, "found") == [("R000001", mask_id(account("f")), None)]


def test_a_member_missed_once_and_found_again_neither_left_nor_joined(engine: Engine) -> None:
    for day, people in enumerate(["abc", "ab", "abc"]):
        track_scan(engine, scan_of(DAY1 + timedelta(days=day), {"w": {p: 10 for p in people}}), SECRET, PARAMS)
    assert events(engine, "joined") == [] and events(engine, "left") == []


def test_the_same_scan_twice_or_an_older_one_changes_nothing(engine: Engine) -> None:
    scan = scan_of(DAY1 + timedelta(days=2), {"w": {"a": 5, "b": 5}})
    track_scan(engine, scan, SECRET, PARAMS)
    before = counts(engine)
    again = track_scan(engine, scan, SECRET, PARAMS)
    assert not again.taken and again.reason == "taken in already" and counts(engine) == before
    older = track_scan(engine, scan_of(DAY1, {"w": {"a": 5, "b": 5}}), SECRET, PARAMS)
    assert not older.taken and "older than the newest scan" in older.reason and counts(engine) == before


def test_a_split_and_a_merge_are_recorded_as_lineage(engine: Engine) -> None:
    track_scan(engine, scan_of(DAY1, {"w": {"a": 9, "b": 9, "c": 1, "d": 1}, "v": {"x": 3, "y": 3}}), SECRET, PARAMS)
    split = track_scan(
        engine,
        scan_of(DAY1 + timedelta(days=1), {"w": {"a": 9, "b": 9}, "w2": {"c": 1, "d": 1}, "v": {"x": 3, "y": 3}}),
        SECRET,
        PARAMS,
    )
    assert split.split == 1
    assert events(engine, "split_from") == [("R000003", None, "R000001")]
    assert events(engine, "split_into") == [("R000001", None, "R000003")]
    merged = track_scan(
        engine,
        scan_of(DAY1 + timedelta(days=2), {"big": {"a": 9, "b": 9, "x": 3, "y": 3}, "w2": {"c": 1, "d": 1}}),
        SECRET,
        PARAMS,
    )
    assert merged.merged == 1 and events(engine, "merged_into") == [("R000002", None, "R000001")]
    assert ring_detail(engine, "R000002").ring["status"] == "merged"


def test_a_ring_no_scan_sees_goes_dormant_and_comes_back(engine: Engine) -> None:
    track_scan(engine, scan_of(DAY1, {"w": {"a": 5, "b": 5}}), SECRET, PARAMS)
    track_scan(engine, scan_of(DAY1 + timedelta(days=15), {"v": {"x": 1, "y": 1}}), SECRET, PARAMS)
    assert ring_detail(engine, "R000001").ring["status"] == "dormant"
    back = track_scan(engine, scan_of(DAY1 + timedelta(days=16), {"w": {"a": 5, "b": 5}}), SECRET, PARAMS)
    assert back.continued == 1 and ring_detail(engine, "R000001").ring["status"] == "active"
    assert [e[0] for e in events(engine, "reactivated")] == ["R000001"]
    assert ring_list(engine, new=True).height == 0 and ring_list(engine, changed=True).height == 0


def test_a_new_fraud_number_feeding_a_ring_is_recorded_once(engine: Engine) -> None:
    first, second = "13800138001", "13900139002"
    track_scan(engine, scan_of(DAY1, {"w": {"a": 5, "b": 5}}, fraud_numbers={"w": [first]}), SECRET, PARAMS)
    later = scan_of(DAY1 + timedelta(days=1), {"w": {"a": 5, "b": 5}}, fraud_numbers={"w": [first, second]})
    track_scan(engine, later, SECRET, PARAMS)
    assert [r[1] for r in events(engine, "fraud_number")] == sorted([mask_id(first), mask_id(second)])
    assert ring_list(engine).row(0, named=True)["new_fraud_numbers"] == 1, "the newest scan brought one"
    with engine.connect() as conn:
        kept = set(conn.execute(select(ring_events.c.account).where(ring_events.c.kind == "fraud_number")).scalars())
    assert kept == {pseudonym(first, SECRET), pseudonym(second, SECRET)}, "numbers are kept as pseudonyms"
