"""The pictures of a training, where people would rather look than read a table: the precision-recall
curve of the test days with the team's operating point, feature importance, and calibration.

Drawn with matplotlib's Agg backend into SVG, text kept as text (searchable, and checked for
personal data like every other artifact: there is none, only feature names and figures), with a
fixed hash salt and no date, so the same training gives the same bytes. matplotlib loads inside
the functions: importing this module costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from fraudkit.model.metrics import precision_at_each_score
from fraudkit.text import format_probability

if TYPE_CHECKING:
    from fraudkit.model.train import TrainResult

TOP_FEATURES = 15
"""Features shown in the importance chart, largest gain first."""
STYLE = {
    "svg.hashsalt": "fraudkit",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
"""matplotlib settings of every picture: a fixed salt for element ids and text as text."""
COLOURS = {"curve": "#2c6fbb", "point": "#c0392b", "base": "#999999", "bar": "#4a7bb7"}


@contextmanager
def _figure(width: float, height: float) -> Iterator[tuple[Any, Any]]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    with matplotlib.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(width, height))
        try:
            yield fig, ax
        finally:
            plt.close(fig)


def _save(fig: Any, path: Path) -> Path:
    import matplotlib

    with matplotlib.rc_context(STYLE):
        fig.savefig(path, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return path


def operating_point(scored: pl.DataFrame, threshold: float) -> tuple[float, float, int]:
    """Precision, recall and rows of the labelled rows scoring at or above ``threshold``."""
    rows = scored.filter(pl.col("label").is_not_null())
    flagged = rows.filter(pl.col("score") >= threshold)
    positives = int(rows["label"].sum() or 0)
    hits = int(flagged["label"].sum() or 0)
    precision = hits / flagged.height if flagged.height else float("nan")
    return precision, (hits / positives if positives else float("nan")), flagged.height


def pr_curve(result: TrainResult, path: Path) -> Path:
    """Precision against recall on the test days' rows, with the average precision in the title,
    the share of positives (what a random list reaches) and a marker where the capacity threshold
    set on the validation days cuts the test days."""
    test = result.test_scored.filter((pl.col("split") == "test") & pl.col("label").is_not_null())
    test = test.sort("score", descending=True, maintain_order=True)
    labels = test["label"].cast(pl.Int64).to_numpy()
    scores = test["score"].to_numpy()
    positives = int(labels.sum())
    auc = result.metrics.get("auc_pr", float("nan"))
    with _figure(5.6, 4.6) as (fig, ax):
        if positives:
            _, hits, precision = precision_at_each_score(labels, scores)
            recall = hits / positives
            ax.step(
                np.r_[0.0, recall],
                np.r_[precision[0], precision],
                where="pre",
                color=COLOURS["curve"],
                lw=1.6,
                label=f"test days (average precision {auc:.3f})",
            )
            base = positives / len(labels)
            ax.axhline(base, color=COLOURS["base"], lw=0.8, ls="--", label=f"a random list ({base:.1%} positives)")
            threshold = float(result.meta.get("thresholds", {}).get("capacity", float("nan")))
            p, r, n = operating_point(test, threshold)
            if p == p and r == r:
                k = result.params.capacity
                ax.plot(
                    [r],
                    [p],
                    "o",
                    ms=8,
                    color=COLOURS["point"],
                    zorder=3,
                    label=f"capacity {k} a day: probability ≥ {format_probability(threshold)}\n"
                    f"{n:,} rows flagged, precision {p:.2f}, recall {r:.2f}",
                )
            ax.legend(loc="best", frameon=False)
        else:
            ax.text(0.5, 0.5, "no positives on the test days", ha="center", va="center")
        ax.set_title(f"{result.target}: precision-recall on the test days (average precision {auc:.3f})")
        ax.set_xlabel("recall: share of the test days' positives found")
        ax.set_ylabel("precision: share of flagged rows that are positives")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.05)
        ax.grid(alpha=0.3)
        return _save(fig, path)


def feature_label(name: str, width: int = 44) -> str:
    """A feature in the domain's words (its catalogue meaning, first clause, on at most two lines)."""
    import textwrap

    meaning = _meanings().get(name, name.replace("_", " "))
    first = meaning.split(";")[0].strip()
    return "\n".join(textwrap.wrap(first, width, max_lines=2, placeholder=" …"))


