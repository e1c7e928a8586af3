"""Where a scan's results go: DuckDB tables, Parquet files and a self-contained HTML report."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from fraudkit.atomic import write_file, write_text
from fraudkit.engine.sql import BEGIN, COMMIT, ROLLBACK
from fraudkit.engine.sql import scan as sql
from fraudkit.engine.sql.store import insert_by_name
from fraudkit.exposure import Reveal, mask_frame, mask_id, mask_text, pseudonymise_frame, revealed, store_secret
from fraudkit.scan.drawing import (
    DrawEdge,
    DrawNode,
    Link,
    TimelineEvent,
    TimelineLane,
    flow_svg,
    html_table,
    page,
    timeline_svg,
)
from fraudkit.scan.scan import ScanResult

SCAN_TABLES = {"clusters": "scan_clusters", "members": "scan_members", "flow_edges": "scan_flows"}

FLAGGED = sql.FLAGGED
"""The query of the clusters one saved scan (``$at``) flagged, here for the modules that read the scan
tables (warn, live): :data:`fraudkit.engine.sql.scan.FLAGGED`."""


def save_scan(con: duckdb.DuckDBPyConnection, result: ScanResult) -> None:
    """Write the scan into the store; a rerun with the same as-of and window replaces its rows.

    Accounts, phones and holders are stored as the store's keyed pseudonyms (they still join
    each other and ``fraudkit warn`` joins the canonical tables to them); ``cluster_label`` is
    the masked cluster id the reports show. One transaction for the three tables: a crash or a
    failed insert leaves the previous run's rows as they were, never clusters without members."""
    secret = store_secret(con)
    frames = {
        table: stored_frame(getattr(result, attr), secret).with_columns(
            run_id=pl.lit(result.run_id), as_of=pl.lit(result.as_of), window_hours=pl.lit(_hours(result))
        )
        for attr, table in SCAN_TABLES.items()
    }
    for table, frame in frames.items():  # registered outside the transaction: an aborted one refuses unregister
        con.register(f"{table}_out", frame)
    try:
        con.execute(BEGIN)
        try:
            for table in frames:
                out = f"{table}_out"
                con.execute(sql.create_like(table, out))
                con.execute(sql.add_cluster_label(table))
                _add_new_columns(con, table, out)
                _pseudonymise_old_rows(con, table, secret)
                con.execute(sql.delete_run(table), [result.run_id])
                con.execute(insert_by_name(table, out))
        except BaseException:
            con.execute(ROLLBACK)
            raise
        con.execute(COMMIT)
    finally:
        for table in frames:
            con.unregister(f"{table}_out")


def _add_new_columns(con: duckdb.DuckDBPyConnection, name: str, out: str) -> None:
    """Columns a newer scan has (a new part of the score) are added to a table an older one made,
    so a store keeps its earlier runs and takes the new rows; older rows read NULL there."""
    have = {row[0] for row in con.execute(sql.describe(name)).fetchall()}
    for column, column_type, *_ in con.execute(sql.describe(out)).fetchall():
        if column not in have:
            con.execute(sql.add_column(name, column, column_type))


def _pseudonymise_old_rows(con: duckdb.DuckDBPyConnection, name: str, secret: bytes) -> None:
    """Rows saved before scans were pseudonymised (no ``cluster_label``) are rewritten the way
    new ones are stored, so an upgraded store keeps no full number in its scan tables."""
    old = con.sql(sql.unlabelled_rows(name)).pl()
    if old.is_empty():
        return
    con.execute(sql.delete_unlabelled(name))
    con.register("scan_old", stored_frame(old.drop("cluster_label"), secret))
    con.execute(insert_by_name(name, "scan_old"))
    con.unregister("scan_old")  # not in a finally: an aborted transaction refuses it and would hide the error


def stored_frame(frame: pl.DataFrame, secret: bytes) -> pl.DataFrame:
    """A scan frame as the store keeps it: identifiers pseudonymised, the masked cluster id beside."""
    if "cluster_id" in frame.columns:
        frame = frame.with_columns(
            pl.col("cluster_id").map_elements(mask_id, return_dtype=pl.String).alias("cluster_label")
        )
    return pseudonymise_frame(frame, secret)


