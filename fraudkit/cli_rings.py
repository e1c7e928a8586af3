"""`fraudkit rings`: the known rings, what changed since the previous scan, and one ring's timeline.

Rings are kept by every `fraudkit scan` (``fraudkit.rings.track``) in the operational store beside the
DuckDB store. ``fraudkit.cli`` imports this module at its end; the option types are imported at the
bottom (see ``fraudkit.cli_daily``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from fraudkit.errors import ConfigError
from fraudkit.text import short_amount
from fraudkit.views import compact_table

RING_LIMIT = 50


def rings(
    ring: Annotated[str | None, typer.Argument(help="One ring's id (R000001...): its timeline and members.")] = None,
    new: Annotated[
        bool, typer.Option("--new", help="Only rings first seen by the newest scan (or since --since).")
    ] = False,
    changed: Annotated[
        bool, typer.Option("--changed", help="Only rings whose members, cash-out points or lineage changed.")
    ] = False,
    since: Annotated[
        str | None, typer.Option("--since", help="Count changes from this date (YYYY-MM-DD) on, not the newest scan's.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="Rings to show.")] = RING_LIMIT,
    db: DbOption = None,
    ops_db: OpsDbOption = None,
    config: ConfigOption = None,
) -> None:
    """The known rings: first and last seen, status, members now and ever, money in and cashed out to
    date, victims, and what changed since the previous scan. Every `fraudkit scan` keeps them.

    Example: [bold]fraudkit rings --changed[/]   one ring: [bold]fraudkit rings R000003[/]
    """
    from fraudkit.ops.db import ops_engine
    from fraudkit.rings.views import last_tracked, ring_detail, ring_list

    start = _date(since) if since else None
    engine = ops_engine(_ops_store_url(db, ops_db, what=", so no ring is known yet (run `fraudkit scan`)"))
    if ring is not None:
        _show_ring(ring_detail(engine, ring.strip().upper()))
        return
    newest = last_tracked(engine)
    if newest is None:
        console.print("no scan taken in yet: `fraudkit scan` keeps the rings")
        return
    listed = ring_list(engine, new=new, changed=changed, since=start)
    title = (
        f"rings, changes since {start:%Y-%m-%d}"
        if start
        else f"rings, changes in the scan as of {newest:%Y-%m-%d %H:%M}"
    )
    table = compact_table(title)
    headings = {
        "ring": "left",
        "status": "left",
        "last\nseen": "left",
        "members\nnow/ever": "right",
        "money\nin": "right",
        "cashed\nout": "right",
        "victims": "right",
        "joined\n/found": "right",
        "left\n/lost": "right",
        "new\ncash": "right",
        "new\nnos.": "right",
    }
    for name, justify in headings.items():
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for r in listed.head(limit).iter_rows(named=True):
        table.add_row(
            r["ring_id"] + ("*" if r["new"] else ""),
            r["status"] + (f" → {r['merged_into']}" if r["merged_into"] else ""),
            f"{r['last_seen']:%m-%d}",
            f"{r['members_now']}/{r['members_ever']}",
            short_amount(r["money_in"]),
            short_amount(r["cash_out"]),
            str(r["victims"]),
            f"{r['joined']}/{r['found']}",
            f"{r['left']}/{r['lost']}",
            str(r["new_cash_out_points"]),
            str(r["new_fraud_numbers"]),
        )
    console.print(table)
    shown = "" if listed.height <= limit else f" (first {limit}: --limit)"
    console.print(
        f"{listed.height} of the known rings shown{shown}; * first seen by these scans; new cash: new cash-out "
        "points; new nos.: new fraud numbers; `fraudkit rings RING` for one ring's timeline"
    )


def _show_ring(detail: object) -> None:
    from fraudkit.rings.views import RingDetail

    assert isinstance(detail, RingDetail)
    r = detail.ring
    lineage = "".join(
        f", {what} {r[key]}" for what, key in (("split from", "split_from"), ("merged into", "merged_into")) if r[key]
    )
    console.print(
        f"[bold]{r['ring_id']}[/] {r['status']}{lineage}: first seen {r['first_seen']:%Y-%m-%d}, last seen "
        f"{r['last_seen']:%Y-%m-%d}; {r['members_now']} members now, {r['members_ever']} ever; money in "
        f"{r['money_in']:,.2f}, cashed out {r['cash_out']:,.2f}; {r['victims']} victims"
    )
    timeline = Table(title="timeline")
    for name in ("scan as of", "members", "money in (window)", "new money in", "score", "typology"):
        timeline.add_column(name)
    for s in detail.snapshots.iter_rows(named=True):
        timeline.add_row(
            f"{s['as_of']:%Y-%m-%d %H:%M}",
            str(s["size"]),
            f"{s['money_in']:,.2f}",
            f"{s['new_money_in']:,.2f}",
            f"{s['score']:.2f}" if s["score"] is not None else "",
            escape(s["typology"] or ""),
        )
    console.print(timeline)
    events = Table(title="what changed")
    for name in ("as of", "event", "account", "ring", "detail"):
        events.add_column(name)
    for e in detail.events.iter_rows(named=True):
        events.add_row(
            f"{e['as_of']:%Y-%m-%d}", e["kind"], e["label"] or "", e["other_ring"] or "", escape(e["detail"] or "")
        )
    console.print(events)
    members = Table(title="members now (masked)")
    for name in ("account", "role", "money in", "money out", "first seen", "last seen"):
        members.add_column(name)
    for m in detail.members.iter_rows(named=True):
        members.add_row(
            m["label"],
            m["role"] or "",
            f"{m['money_in']:,.2f}",
            f"{m['money_out']:,.2f}",
            f"{m['first_seen']:%Y-%m-%d}",
            f"{m['last_seen']:%Y-%m-%d}",
        )
    console.print(members)


def _date(text: str) -> datetime:
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d")
    except ValueError:
        raise ConfigError(f"--since {text!r} is not a date", hint="write YYYY-MM-DD, e.g. --since 2026-10-01") from None


from fraudkit.cli import (  # noqa: E402
    ConfigOption,
    DbOption,
    OpsDbOption,
    _ops_store_url,
    console,
)
