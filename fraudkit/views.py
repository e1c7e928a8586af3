"""Terminal rendering of results with Rich; no computation lives here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fraudkit.exposure import Reveal, mask_id, mask_text, revealed

if TYPE_CHECKING:
    from fraudkit.ingest import IngestSummary


@contextmanager
def stage_status(console: Console, title: str) -> Iterator[Any]:
    """A spinner whose text follows the stage being worked on; call the yielded function with a stage name."""
    with console.status(f"{title}…") as status:

        def update(stage: str) -> None:
            status.update(f"{title}: {stage}…")

        yield update


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


def rejects_table(rows: list[dict], *, reveal: Reveal | None = None) -> Table:
    """Rejected rows with raw lines masked (and the reason: it may quote a value) unless revealed."""
    show = revealed(reveal)
    table = Table(title="rejects (newest first)", title_justify="left")
    for col in ("kind", "where", "column", "reason", "raw line"):
        table.add_column(col, overflow="fold")
    for r in rows:
        where = f"{Path(r['source_file']).name}:{r['line']}" if r["line"] is not None else Path(r["source_file"]).name
        raw = r["raw"] if show else mask_text(r["raw"])
        reason = r["reason"] if show else mask_text(r["reason"])
        cells = (r["kind"], where, r["column"] or "", reason or "", raw or "")
        table.add_row(*(escape(cell) for cell in cells))  # file text is not Rich markup
    return table


def paths_table(title: str, paths: Mapping[str, Path]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("what")
    table.add_column("where", overflow="fold")
    for name, path in paths.items():
        table.add_row(escape(name), escape(str(path)))
    return table


def clusters_table(result: Any, *, top: int, reveal: Reveal | None = None) -> Table:
    """The ranked clusters of a scan, as an investigator reads them first (cluster ids are accounts: masked)."""
    show = revealed(reveal)
    table = Table(title=f"water-house clusters (top {top})", title_justify="left")
    for col in (
        "rank",
        "cluster",
        "score",
        "looks like",
        "members",
        "victims",
        "reports",
        "money in",
        "cashed out",
        "dwell min",
        "flag",
    ):
        table.add_column(col, justify="right" if col not in ("cluster", "looks like", "flag") else "left")
    for r in result.clusters.head(top).iter_rows(named=True):
        table.add_row(
            str(r["rank"]),
            r["cluster_id"] if show else (mask_id(r["cluster_id"]) or ""),
            f"{r['score']:.2f}",
            r["typology"],
            str(r["size"]),
            str(r["victims"]),
            str(r["reports"]),
            f"{r['money_in']:,.0f}",
            f"{r['cash_out']:,.0f}",
            f"{(r['median_dwell_minutes'] or 0):.0f}",
            "[bold red]yes[/]" if r["flagged"] else "no",
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
