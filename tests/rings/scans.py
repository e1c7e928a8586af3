"""Hand-built scan results for the ring tests: clusters of named accounts with the money through each."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from fraudkit.scan.evidence import TRANSFER_SCHEMA
from fraudkit.scan.scan import ScanResult, run_id_for

SECRET = b"ring-tests"
WINDOW = timedelta(days=7)


def account(name: str) -> str:
    """A 19-digit account number for a short name, so masking and pseudonyms work as on real ones."""
    return "6222" + str(int.from_bytes(name.encode(), "big") % 10**15).rjust(15, "0")


def scan_of(
    as_of: datetime,
    clusters: dict[str, dict[str, float]],
    cash_points: dict[str, list[str]] | None = None,
    fraud_numbers: dict[str, list[str]] | None = None,
) -> ScanResult:
    """A flagged cluster per entry of ``clusters`` (name -> {member name: money through it}), each member
    receiving its money from a victim in the window and passing it on, cashed out at ``cash_points``,
    its reports naming ``fraud_numbers``."""
    rows, members, flows, moves = [], [], [], []
    for rank, (name, people) in enumerate(clusters.items(), start=1):
        ids = sorted(account(p) for p in people)
        cid = ids[0]
        rows.append(
            {
                "cluster_id": cid,
                "rank": rank,
                "flagged": True,
                "size": len(ids),
                "money_in": sum(people.values()),
                "cash_out": sum(people.values()) * 0.9,
                "victims": 1,
                "score": 0.9,
                "typology": "fan_in",
                "fraud_phones": ",".join((fraud_numbers or {}).get(name, [])),
            }
        )
        for p, money in people.items():
            members.append(
                {
                    "cluster_id": cid,
                    "account": account(p),
                    "money_in": money,
                    "money_out": money,
                    "role": "layer",
                    "holder_id": f"H-{p}",
                }
            )
            moves.append(
                {
                    "cluster_id": cid,
                    "account": account(p),
                    "ts": as_of - timedelta(hours=5),
                    "direction": "in",
                    "amount": money,
                    "counterparty": account("victim-" + name),
                    "internal": False,
                    "channel": "mobile",
                }
            )
            flows.append(
                {
                    "cluster_id": cid,
                    "src": account("victim-" + name),
                    "dst": account(p),
                    "flow": "entry",
                    "channel": "mobile",
                    "amount": money,
                    "n_txns": 1,
                    "first_ts": as_of - timedelta(hours=5),
                    "last_ts": as_of - timedelta(hours=5),
                }
            )
        for point in (cash_points or {}).get(name, []):
            flows.append(
                {
                    "cluster_id": cid,
                    "src": ids[-1],
                    "dst": account(point),
                    "flow": "exit",
                    "channel": "atm",
                    "amount": 90.0,
                    "n_txns": 1,
                    "first_ts": as_of - timedelta(hours=2),
                    "last_ts": as_of - timedelta(hours=2),
                }
            )
    return ScanResult(
        run_id=run_id_for(as_of, WINDOW),
        as_of=as_of,
        window=WINDOW,
        clusters=pl.DataFrame(rows, schema_overrides={"rank": pl.UInt32}),
        members=pl.DataFrame(members),
        edges=pl.DataFrame(),
        flow_edges=pl.DataFrame(flows),
        transfers=pl.DataFrame(moves, schema=TRANSFER_SCHEMA),
    )
