"""The monthly index leaves as a leader and a program need it: a Parquet row per region, a ranked and
coloured workbook, one page that opens offline, and no half-written file when a write fails."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from fraudkit.errors import ConfigError
from fraudkit.index.outputs import html_page, index_frame, sparkline, write_index
from fraudkit.index.result import HEADINGS, TIER_COLOURS, IndexResult, Indicator

MONTH = "2026-05"
INDICATORS = (
    Indicator("reports_per_10k", "cases", "Reports per 10,000 residents", "Fraud reports filed.", "reports", "riskier"),
    Indicator("loss_per_10k", "cases", "Money lost per 10,000 residents", "Money victims lost.", "yuan", "riskier"),
    Indicator("warned_in_time", "interception", "Victims warned in time", "Warned before paying.", "share", "safer"),
    Indicator(
        "calls_blocked", "interception", "Fraud calls blocked", "Calls stopped by the network.", "share", "safer"
    ),
    Indicator("risky_sims", "supply", "Fraud-linked new SIMs", "New SIMs later used in fraud.", "per 1,000", "riskier"),
    Indicator("mule_accounts", "supply", "Mule accounts", "Accounts that only move money.", "per 10,000", "riskier"),
)
CITIES = [  # code, name, contributions per indicator (the index is 50 plus their sum), change
    ("110100", "Northport", (3.0, 2.0, 1.5, 1.0, 0.5, 0.0), 1.2),
    ("120100", "Eastvale", (0.5, -1.0, 0.5, 0.0, 0.5, -0.5), None),
    ("130100", "Southridge", (-4.2, -3.0, -2.5, -1.0, -0.8, -0.5), -3.4),
]
COUNTIES = [  # code, name, parent code, contributions, change
    ("110101", "Harbour", "110100", (2.0, 1.0, 1.0, 1.0, 0.0, 0.0), 0.4),
    ("110102", "<b>Bold</b> & Co", "110100", (1.0, 0.5, 0.0, 0.0, 0.0, 0.0), -0.2),
    ("120101", "Orchard", "120100", (0.0, 0.0, 0.5, 0.0, 0.0, 0.0), None),
    ("120102", "Millbrook", "120100", (-0.5, -0.5, 0.0, 0.0, 0.0, 0.0), 0.0),
    ("130101", "Quarry", "130100", (-2.0, -1.0, -1.0, 0.0, 0.0, 0.0), -1.0),
    ("130102", "Saltmarsh", "130100", (-5.0, -4.0, -3.0, -2.0, -1.0, -1.0), -6.5),
]
CITY_NAMES = {code: name for code, name, _, _ in CITIES}


def tier_of(index: float) -> str:
    return "green" if index >= 55 else "red" if index < 42 else "yellow"


def make_result(level: str, regions: list[tuple[str, str, str, tuple[float, ...], float | None]]) -> IndexResult:
    """A level's result as ``fraudkit.index.compute`` would make it: ranked, with raw values, heading
    scores, contributions and a four-month trend (one region is new this month)."""
    rows = []
    for code, name, parent, contributions, change in regions:
        index = 50 + sum(contributions)
        row = {
            "region": code,
            "name": name,
            "level": level,
            "parent": parent,
            "parent_name": CITY_NAMES.get(parent, "Province"),
            "index": index,
            "tier": tier_of(index),
            "tier_reason": f"index {index:.1f} against the thresholds 42 and 55",
            "change": change,
        }
        row |= {f"score_{h}": index + k for k, h in enumerate(HEADINGS)}
        row |= {i.name: 10.0 - c for i, c in zip(INDICATORS, contributions, strict=True)}
        row |= {f"contribution_{i.name}": c for i, c in zip(INDICATORS, contributions, strict=True)}
        rows.append(row)
    table = pl.DataFrame(rows, schema_overrides={"change": pl.Float64}).sort("index", descending=True)
    table = table.with_columns(pl.int_range(1, table.height + 1, dtype=pl.Int32).alias("rank"))
    trend = [
        {"region": row["region"], "month": f"2026-0{m}", "index": row["index"] - (5 - m), "tier": row["tier"]}
        for row in rows
        for m in range(2, 6)
        if m == 5 or row["region"] != regions[-1][0]
    ]
    notes = [f"{level}: one indicator is estimated", "Mule accounts are counted from April."]
    return IndexResult(MONTH, level, table, pl.DataFrame(trend), INDICATORS, notes, run_id=f"{level}-{MONTH}")  # type: ignore[arg-type]


@pytest.fixture
def results() -> dict[str, IndexResult]:
    cities = make_result("city", [(code, name, "100000", c, change) for code, name, c, change in CITIES])
    return {"county": make_result("county", COUNTIES), "city": cities}


def test_the_parquet_has_a_row_per_region_of_every_level_with_the_named_columns(results, tmp_path) -> None:
    frame = pl.read_parquet(write_index(results, tmp_path / "index.parquet"))
    assert frame.height == 9 and frame["level"].to_list() == ["city"] * 3 + ["county"] * 6
    assert frame.filter(pl.col("level") == "county")["region"].sort().to_list() == sorted(c[0] for c in COUNTIES)
    wanted = {"region", "name", "level", "index", "tier", "month", "rank", "parent", "tier_reason", "change"}
    wanted |= {f"score_{h}" for h in HEADINGS} | {i.name for i in INDICATORS}
    wanted |= {f"contribution_{i.name}" for i in INDICATORS}
    assert wanted <= set(frame.columns)
    assert frame["month"].unique().to_list() == [MONTH]
    assert frame.filter(pl.col("region") == "130100")["tier"].item() == "red"
    assert frame.equals(index_frame(results))


def test_the_workbook_has_a_ranked_coloured_sheet_per_level_and_the_definitions(results, tmp_path) -> None:
    book = openpyxl.load_workbook(write_index(results, tmp_path / "index.xlsx"))
    assert book.sheetnames == ["City", "County", "Definitions"]
    for sheet_name, result in (("City", results["city"]), ("County", results["county"])):
        sheet = book[sheet_name]
        assert MONTH in sheet["A1"].value and sheet_name.lower() in sheet["A1"].value
        header = [cell.value for cell in sheet[3]]
        assert header[:3] == ["Rank", "Code", sheet_name] and sheet.freeze_panes == "D4"
        assert "Reports per 10,000 residents (reports)" in header
        assert not {i.name for i in INDICATORS} & set(header)  # people read titles, not column names
        body = list(sheet.iter_rows(min_row=4, values_only=True))
        assert [row[0] for row in body] == list(range(1, result.table.height + 1))
        assert [row[2] for row in body] == result.table.sort("rank")["name"].to_list()
        tier_col, index_col = header.index("Tier") + 1, header.index("Index (0-100, higher is safer)") + 1
        change_col = header.index("Change on last month") + 1
        for i in range(4, 4 + len(body)):
            tier = sheet.cell(i, tier_col)
            assert tier.fill.fgColor.rgb.endswith(TIER_COLOURS[tier.value].lstrip("#"))
            assert sheet.cell(i, index_col).number_format == "0.0"
            change = sheet.cell(i, change_col)
            assert change.value is None or change.number_format.startswith("+0.0")
        assert sheet.column_dimensions["C"].width >= len("Southridge")
    city = book["City"]
    red = next(row for row in city.iter_rows(min_row=4, values_only=True) if row[2] == "Southridge")
    assert "red" in red and "Reports per 10,000 residents -4.2" in red[header.index("What moved it")]
    definitions = [" ".join(str(v) for v in row if v) for row in book["Definitions"].iter_rows(values_only=True)]
    text = "\n".join(definitions)
    assert all(i.title in text and i.meaning in text for i in INDICATORS)
    assert "Mule accounts are counted from April." in text and "riskier" in text and "safer" in text


def test_the_page_opens_offline_and_shows_every_region_escaped(results) -> None:
    page = html_page(results)
    assert not re.search(r"https?://", page) and "<script" not in page and "<link" not in page
    assert "<img" not in page and "@import" not in page and "url(" not in page
    assert MONTH in page.split("</h1>")[0] and "<svg" in page
    for _, name, *_ in CITIES + COUNTIES:
        assert name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in page
    assert "<b>Bold</b>" not in page and "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in page
    assert all(f">{tier}</span>" in page for tier in ("green", "yellow", "red"))
    assert "Reports per 10,000 residents" in page and "-4.2" in page  # what moved Southridge
    cities = page.split('<section id="city">')[1].split("</section>")[0]
    table = cities.split("<table>")[1]
    assert table.index("Northport") < table.index("Eastvale") < table.index("Southridge")
    assert "Definitions" in page and "Mule accounts are counted from April." in page
    assert all(i.meaning in page for i in INDICATORS)


def test_a_trend_is_a_line_and_a_region_new_this_month_a_dot(results) -> None:
    trend = results["county"].trend
    line = sparkline(trend, "110101", MONTH)
    assert "<polyline" in line and "4 months to 2026-05" in line
    dot = sparkline(trend, "130102", MONTH)
    assert "<circle" in dot and "<polyline" not in dot


def test_write_index_writes_the_page(results, tmp_path) -> None:
    path = write_index(results, tmp_path / "index.html")
    assert path.read_text(encoding="utf-8") == html_page(results)


def test_an_unknown_suffix_is_refused_naming_the_path(results, tmp_path) -> None:
    out = tmp_path / "index.pdf"
    with pytest.raises(ConfigError, match=re.escape(str(out))) as caught:
        write_index(results, out)
    assert caught.value.hint and "\n" not in caught.value.one_line()
    assert not out.exists()


def test_results_of_different_months_are_refused(results, tmp_path) -> None:
    city = results["city"]
    results["city"] = IndexResult("2026-04", "city", city.table, city.trend, city.indicators)
    with pytest.raises(ValueError, match="different months"):
        write_index(results, tmp_path / "index.parquet")


def _half_then_fail(*args: object, **kwargs: object) -> None:
    """A writer that gets half way: some bytes on disk, then an error."""
    target = next(a for a in args if isinstance(a, str | Path))
    with Path(target).open("wb") as half:
        half.write(b"PK half a file")
    raise RuntimeError("the writer died midway")


@pytest.mark.parametrize(
    ("suffix", "owner", "method"),
    [
        (".parquet", pl.DataFrame, "write_parquet"),
        (".xlsx", Path, "write_bytes"),
        (".html", Path, "write_text"),
    ],
)
def test_a_write_that_fails_midway_leaves_the_previous_file(results, tmp_path, monkeypatch, suffix, owner, method):
    out = tmp_path / f"index{suffix}"
    write_index(results, out)
    before = out.read_bytes()
    monkeypatch.setattr(owner, method, _half_then_fail)
    with pytest.raises(RuntimeError, match="midway"):
        write_index(results, out)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left behind
