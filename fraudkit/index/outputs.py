"""Writing one month's regional fraud-risk index for people (XLSX, HTML) and programs (Parquet).

``results`` maps each level ("city", "county") to its :class:`IndexResult`, all of one month. The
Parquet is every level's table stacked, with the month; the XLSX is a ranked sheet per level and a
sheet of definitions; the HTML is one page that opens offline (inline CSS, charts as inline SVG made
here) for a leader to read beside the economic figures. Every row is a region: no numbers of people.
Every file is written atomically, so a failed write leaves the previous file as it was.
"""

from __future__ import annotations

import html
import io
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from fraudkit.atomic import write_file, write_text
from fraudkit.errors import ConfigError
from fraudkit.index.result import (
    HEADING_TITLES,
    HEADINGS,
    LEVELS,
    TIER_COLOURS,
    TIERS,
    IndexResult,
    Indicator,
)
from fraudkit.text import join_words, plural

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook

SUFFIXES = (".xlsx", ".html", ".parquet")
LEVEL_TITLES: dict[str, str] = {"city": "City", "county": "County"}
LEVEL_PLURALS: dict[str, str] = {"city": "cities", "county": "counties"}
TIER_INK = {"green": "#FFFFFF", "yellow": "#1B1B1B", "red": "#FFFFFF"}
"""Text colour on each tier's fill: white on the dark green and red, near-black on the yellow."""
HOW_TO_READ = (
    "The index runs from 0 to 100; higher is safer. Rank 1 is the safest region of its level. "
    "Change is against the index published for the previous month. A contribution is the points of the "
    "index an indicator adds (+) or takes away (-) against an average region."
)
FRONT_COLUMNS = ("month", "level", "rank", "region", "name", "parent", "parent_name", "index", "tier")


def check_output(path: Path) -> None:
    """Refuse an unknown suffix before any work is done."""
    if path.suffix.lower() not in SUFFIXES:
        raise ConfigError(
            f"{path}: the index is written as .xlsx, .html or .parquet", hint="name the file e.g. index.xlsx"
        )


def write_index(results: dict[str, IndexResult], path: Path) -> Path:
    """Write the month's index to ``path`` (.xlsx, .html or .parquet, by its suffix), atomically."""
    path = Path(path)
    check_output(path)
    ordered = _ordered(results)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return write_file(path, index_frame(ordered).write_parquet)
    if suffix == ".html":
        return write_text(path, html_page(ordered))
    return write_file(path, lambda temp: temp.write_bytes(workbook_bytes(ordered)))


def _ordered(results: dict[str, IndexResult]) -> dict[str, IndexResult]:
    """The levels in :data:`LEVELS` order (cities before counties), checked to be one month's."""
    if not results:
        raise ValueError("no index results to write")
    unknown = [level for level in results if level not in LEVELS]
    if unknown:
        raise ValueError(f"unknown level {join_words(unknown)}: the levels are {join_words(LEVELS)}")
    for level, result in results.items():
        if result.level != level:
            raise ValueError(f"the result given as {level!r} is for level {result.level!r}")
    months = sorted({result.month for result in results.values()})
    if len(months) > 1:
        raise ValueError(f"the results are for different months ({join_words(months, 'and')})")
    return {level: results[level] for level in LEVELS if level in results}


def _month(results: dict[str, IndexResult]) -> str:
    return next(iter(results.values())).month


def _indicators(results: dict[str, IndexResult]) -> list[Indicator]:
    """Every indicator of any level, once, in the order the tables have them."""
    seen: dict[str, Indicator] = {}
    for result in results.values():
        for indicator in result.indicators:
            seen.setdefault(indicator.name, indicator)
    return list(seen.values())


def _notes(results: dict[str, IndexResult]) -> list[tuple[str, str]]:
    """Each distinct note with the levels it is about ("cities and counties"), so none is said twice."""
    levels: dict[str, list[str]] = {}
    for level, result in results.items():
        for note in result.notes:
            levels.setdefault(note, []).append(LEVEL_PLURALS[level])
    return [(join_words(names, "and").capitalize(), note) for note, names in levels.items()]


def _ranked(result: IndexResult) -> pl.DataFrame:
    return result.table.sort("rank")


# --- Parquet: for programs ---------------------------------------------------------------------------


