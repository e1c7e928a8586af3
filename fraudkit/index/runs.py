"""Published months: once a month's index is out, it is what next month's change is measured against.

A run is one month at one level: its row in ``index_runs`` (when, with which settings, its notes) and
one row per region in ``index_regions`` (the region's published columns as JSON, so a later catalogue
can still read an earlier month). Publishing a month twice changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

import duckdb
import polars as pl

from fraudkit.engine.sql import BEGIN, COMMIT, ROLLBACK
from fraudkit.engine.sql import index as sql
from fraudkit.index.indicators import INDICATORS
from fraudkit.index.result import Level, table_schema
from fraudkit.index.scoring import IndexParams
from fraudkit.store import frame, registered, table_exists


def run_id(month: str, level: Level) -> str:
    """``index-<month>-<level>``: one published run per month and level."""
    return f"index-{month}-{level}"


def published(con: duckdb.DuckDBPyConnection, month: str, level: Level) -> tuple[pl.DataFrame, list[str]] | None:
    """The published table of ``month`` at ``level`` and its notes, or None when it was not published."""
    if not table_exists(con, "index_runs"):
        return None
    rid = run_id(month, level)
    runs = frame(con, sql.PUBLISHED_RUN, {"run_id": rid}, table="index_runs")
    if runs.is_empty():
        return None
    rows = frame(con, sql.PUBLISHED_ROWS, {"run_id": rid}, table="index_regions")
    schema = table_schema(INDICATORS)
    records = [json.loads(r) for r in rows["row_json"].to_list()]
    table = pl.DataFrame({name: [r.get(name) for r in records] for name in schema}, schema=schema)
    return table.sort("rank"), json.loads(runs["notes"][0])


def published_trend(con: duckdb.DuckDBPyConnection, level: Level, since: str, month: str) -> pl.DataFrame:
    """``region``, ``month``, ``index``, ``tier`` of the months published for ``level`` in [since, month)."""
    empty = pl.DataFrame(schema={"region": pl.Utf8, "month": pl.Utf8, "index": pl.Float64, "tier": pl.Utf8})
    if not table_exists(con, "index_runs"):
        return empty
    runs = frame(con, sql.PUBLISHED_MONTHS, {"level": level, "since": since, "month": month}, table="index_runs")
    parts = [empty]
    for _, mon in runs.iter_rows():
        stored = published(con, mon, level)
        if stored is not None:
            parts.append(stored[0].select("region", pl.lit(mon).alias("month"), "index", "tier"))
    return pl.concat(parts).sort("region", "month")


def publish(
    con: duckdb.DuckDBPyConnection,
    month: str,
    level: Level,
    table: pl.DataFrame,
    notes: list[str],
    params: IndexParams,
    when: datetime,
) -> str:
    """Store ``table`` as the published ``month`` at ``level`` (in one transaction); an existing run stays."""
    rid = run_id(month, level)
    con.execute(sql.RUNS_DDL)
    con.execute(sql.REGIONS_DDL)
    if published(con, month, level) is not None:
        return rid
    rows = pl.DataFrame(
        {
            "run_id": [rid] * table.height,
            "region": table["region"],
            "row_json": [json.dumps(r, default=str, sort_keys=True) for r in table.iter_rows(named=True)],
        }
    )
    settings = json.dumps(asdict(params), sort_keys=True)
    con.execute(BEGIN)
    try:
        con.execute(
            sql.INSERT_RUN,
            {
                "run_id": rid,
                "month": month,
                "level": level,
                "at": when,
                "settings": settings,
                "notes": json.dumps(notes),
            },
        )
        with registered(con, rows, "index_rows") as view:
            con.execute(sql.insert_rows(view))
        con.execute(COMMIT)
    except BaseException:
        con.execute(ROLLBACK)
        raise
    return rid
