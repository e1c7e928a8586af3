"""Terminal rendering of trainings, comparisons and registered versions with Rich; no computation here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.markup import escape
from rich.table import Table

from fraudkit.model.registry import Comparison
from fraudkit.model.train import TrainResult, summary_lines

LABELS = {
    "auc_pr": "AUC-PR",
    "precision_at_k": "precision@k",
    "recall_at_k": "recall@k",
    "warned_share": "warned before first transfer",
    "median_lead_minutes": "median lead time (min)",
    "loss_stopped_share": "loss that could have been stopped",
    "brier": "Brier score (calibration; lower is better)",
}


def _fmt(value: float | None, metric: str) -> str:
    if value is None or value != value:
        return "-"
    if metric in ("warned_share", "loss_stopped_share"):
        return f"{value:.1%}"
    if metric == "median_lead_minutes":
        return f"{value:.0f}"
    if metric == "brier":
        return f"{value:.4f}"
    return f"{value:.3f}"


def training_table(result: TrainResult) -> Table:
    """Split, rows and the test-day figures of one training."""
    split = result.meta["split"]
    table = Table(title=f"{result.target} model, labels from {result.meta['label_source']}", title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right", overflow="fold")  # paths of the pictures: whole, folded
    folds = int(result.meta.get("mule", {}).get("folds", 0))
    for part in ("train", "val", "test"):
        days = split[part]
        rows, pos = result.metrics.get(f"{part}_rows", 0), result.metrics.get(f"{part}_positives", 0)
        if result.target == "mule":  # one row per account as of T, parts by ring-grouped folds
            which = {"train": f"folds 3-{folds}", "val": "fold 2", "test": "fold 1"}[part]
            table.add_row(f"{part} accounts ({which})", f"{rows:,.0f} rows, {pos:,.0f} positive, as of {days[-1]}")
            continue
        table.add_row(f"{part} days", f"{days[0]}..{days[-1]} ({len(days)}): {rows:,.0f} rows, {pos:,.0f} positive")
    for name, value in summary_lines(result):
        table.add_row(name, escape(value))
    for name, where in result.artifacts.items():
        table.add_row(f"picture: {name}", escape(where))
    return table


def comparison_table(cmp: Comparison) -> Table:
    """Candidate against champion, metric by metric, on the candidate's test days."""
    title = f"fraudkit-{cmp.target}: v{cmp.candidate}" + (
        f" against champion v{cmp.champion}" if cmp.champion and cmp.champion != cmp.candidate else ""
    )
    caption = "; ".join(part for part in (cmp.note, cmp.decision) if part)
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    table.add_column("test-day metric")
    table.add_column(f"v{cmp.candidate}", justify="right")
    table.add_column(f"champion v{cmp.champion}" if cmp.champion else "champion", justify="right")
    for metric, cand, champ in cmp.rows:
        table.add_row(LABELS.get(metric, metric), _fmt(cand, metric), _fmt(champ, metric))
    return table


def versions_table(target: str, versions: list[dict[str, Any]]) -> Table:
    """Registered versions, newest first, with the champion marked."""
    table = Table(title=f"fraudkit-{target}", title_justify="left")
    for col in ("version", "alias", "trained as of", "labels", "registered", "AUC-PR", "precision@k", "warned"):
        table.add_column(col, justify="left" if col in ("alias", "labels") else "right")
    for v in versions:
        created = datetime.fromtimestamp(v["created"] / 1000).strftime("%Y-%m-%d %H:%M") if v["created"] else ""
        table.add_row(
            v["version"],
            "champion" if v["champion"] else "",
            (v["as_of"] or "")[:16],
            v["label_source"],
            created,
            _fmt(v.get("auc_pr"), "auc_pr"),
            _fmt(v.get("precision_at_k"), "precision_at_k"),
            _fmt(v.get("warned_share"), "warned_share"),
        )
    return table