def index_frame(results: dict[str, IndexResult]) -> pl.DataFrame:
    """Every level's table stacked, one row per region, with the month first: what the Parquet holds."""
    results = _ordered(results)
    month = _month(results)
    frame = pl.concat([_ranked(r) for r in results.values()], how="diagonal_relaxed")
    frame = frame.with_columns(pl.lit(month).alias("month"))
    front = [name for name in FRONT_COLUMNS if name in frame.columns]
    return frame.select(*front, *[name for name in frame.columns if name not in front])


# --- XLSX: for people who work in spreadsheets -------------------------------------------------------

TITLE_ROW, BAND_ROW, HEAD_ROW, FIRST_ROW = 0, 1, 2, 3


def _sheet_columns(result: IndexResult) -> list[tuple[str, str, str]]:
    """The ranked sheet's columns: (key, header people read, band above it)."""
    region = [
        ("rank", "Rank", ""),
        ("region", "Code", ""),
        ("name", LEVEL_TITLES[result.level], ""),
        ("parent_name", "Parent", ""),
        ("index", "Index (0-100, higher is safer)", "Index"),
        ("change", "Change on last month", "Index"),
        ("tier", "Tier", "Index"),
        ("tier_reason", "Why this tier", "Index"),
        ("movers", "What moved it", "Index"),
    ]
    scores = [(f"score_{h}", f"{HEADING_TITLES[h]} score (0-100)", "Heading scores") for h in HEADINGS]
    raw = [(i.name, f"{i.title} ({i.unit})", HEADING_TITLES[i.heading]) for i in result.indicators]
    return region + scores + raw


def movers_text(result: IndexResult, region: str) -> str:
    """The indicators that moved a region's index most, as people read them:
    "Reports per 10,000 residents -4.2; Victims warned in time +1.0"."""
    return "; ".join(f"{indicator.title} {points:+.1f}" for indicator, points in _movers(result, region))


def _movers(result: IndexResult, region: str) -> list[tuple[Indicator, float]]:
    """The top three movers that moved anything (a zero contribution says nothing)."""
    return [(indicator, points) for indicator, points in result.movers(region) if round(points, 1) != 0]


def workbook_bytes(results: dict[str, IndexResult]) -> bytes:
    """The workbook: a ranked sheet per level, then "Definitions". Built in memory and written in one
    go, so a full disk fails that one write (as ``fraudkit.warn.export`` does)."""
    import xlsxwriter

    results = _ordered(results)
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as book:
        formats = _formats(book)
        for result in results.values():
            _ranked_sheet(book, formats, result)
        _definitions_sheet(book, formats, results)
    return buffer.getvalue()


def _formats(book: Workbook) -> dict[str, Format]:
    """The workbook's cell formats, made once: xlsxwriter keeps every format added."""
    add = book.add_format
    cell = {"valign": "top", "border": 1, "border_color": "#BFBFBF"}
    formats: dict[str, Format] = {
        "title": add({"bold": True, "font_size": 14}),
        "band": add({"bold": True, "align": "center", "bg_color": "#D6DCE4", "border": 1}),
        "head": add(
            {"bold": True, "bg_color": "#34495E", "font_color": "#FFFFFF", "text_wrap": True, "valign": "vcenter"}
            | {"border": 1}
        ),
        "text": add(cell),
        "wrap": add(cell | {"text_wrap": True}),
        "int": add(cell | {"num_format": "0"}),
        "index": add(cell | {"num_format": "0.0", "bold": True}),
        "change": add(cell | {"num_format": "+0.0;-0.0;0.0"}),
        "score": add(cell | {"num_format": "0.0"}),
        "raw": add(cell | {"num_format": "#,##0.00"}),
        "note": add({"text_wrap": True, "valign": "top"}),
    }
    for tier in TIERS:
        fill = {"bg_color": TIER_COLOURS[tier], "font_color": TIER_INK[tier], "bold": True, "align": "center"}
        formats[f"tier_{tier}"] = add(cell | fill)
    return formats


