"""Reading the known rings back: the list with what changed, and one ring's timeline.

What changed is counted from the ring's events of the scans taken in since a point (by default the
newest scan taken in): members joined and left, new cash-out points, lineage, and the money that
came in with those scans.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from fraudkit.errors import ConfigError
from fraudkit.ops.schema import RING_EVENTS, ring_events, ring_members, ring_snapshots, ring_tracked, rings

c = pl.col

CHANGE_KINDS = tuple(kind for kind in RING_EVENTS if kind not in ("appeared", "dormant", "reactivated"))
"""The events that make a ring "changed"."""


def last_tracked(engine: Engine) -> datetime | None:
    """The as-of time of the newest scan taken in (None: none yet)."""
    with engine.connect() as conn:
        return conn.execute(select(func.max(ring_tracked.c.as_of))).scalar()


def ring_list(
    engine: Engine, *, new: bool = False, changed: bool = False, since: datetime | None = None
) -> pl.DataFrame:
    """Every known ring with its figures and what changed in the scans since ``since`` (default: the
    newest scan taken in), newest first; ``new`` keeps rings first seen then, ``changed`` rings whose
    members, cash-out points or lineage changed then."""
    newest = last_tracked(engine)
    cutoff = since if since is not None else newest
    with engine.connect() as conn:
        listed = pl.DataFrame([dict(r) for r in conn.execute(select(rings)).mappings()], schema=_RING_SCHEMA)
        recent = pl.DataFrame(
            conn.execute(
                select(ring_events.c.ring_id, ring_events.c.kind).where(ring_events.c.as_of >= (cutoff or datetime.min))
            ).all(),
            schema={"ring_id": pl.String, "kind": pl.String},
            orient="row",
        )
        grown = pl.DataFrame(
            conn.execute(
                select(ring_snapshots.c.ring_id, func.sum(ring_snapshots.c.new_money_in))
                .where(ring_snapshots.c.as_of >= (cutoff or datetime.min))
                .group_by(ring_snapshots.c.ring_id)
            ).all(),
            schema={"ring_id": pl.String, "money_in_since": pl.Float64},
            orient="row",
        )
    counts = recent.group_by("ring_id").agg(
        *((c("kind") == kind).sum().alias(name) for kind, name in _COUNTED.items()),
        c("kind").is_in(CHANGE_KINDS).any().alias("changed"),
    )
    out = (
        listed.join(counts, on="ring_id", how="left")
        .join(grown, on="ring_id", how="left")
        .with_columns(
            *(c(name).fill_null(0) for name in _COUNTED.values()),
            c("changed").fill_null(False),
            c("money_in_since").fill_null(0.0),
            (c("first_seen") >= (cutoff or datetime.min)).alias("new"),
        )
        .sort(["last_seen", "money_in", "ring_id"], descending=[True, True, False])
    )
    if since is not None:
        out = out.filter(c("last_seen") >= since)
    if new:
        out = out.filter(c("new"))
    if changed:
        out = out.filter(c("changed"))
    return out


@dataclass(frozen=True)
class RingDetail:
    ring: dict[str, Any]
    snapshots: pl.DataFrame  # the timeline: one row per scan that saw it
    events: pl.DataFrame
    members: pl.DataFrame  # of its latest snapshot, with when each was first and last seen in the ring


def ring_detail(engine: Engine, ring_id: str) -> RingDetail:
    """One ring, its timeline, events and members now; an unknown id is a one-line error."""
    with engine.connect() as conn:
        row = conn.execute(select(rings).where(rings.c.ring_id == ring_id)).mappings().first()
        if row is None:
            raise ConfigError(f"no ring {ring_id!r}", hint="`fraudkit rings` lists the known rings")
        snaps = pl.DataFrame(
            [
                dict(r)
                for r in conn.execute(select(ring_snapshots).where(ring_snapshots.c.ring_id == ring_id)).mappings()
            ]
        ).sort("as_of")
        events = pl.DataFrame(
            [
                dict(r)
                for r in conn.execute(
                    select(ring_events).where(ring_events.c.ring_id == ring_id).order_by(ring_events.c.event_id)
                ).mappings()
            ],
            schema=_EVENT_SCHEMA,
        )
        members = pl.DataFrame(
            [dict(r) for r in conn.execute(select(ring_members).where(ring_members.c.ring_id == ring_id)).mappings()]
        )
    seen = members.join(snaps.select("run_id", "as_of"), on="run_id")
    spans = seen.group_by("account").agg(c("as_of").min().alias("first_seen"), c("as_of").max().alias("last_seen"))
    latest = snaps["run_id"][-1]
    now = members.filter(c("run_id") == latest).join(spans, on="account").drop("run_id", "ring_id")
    return RingDetail(dict(row), snaps, events, now.sort(["money_in", "label"], descending=[True, False]))


_COUNTED = {
    "joined": "joined",
    "found": "found",
    "left": "left",
    "lost": "lost",
    "cash_out_point": "new_cash_out_points",
    "fraud_number": "new_fraud_numbers",
}

_RING_SCHEMA = {
    "ring_id": pl.String,
    "first_seen": pl.Datetime("us"),
    "last_seen": pl.Datetime("us"),
    "status": pl.String,
    "merged_into": pl.String,
    "split_from": pl.String,
    "typology": pl.String,
    "members_now": pl.Int64,
    "members_ever": pl.Int64,
    "money_in": pl.Float64,
    "cash_out": pl.Float64,
    "victims": pl.Int64,
    "score": pl.Float64,
    "updated_at": pl.Datetime("us"),
}
_EVENT_SCHEMA = {
    "event_id": pl.Int64,
    "ring_id": pl.String,
    "run_id": pl.String,
    "as_of": pl.Datetime("us"),
    "kind": pl.String,
    "account": pl.String,
    "label": pl.String,
    "other_ring": pl.String,
    "detail": pl.String,
}
