"""How well rings keep their identity over scans, against a synthetic world's truth.

Each snapshot of a fraudkit ring stands for the true ring most of its mule members belong to. A true
ring keeps its id when every snapshot standing for it carries one fraudkit id and that id stands for
no other true ring. Joins and leaves are held to the truth as a scan can see it: a true ring's members
at a scan are its mules with one of its laundering transfers in the scan's window, and a member joins
(leaves) between two scans when it enters (drops out of) that set; only the scans at which the true
ring was tracked both times count, so a ring the scan missed is a detection miss, not a tracking one.
"""

from __future__ import annotations

from datetime import timedelta

import duckdb
import polars as pl
from sqlalchemy import select
from sqlalchemy.engine import Engine

from fraudkit.engine.sql import rings as sql
from fraudkit.exposure import pseudonym_series
from fraudkit.ops.schema import ring_events, ring_members, ring_snapshots
from fraudkit.store import frame

c = pl.col

EVENT_EARLY, EVENT_LATE = timedelta(days=1), timedelta(days=3)
"""A reported join or leave matches the truth's from a day before to three days after it: a scan flags
a recruit once enough money has passed through it, often a day or three after its first transfer."""


def snapshot_truth(engine: Engine, mules: pl.DataFrame) -> pl.DataFrame:
    """Per snapshot (``ring_id``, ``run_id``, ``as_of``): the true ring most of its mules belong to
    (``true_ring``; snapshots without a mule are left out). ``mules``: ``account`` (pseudonym), ``true_ring``."""
    with engine.connect() as conn:
        members = pl.DataFrame(
            conn.execute(select(ring_members.c.ring_id, ring_members.c.run_id, ring_members.c.account)).all(),
            schema={"ring_id": pl.String, "run_id": pl.String, "account": pl.String},
            orient="row",
        )
        runs = pl.DataFrame(
            conn.execute(select(ring_snapshots.c.run_id, ring_snapshots.c.as_of).distinct()).all(),
            schema={"run_id": pl.String, "as_of": pl.Datetime("us")},
            orient="row",
        )
    votes = members.join(mules, on="account").group_by("ring_id", "run_id", "true_ring").len()
    best = votes.sort(["len", "true_ring"], descending=[True, False]).unique(["ring_id", "run_id"], keep="first")
    return best.drop("len").join(runs, on="run_id")


def true_membership(con: duckdb.DuckDBPyConnection, truth: dict[str, pl.DataFrame], secret: bytes) -> pl.DataFrame:
    """Every laundering transfer's mule ends: ``true_ring``, ``account`` (pseudonym), ``ts``."""
    ids = truth["fraud_transactions"]["txn_id"].to_list()
    moves = frame(con, sql.FRAUD_TRANSFERS_OF, {"ids": ids}, table="transactions")
    ends = pl.concat([moves.select("txn_id", "ts", c(side).alias("account")) for side in ("src", "dst")]).join(
        truth["fraud_transactions"].select("txn_id", c("ring_id").alias("true_ring")), on="txn_id"
    )
    mules = truth["mules"].select(c("account_id").alias("account"), c("ring_id").alias("true_ring"))
    kept = ends.join(mules, on=["account", "true_ring"], how="semi").select("true_ring", "account", "ts")
    return kept.with_columns(pseudonym_series(kept["account"], secret).alias("account"))


def tracking_quality(
    engine: Engine, con: duckdb.DuckDBPyConnection, truth: dict[str, pl.DataFrame], secret: bytes
) -> dict[str, float]:
    """Share of detected true rings that kept one id, and precision and recall of joins and leaves."""
    accounts = truth["mules"]["account_id"]
    mules = pl.DataFrame({"account": pseudonym_series(accounts, secret), "true_ring": truth["mules"]["ring_id"]})
    snaps = snapshot_truth(engine, mules)
    ids_per_true = snaps.group_by("true_ring").agg(c("ring_id").n_unique().alias("ids"), c("ring_id").first())
    trues_per_id = snaps.group_by("ring_id").agg(c("true_ring").n_unique().alias("trues"))
    kept = ids_per_true.join(trues_per_id, on="ring_id").filter((c("ids") == 1) & (c("trues") == 1))
    out = {
        "true_rings": float(truth["mules"]["ring_id"].n_unique()),
        "detected_rings": float(ids_per_true.height),
        "kept_one_id": float(kept.height),
        "kept_one_id_share": kept.height / ids_per_true.height if ids_per_true.height else float("nan"),
    }
    return out | _event_quality(engine, con, truth, secret, snaps)


