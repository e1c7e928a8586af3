"""Terminal rendering of results with Rich; no computation lives here.

The wide tables (clusters, rejects, alerts) read on an 80-column terminal: no borders between
columns, identifiers never cut (a masked account keeps all its characters), and free text
(reasons) wraps in its own column instead of squeezing the numbers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fraudkit.exposure import Reveal, mask_id, mask_text, revealed
from fraudkit.progress import ConsoleReporter, reporting
from fraudkit.text import format_probability, short_amount

RAW_LINE_SHOWN = 40
"""Characters of a rejected raw line shown in the rejects table, so that it takes one row at 80
columns beside the file (24) and column (12); `fraudkit rejects --full-lines` shows it whole (and
the store's rejects table always holds it)."""

if TYPE_CHECKING:
    from fraudkit.ingest import IngestSummary


@contextmanager
def stage_status(console: Console, title: str) -> Iterator[ConsoleReporter]:
    """What a command shows while it works (:func:`fraudkit.progress.reporting`): on a terminal, a
    row following the text the yielded object is called with and a bar per stage; otherwise a line
    for each, printed as it happens. Pass the object down as a library function's ``progress``."""
    with reporting(console, title) as progress:
        yield progress


def counts_table(title: str, counts: Mapping[str, int], *, unit: str = "rows") -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("table")
    table.add_column(unit, justify="right")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    return table


def ingest_table(summary: IngestSummary) -> Table:
    """One row per file; an updates column when any row replaced a stored one, so that
    read = loaded + rejected + duplicates + updates stays visible."""
    table = Table(title=f"ingest {summary.kind}", title_justify="left")
    counts = ("read", "loaded", "rejected", "duplicates", *(("updates",) if summary.updates else ()))
    for col in ("file", *counts, "note"):
        table.add_column(col, justify="left" if col in ("file", "note") else "right")
    for f in summary.files:
        note = "already ingested, skipped" if f.skipped else ""
        values = (f.rows_read, f.loaded, f.rejected, f.duplicates, f.updates)[: len(counts)]
        table.add_row(escape(str(f.path)), *(f"{v:,}" for v in values), note)
    if len(summary.files) > 1:
        totals = (summary.rows_read, summary.loaded, summary.rejected, summary.duplicates, summary.updates)
        table.add_row("[bold]total", *(f"{v:,}" for v in totals[: len(counts)]), "")
    return table


def compact_table(title: str) -> Table:
    """A table without borders between columns (one space apart), so that a wide one fits 80
    columns; the heading is underlined by a rule."""
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, padding=0)


def cut(text: str, length: int) -> str:
    """``text`` of at most ``length`` characters, an ellipsis marking what was cut."""
    return text if len(text) <= length else text[: length - 1] + "…"


def rejects_table(rows: list[dict], *, reveal: Reveal | None = None, full_lines: bool = False) -> Table:
    """Rejected rows with raw lines masked (and the reason: it may quote a value) unless revealed.

    Each reject takes two lines at 80 columns: where (file:line, then its table) beside the column,
    and the reason with the raw line under it, cut to RAW_LINE_SHOWN characters unless
    ``full_lines`` (masking comes first, so a cut never splits a number out of its mask)."""
    show = revealed(reveal)
    cut_note = "" if full_lines else f" (raw lines cut at {RAW_LINE_SHOWN} characters: --full-lines)"
    table = compact_table(f"rejects, newest first{cut_note}")
    table.add_column("where\ntable", overflow="fold", max_width=24)  # a long file name folds, the raw line stays
    table.add_column("column", overflow="fold", max_width=12)
    table.add_column("reason\nraw line", overflow="fold", min_width=None if full_lines else RAW_LINE_SHOWN)
    for r in rows:
        where = f"{Path(r['source_file']).name}:{r['line']}" if r["line"] is not None else Path(r["source_file"]).name
        raw = (r["raw"] if show else mask_text(r["raw"])) or ""
        reason = (r["reason"] if show else mask_text(r["reason"])) or ""
        shown = raw if full_lines else cut(raw, RAW_LINE_SHOWN)
        table.add_row(  # file text is not Rich markup
            f"{escape(where)}\n[dim]{escape(r['kind'])}[/]",
            escape(r["column"] or ""),
            f"{escape(reason)}\n[dim]{escape(shown)}[/]",
        )
    return table


