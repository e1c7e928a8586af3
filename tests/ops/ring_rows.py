"""A tiny hand-built ring history in the operational store, as the ring tracking writes it: ring
R000001 seen by three scans (a member joins at the second, one leaves at the third), and ring
R000002 seen once. Accounts are pseudonyms (``p:``) with masked labels, as in the store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from fraudkit.exposure import mask_id
from fraudkit.ops.schema import ring_events, ring_flows, ring_members, ring_snapshots, ring_tracked, rings

FIRST_SCAN = datetime(2026, 11, 1, 6, 0)
RING_ACCOUNTS = {
    "R000001": ("6222000000000001", "6222000000000002", "6222000000000003", "6222000000000004"),
    "R000002": ("6222000000000011", "6222000000000012"),
}
VICTIM = "6222000000000099"
CASH_POINT = "6222000000000098"


def fake_pseudonym(account: str) -> str:
    """A stand-in for the store's keyed pseudonym, when no DuckDB store is involved."""
    return "p:" + account[-16:].rjust(16, "0").replace("6222", "abcd", 1)


def seed_rings(engine: Engine, pseudonym: Callable[[str], str] = fake_pseudonym) -> dict[str, list[str]]:
    """Insert both rings; returns each ring's members ever, as pseudonyms."""
    a, b, c, d = RING_ACCOUNTS["R000001"]
    e, f = RING_ACCOUNTS["R000002"]
    scans = [(f"scan-{i}", FIRST_SCAN + timedelta(days=i)) for i in range(3)]
    members_of = {  # per scan of R000001: account, role
        0: [(a, "collector"), (b, "layer"), (c, "cashout")],
        1: [(a, "collector"), (b, "layer"), (c, "cashout"), (d, "cashout")],
        2: [(a, "collector"), (b, "layer"), (d, "cashout")],
    }
    p = pseudonym
    tracked, snapshots, members, flows, events = [], [], [], [], []
    for i, (run_id, as_of) in enumerate(scans):
        tracked.append(
            {"run_id": run_id, "as_of": as_of, "window_hours": 72, "clusters": 2 if i == 0 else 1, "tracked_at": as_of}
        )
        size = len(members_of[i])
        snapshots.append(
            _snapshot("R000001", run_id, as_of, size, money_in=10_000.0 * (i + 1), overlap=None if i == 0 else 0.8)
        )
        for account, role in members_of[i]:
            members.append(_member("R000001", run_id, p(account), account, role))
        cash_out = members_of[i][-1][0]
        flows += [
            _flow("R000001", run_id, p(VICTIM), p(a), VICTIM, a, "entry", 10_000.0),
            _flow("R000001", run_id, p(a), p(b), a, b, "internal", 9_500.0),
            _flow("R000001", run_id, p(b), p(cash_out), b, cash_out, "internal", 9_000.0),
            _flow("R000001", run_id, p(cash_out), p(CASH_POINT), cash_out, CASH_POINT, "exit", 8_800.0),
        ]
    events += [
        _ring_event("R000001", scans[0], "appeared", None, None),
        _ring_event("R000001", scans[1], "joined", p(d), d),
        _ring_event("R000001", scans[1], "cash_out_point", p(d), d),
        _ring_event("R000001", scans[2], "left", p(c), c),
        _ring_event("R000002", scans[0], "appeared", None, None),
    ]
    snapshots.append(_snapshot("R000002", "scan-0", scans[0][1], 2, money_in=3_000.0, overlap=None))
    members += [_member("R000002", "scan-0", p(e), e, "collector"), _member("R000002", "scan-0", p(f), f, "cashout")]
    flows.append(_flow("R000002", "scan-0", p(e), p(f), e, f, "internal", 2_900.0))
    ring_rows = [
        _ring("R000001", scans[0][1], scans[2][1], members_now=3, members_ever=4, money_in=30_000.0, victims=1),
        _ring(
            "R000002",
            scans[0][1],
            scans[0][1],
            members_now=2,
            members_ever=2,
            money_in=3_000.0,
            victims=1,
            status="dormant",
        ),
    ]
    with engine.begin() as conn:
        conn.execute(insert(rings), ring_rows)
        conn.execute(insert(ring_tracked), tracked)
        conn.execute(insert(ring_snapshots), snapshots)
        conn.execute(insert(ring_members), members)
        conn.execute(insert(ring_flows), flows)
        conn.execute(insert(ring_events), events)
    return {"R000001": [p(x) for x in (a, b, c, d)], "R000002": [p(e), p(f)]}


def _ring(ring_id: str, first: datetime, last: datetime, *, status: str = "active", **figures: Any) -> dict[str, Any]:
    return {
        "ring_id": ring_id,
        "first_seen": first,
        "last_seen": last,
        "status": status,
        "merged_into": None,
        "split_from": None,
        "typology": "chain",
        "cash_out": figures["money_in"] * 0.88,
        "score": 0.9,
        "updated_at": last,
        **figures,
    }


def _snapshot(
    ring_id: str, run_id: str, as_of: datetime, size: int, *, money_in: float, overlap: float | None
) -> dict[str, Any]:
    return {
        "ring_id": ring_id,
        "run_id": run_id,
        "as_of": as_of,
        "window_hours": 72,
        "cluster_label": "6222****0001",
        "size": size,
        "money_in": money_in,
        "cash_out": money_in * 0.88,
        "new_money_in": 10_000.0,
        "new_cash_out": 8_800.0,
        "victims": 1,
        "score": 0.9,
        "typology": "chain",
        "overlap": overlap,
    }


def _member(ring_id: str, run_id: str, account: str, raw: str, role: str) -> dict[str, Any]:
    return {
        "ring_id": ring_id,
        "run_id": run_id,
        "account": account,
        "label": mask_id(raw),
        "role": role,
        "money_in": 9_000.0,
        "money_out": 8_800.0,
        "holder": None,
    }


def _flow(
    ring_id: str, run_id: str, src: str, dst: str, src_raw: str, dst_raw: str, flow: str, amount: float
) -> dict[str, Any]:
    return {
        "ring_id": ring_id,
        "run_id": run_id,
        "src": src,
        "dst": dst,
        "src_label": mask_id(src_raw),
        "dst_label": mask_id(dst_raw),
        "flow": flow,
        "channel": "mobile",
        "amount": amount,
        "n_txns": 2,
        "first_ts": None,
        "last_ts": None,
    }


def _ring_event(
    ring_id: str, scan: tuple[str, datetime], kind: str, account: str | None, raw: str | None
) -> dict[str, Any]:
    return {
        "ring_id": ring_id,
        "run_id": scan[0],
        "as_of": scan[1],
        "kind": kind,
        "account": account,
        "label": mask_id(raw),
        "other_ring": None,
        "detail": None,
    }


def add_ring(engine: Engine, ring_id: str, accounts: list[str], pseudonym: Callable[[str], str]) -> None:
    """One ring seen by one scan, with ``accounts`` (full numbers, stored as pseudonyms) its members."""
    scan = ("scan-" + ring_id, FIRST_SCAN)
    figures = {"members_now": len(accounts), "members_ever": len(accounts), "money_in": 1_000.0, "victims": 1}
    with engine.begin() as conn:
        conn.execute(insert(rings).values(**_ring(ring_id, FIRST_SCAN, FIRST_SCAN, **figures)))
        conn.execute(
            insert(ring_snapshots).values(
                **_snapshot(ring_id, scan[0], FIRST_SCAN, len(accounts), money_in=1_000.0, overlap=None)
            )
        )
        conn.execute(insert(ring_members), [_member(ring_id, scan[0], pseudonym(a), a, "layer") for a in accounts])
