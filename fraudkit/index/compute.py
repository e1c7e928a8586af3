"""One month's index at one level, from the store: indicators, scores, colours, change, trend.

A month already published is read back as it was published (the same figures, whatever arrived since);
a new month is computed, and published when asked, so that next month's change is measured against it.
The water houses of the month come from a scan over the whole month as of its end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import polars as pl

from fraudkit.engine.sql import index as sql
from fraudkit.errors import ConfigError
from fraudkit.index import runs
from fraudkit.index.indicators import INDICATORS, MonthData, indicator_values, month_data, region_map
from fraudkit.index.result import IndexResult, Level, table_schema
from fraudkit.index.scoring import IndexParams, scored, spikes, tiers
from fraudkit.store import frame, table_exists
from fraudkit.text import plural
from fraudkit.timeutil import default_as_of

c = pl.col
TREND_MONTHS = 12


@dataclass(frozen=True)
class Month:
    """A calendar month: ``label`` "YYYY-MM", [``start``, ``end``)."""

    label: str
    start: datetime
    end: datetime

    @classmethod
    def parse(cls, text: str) -> Month:
        try:
            start = datetime.strptime(text.strip(), "%Y-%m")
        except ValueError:
            raise ConfigError(f"month {text!r} is not YYYY-MM", hint="e.g. --month 2026-10") from None
        return cls(start.strftime("%Y-%m"), start, _add_months(start, 1))

    def shifted(self, months: int) -> Month:
        start = _add_months(self.start, months)
        return Month(start.strftime("%Y-%m"), start, _add_months(start, 1))


def _add_months(day: datetime, months: int) -> datetime:
    index = day.year * 12 + day.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1)


def load_regions(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The regions reference table, or a one-line error saying how to load it."""
    if not table_exists(con, "regions") or not con.sql(sql.REGION_COUNT).fetchall()[0][0]:
        raise ConfigError(
            "the store has no regions",
            hint="load the reference table: fraudkit ingest regions.csv --kind regions (fraudkit synth writes one)",
        )
    return frame(con, sql.REGIONS, table="regions")


SCAN_WINDOW = timedelta(days=7)
"""The window of each of the month's scans: the scan's own default, as a centre scans day by day."""


def flagged_members(con: duckdb.DuckDBPyConnection, month: Month) -> pl.DataFrame:
    """Members (account, cluster_id) of the water houses flagged by the scans of the month: one per week
    back from its end, each over :data:`SCAN_WINDOW`. An account in several weeks' water houses belongs
    to the latest one it was in, so a ring seen every week counts once. Week by week, a scan's memory is
    that of a week's transfers (a month's at once took 7.6 GiB at 1M subscribers)."""
    from fraudkit.scan.scan import run_scan

    seen: list[pl.DataFrame] = []
    end, week = month.end, 0
    while end > month.start:
        result = run_scan(con, as_of=end, window=min(SCAN_WINDOW, end - month.start))
        flagged = result.members.join(result.flagged.select("cluster_id"), on="cluster_id")
        seen.append(flagged.select("account", "cluster_id", pl.lit(week).alias("_week")))
        end, week = end - SCAN_WINDOW, week + 1
    members = pl.concat(seen).sort("_week", "account").unique("account", keep="first", maintain_order=True)
    return members.select("account", "cluster_id").sort("account")


def compute_index(
    con: duckdb.DuckDBPyConnection,
    month: Month,
    level: Level,
    params: IndexParams,
    *,
    members: pl.DataFrame | None = None,
) -> IndexResult:
    """``month``'s index at ``level``: published figures when the month was published, computed otherwise.

    ``members`` (account, cluster_id): the flagged water houses' members, when the caller scanned already
    (one scan serves both levels)."""
    regions = load_regions(con)
    earlier = runs.published_trend(con, level, month.shifted(-(TREND_MONTHS - 1)).label, month.label)
    stored = runs.published(con, month.label, level)
    if stored is not None:
        table, notes = stored
        notes = [*notes, f"{month.label} as published ({runs.run_id(month.label, level)})"]
    else:
        table, notes = _computed(con, month, level, params, regions, members)
    trend = pl.concat([earlier, table.select("region", pl.lit(month.label).alias("month"), "index", "tier")])
    return IndexResult(
        month=month.label,
        level=level,
        table=table,
        trend=trend.sort("region", "month"),
        indicators=INDICATORS,
        notes=notes,
        run_id=runs.run_id(month.label, level),
    )