def write_parquet(result: ScanResult, out_dir: Path, *, reveal: Reveal | None = None) -> dict[str, Path]:
    """Clusters, members and flows as Parquet files (each written atomically); account numbers
    and phones masked as in the HTML report unless revealed (a grant of ``exposure.reveal``)."""
    show = revealed(reveal)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for attr in SCAN_TABLES:
        path = out_dir / f"{result.run_id}-{attr}.parquet"
        frame = getattr(result, attr)
        paths[attr] = write_file(path, (frame if show else mask_frame(frame)).write_parquet)
    return paths


@dataclass(frozen=True)
class PublishedScan:
    report: Path
    parquet: dict[str, Path]


def publish_scan(
    con: duckdb.DuckDBPyConnection,
    result: ScanResult,
    out_dir: Path,
    *,
    top: int = 10,
    reveal: Reveal | None = None,
) -> PublishedScan:
    """Save the scan in the store and write its Parquet files and HTML report to ``out_dir``,
    masked unless revealed (``exposure.reveal`` audits that before anything is written)."""
    save_scan(con, result)
    parquet = write_parquet(result, out_dir, reveal=reveal)
    report = write_text(out_dir / f"{result.run_id}.html", html_report(result, top=top, reveal=reveal))
    return PublishedScan(report=report, parquet=parquet)


EVIDENCE_WORDS = {
    "cash_out": "cash-out (no channel says how money left)",
    "reports": "reports",
    "speed": "speed (hours of dwell)",
    "account_age": "account age (opening dates)",
}
"""What each kind of evidence is called in the report."""


def evidence_note(result: ScanResult) -> str:
    """One sentence on the evidence the data carried and the evidence it did not, for the report and the CLI."""
    if not result.absent:
        return "All evidence was in the data: cash-out, reports, speed and account age."
    missing = "; ".join(f"{EVIDENCE_WORDS.get(name, name)}: {why}" for name, why in sorted(result.absent.items()))
    present = [EVIDENCE_WORDS[name].split(" (")[0] for name in EVIDENCE_WORDS if name not in result.absent]
    kept = ", ".join(["victims", *present])
    return (
        f"Evidence not in the data, left out of the score (not counted as 0): {missing}. "
        f"Scored on what it carries: {kept}."
    )


def thresholds_note(result: ScanResult) -> str:
    """The pre-filter's thresholds as the scan resolved them from the data, for the report and the CLI."""
    if result.params is None:
        return ""
    flow = result.params.flow
    clock = f"times to the {result.profile.resolution}; " if result.profile is not None else ""
    return (
        f"Thresholds read from the data ({clock}auto unless set): money forwarded within "
        f"{float(flow.pass_through_hours or 0):g} h counts as passed through, a ring's hop rests at most "
        f"{float(flow.edge_dwell_hours or 0):g} h, a candidate received at least {float(flow.min_inflow or 0):,.2f}."
    )


def _score_rows(result: ScanResult, r: dict) -> list[tuple[str, str]]:
    """The score and its parts, as the detector that found the cluster made them."""
    flagged = "flagged" if r["flagged"] else "not flagged"
    if r.get("detector") == "dense":
        at = result.params.dense.flag_at if result.params is not None else 0.5
        return [
            (f"score (dense detector, flagged at {at:g})", f"{r['score']:.3f} ({flagged})"),
            (
                "density x cohesion: money on the block's surprising links per member, and its share of the "
                "members' surprising money",
                f"density {_part(r.get('score_density'))}, cohesion {_part(r.get('score_cohesion'))} "
                f"({r.get('shape') or ''}; {int(r.get('link_txns') or 0)} transfers on its links over the span)",
            ),
        ]
    return [
        (f"score (fast detector, flagged at {result.flag_at:g})", f"{r['score']:.3f} ({flagged})"),
        (
            "behaviour: passes money on, cashes it out or sends it on, keeps little",
            f"{_part(r['score_behaviour'])} (pass-through {_part(r['score_pass_through'])}, "
            f"cashed out or passed on further {_part(r['score_exit'])}, "
            f"conservation {_part(r['score_conservation'])})",
        ),
        (
            "corroboration: any of",
            f"{_part(r['score_corroboration'])} (victims {_part(r['score_victims'])}, "
            f"reports {_part(r['score_reports'])}, speed {_part(r['score_speed'])}, "
            f"young accounts {_part(r['score_young'])})",
        ),
    ]