def _ranked_sheet(book: Workbook, formats: dict[str, Format], result: IndexResult) -> None:
    """One level's regions, safest first: title row, heading band, frozen header, tier cells filled."""
    sheet = book.add_worksheet(LEVEL_TITLES[result.level])
    columns = _sheet_columns(result)
    table = _ranked(result)
    number_format = {"rank": "int", "index": "index", "change": "change"}
    widths = [_width(header, key, table) for key, header, _ in columns]
    sheet.write(
        TITLE_ROW, 0, f"Fraud-risk index by {LEVEL_TITLES[result.level].lower()}, {result.month}", formats["title"]
    )
    for j, (_, header, _) in enumerate(columns):
        sheet.write(HEAD_ROW, j, header, formats["head"])
        sheet.set_column(j, j, widths[j])
    for band, first, last in _bands([band for _, _, band in columns]):
        if first == last:
            sheet.write(BAND_ROW, first, band, formats["band"])
        else:
            sheet.merge_range(BAND_ROW, first, BAND_ROW, last, band, formats["band"])
    for i, row in enumerate(table.iter_rows(named=True), start=FIRST_ROW):
        for j, (key, _, _) in enumerate(columns):
            value = movers_text(result, row["region"]) if key == "movers" else row.get(key)
            if key == "tier" and value in TIER_COLOURS:
                sheet.write_string(i, j, str(value), formats[f"tier_{value}"])
            elif value is None:
                sheet.write_blank(i, j, None, formats["text"])
            elif isinstance(value, int | float):
                kind = number_format.get(key, "score" if key.startswith("score_") else "raw")
                sheet.write_number(i, j, value, formats[kind])
            else:
                sheet.write_string(i, j, str(value), formats["wrap" if key in ("tier_reason", "movers") else "text"])
    sheet.set_row(HEAD_ROW, 45)
    sheet.freeze_panes(FIRST_ROW, 3)
    sheet.autofilter(HEAD_ROW, 0, HEAD_ROW + max(table.height, 1), len(columns) - 1)


def _bands(bands: list[str]) -> Iterable[tuple[str, int, int]]:
    """Runs of equal, non-empty band names as (name, first column, last column), for merged cells."""
    start = 0
    for j in range(1, len(bands) + 1):
        if j == len(bands) or bands[j] != bands[start]:
            if bands[start]:
                yield bands[start], start, j - 1
            start = j


def _width(header: str, key: str, table: pl.DataFrame) -> float:
    """Wide enough for the longest value and the header's longest word; long text wraps at 48."""
    longest_word = max((len(word) for word in header.split()), default=4)
    if key in ("tier_reason", "movers"):
        return 48
    if key in table.columns and table[key].dtype == pl.String:
        values = max((len(v) for v in table[key].drop_nulls().to_list()), default=0)
        return min(max(values, longest_word, 6) + 2, 40)
    return max(longest_word + 2, 10)


def _definitions_sheet(book: Workbook, formats: dict[str, Format], results: dict[str, IndexResult]) -> None:
    """Every indicator (heading, title, meaning, unit, which way is safer), how to read the index, the notes."""
    sheet = book.add_worksheet("Definitions")
    for j, width in enumerate((16, 34, 70, 28, 14)):
        sheet.set_column(j, j, width)
    sheet.write(0, 0, f"Fraud-risk index, {_month(results)}: definitions", formats["title"])
    sheet.merge_range(1, 0, 1, 4, HOW_TO_READ, formats["note"])
    sheet.set_row(1, 48)
    for j, header in enumerate(("Heading", "Indicator", "What it measures", "Unit", "Higher is")):
        sheet.write(3, j, header, formats["head"])
    row = 4
    for indicator in _indicators(results):
        values = (
            HEADING_TITLES[indicator.heading],
            indicator.title,
            indicator.meaning,
            indicator.unit,
            indicator.higher_is,
        )
        for j, value in enumerate(values):
            sheet.write_string(row, j, value, formats["wrap"])
        row += 1
    notes = _notes(results)
    if notes:
        sheet.write(row + 1, 0, "Notes", formats["head"])
        sheet.write(row + 1, 1, "", formats["head"])
        for offset, (levels, note) in enumerate(notes, start=row + 2):
            sheet.write_string(offset, 0, levels, formats["wrap"])
            sheet.merge_range(offset, 1, offset, 4, note, formats["wrap"])
    sheet.freeze_panes(4, 0)


# --- HTML: one page that opens offline ---------------------------------------------------------------