def _event_quality(
    engine: Engine,
    con: duckdb.DuckDBPyConnection,
    truth: dict[str, pl.DataFrame],
    secret: bytes,
    snaps: pl.DataFrame,
) -> dict[str, float]:
    moves = true_membership(con, truth, secret)
    with engine.connect() as conn:
        windows = dict(conn.execute(select(ring_snapshots.c.run_id, ring_snapshots.c.window_hours).distinct()).all())
        reported = pl.DataFrame(
            conn.execute(
                select(ring_events.c.ring_id, ring_events.c.run_id, ring_events.c.kind, ring_events.c.account).where(
                    ring_events.c.kind.in_(["joined", "left"])
                )
            ).all(),
            schema={"ring_id": pl.String, "run_id": pl.String, "kind": pl.String, "account": pl.String},
            orient="row",
        )
    runs = snaps.select("run_id", "as_of").unique().sort("as_of")
    tracked = snaps.select("true_ring", "run_id", "as_of").unique()
    # the truth's members of each tracked true ring at each scan: mules with a transfer in its window
    at_scan = []
    for run, as_of in runs.iter_rows():
        start = as_of - timedelta(hours=windows[run])
        inside = moves.filter((c("ts") >= start) & (c("ts") < as_of)).select("true_ring", "account").unique()
        at_scan.append(inside.with_columns(run_id=pl.lit(run), as_of=pl.lit(as_of)))
    members = pl.concat(at_scan).join(tracked.select("true_ring", "run_id"), on=["true_ring", "run_id"], how="semi")
    order = runs.with_row_index("step")
    steps = tracked.join(order.select("run_id", "step"), on="run_id")
    both = steps.join(
        steps.select("true_ring", (c("step") + 1).alias("step"), c("run_id").alias("prev_run")),
        on=["true_ring", "step"],
    )
    truth_events = []
    for true_ring, run, _as_of, _step, prev in both.select(
        "true_ring", "run_id", "as_of", "step", "prev_run"
    ).iter_rows():
        now = set(members.filter((c("true_ring") == true_ring) & (c("run_id") == run))["account"].to_list())
        before = set(members.filter((c("true_ring") == true_ring) & (c("run_id") == prev))["account"].to_list())
        truth_events += [(true_ring, run, "joined", a) for a in now - before]
        truth_events += [(true_ring, run, "left", a) for a in before - now]
    expected = pl.DataFrame(
        truth_events,
        schema={"true_ring": pl.String, "run_id": pl.String, "kind": pl.String, "account": pl.String},
        orient="row",
    )
    stamp = runs.select("run_id", "as_of")
    # an event stands for the true ring of its ring's latest snapshot by then (a ring a scan did not
    # see still loses the members unseen for too long)
    seen = (
        reported.join(stamp, on="run_id")
        .sort("as_of")
        .join_asof(
            snaps.select("ring_id", "as_of", "true_ring").sort("as_of"),
            on="as_of",
            by="ring_id",
            strategy="backward",
            check_sortedness=False,  # both sorted by as_of above
        )
    )
    expected = expected.join(stamp, on="run_id")
    late = c("as_of") - c("as_of_truth")
    pairs = seen.join(expected, on=["true_ring", "kind", "account"], suffix="_truth").filter(
        (late >= -EVENT_EARLY) & (late <= EVENT_LATE)
    )
    out: dict[str, float] = {}
    for kind in ("joined", "left"):
        mine, theirs = seen.filter(c("kind") == kind), expected.filter(c("kind") == kind)
        hit = pairs.filter(c("kind") == kind)
        precision_hits = hit.select("ring_id", "run_id", "account").unique().height
        recall_hits = hit.select("true_ring", "run_id_truth", "account").unique().height
        out[f"{kind}_reported"] = float(mine.height)
        out[f"{kind}_true"] = float(theirs.height)
        out[f"{kind}_precision"] = precision_hits / mine.height if mine.height else float("nan")
        out[f"{kind}_recall"] = recall_hits / theirs.height if theirs.height else float("nan")
        delay = hit.select((c("as_of") - c("as_of_truth")).dt.total_hours() / 24)
        out[f"{kind}_median_delay_days"] = float(delay.to_series().median() or 0.0) if hit.height else float("nan")
    return out
