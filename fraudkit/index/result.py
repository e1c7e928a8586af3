"""What one month's regional fraud-risk index is, as the outputs read it.

``fraudkit.index.compute`` makes an :class:`IndexResult` per level (city, county) from the store;
``fraudkit.index.outputs`` writes them for people (XLSX, HTML) and programs (Parquet). Numbers of
people never appear: every row is a region.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import polars as pl

Level = Literal["city", "county"]
LEVELS: tuple[Level, ...] = ("city", "county")
Heading = Literal["cases", "interception", "supply"]
HEADINGS: tuple[Heading, ...] = ("cases", "interception", "supply")
HEADING_TITLES: dict[Heading, str] = {
    "cases": "Cases",
    "interception": "Interception",
    "supply": "Supply side",
}
Tier = Literal["green", "yellow", "red"]
TIERS: tuple[Tier, ...] = ("green", "yellow", "red")
TIER_COLOURS: dict[Tier, str] = {"green": "#2E7D32", "yellow": "#F9A825", "red": "#C62828"}


@dataclass(frozen=True)
class Indicator:
    """One indicator of the index: an outcome the store records, per region and month.

    ``higher_is``: "riskier" for indicators where a larger value means more fraud (cases per 10,000
    residents), "safer" where it means better protection (victims warned in time); normalisation signs
    them so that higher is always safer. ``unit`` is what the raw value counts (shown in the sheets).
    """

    name: str
    heading: Heading
    title: str
    meaning: str
    unit: str
    higher_is: Literal["riskier", "safer"]


def table_schema(indicators: tuple[Indicator, ...]) -> dict[str, pl.DataType]:
    """The columns of :attr:`IndexResult.table`, in order, with their types."""
    text, number = pl.Utf8(), pl.Float64()
    schema: dict[str, pl.DataType] = {"rank": pl.Int32()}
    schema |= {name: text for name in ("region", "name", "level", "parent", "parent_name")}
    schema |= {"index": number, "tier": text, "tier_reason": text, "change": number}
    schema |= {f"score_{heading}": number for heading in HEADINGS}
    schema |= {ind.name: number for ind in indicators}
    schema |= {f"contribution_{ind.name}": number for ind in indicators}
    return schema


@dataclass(frozen=True)
class IndexResult:
    """One month's index at one level.

    ``table``: one row per region of the level, ranked (rank 1 is the safest), with the columns
      ``rank`` (Int32), ``region`` (the six-digit code), ``name``, ``level``, ``parent`` (the parent's
      code), ``parent_name``, ``index`` (Float64, 0-100, higher is safer), ``tier`` ("green", "yellow",
      "red"), ``tier_reason`` (a sentence: why this colour), ``change`` (Float64: index minus the one
      published for the previous month, null when none was), ``score_<heading>`` (Float64, 0-100) for each
      of :data:`HEADINGS`, and for each indicator ``<name>`` (Float64, its raw value; null when the store
      cannot tell) and ``contribution_<name>`` (Float64: points of the index this indicator adds or
      takes away against an average region, the sum over indicators being ``index - 50``).
    ``trend``: the region's index over up to twelve months ending with this one: ``region``, ``month``
      ("YYYY-MM"), ``index``, ``tier``; earlier months come from the published runs (``index_runs``).
    ``indicators``: every indicator, in the order of the table's columns.
    ``notes``: sentences about the month (indicators the store cannot compute, regions without residents).
    ``run_id``: the published run this result is (or would be) stored as.
    """

    month: str
    level: Level
    table: pl.DataFrame
    trend: pl.DataFrame
    indicators: tuple[Indicator, ...]
    notes: list[str] = field(default_factory=list)
    run_id: str = ""

    def movers(self, region: str, top: int = 3) -> list[tuple[Indicator, float]]:
        """The indicators that moved ``region``'s index most this month: the largest contributions by size."""
        row = self.table.filter(pl.col("region") == region).row(0, named=True)
        pairs = [(ind, float(row[f"contribution_{ind.name}"] or 0.0)) for ind in self.indicators]
        return sorted(pairs, key=lambda p: -abs(p[1]))[:top]