def _computed(
    con: duckdb.DuckDBPyConnection,
    month: Month,
    level: Level,
    params: IndexParams,
    regions: pl.DataFrame,
    members: pl.DataFrame | None,
) -> tuple[pl.DataFrame, list[str]]:
    members = flagged_members(con, month) if members is None else members
    data = month_data(con, month.start, month.end, members)
    values = indicator_values(data, regions, level)
    notes = _notes(values, data, regions, level)
    frame_ = scored(values, params)
    previous = runs.published(con, month.shifted(-1).label, level)
    if previous is not None:
        frame_ = frame_.join(previous[0].select("region", c("index").alias("_previous")), on="region", how="left")
        frame_ = frame_.with_columns((c("index") - c("_previous")).alias("change")).drop("_previous")
    else:
        frame_ = frame_.with_columns(pl.lit(None, pl.Float64).alias("change"))
    history = _case_history(con, month, regions, level, params)
    frame_ = frame_.join(spikes(history, month.label, params), on="region", how="left")
    frame_ = tiers(frame_, params)
    names = {r["code"]: r["name"] for r in regions.select("code", "name").iter_rows(named=True)}
    ranked = frame_.sort(["index", "region"], descending=[True, False]).with_columns(
        pl.int_range(1, frame_.height + 1, dtype=pl.Int32).alias("rank"),
        pl.lit(level).alias("level"),
        c("parent").replace_strict(names, default=None, return_dtype=pl.Utf8).alias("parent_name"),
    )
    schema = table_schema(INDICATORS)
    return ranked.select(c(name).cast(dtype) for name, dtype in schema.items()), notes


def _case_history(
    con: duckdb.DuckDBPyConnection, month: Month, regions: pl.DataFrame, level: Level, params: IndexParams
) -> pl.DataFrame:
    """Reports per region of ``level`` and month, for the month and the ``spike_months`` before it."""
    since = month.shifted(-params.spike_months)
    raw = frame(con, sql.MONTHLY_CASES, {"since": since.start, "end": month.end}, table="reports")
    mapped = raw.rename({"region": "code"}).join(region_map(regions, level), on="code", how="inner")
    observed = mapped.group_by("region", "month").agg(c("cases").sum())
    months = _months_with_data(con, since, month)
    places = regions.filter(c("level") == level).select(c("code").alias("region"))
    grid = places.join(pl.DataFrame({"month": months}, schema={"month": pl.Utf8}), how="cross")
    return grid.join(observed, on=["region", "month"], how="left").with_columns(c("cases").fill_null(0))


def _months_with_data(con: duckdb.DuckDBPyConnection, since: Month, month: Month) -> list[str]:
    """The months in [since, month] in which the store holds any transfer or call: a month before the data
    began is no history of zero cases."""
    found: list[str] = []
    step = since
    while step.start <= month.start:
        rows = con.sql(sql.MONTH_HAS_DATA, params={"s": step.start, "e": step.end}).fetchall()
        if rows[0][0]:
            found.append(step.label)
        step = step.shifted(1)
    return found


def _notes(values: pl.DataFrame, data: MonthData, regions: pl.DataFrame, level: Level) -> list[str]:
    """What a reader should know about the month's figures."""
    notes: list[str] = []
    for ind in INDICATORS:
        if values[ind.name].null_count() == values.height:
            notes.append(f"{ind.title}: no region has a value this month (counted as average everywhere)")
    missing = values.filter(c("population").fill_null(0) <= 0)["region"].to_list()
    if missing:
        notes.append(f"{plural(len(missing), f'{level} region')} without a resident population in the regions table")
    known = set(regions["code"].to_list())
    outside = data.reports.filter(~c("region").is_in(list(known)) | c("region").is_null()).height
    if outside:
        said = plural(outside, "report")
        notes.append(f"{said} of the month {'belongs' if outside == 1 else 'belong'} to no region of the table")
    return notes


def last_full_month(con: duckdb.DuckDBPyConnection) -> Month:
    """The latest calendar month the store's records reach into (the default of ``fraudkit index``): the
    month of the day before the store's "now" (:func:`fraudkit.timeutil.default_as_of`)."""
    last_day = default_as_of(con) - timedelta(days=1)
    return Month.parse(f"{last_day:%Y-%m}")