STYLE = """
:root { --ink: #1b1b1b; --muted: #5f6368; --rule: #d0d4d9; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: var(--ink);
       margin: 2rem auto; max-width: 78rem; padding: 0 1rem; line-height: 1.4; font-size: 14px;
       -webkit-print-color-adjust: exact; print-color-adjust: exact; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .4rem; border-bottom: 2px solid var(--ink); padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .3rem; }
p.lead, p.summary { color: var(--muted); margin: .2rem 0 .8rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid var(--rule); padding: .3rem .45rem; text-align: left; vertical-align: top; }
th { background: #eef1f4; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr { break-inside: avoid; }
.code { color: var(--muted); font-size: .85em; }
.badge { display: inline-block; min-width: 4.2em; text-align: center; border-radius: .8em; padding: .05em .6em;
         font-weight: 600; font-size: .85em; }
.why { color: var(--muted); font-size: .8em; max-width: 16em; }
.up { color: #1e6b22; } .down { color: #a52222; }
.movers { font-size: .85em; max-width: 22em; }
.tiles { display: flex; flex-wrap: wrap; gap: .8rem 1.2rem; margin: .5rem 0 1rem; }
.group { break-inside: avoid; }
.group h4 { margin: 0 0 .25rem; font-size: .85rem; color: var(--muted); font-weight: 600; }
.group .row { display: flex; flex-wrap: wrap; gap: .25rem; max-width: 30rem; }
.tile { width: 6.4rem; border-radius: .3rem; padding: .25rem .35rem; font-size: .8rem; line-height: 1.2; }
.tile b { display: block; font-size: 1rem; }
svg text { font-family: inherit; }
@page { size: A4 landscape; margin: 12mm; }
@media print { body { margin: 0; max-width: none; font-size: 11px; } h2 { break-before: page; }
               section:first-of-type h2 { break-before: auto; } }
"""


