"""Take one scan into the known rings: match its flagged clusters, record what changed, in one transaction.

The rings live in the operational store (:mod:`fraudkit.ops.schema`: ``rings`` and its snapshots,
members, flows and events), which the work queue's web server reads while scans and the live loop
hold the DuckDB store. Accounts are stored as the DuckDB store's keyed pseudonyms with their masked
label: a ring is worked without a full number, and a case file reveals them from the store, audited.

Scans are taken in as-of order, each once: a scan already taken in, or older than the newest one
taken in, changes nothing (the same scan twice gives the same rings).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import func, insert, select, tuple_, update
from sqlalchemy.engine import Connection, Engine

from fraudkit.exposure import mask_id, pseudonym_series
from fraudkit.features.params import FeatureParams
from fraudkit.ops.queue import writing
from fraudkit.ops.schema import ring_events, ring_flows, ring_members, ring_snapshots, ring_tracked, rings
from fraudkit.rings.match import Matching, match_clusters, member_weights
from fraudkit.rings.params import RingParams
from fraudkit.scan.scan import ScanResult

c = pl.col

VICTIM_SHARE = 0.02
"""A sender ties a cluster to others only when it paid at least this share of the cluster's money in:
a victim's payment is; a neighbour's transfer to a mule with an ordinary life is not (at 30,000
subscribers such senders tied unrelated rings: 69% of true rings kept one id, 84% without them)."""
VICTIM_CLUSTERS = 2
"""A sender ties clusters together only when it paid into at most this many: a victim told to pay
several accounts pays one water house's, while a sender paying into three or more flagged clusters
is a hub (a payment platform, a payroll) that ties unrelated rings."""

FOUND_BEFORE = timedelta(days=1)
"""A member new to a ring whose first transfer in the window came more than this before the ring's
previous scan was there already (that scan missed it): it is ``found``, not ``joined``."""

RING_PREFIX = "R"
RING_DIGITS = 6


@dataclass(frozen=True)
class TrackSummary:
    """What taking one scan in did (``taken`` False: nothing, for ``reason``)."""

    run_id: str
    as_of: datetime
    taken: bool
    reason: str | None = None
    continued: int = 0
    new: int = 0
    split: int = 0
    merged: int = 0
    dormant: int = 0
    joined: int = 0
    found: int = 0
    left: int = 0
    lost: int = 0

    def describe(self) -> str:
        if not self.taken:
            return f"rings: scan {self.run_id} not taken in: {self.reason}"
        return (
            f"rings: {self.continued} continued, {self.new} new ({self.split} split off), "
            f"{self.merged} merged, {self.dormant} gone dormant; {self.joined} members joined, "
            f"{self.found} found (there before), {self.left} left, {self.lost} lost (unseen, still moving money)"
        )


def ring_id_of(number: int) -> str:
    """The opaque id of the ``number``-th ring seen: R000001, R000002, ... (never an account's digits)."""
    return f"{RING_PREFIX}{number:0{RING_DIGITS}d}"


def track_scan(
    engine: Engine, result: ScanResult, secret: bytes, params: RingParams, *, now: datetime | None = None
) -> TrackSummary:
    """Match the scan's flagged clusters to the known rings and record snapshots, members, flows and
    events (joins, leaves, new cash-out points, splits, merges, dormancy) in one transaction."""
    with writing(engine) as conn:
        done = conn.execute(select(ring_tracked.c.run_id).where(ring_tracked.c.run_id == result.run_id)).first()
        if done is not None:
            return TrackSummary(result.run_id, result.as_of, False, "taken in already")
        newest = conn.execute(select(func.max(ring_tracked.c.as_of))).scalar()
        if newest is not None and newest > result.as_of:
            reason = f"older than the newest scan taken in ({newest:%Y-%m-%d %H:%M}); scans are taken in order"
            return TrackSummary(result.run_id, result.as_of, False, reason)
        scan = _ScanRows.of(result, secret, params)
        state = _Known.read(conn, params, scan.cash_channels)
        matching = match_clusters(state.weights(params), scan.weights, params)
        summary = _record(conn, result, scan, state, matching, params)
        conn.execute(
            insert(ring_tracked).values(
                run_id=result.run_id,
                as_of=result.as_of,
                window_hours=_hours(result),
                clusters=len(scan.order),
                tracked_at=now or datetime.now(),
            )
        )
    return summary


@dataclass(frozen=True)
class _ScanRows:
    """The flagged clusters of one scan as the ring tables keep them (accounts pseudonymised, labels masked)."""

    order: list[str]  # flagged cluster ids, best first
    clusters: pl.DataFrame
    members: pl.DataFrame
    flows: pl.DataFrame
    transfers: pl.DataFrame
    weights: pl.DataFrame
    cash_channels: tuple[str, ...]
    numbers: pl.DataFrame  # cluster_id, number (pseudonym), label (masked): fraud numbers in its reports

    @classmethod
    def of(cls, result: ScanResult, secret: bytes, params: RingParams) -> _ScanRows:
        flagged = result.clusters.filter(c("flagged")).sort("rank")
        members = result.members.filter(c("cluster_id").is_in(flagged["cluster_id"].to_list()))
        links = _links(members, result.flow_edges, params.join_on)
        group = _linked_groups(flagged, links)
        flagged, members, flows, transfers = (
            _regrouped(frame, group) for frame in (flagged, members, result.flow_edges, result.transfers)
        )
        flagged = _combined(flagged)
        order = flagged["cluster_id"].to_list()
        flows, transfers = (f.filter(c("cluster_id").is_in(order)) for f in (flows, transfers))
        raw = pl.concat([members["account"], flows["src"], flows["dst"]]).drop_nulls().unique().sort()
        alias = pl.DataFrame({"_raw": raw, "_pseudo": pseudonym_series(raw, secret)})

        def pseudo(frame: pl.DataFrame, column: str) -> pl.DataFrame:
            named = alias.rename({"_raw": column, "_pseudo": f"_{column}_p"})
            labels = frame[column].map_elements(mask_id, return_dtype=pl.String)
            out = frame.with_columns(labels.alias(f"{column}_label")).join(named, on=column, how="left")
            return out.drop(column).rename({f"_{column}_p": column})

        def pseudonyms(name: str) -> pl.Series:
            values = members[name] if name in members.columns else pl.Series([None] * members.height)
            return pseudonym_series(values.cast(pl.String), secret)

        # the first money it took in or passed within the cluster (its own spending says nothing)
        laundering = transfers.filter(c("internal").fill_null(False) | (c("direction") == "in"))
        first_moves = laundering.group_by("account").agg(c("ts").min().alias("first_move"))
        members = members.join(first_moves, on="account", how="left")
        members = pseudo(members, "account").with_columns(holder=pseudonyms("holder_id"), phone=pseudonyms("phone"))
        flows = pseudo(pseudo(flows, "src"), "dst")
        signals = result.params.signals if result.params is not None else FeatureParams()
        listed = (
            flagged.select("cluster_id", c("fraud_phones").str.split(",").alias("number"))
            if ("fraud_phones" in flagged.columns)
            else pl.DataFrame(schema={"cluster_id": pl.String, "number": pl.List(pl.String)})
        )
        numbers = listed.explode("number").filter(c("number").is_not_null() & (c("number") != "")).unique()
        numbers = numbers.with_columns(
            label=c("number").map_elements(mask_id, return_dtype=pl.String),
            number=pseudonym_series(numbers["number"], secret),
        ).sort("cluster_id", "number")
        return cls(
            order=order,
            clusters=flagged,
            members=members,
            flows=flows,
            transfers=transfers,
            weights=member_weights(members, "cluster_id", params),
            cash_channels=tuple(signals.cash_out_channels),
            numbers=numbers,
        )

    def cluster(self, cluster_id: str) -> dict[str, Any]:
        return self.clusters.filter(c("cluster_id") == cluster_id).row(0, named=True)

    def members_of(self, cluster_id: str) -> pl.DataFrame:
        return self.members.filter(c("cluster_id") == cluster_id)

    def new_money(self, cluster_id: str, since: datetime | None) -> tuple[float, float]:
        """Money in from outside and cashed out by the cluster's members, of the transfers after ``since``
        (the ring's previous snapshot: earlier ones were counted then)."""
        moves = self.transfers.filter((c("cluster_id") == cluster_id) & ~c("internal").fill_null(False))
        if since is not None:
            moves = moves.filter(c("ts") >= since)
        money_in = moves.filter(c("direction") == "in")["amount"].sum()
        cashed = moves.filter((c("direction") == "out") & c("channel").is_in(self.cash_channels))["amount"].sum()
        return float(money_in or 0.0), float(cashed or 0.0)

    def fraud_numbers(self, cluster_id: str) -> pl.DataFrame:
        """The fraud numbers of the reports that name the cluster's accounts or victims: ``number``
        (pseudonym) and ``label`` (masked)."""
        return self.numbers.filter(c("cluster_id") == cluster_id).select("number", "label")

    def cash_points(self, cluster_id: str) -> pl.DataFrame:
        """Where the cluster's money was cashed out: ``dst`` and ``dst_label`` of its exit flows over a
        cash-out channel."""
        exits = self.flows.filter(
            (c("cluster_id") == cluster_id) & (c("flow") == "exit") & c("channel").is_in(self.cash_channels)
        )
        return exits.select("dst", "dst_label").unique("dst", maintain_order=True)


def _links(members: pl.DataFrame, flows: pl.DataFrame, join_on: tuple[str, ...]) -> pl.DataFrame:
    """``link``, ``cluster_id``: what ties clusters of one scan together (``RingParams.join_on``)."""
    parts = [pl.DataFrame(schema={"link": pl.String, "cluster_id": pl.String})]
    if "holder" in join_on and "holder_id" in members.columns:
        parts.append(members.select((pl.lit("h:") + c("holder_id")).alias("link"), "cluster_id").drop_nulls())
    if "phone" in join_on and "phone" in members.columns:
        parts.append(members.select((pl.lit("p:") + c("phone")).alias("link"), "cluster_id").drop_nulls())
    if "victim" in join_on and not flows.is_empty():
        entry = flows.filter((c("flow") == "entry") & c("cluster_id").is_in(members["cluster_id"].unique().to_list()))
        paid = entry.group_by("src", "cluster_id").agg(c("amount").sum()).drop_nulls()
        # a victim's payment is a real part of a cluster's money in; a neighbour's transfer to a mule
        # with an ordinary life is not, and would tie unrelated rings
        share = c("amount") / c("amount").sum().over("cluster_id")
        paid = paid.filter(share >= VICTIM_SHARE).select("src", "cluster_id")
        victims = paid.filter(pl.len().over("src") <= VICTIM_CLUSTERS)  # more: a hub (a platform, a payroll)
        parts.append(victims.select((pl.lit("v:") + c("src")).alias("link"), "cluster_id"))
    return pl.concat(parts).unique()


def _linked_groups(flagged: pl.DataFrame, links: pl.DataFrame) -> dict[str, str]:
    """Flagged clusters tied by a link, joined: each cluster -> the best ranked cluster of its group."""
    rank = dict(zip(flagged["cluster_id"].to_list(), flagged["rank"].to_list(), strict=True))
    parent = {cluster: cluster for cluster in rank}

    def root(cluster: str) -> str:
        while parent[cluster] != cluster:
            parent[cluster] = parent[parent[cluster]]
            cluster = parent[cluster]
        return cluster

    tied = links.group_by("link").agg(c("cluster_id").unique().sort()).filter(c("cluster_id").list.len() > 1)
    for clusters in tied["cluster_id"].to_list():
        for other in clusters[1:]:
            a, b = root(clusters[0]), root(other)
            if a != b:
                parent[max(a, b, key=lambda x: rank[x])] = min(a, b, key=lambda x: rank[x])
    return {cluster: root(cluster) for cluster in rank if root(cluster) != cluster}


def _regrouped(frame: pl.DataFrame, group: dict[str, str]) -> pl.DataFrame:
    if not group or frame.is_empty():
        return frame
    return frame.with_columns(c("cluster_id").replace(group))


def _combined(flagged: pl.DataFrame) -> pl.DataFrame:
    """One row per (regrouped) cluster: sizes and money summed, the best ranked one's score and typology."""
    if flagged["cluster_id"].is_unique().all():
        return flagged
    sums = ["size", "money_in", "cash_out", "victims"]
    joined = [name for name in ("fraud_phones",) if name in flagged.columns]  # comma-joined lists: their union
    unions = (_union(c(name).str.split(",").explode()).alias(name) for name in joined)
    return (
        flagged.sort("rank")
        .group_by("cluster_id", maintain_order=True)
        .agg(
            *(c(name).sum() for name in sums if name in flagged.columns),
            *unions,
            pl.all().exclude("cluster_id", *sums, *joined).first(),
        )
        .select(flagged.columns)
    )


def _union(values: pl.Expr) -> pl.Expr:
    return values.filter(values != "").unique().sort().str.join(",")


@dataclass(frozen=True)
class _Known:
    """The rings a scan may continue (every ring not merged away) and their members now: each account
    a scan of the ring has seen, unless it has left since, with the time it was last seen, what went
    through it then, and the time of its last transfer the ring's scans saw (``last_move``)."""

    rings: dict[str, dict[str, Any]]
    latest: dict[str, datetime]  # ring -> as-of time of its latest snapshot
    members: pl.DataFrame  # ring_id, account, label, money_in, money_out, last_seen, last_move
    next_number: int

    @classmethod
    def read(cls, conn: Connection, params: RingParams, cash_channels: tuple[str, ...]) -> _Known:
        """``last_move``: of the money it took in, passed within the ring or cashed out (over
        ``cash_channels``); its own spending says nothing of its part in the ring."""
        live = {
            row["ring_id"]: dict(row)
            for row in conn.execute(select(rings).where(rings.c.status != "merged")).mappings()
        }
        snapshots = conn.execute(
            select(ring_snapshots.c.ring_id, ring_snapshots.c.run_id, ring_snapshots.c.as_of).where(
                ring_snapshots.c.ring_id.in_(list(live))
            )
        ).all()
        latest: dict[str, datetime] = {}
        for ring, _run, as_of in snapshots:
            latest[ring] = max(as_of, latest.get(ring, as_of))
        # a member last seen before its ring's latest snapshot less leave_after has left by then: only
        # the snapshots since are read, ring by ring (a ring dormant for months costs nothing)
        recent = [(ring, run) for ring, run, as_of in snapshots if as_of >= latest[ring] - params.leave_after]
        when = {(ring, run): as_of for ring, run, as_of in snapshots}
        seen = (
            [
                (*row[:-1], when[(row[0], row[-1])])
                for row in conn.execute(
                    select(
                        ring_members.c.ring_id,
                        ring_members.c.account,
                        ring_members.c.label,
                        ring_members.c.money_in,
                        ring_members.c.money_out,
                        ring_members.c.run_id,
                    ).where(tuple_(ring_members.c.ring_id, ring_members.c.run_id).in_(recent))
                ).all()
            ]
            if recent
            else []
        )
        oldest = min(latest.values(), default=datetime.max) - params.leave_after
        left = conn.execute(
            select(ring_events.c.ring_id, ring_events.c.account, func.max(ring_events.c.as_of))
            .where(
                ring_events.c.kind.in_(["left", "lost"]),
                ring_events.c.ring_id.in_(list(live)),
                ring_events.c.as_of >= oldest,
            )
            .group_by(ring_events.c.ring_id, ring_events.c.account)
        ).all()
        schema = {
            "ring_id": pl.String,
            "account": pl.String,
            "label": pl.String,
            "money_in": pl.Float64,
            "money_out": pl.Float64,
            "last_seen": pl.Datetime("us"),
        }
        rows = pl.DataFrame(seen, schema=schema, orient="row")
        latest_frame = pl.DataFrame(
            list(latest.items()), schema={"ring_id": pl.String, "ring_latest": pl.Datetime("us")}, orient="row"
        )
        gone = pl.DataFrame(
            left, schema={"ring_id": pl.String, "account": pl.String, "left_at": pl.Datetime("us")}, orient="row"
        )
        members = (
            rows.sort("last_seen")
            .group_by("ring_id", "account")
            .agg(c("label", "money_in", "money_out", "last_seen").last())
            .join(latest_frame, on="ring_id")
            .filter(c("last_seen") > c("ring_latest") - params.leave_after)
            .join(gone, on=["ring_id", "account"], how="left")
            .filter(c("left_at").is_null() | (c("left_at") < c("last_seen")))
            .select(*schema)
            .sort("ring_id", "account")
        )
        # a member now was last seen in one of the recent snapshots: its last transfer is there
        flows = pl.DataFrame(
            conn.execute(
                select(
                    ring_flows.c.ring_id,
                    ring_flows.c.run_id,
                    ring_flows.c.src,
                    ring_flows.c.dst,
                    ring_flows.c.flow,
                    ring_flows.c.channel,
                    ring_flows.c.amount,
                    ring_flows.c.last_ts,
                ).where(tuple_(ring_flows.c.ring_id, ring_flows.c.run_id).in_(recent))
            ).all()
            if recent
            else [],
            schema={
                "ring_id": pl.String,
                "run_id": pl.String,
                "src": pl.String,
                "dst": pl.String,
                "flow": pl.String,
                "channel": pl.String,
                "amount": pl.Float64,
                "last_ts": pl.Datetime("us"),
            },
            orient="row",
        )
        last_moves = _last_laundering_moves(flows, cash_channels)
        members = members.join(last_moves, on=["ring_id", "account"], how="left")
        ids = conn.execute(select(rings.c.ring_id)).scalars().all()
        numbers = [int(i[len(RING_PREFIX) :]) for i in ids if i.startswith(RING_PREFIX) and i[1:].isdigit()]
        return cls(live, latest, members, max(numbers, default=0) + 1)

    def weights(self, params: RingParams) -> pl.DataFrame:
        return member_weights(self.members, "ring_id", params)


def _record(
    conn: Connection,
    result: ScanResult,
    scan: _ScanRows,
    state: _Known,
    matching: Matching,
    params: RingParams,
) -> TrackSummary:
    at, run = result.as_of, result.run_id
    counts = {"joined": 0, "found": 0, "left": 0, "lost": 0}
    number = state.next_number
    assigned: dict[str, str] = {}
    for cluster in scan.order:  # new rings numbered in the scan's rank order
        if cluster in matching.continued:
            assigned[cluster] = matching.continued[cluster][0]
        else:
            assigned[cluster] = ring_id_of(number)
            number += 1
    events: list[dict[str, Any]] = []

    def event(ring: str, kind: str, **more: Any) -> None:
        events.append({"ring_id": ring, "run_id": run, "as_of": at, "kind": kind, **more})

    continued = [r for r, _ in matching.continued.values()]
    seen_points = _earlier_cash_points(conn, continued, scan.cash_channels)
    seen_numbers = _earlier_fraud_numbers(conn, continued)
    for cluster in scan.order:
        ring = assigned[cluster]
        row = scan.cluster(cluster)
        members = scan.members_of(cluster)
        previous = state.latest.get(ring)
        new_in, new_out = scan.new_money(cluster, previous)
        overlap = matching.continued[cluster][1] if cluster in matching.continued else None
        ring_row = state.rings.get(ring)
        if ring_row is None:  # the ring's row first: its snapshots refer to it
            origin = matching.new.get(cluster)
            conn.execute(insert(rings).values(**_new_ring(ring, at, row, origin, new_in, new_out)))
            event(ring, "appeared", detail=f"{row['size']} members, typology {row.get('typology')}")
            if origin is not None:
                event(ring, "split_from", other_ring=origin)
                event(origin, "split_into", other_ring=ring)
        conn.execute(insert(ring_snapshots).values(**_snapshot(result, ring, row, new_in, new_out, overlap)))
        conn.execute(insert(ring_members), _member_rows(ring, run, members))
        flows = scan.flows.filter(c("cluster_id") == cluster)
        if flows.height:
            conn.execute(insert(ring_flows), _flow_rows(ring, run, flows))
        before = state.members.filter(c("ring_id") == ring) if previous else state.members.clear()
        now_in, was_in = set(members["account"].to_list()), set(before["account"].to_list())
        for account, label, first_move in members.select("account", "account_label", "first_move").iter_rows():
            if previous and account not in was_in:
                # active well before the previous scan, which missed it: uncovered, not recruited
                found = first_move is not None and first_move < previous - FOUND_BEFORE
                event(ring, "found" if found else "joined", account=account, label=label)
                counts["found" if found else "joined"] += 1
        staying = 0
        window_start = at - result.window
        for account, label, last_seen, last_move in before.select(
            "account", "label", "last_seen", "last_move"
        ).iter_rows():
            if account in now_in:
                continue
            # its last transfer has slid out of the window: nothing left to see, it has left; missed
            # while its transfers are still in the window: the scans lost it once leave_after passed
            gone = last_move is not None and last_move < window_start
            if gone or at - last_seen >= params.leave_after:
                kind = "left" if gone else "lost"
                event(ring, kind, account=account, label=label, detail=f"last seen {last_seen:%Y-%m-%d %H:%M}")
                counts[kind] += 1
            else:  # missed by this scan only so far: still a member
                staying += 1
        for number, label in scan.fraud_numbers(cluster).iter_rows():
            if number not in seen_numbers.get(ring, set()):
                event(ring, "fraud_number", account=number, label=label)
        for point, label in scan.cash_points(cluster).iter_rows():
            if point not in seen_points.get(ring, set()):
                event(ring, "cash_out_point", account=point, label=label)
        if ring_row is not None:
            if ring_row["status"] == "dormant":
                event(ring, "reactivated", detail=f"last seen {ring_row['last_seen']:%Y-%m-%d}")
            conn.execute(
                update(rings)
                .where(rings.c.ring_id == ring)
                .values(
                    last_seen=at,
                    status="active",
                    typology=row.get("typology"),
                    members_now=members.height + staying,
                    money_in=rings.c.money_in + new_in,
                    cash_out=rings.c.cash_out + new_out,
                    score=row.get("score"),
                    updated_at=at,
                )
            )
    for ring, into in matching.merged.items():
        event(ring, "merged_into", other_ring=into)
        event(into, "merged_from", other_ring=ring)
        conn.execute(
            update(rings).where(rings.c.ring_id == ring).values(status="merged", merged_into=into, updated_at=at)
        )
    dormant = 0
    touched = set(assigned.values()) | set(matching.merged)
    for ring, ring_row in state.rings.items():
        if (
            ring not in touched
            and ring_row["status"] == "active"
            and at - ring_row["last_seen"] >= params.dormant_after
        ):
            event(ring, "dormant", detail=f"no scan has flagged it since {ring_row['last_seen']:%Y-%m-%d}")
            conn.execute(update(rings).where(rings.c.ring_id == ring).values(status="dormant", updated_at=at))
            dormant += 1
    if events:
        conn.execute(insert(ring_events), [_event_row(e) for e in events])
    _refresh_totals(conn, sorted(set(assigned.values())))
    return TrackSummary(
        run,
        at,
        True,
        continued=len(matching.continued),
        new=len(scan.order) - len(matching.continued),
        split=sum(1 for cluster in scan.order if matching.new.get(cluster) is not None),
        merged=len(matching.merged),
        dormant=dormant,
        joined=counts["joined"],
        found=counts["found"],
        left=counts["left"],
        lost=counts["lost"],
    )


def _earlier_cash_points(conn: Connection, ring_ids: list[str], channels: tuple[str, ...]) -> dict[str, set[str]]:
    query = (
        select(ring_flows.c.ring_id, ring_flows.c.dst)
        .where(ring_flows.c.ring_id.in_(ring_ids), ring_flows.c.flow == "exit", ring_flows.c.channel.in_(channels))
        .distinct()
    )
    seen: dict[str, set[str]] = {}
    for ring, dst in conn.execute(query).all():
        seen.setdefault(ring, set()).add(dst)
    return seen


def _last_laundering_moves(flows: pl.DataFrame, cash_channels: tuple[str, ...]) -> pl.DataFrame:
    """Per ring and account: the last of its transfers that launder — money passed within the ring, a
    victim's payment in, a cash-out — the last two only when at least ``VICTIM_SHARE`` of the snapshot's
    money in or cashed out: a mule's own income and small spending over a cash-out channel (a
    platform) say nothing of its part in the ring, and would keep a member that has left."""
    kind = pl.when(c("flow") == "entry").then(pl.lit("in")).when(c("channel").is_in(cash_channels)).then(pl.lit("cash"))
    sided = flows.with_columns(kind.otherwise(pl.lit(None)).alias("_side"))
    share = c("amount") / c("amount").sum().over("ring_id", "run_id", "_side")
    laundering = sided.filter((c("flow") == "internal") | (c("_side").is_not_null() & (share >= VICTIM_SHARE)))
    ends = pl.concat(
        [
            laundering.filter(c("flow") != "entry").select("ring_id", c("src").alias("account"), "last_ts"),
            laundering.filter(c("flow") != "exit").select("ring_id", c("dst").alias("account"), "last_ts"),
        ]
    )
    return ends.group_by("ring_id", "account").agg(c("last_ts").max().alias("last_move"))


def _earlier_fraud_numbers(conn: Connection, ring_ids: list[str]) -> dict[str, set[str]]:
    query = (
        select(ring_events.c.ring_id, ring_events.c.account)
        .where(ring_events.c.ring_id.in_(ring_ids), ring_events.c.kind == "fraud_number")
        .distinct()
    )
    seen: dict[str, set[str]] = {}
    for ring, number in conn.execute(query).all():
        seen.setdefault(ring, set()).add(number)
    return seen


def _refresh_totals(conn: Connection, ring_ids: list[str]) -> None:
    """Members ever and victims to date (distinct senders of money in from outside) of the rings a scan touched."""
    if not ring_ids:
        return
    ever = dict(
        conn.execute(
            select(ring_members.c.ring_id, func.count(func.distinct(ring_members.c.account)))
            .where(ring_members.c.ring_id.in_(ring_ids))
            .group_by(ring_members.c.ring_id)
        ).all()
    )
    victims = dict(
        conn.execute(
            select(ring_flows.c.ring_id, func.count(func.distinct(ring_flows.c.src)))
            .where(ring_flows.c.ring_id.in_(ring_ids), ring_flows.c.flow == "entry")
            .group_by(ring_flows.c.ring_id)
        ).all()
    )
    for ring in ring_ids:
        conn.execute(
            update(rings)
            .where(rings.c.ring_id == ring)
            .values(members_ever=int(ever.get(ring, 0)), victims=int(victims.get(ring, 0)))
        )


def _hours(result: ScanResult) -> int:
    return round(result.window.total_seconds() / 3600)


def _number(value: Any) -> float:
    return float(value) if value is not None else 0.0


def _snapshot(
    result: ScanResult, ring: str, row: dict[str, Any], new_in: float, new_out: float, overlap: float | None
) -> dict[str, Any]:
    return {
        "ring_id": ring,
        "run_id": result.run_id,
        "as_of": result.as_of,
        "window_hours": _hours(result),
        "cluster_label": mask_id(row["cluster_id"]),
        "size": int(row["size"]),
        "money_in": _number(row.get("money_in")),
        "cash_out": _number(row.get("cash_out")),
        "new_money_in": new_in,
        "new_cash_out": new_out,
        "victims": int(row.get("victims") or 0),
        "score": row.get("score"),
        "typology": row.get("typology"),
        "overlap": overlap,
    }


def _new_ring(
    ring: str, at: datetime, row: dict[str, Any], origin: str | None, new_in: float, new_out: float
) -> dict[str, Any]:
    return {
        "ring_id": ring,
        "first_seen": at,
        "last_seen": at,
        "status": "active",
        "split_from": origin,
        "typology": row.get("typology"),
        "members_now": int(row["size"]),
        "members_ever": int(row["size"]),
        "money_in": new_in,
        "cash_out": new_out,
        "victims": int(row.get("victims") or 0),
        "score": row.get("score"),
        "updated_at": at,
    }


def _member_rows(ring: str, run: str, members: pl.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "ring_id": ring,
            "run_id": run,
            "account": m["account"],
            "label": m["account_label"] or "",
            "role": m.get("role"),
            "money_in": _number(m.get("money_in")),
            "money_out": _number(m.get("money_out")),
            "holder": m.get("holder"),
            "phone": m.get("phone"),
        }
        for m in members.iter_rows(named=True)
    ]


def _flow_rows(ring: str, run: str, flows: pl.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "ring_id": ring,
            "run_id": run,
            "src": f["src"],
            "dst": f["dst"],
            "src_label": f["src_label"],
            "dst_label": f["dst_label"],
            "flow": f["flow"],
            "channel": f.get("channel"),
            "amount": _number(f.get("amount")),
            "n_txns": int(f.get("n_txns") or 0),
            "first_ts": f.get("first_ts"),
            "last_ts": f.get("last_ts"),
        }
        for f in flows.iter_rows(named=True)
    ]


def _event_row(e: dict[str, Any]) -> dict[str, Any]:
    keys = ("ring_id", "run_id", "as_of", "kind", "account", "label", "other_ring", "detail")
    return {k: e.get(k) for k in keys}
