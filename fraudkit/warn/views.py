"""Terminal preview of a call-back list with Rich (masked unless revealed); no computation here."""

from __future__ import annotations

from rich.table import Table

from fraudkit.exposure import mask_phone
from fraudkit.warn.listing import WarningList

TIER_STYLE = {"red": "bold red", "orange": "dark_orange", "yellow": "yellow"}


def warning_table(wl: WarningList, *, rows: int = 10, reveal: bool = False) -> Table:
    """The first rows of the list as the team will read it."""
    counts = wl.tier_counts()
    table = Table(
        title=f"call-back list as of {wl.as_of:%Y-%m-%d %H:%M} (model v{wl.model_version}): "
        f"{counts['red']} red, {counts['orange']} orange, {counts['yellow']} yellow",
        title_justify="left",
    )
    for col in ("rank", "phone", "score", "tier", "first reason", "suspect number", "contact began"):
        table.add_column(col, justify="right" if col in ("rank", "score") else "left", overflow="fold")
    for r in wl.frame.head(rows).iter_rows(named=True):
        table.add_row(
            str(r["rank"]),
            r["phone"] if reveal else (mask_phone(r["phone"]) or ""),
            f"{r['score']:.3f}",
            f"[{TIER_STYLE.get(r['tier'], '')}]{r['tier']}[/]",
            r["reason_1"] or "",
            r["suspect_number"] if reveal else (mask_phone(r["suspect_number"]) or ""),
            f"{r['contact_began']:%Y-%m-%d %H:%M}",
        )
    return table