def paths_table(title: str, paths: Mapping[str, Path]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("what")
    table.add_column("where", overflow="fold")
    for name, path in paths.items():
        table.add_row(escape(name), escape(str(path)))
    return table


def clusters_table(result: Any, *, top: int, reveal: Reveal | None = None) -> Table:
    """The ranked clusters of a scan, as an investigator reads them first (cluster ids are accounts:
    masked, never cut). Two lines a cluster at 80 columns: its id, and under it what it looks like;
    money in short form (488k); the HTML report and Parquet files hold the exact figures."""
    show = revealed(reveal)
    table = compact_table(f"water-house clusters (top {top})")
    shown = result.clusters.head(top)
    clusters = [r["cluster_id"] if show else (mask_id(r["cluster_id"]) or "") for r in shown.iter_rows(named=True)]
    headings = ("#", "cluster\nlooks like", "score", "members", "victims", "reports", "money\nin", "cashed\nout")
    for col in (*headings, "dwell\nmin"):  # headings broken by hand: Rich cuts, not wraps, a squeezed table
        wide = max(map(len, clusters), default=0) if col.startswith("cluster") else None
        table.add_column(col, justify="left" if wide is not None else "right", min_width=wide, no_wrap=True)
    table.add_column("flag")
    for r, cluster in zip(shown.iter_rows(named=True), clusters, strict=True):
        table.add_row(
            str(r["rank"]),
            f"{escape(cluster)}\n[dim]{escape(looks_like(r))}[/]",
            f"{r['score']:.2f}",
            str(r["size"]),
            str(r["victims"]),
            str(r["reports"]),
            short_amount(r["money_in"]),
            short_amount(r["cash_out"]),
            f"{(r['median_dwell_minutes'] or 0):.0f}",
            "[bold red]yes[/]" if r["flagged"] else "no",
        )
    return table


def looks_like(cluster: dict[str, Any]) -> str:
    """A cluster's shape for the table: its typology, and "dense" when the dense detector found it."""
    shape = str(cluster["typology"]).replace("_", "-")
    return f"{shape}, dense" if cluster.get("detector") == "dense" else shape


def alerts_table(open_alerts: Any, *, limit: int) -> Table:
    """Open alerts, most urgent first, phones and suspect numbers masked and never cut; channel and
    tier share a column (two lines) so that the reason has room to wrap at 80 columns."""
    table = compact_table("open alerts, most urgent first")
    for col in ("created", "phone", "queue\ntier", "risk", "suspect", "reason", "status"):
        table.add_column(col, justify="right" if col == "risk" else "left", no_wrap=col in ("phone", "suspect"))
    for r in open_alerts.head(limit).iter_rows(named=True):
        tier = r["tier"] + (" urgent" if r["urgent"] else "")
        table.add_row(
            f"{r['created_at']:%m-%d %H:%M}",
            mask_id(r["phone"]) or "",
            f"{escape(r['channel'])}\n[dim]{escape(tier)}[/]",
            format_probability(r["score"]),
            mask_id(r["suspect_number"]) or "",
            escape(r["urgent_reason"] or r["reason_1"] or ""),
            escape(r["status"]),
        )
    return table


def scan_quality_table(quality: Any, *, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("mule precision", f"{quality.mule_precision:.3f}")
    table.add_row("mule recall", f"{quality.mule_recall:.3f}")
    table.add_row("rings found (Jaccard >= 0.5)", f"{quality.rings_found} of {quality.rings_active}")
    table.add_row("accounts flagged / mules active", f"{quality.flagged_accounts} / {quality.active_mules}")
    looks = ", ".join(f"{k}: {v}" for k, v in quality.lookalike_false_positives.items()) or "none"
    table.add_row("look-alikes flagged", looks)
    return table


def feature_catalogue_table(catalogue: Any) -> Table:
    """The feature catalogue: name, entity, window and meaning of every feature."""
    table = Table(title="feature catalogue", title_justify="left")
    for col in ("name", "entity", "window", "meaning"):
        table.add_column(col, overflow="fold")
    for spec in catalogue:
        table.add_row(spec.name, spec.entity, spec.window, spec.meaning)
    return table