def html_page(results: dict[str, IndexResult]) -> str:
    """The whole page: the month, per level a chart, the ranked table with trends and what moved each
    region, then the definitions and the notes. Every text is escaped; nothing is fetched."""
    results = _ordered(results)
    month = _e(_month(results))
    levels = join_words([LEVEL_PLURALS[level] for level in results], "and")
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Regional fraud-risk index, {month}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<header><h1>Regional fraud-risk index, {month}</h1>",
        f'<p class="lead">Every one of the {_e(levels)}, ranked safest first. {_e(HOW_TO_READ)}</p></header>',
    ]
    for result in results.values():
        parts.append(_level_section(result, results))
    parts.append(_definitions_section(results))
    parts.append(_notes_section(results))
    runs = [f"{LEVEL_TITLES[level]}: {r.run_id}" for level, r in results.items() if r.run_id]
    if runs:
        parts.append(f'<footer><p class="code">Published runs: {_e("; ".join(runs))}</p></footer>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _tier(tier: object) -> str:
    return str(tier) if tier in TIER_COLOURS else "yellow"


def badge(tier: str) -> str:
    """A tier as a coloured badge that still reads in black and white (the word is on it)."""
    t = _tier(tier)
    return f'<span class="badge tier-{t}" style="background:{TIER_COLOURS[t]};color:{TIER_INK[t]}">{_e(t)}</span>'


def _level_section(result: IndexResult, results: dict[str, IndexResult]) -> str:
    table = _ranked(result)
    title = LEVEL_PLURALS[result.level]
    counts = ", ".join(f"{int((table['tier'] == t).sum())} {t}" for t in TIERS)
    summary = f"{plural(table.height, LEVEL_TITLES[result.level].lower(), title)}: {counts}"
    chart = tile_grid(result, results.get("city")) if result.level == "county" else bar_chart(result)
    return "\n".join(
        [
            f'<section id="{_e(result.level)}"><h2>{_e(title.capitalize())}, {_e(result.month)}</h2>',
            f'<p class="summary">{_e(summary)}.</p>',
            chart,
            _ranked_table(result, table),
            "</section>",
        ]
    )


def _ranked_table(result: IndexResult, table: pl.DataFrame) -> str:
    heads = [f'<th class="num">{_e(HEADING_TITLES[h])}</th>' for h in HEADINGS]
    rows = [
        "<table><thead><tr>",
        '<th class="num">Rank</th>',
        f"<th>{_e(LEVEL_TITLES[result.level])}</th><th>Parent</th>",
        '<th class="num">Index</th><th class="num">Change</th><th>Tier</th>',
        *heads,
        "<th>12 months</th><th>What moved it</th></tr></thead><tbody>",
    ]
    for row in table.iter_rows(named=True):
        region = row["region"]
        scores = "".join(f'<td class="num">{_number(row.get(f"score_{h}"))}</td>' for h in HEADINGS)
        parent = row.get("parent_name") or row.get("parent") or ""
        rows.append(
            "<tr>"
            f'<td class="num">{_e(row["rank"])}</td>'
            f'<td>{_e(row["name"])} <span class="code">{_e(region)}</span></td>'
            f"<td>{_e(parent)}</td>"
            f'<td class="num"><b>{_number(row["index"])}</b></td>'
            f'<td class="num">{_change(row.get("change"))}</td>'
            f'<td>{badge(row["tier"])}<div class="why">{_e(row.get("tier_reason") or "")}</div></td>'
            f"{scores}"
            f"<td>{sparkline(result.trend, region, result.month)}</td>"
            f'<td class="movers">{_movers_html(result, region)}</td>'
            "</tr>"
        )
    rows.append("</tbody></table>")
    return "\n".join(rows)


def _number(value: float | None) -> str:
    return "&mdash;" if value is None else f"{value:.1f}"


def _change(value: float | None) -> str:
    if value is None:
        return '<span title="no index was published for the previous month">&mdash;</span>'
    if round(value, 1) == 0:
        return "0.0"
    return f'<span class="{"up" if value > 0 else "down"}">{value:+.1f}</span>'


def _movers_html(result: IndexResult, region: str) -> str:
    items = [
        f'{_e(indicator.title)} <span class="{"up" if points > 0 else "down"}">{points:+.1f}</span>'
        for indicator, points in _movers(result, region)
    ]
    return "<br>".join(items) or "&mdash;"


def _month_number(month: str) -> int:
    year, number = month.split("-")[:2]
    return int(year) * 12 + int(number) - 1


def sparkline(trend: pl.DataFrame, region: str, month: str, width: int = 110, height: int = 26) -> str:
    """A region's twelve months ending with ``month`` as an inline SVG line, each month at its place
    (a gap stays a gap); a region with one month is a dot. The scale spans at least 10 points, so
    noise of a point or two does not look like a swing."""
    end = _month_number(month)
    points = [
        (_month_number(str(m)) - (end - 11), float(v), _tier(t))
        for m, v, t in trend.filter(pl.col("region") == region).sort("month").select("month", "index", "tier").rows()
        if v is not None and 0 <= _month_number(str(m)) - (end - 11) <= 11
    ]
    if not points:
        return "&mdash;"
    low, high = min(v for _, v, _ in points), max(v for _, v, _ in points)
    middle, half = (low + high) / 2, max(high - low, 10.0) / 2
    pad = 4

    def xy(slot: int, value: float) -> tuple[float, float]:
        x = pad + slot * (width - 2 * pad) / 11
        y = height - pad - (value - (middle - half)) / (2 * half) * (height - 2 * pad)
        return round(x, 1), round(y, 1)

    coords = [xy(slot, value) for slot, value, _ in points]
    first, last = points[0], points[-1]
    label = f"{len(points)} months to {month}: {first[1]:.1f} to {last[1]:.1f}"
    line = ""
    if len(coords) > 1:
        path = " ".join(f"{x},{y}" for x, y in coords)
        line = f'<polyline points="{path}" fill="none" stroke="#5f6368" stroke-width="1.5"/>'
    x, y = coords[-1]
    return (
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{_e(label)}"><title>{_e(label)}</title>'
        f'<line x1="{pad}" y1="{height - 1}" x2="{width - pad}" y2="{height - 1}" stroke="#d0d4d9"/>'
        f'{line}<circle cx="{x}" cy="{y}" r="3" fill="{TIER_COLOURS[last[2]]}"/></svg>'
    )


def bar_chart(result: IndexResult) -> str:
    """The index per region as horizontal bars, safest first, each coloured by its tier."""
    table = _ranked(result)
    bar_height, gap, label_width, bar_width = 16, 4, 170, 420
    height = table.height * (bar_height + gap) + gap
    width = label_width + bar_width + 50
    bars = []
    for i, row in enumerate(table.iter_rows(named=True)):
        y = gap + i * (bar_height + gap)
        value = float(row["index"] or 0.0)
        length = max(value, 0.0) / 100 * bar_width
        text_y = y + bar_height - 4
        label = _e(_short(row["name"]))
        bars.append(
            f'<text x="{label_width - 6}" y="{text_y}" text-anchor="end" font-size="12">{label}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
            f'fill="{TIER_COLOURS[_tier(row["tier"])]}"><title>{_e(row["name"])}: {value:.1f}, '
            f"{_e(_tier(row['tier']))}</title></rect>"
            f'<text x="{label_width + length + 4:.1f}" y="{text_y}" font-size="12">{value:.1f}</text>'
        )
    axis = (
        f'<line x1="{label_width}" y1="0" x2="{label_width}" y2="{height}" stroke="#5f6368"/>'
        f'<line x1="{label_width + bar_width / 2}" y1="0" x2="{label_width + bar_width / 2}" y2="{height}" '
        'stroke="#d0d4d9" stroke-dasharray="3 3"/>'
    )
    caption = f"Index by {LEVEL_TITLES[result.level].lower()}, safest first; the dashed line is 50, an average region"
    return (
        f'<figure><svg class="bars" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{_e(caption)}">{axis}{"".join(bars)}</svg>'
        f'<figcaption class="code">{_e(caption)}.</figcaption></figure>'
    )


def _short(name: str, most: int = 24) -> str:
    """A label that fits the chart's margin; the bar's tooltip and the table give the full name."""
    return name if len(name) <= most else name[: most - 1] + "\u2026"


def tile_grid(result: IndexResult, cities: IndexResult | None = None) -> str:
    """The regions as coloured tiles grouped by parent, like a schematic map: groups in the parents'
    rank order when the parents' own index is given, else by parent code; tiles by rank."""
    table = _ranked(result)
    order: dict[str, int] = {}
    if cities is not None:
        order = {str(r): int(k) for r, k in cities.table.select("region", "rank").rows()}
    parents = sorted(
        {
            (row.get("parent") or "", row.get("parent_name") or row.get("parent") or "")
            for row in table.iter_rows(named=True)
        },
        key=lambda p: (order.get(p[0], len(order) + 1), p[0]),
    )
    groups = []
    for parent, parent_name in parents:
        tiles = []
        for row in table.filter(pl.col("parent").fill_null("") == parent).iter_rows(named=True):
            t = _tier(row["tier"])
            why = f"{row['name']} ({row['region']}): {_number(row['index'])}, {t}. {row.get('tier_reason') or ''}"
            tiles.append(
                f'<div class="tile" style="background:{TIER_COLOURS[t]};color:{TIER_INK[t]}" title="{_e(why)}">'
                f"{_e(row['name'])}<b>{_number(row['index'])}</b>{_e(t)}</div>"
            )
        groups.append(
            f'<div class="group"><h4>{_e(parent_name or "No parent")}</h4><div class="row">{"".join(tiles)}</div></div>'
        )
    return f'<div class="tiles">{"".join(groups)}</div>'


def _definitions_section(results: dict[str, IndexResult]) -> str:
    indicators = _indicators(results)
    parts = ['<section id="definitions"><h2>Definitions</h2>', f'<p class="lead">{_e(HOW_TO_READ)}</p>']
    for heading in HEADINGS:
        under = [i for i in indicators if i.heading == heading]
        if not under:
            continue
        parts.append(f"<h3>{_e(HEADING_TITLES[heading])}</h3>")
        parts.append("<table><thead><tr><th>Indicator</th><th>What it measures</th><th>Unit</th>")
        parts.append("<th>Higher is</th></tr></thead><tbody>")
        for indicator in under:
            parts.append(
                f"<tr><td>{_e(indicator.title)}</td><td>{_e(indicator.meaning)}</td>"
                f"<td>{_e(indicator.unit)}</td><td>{_e(indicator.higher_is)}</td></tr>"
            )
        parts.append("</tbody></table>")
    parts.append("</section>")
    return "\n".join(parts)


def _notes_section(results: dict[str, IndexResult]) -> str:
    notes = _notes(results)
    if not notes:
        return ""
    items = "".join(f"<li><b>{_e(levels)}:</b> {_e(note)}</li>" for levels, note in notes)
    return f'<section id="notes"><h2>Notes</h2><ul>{items}</ul></section>'
