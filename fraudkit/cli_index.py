"""`fraudkit index`: the monthly regional fraud-risk index, every city and county ranked and coloured.

The command checks its options, computes (or reads back) the month at each level asked for with
:func:`fraudkit.index.compute.compute_index`, publishes a finished month so that next month's change is
measured against it, writes the file, and prints the ranking. ``fraudkit.cli`` imports this module at its
end; the option types are imported at the bottom (see ``fraudkit.cli_daily``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.markup import escape
from rich.table import Table

from fraudkit.errors import ConfigError

if TYPE_CHECKING:
    from fraudkit.index.result import IndexResult

IndexLevel = Literal["city", "county", "both"]
OUT_SUFFIXES = (".xlsx", ".html", ".parquet")
TIER_STYLES = {"green": "green", "yellow": "yellow", "red": "bold red"}


def index(
    month: Annotated[
        str | None,
        typer.Option("--month", help="The month (YYYY-MM) \\[default: the latest month the store's records reach]."),
    ] = None,
    level: Annotated[IndexLevel, typer.Option("--level", help="Cities, counties or both.")] = "both",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the index: .xlsx (sheets), .html (a page) or .parquet.")
    ] = None,
    draft: Annotated[
        bool, typer.Option("--draft", help="Compute without publishing (a finished month is published by default).")
    ] = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Rank every city and county on the month's fraud outcomes, adjusted for size, coloured green, yellow, red.

    Indicators come only from what the store holds (reports, call-backs, transfers, subscribers, accounts
    and the month's scan), each normalised across regions and weighted into cases, interception and supply
    side ([index] settings; docs/index.md). A finished month is published (index_runs) the first time: run
    again, it shows what was published, and next month's change is measured against it. Needs the regions
    table (fraudkit ingest regions.csv --kind regions; fraudkit synth writes one).

    Example: [bold]fraudkit index --month 2026-10 --out index-2026-10.html[/]
    """
    from fraudkit.config import index_params
    from fraudkit.index.compute import Month, compute_index, flagged_members, last_full_month, load_regions
    from fraudkit.index.result import LEVELS
    from fraudkit.index.runs import publish, published
    from fraudkit.store import open_store
    from fraudkit.timeutil import default_as_of
    from fraudkit.views import stage_status

    if out is not None:
        if out.suffix.lower() not in OUT_SUFFIXES:
            raise ConfigError(f"--out {out} must end in .xlsx, .html or .parquet", hint="e.g. --out index.html")
        _out_file(out)
    chosen = Month.parse(month) if month else None
    params = index_params(_tree())
    _need_store(db)
    levels = LEVELS if level == "both" else (level,)
    with open_store(db, read_only=draft) as con:
        load_regions(con)  # no regions: one line, before the scan
        when = chosen or last_full_month(con)
        now = default_as_of(con)
        finished = when.end <= now
        results = {}
        with stage_status(console, f"index for {when.label}") as update:
            members = None
            if any(published(con, when.label, lvl) is None for lvl in levels):  # published: no scan needed
                update("scanning the month for water houses")
                members = flagged_members(con, when)
            for lvl in levels:
                update(f"{lvl} indicators")
                results[lvl] = compute_index(con, when, lvl, params, members=members)
            if finished and not draft:
                for lvl, result in results.items():
                    publish(con, result.month, lvl, result.table, result.notes, params, now)
    for lvl in levels:
        _print(results[lvl])
    state = (
        "draft, not published"
        if draft
        else ("published" if finished else f"not published: the month runs to {when.end:%Y-%m-%d}")
    )
    console.print(f"{when.label}: {state}", highlight=False)
    if out is not None:
        from fraudkit.index.outputs import write_index

        write_index(results, out)
        console.print(f"written to [bold]{escape(str(out))}[/]", highlight=False)


def _print(result: IndexResult) -> None:
    """The ranking as a table: rank, region, index, change, tier and its reason."""
    table = Table(title=f"{result.level} index, {result.month}", title_justify="left")
    for name, justify in (("rank", "right"), ("region", "left"), ("index", "right"), ("change", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    table.add_column("tier")
    table.add_column("why")
    for row in result.table.iter_rows(named=True):
        change = "" if row["change"] is None else f"{row['change']:+.1f}"
        style = TIER_STYLES.get(row["tier"], "")
        table.add_row(
            str(row["rank"]),
            escape(f"{row['name']} ({row['region']})"),
            f"{row['index']:.1f}",
            change,
            f"[{style}]{row['tier']}[/]",
            escape(row["tier_reason"].split(": ", 1)[-1]),
        )
    console.print(table)
    for note in result.notes:
        console.print(f"note: {escape(note)}", highlight=False)


# At the bottom, not the top: fraudkit.cli imports this module at its end (see the docstring).
from fraudkit.cli import (  # noqa: E402
    ConfigOption,
    DbOption,
    _need_store,
    _out_file,
    _tree,
    console,
)