def _meanings() -> dict[str, str]:
    from fraudkit.features import FEATURE_CATALOGUE
    from fraudkit.model.contacts import CONTACT_FEATURES
    from fraudkit.model.dataset import CLUSTER_FEATURES

    found = {spec.name: spec.meaning for spec in FEATURE_CATALOGUE}
    return found | {f.name: f.meaning for f in (*CONTACT_FEATURES, *CLUSTER_FEATURES)}


def importance_chart(result: TrainResult, path: Path, top: int = TOP_FEATURES) -> Path:
    """The ``top`` features by share of gain (the loss reduction of the splits on them), largest on top."""
    rows = result.importance.head(top).rows(named=True)
    with _figure(8.0, 0.45 * max(len(rows), 1) + 1.0) as (fig, ax):
        from matplotlib.ticker import PercentFormatter

        y = np.arange(len(rows))[::-1]
        shares = [r["gain_share"] for r in rows]
        ax.barh(y, shares, color=COLOURS["bar"], height=0.7)
        ax.set_yticks(y, [feature_label(r["feature"]) for r in rows], fontsize=8)
        peak = max(shares, default=0.0) or 1.0
        for yi, r in zip(y, rows, strict=True):
            ax.text(r["gain_share"] + peak * 0.01, yi, f"{r['gain_share']:.1%}  {r['feature']}", va="center")
        ax.set_xlim(0, peak * 1.6)
        ax.set_xticks([t for t in ax.get_xticks() if t <= peak])
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel("share of the model's total gain")
        ax.set_title(f"{result.target}: feature importance (gain), top {len(rows)} of {result.importance.height}")
        return _save(fig, path)


def calibration_chart(result: TrainResult, path: Path) -> Path:
    """Predicted probability against the observed share of positives per bin on the test days: on
    the diagonal, 70% means 70 in 100."""
    bins = result.reliability if result.reliability is not None else pl.DataFrame()
    m = result.metrics
    with _figure(5.0, 4.6) as (fig, ax):
        ax.plot([0, 1], [0, 1], color=COLOURS["base"], lw=0.8, ls="--")
        if bins.height:
            sizes = 20 + 180 * np.sqrt(bins["rows"].to_numpy() / bins["rows"].max())
            ax.scatter(bins["predicted"], bins["observed"], s=sizes, color=COLOURS["curve"], zorder=3)
            ax.plot(bins["predicted"], bins["observed"], color=COLOURS["curve"], lw=1)
            for r in bins.iter_rows(named=True):
                at = (r["predicted"], r["observed"])
                ax.annotate(f"{r['rows']:,}", at, xytext=(6, -10), textcoords="offset points")
        brier, error = m.get("brier", float("nan")), m.get("calibration_error", float("nan"))
        ax.set_title(f"{result.target}: calibration on the test days\nBrier {brier:.4f}, calibration error {error:.1%}")
        ax.set_xlabel("predicted probability (mean of the bin)")
        ax.set_ylabel("observed share of positives")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.05)
        ax.grid(alpha=0.3)
        return _save(fig, path)


def write_pictures(result: TrainResult, folder: Path) -> dict[str, Path]:
    """Every picture of a training into ``folder`` (created): name -> file."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "precision-recall curve": pr_curve(result, folder / "pr_curve.svg"),
        "feature importance": importance_chart(result, folder / "importance.svg"),
        "calibration": calibration_chart(result, folder / "calibration.svg"),
    }