def detectors_note(result: ScanResult) -> str:
    """Which detectors ran, over what history, for the report and the CLI."""
    parts = []
    if "fast" in result.detectors:
        parts.append(f"fast (money passed on within hours, window {_hours(result)} h)")
    if "dense" in result.detectors and result.span is not None:
        days = result.span.total_seconds() / 86400
        parts.append(f"dense (the shape of money over {days:g} days, however slowly it moves)")
    return "Detectors: " + "; ".join(parts) + "." if parts else ""


def _part(value: object) -> str:
    return "not in the data" if value is None else f"{float(value):.2f}"  # type: ignore[arg-type]


def _hours(result: ScanResult) -> int:
    return int(result.window.total_seconds() // 3600)


def _label(account: str, reveal: bool) -> str:
    return account if reveal else (mask_id(account) or "")


def cluster_drawing(result: ScanResult, cluster_id: str, *, reveal: Reveal | None = None) -> str:
    """SVG of one cluster: victims on the left, collectors, layers, cash-out mules, cash points on the right."""
    show = revealed(reveal)
    members = result.members.filter(pl.col("cluster_id") == cluster_id)
    flows = result.flow_edges.filter(pl.col("cluster_id") == cluster_id)
    nodes: dict[str, DrawNode] = {}
    for account, role, money_in in members.select("account", "role", "money_in").iter_rows():
        nodes[account] = DrawNode(account, _label(account, show), role, money_in or 0.0)
    edges = []
    for src, dst, flow, amount in flows.select("src", "dst", "flow", "amount").iter_rows():
        if flow == "entry" and src not in nodes:
            nodes[src] = DrawNode(src, _label(src, show), "victim", amount)
        if flow == "exit" and dst not in nodes:
            nodes[dst] = DrawNode(dst, _label(dst, show), "cash_point", amount)
        edges.append(DrawEdge(src, dst, amount, f"{amount:,.2f}"))
    return flow_svg(list(nodes.values()), edges)


ROLE_ORDER = {"collector": 0, "layer": 1, "cashout": 2}


def cluster_anchor(rank: int) -> str:
    """The id of a cluster's section in the report: by rank, so no account number is in a link."""
    return f"cluster-{rank}"


def cluster_timeline(result: ScanResult, cluster_id: str, *, reveal: Reveal | None = None) -> str:
    """SVG of one cluster's money over time: a lane per member (collectors, layers, cash-out mules,
    each in order of first activity), a bar up for each transfer in and down for each out."""
    show = revealed(reveal)
    transfers = result.transfers.filter(pl.col("cluster_id") == cluster_id)
    members = result.members.filter(pl.col("cluster_id") == cluster_id).select("account", "role")
    first = transfers.group_by("account").agg(pl.col("ts").min().alias("first_ts"))
    ordered = (
        members.join(first, on="account", how="left")
        .with_columns(order=pl.col("role").replace_strict(ROLE_ORDER, default=3))
        .sort("order", "first_ts", "account", nulls_last=True)
    )
    lanes = [
        TimelineLane(account, f"{_label(account, show)} ({role})", role)
        for account, role in ordered.select("account", "role").iter_rows()
    ]
    events = []
    for account, ts, direction, amount, counterparty, internal, channel in transfers.select(
        "account", "ts", "direction", "amount", "counterparty", "internal", "channel"
    ).iter_rows():
        way = "from" if direction == "in" else "to"
        where = " (in the cluster)" if internal else ""
        by = f" by {channel}" if channel else ""
        title = f"{direction} {amount:,.2f} at {ts:%Y-%m-%d %H:%M} {way} {_label(counterparty, show)}{where}{by}"
        events.append(TimelineEvent(account, ts, float(amount), direction, title))
    return timeline_svg(lanes, events)


def html_report(result: ScanResult, *, top: int = 10, reveal: Reveal | None = None) -> str:
    """A report an investigator can open offline: ranked clusters (each of the top linked to its section),
    then per top cluster its evidence, a drawing of the money flow, a timeline of money in and out and
    its members."""
    show = revealed(reveal)
    clusters = result.clusters

    def cluster_cell(rank: int, cluster_id: str) -> object:
        label = _label(cluster_id, show)
        return Link(label, f"#{cluster_anchor(rank)}") if rank <= top else label

    summary_rows = [
        (
            r["rank"],
            cluster_cell(r["rank"], r["cluster_id"]),
            f"{r['score']:.2f}",
            r["typology"],
            r["size"],
            r["victims"],
            r["reports"],
            float(r["money_in"]),
            float(r["cash_out"]),
            round(float(r["median_dwell_minutes"] or 0.0), 1),
            "yes" if r["flagged"] else "no",
            r.get("detector") or "fast",
        )
        for r in clusters.iter_rows(named=True)
    ]
    drawn = min(top, clusters.height)
    body = [
        f'<p class="note">As of {result.as_of:%Y-%m-%d %H:%M}, window {_hours(result)} h, '
        f"run {html.escape(result.run_id)}. "
        f"{clusters.filter(pl.col('flagged')).height} of {clusters.height} clusters flagged "
        f"(score {result.flag_at:g} or more: enough of a water house's behaviour, passing money on and "
        "cashing it out, with enough corroboration, victims, reports, speed and young accounts, to act on). "
        f"The first {drawn} are drawn below; their names link to them. "
        "Account numbers are masked unless the report was made with --reveal.</p>",
        f'<p class="note">{html.escape(detectors_note(result))} {html.escape(evidence_note(result))} '
        f"{html.escape(thresholds_note(result))}</p>",
        '<h2 id="ranking">Clusters, most suspicious first</h2>',
        html_table(
            [
                "rank",
                "cluster",
                "score",
                "looks like",
                "members",
                "victims in",
                "reports",
                "money in",
                "cashed out",
                "median dwell (min)",
                "flagged",
                "detector",
            ],
            summary_rows,
        ),
    ]
    for r in clusters.head(top).iter_rows(named=True):
        cid = r["cluster_id"]
        members = result.members.filter(pl.col("cluster_id") == cid)
        body.append(
            f'<h2 id="{cluster_anchor(r["rank"])}">#{r["rank"]} cluster {html.escape(_label(cid, show))}: '
            f"{html.escape(r['typology'])}</h2>"
        )
        body.append('<p class="back"><a href="#ranking">back to the ranking</a></p>')
        body.append(
            html_table(
                ["evidence", "value"],
                [
                    *_score_rows(result, r),
                    ("members / distinct holders", f"{r['size']} / {r['holders']}"),
                    ("collectors / cash-out mules", f"{r['collectors']} / {r['cashouts']}"),
                    ("victims paying in", r["victims"]),
                    ("money in", float(r["money_in"])),
                    ("cashed out (ATM, third party)", float(r["cash_out"])),
                    ("other money out", float(r["other_out"])),
                    ("cash-out points", r["cash_out_points"]),
                    ("median dwell, minutes", round(float(r["median_dwell_minutes"] or 0.0), 1)),
                    ("share of inflow forwarded fast", f"{float(r['pass_through_ratio'] or 0.0):.0%}"),
                    ("members opened within a year", f"{float(r['young_share'] or 0.0):.0%}"),
                    ("reports naming it or its victims", r["reports"]),
                    ("fraud numbers in those reports", r["fraud_phones"] if show else mask_text(r["fraud_phones"])),
                    ("first money in / last money out", f"{r['first_seen']} / {r['last_seen']}"),
                ],
            )
        )
        body.append("<h3>Money flow</h3>")
        body.append(cluster_drawing(result, cid, reveal=reveal))
        body.append("<h3>Money in and out over time</h3>")
        body.append(cluster_timeline(result, cid, reveal=reveal))
        body.append(
            html_table(
                ["account", "role", "money in", "money out", "dwell (min)", "opened"],
                [
                    (
                        _label(m["account"], show),
                        m["role"],
                        float(m["money_in"]),
                        float(m["money_out"]),
                        round(float(m["median_dwell_minutes"] or 0.0), 1),
                        str(m["opened_at"] or ""),
                    )
                    for m in members.iter_rows(named=True)
                ],
            )
        )
    return page("fraudkit scan: water-house clusters", "".join(body))
