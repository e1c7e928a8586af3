"""How good a scan is, measured against a synthetic world's ground truth.

Only mules that moved money inside the scan window can be found by it, so they are the
truth the scan is held to; a ring counts as found when some flagged cluster matches it
with Jaccard similarity of at least 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from fraudkit.engine.sql import scan as sql
from fraudkit.errors import NotReadyError
from fraudkit.scan.scan import ScanResult
from fraudkit.store import frame, registered

RING_MATCH_JACCARD = 0.5


@dataclass(frozen=True)
class ScanQuality:
    mule_precision: float
    mule_recall: float
    rings_found: int
    rings_active: int
    flagged_accounts: int
    active_mules: int
    lookalike_false_positives: dict[str, int]

    @property
    def ring_share_found(self) -> float:
        return self.rings_found / self.rings_active if self.rings_active else 0.0


def read_truth(truth_dir: Path) -> dict[str, pl.DataFrame]:
    """The ground-truth tables `fraudkit synth` writes under truth/ (Parquet or CSV)."""
    needed = ("mules", "fraud_transactions", "lookalikes")
    frames: dict[str, pl.DataFrame] = {}
    for name in needed:
        parquet, csv = truth_dir / f"{name}.parquet", truth_dir / f"{name}.csv"
        if parquet.exists():
            frames[name] = pl.read_parquet(parquet)
        elif csv.exists():
            frames[name] = pl.read_csv(csv, infer_schema_length=0)
        else:
            raise NotReadyError(
                f"no ground truth {name!r} in {truth_dir}",
                hint="point --truth at the truth/ folder `fraudkit synth` wrote",
            )
    return frames


def active_mules(con: duckdb.DuckDBPyConnection, truth: dict[str, pl.DataFrame], result: ScanResult) -> pl.DataFrame:
    """Mules that sent or received fraud money inside the longest history the scan read (its window, or
    the dense detector's span)."""
    fraud_txns = truth["fraud_transactions"].select(pl.col("txn_id").cast(pl.Utf8))
    with registered(con, fraud_txns, "truth_ft") as truth_ft:
        touched = frame(
            con,
            sql.accounts_of_transfers(truth_ft),
            [result.as_of - result.truth_window, result.as_of],
            table="transactions",
        )
    return truth["mules"].join(touched, on="account_id")


def evaluate_scan(con: duckdb.DuckDBPyConnection, result: ScanResult, truth: dict[str, pl.DataFrame]) -> ScanQuality:
    """Mule precision and recall, rings found, and look-alikes wrongly flagged."""
    mules = active_mules(con, truth, result)
    truth_ring = dict(mules.select("account_id", "ring_id").iter_rows())
    flagged = result.members.join(result.flagged.select("cluster_id"), on="cluster_id")
    predicted = set(flagged["account"].to_list())
    hits = len(predicted & truth_ring.keys())
    rings: dict[str, set[str]] = {}
    for account, ring in truth_ring.items():
        rings.setdefault(ring, set()).add(account)
    clusters: dict[str, set[str]] = {}
    for account, cluster in flagged.select("account", "cluster_id").iter_rows():
        clusters.setdefault(cluster, set()).add(account)
    found = sum(
        1
        for members in rings.values()
        if max((len(members & c) / len(members | c) for c in clusters.values()), default=0.0) >= RING_MATCH_JACCARD
    )
    looks = truth["lookalikes"].filter(pl.col("entity_type") == "account")
    wrong = looks.filter(pl.col("entity_id").is_in(list(predicted))).group_by("lookalike").len().sort("lookalike")
    return ScanQuality(
        mule_precision=hits / len(predicted) if predicted else 0.0,
        mule_recall=hits / len(truth_ring) if truth_ring else 0.0,
        rings_found=found,
        rings_active=len(rings),
        flagged_accounts=len(predicted),
        active_mules=len(truth_ring),
        lookalike_false_positives=dict(wrong.iter_rows()),
    )
