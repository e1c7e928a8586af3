"""Terminal preview of a call-back list with Rich (masked unless revealed, scores as percentages);
no computation here."""

from __future__ import annotations

from rich.table import Table

from fraudkit.exposure import Reveal, mask_id, mask_text, revealed
from fraudkit.text import format_probability
from fraudkit.warn.listing import WarningList

TIER_STYLE = {"red": "bold red", "orange": "dark_orange", "yellow": "yellow"}


def warning_table(wl: WarningList, *, rows: int = 10, reveal: Reveal | None = None) -> Table:
    """The first rows of the list as the team will read it (masked as in the files unless revealed)."""
    show = revealed(reveal)
    counts = wl.tier_counts()
    table = Table(
        title=f"call-back list as of {wl.as_of:%Y-%m-%d %H:%M} (model v{wl.model_version}): "
        f"{counts['red']} red, {counts['orange']} orange, {counts['yellow']} yellow ({wl.tiers.describe()})",
        title_justify="left",
    )
    for col in ("rank", "phone", "risk", "tier", "first reason", "suspect number", "contact began"):
        table.add_column(col, justify="right" if col in ("rank", "risk") else "left", overflow="fold")
    for r in wl.frame.head(rows).iter_rows(named=True):
        table.add_row(
            str(r["rank"]),
            r["phone"] if show else (mask_id(r["phone"]) or ""),
            format_probability(r["score"]),
            f"[{TIER_STYLE.get(r['tier'], '')}]{r['tier']}[/]",
            (r["reason_1"] if show else mask_text(r["reason_1"])) or "",
            r["suspect_number"] if show else (mask_id(r["suspect_number"]) or ""),
            f"{r['contact_began']:%Y-%m-%d %H:%M}",
        )
    return table
