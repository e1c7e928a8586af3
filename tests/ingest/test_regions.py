"""Regions as reference data: `fraudkit ingest regions.csv --kind regions` loads the good rows and
rejects the rest with a reason naming the line and the column."""

from __future__ import annotations

from pathlib import Path

import duckdb
from ingest_helpers import HEADERS, count, rejects, write
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.ingest import ingest_paths

runner = CliRunner(env={"COLUMNS": "200"})

GOOD = [
    '440000,Guangdong,,province,"126,570,000",1.35e13,179800',
    "440300,Shenzhen,440000,city,17790000,3460000000000,1997.5",
    "440305, Nanshan ,440300,County,1820000,890000000000,",  # padding and case are tolerated
]
BAD = [
    ("440306,Bao'an,440300,county,many,510000000000,396.6", "population", "population: not a number"),
    ("440307,Longgang,440300,district,4200000,520000000000,682.8", "level", "level: unknown value"),
    ("44030,Futian,440300,county,1550000,600000000000,78.7", "code", "code: not a six-digit region code"),
    ("440308,Yantian,440300,county,-5,90000000000,74.6", "population", "population: negative"),
    ("440309,Longhua,440300,county,2.5,300000000000,175.6", "population", "population: not a whole number"),
    ("440310,Pingshan,440300,county,550000,NaN,166.3", "gdp", "gdp: not a number"),
    ("440311,Guangming,4403,county,1120000,145000000000,155.4", "parent_code", "parent_code: not a six-digit"),
    ("440303,,440300,county,1130000,290000000000,78.8", "name", "name: missing value"),
    ("440304,Futian,440300,county,1550000,600000000000,-1", "area_km2", "area_km2: negative"),
]


def test_good_regions_load_and_bad_ones_are_rejected_with_line_and_column(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path / "regions.csv", [HEADERS["regions"], *GOOD, *(line for line, _, _ in BAD)])
    summary = ingest_paths(con, path, "regions")
    assert (summary.rows_read, summary.loaded, summary.rejected) == (len(GOOD) + len(BAD), len(GOOD), len(BAD))
    rows = con.execute("SELECT code, name, parent_code, level, population, gdp, area_km2 FROM regions ORDER BY code")
    assert rows.fetchall() == [
        ("440000", "Guangdong", None, "province", 126_570_000, 1.35e13, 179_800.0),
        ("440300", "Shenzhen", "440000", "city", 17_790_000, 3.46e12, 1997.5),
        ("440305", "Nanshan", "440300", "county", 1_820_000, 8.9e11, None),
    ]
    got = rejects(con)
    assert [line for line, *_ in got] == list(range(len(GOOD) + 2, len(GOOD) + len(BAD) + 2))  # file lines
    for (_, column, reason, raw), (line, want_column, want_reason) in zip(got, BAD, strict=True):
        assert (column, raw) == (want_column, line)
        assert reason.startswith(want_reason), reason
    files = con.execute("SELECT DISTINCT source_file FROM rejects").fetchall()
    assert files == [(str(path),)]


def test_a_user_ingests_regions_from_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "fraudkit.duckdb")
    path = write(tmp_path / "regions.csv", [HEADERS["regions"], *GOOD, BAD[0][0], BAD[2][0]])
    result = runner.invoke(app, ["ingest", str(path), "--kind", "regions", "--db", db])
    assert result.exit_code == 0, result.output
    assert "2 rows rejected" in result.output and "fraudkit rejects --kind regions" in result.output
    shown = runner.invoke(app, ["rejects", "--kind", "regions", "--db", db])
    assert shown.exit_code == 0, shown.output
    assert "not a number" in shown.output and "six-digit region code" in shown.output
    status = runner.invoke(app, ["status", "--db", db])
    assert status.exit_code == 0, status.output
    assert any(line.split()[:2] == ["regions", "3"] for line in status.output.replace("│", " ").splitlines())
    again = runner.invoke(app, ["ingest", str(path), "--kind", "regions", "--db", db])
    assert again.exit_code == 0, again.output
    con = duckdb.connect(db, read_only=True)
    try:
        assert count(con, "regions") == 3  # the same file again adds nothing
    finally:
        con.close()
