"""How well the index ranks regions by true risk, on a synthetic world whose truth knows it.

The truth (``truth/regions``: county, month, intensity, residents, victims, loss at risk) records every
victim's loss whether reported or not; the index sees only what a centre's store holds. The measure is
Spearman's rank correlation between the index (higher is safer) and the true loss at risk per resident
(higher is riskier), sign turned, so 1 means the index ranks exactly by true risk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from fraudkit.index.result import IndexResult

c = pl.col


@dataclass(frozen=True)
class IndexQuality:
    """Spearman's rho between the index and true per-resident risk, over ``regions`` regions of the month."""

    month: str
    level: str
    spearman: float
    regions: int
    red: tuple[str, ...]


def true_risk(truth_regions: pl.DataFrame, month: str, level_map: pl.DataFrame) -> pl.DataFrame:
    """``region``, ``loss_at_risk_per_resident`` of ``month``: the truth's counties summed up to the regions of
    ``level_map`` (code -> region, :func:`fraudkit.index.indicators.region_map`)."""
    rows = truth_regions.filter(c("month") == month).join(level_map, on="code", how="inner")
    return rows.group_by("region").agg(
        (c("loss_at_risk").sum() / c("residents").sum()).alias("loss_at_risk_per_resident")
    )


def index_quality(result: IndexResult, truth_regions: pl.DataFrame, level_map: pl.DataFrame) -> IndexQuality:
    """The index of ``result`` against the truth of its month."""
    risk = true_risk(truth_regions, result.month, level_map)
    both = result.table.select("region", "index", "tier").join(risk, on="region", how="inner").drop_nulls()
    rho = spearman(both["index"].to_numpy(), -both["loss_at_risk_per_resident"].to_numpy())
    red = tuple(sorted(result.table.filter(c("tier") == "red")["region"].to_list()))
    return IndexQuality(result.month, result.level, rho, both.height, red)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation (average ranks for ties); nan with fewer than three pairs or no spread."""
    if len(a) < 3:
        return float("nan")
    ra = pl.Series(a).rank("average").to_numpy()
    rb = pl.Series(b).rank("average").to_numpy()
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])
