"""The call-back list's score leaves as a labelled probability (a number) beside the percentage people
read, in every format, and the preview shows the percentage."""

from __future__ import annotations

import io
from datetime import datetime

import openpyxl
import polars as pl
from rich.console import Console

from fraudkit.warn.export import export_frame, write_warning_list
from fraudkit.warn.listing import LIST_COLUMNS, Tiers, WarningList
from fraudkit.warn.views import warning_table

PROBABILITIES = [0.9991, 0.71, 0.075, 0.004, 0.0004]
SHOWN = [">99%", "71%", "7.5%", "0.4%", "<0.1%"]


def small_list() -> WarningList:
    rows = len(PROBABILITIES)
    tiers = Tiers(red=0.5, orange=0.2)
    frame = pl.DataFrame(
        {
            "rank": pl.Series(range(1, rows + 1), dtype=pl.Int32),
            "phone": [f"1390000{i:04d}" for i in range(rows)],
            "score": PROBABILITIES,
            "reason_1": ["Long call (23 min) from a number new to the subscriber"] * rows,
            "reason_2": [None] * rows,
            "reason_3": [None] * rows,
            "suspect_number": ["17012345678"] * rows,
            "account": [None] * rows,
            "cluster": [None] * rows,
            "contact_began": [datetime(2026, 10, 30, 9)] * rows,
            "contact_minutes": [12.5] * rows,
        },
        schema_overrides={"reason_2": pl.String, "reason_3": pl.String, "account": pl.String, "cluster": pl.String},
    ).with_columns(tiers.expr(pl.col("score")).alias("tier"))
    return WarningList(frame.select(LIST_COLUMNS), datetime(2026, 10, 31), "3", rows, rows, 0, tiers)


def test_exports_name_the_probability_and_show_it_as_people_read_it(tmp_path) -> None:
    wl = small_list()
    frame = export_frame(wl.frame)
    assert frame.columns[:4] == ["rank", "phone", "risk", "victim_probability"] and "score" not in frame.columns
    assert frame["risk"].to_list() == SHOWN and frame["victim_probability"].to_list() == PROBABILITIES
    csv = pl.read_csv(write_warning_list(wl, tmp_path / "calls.csv"))
    assert csv["victim_probability"].dtype == pl.Float64 and csv["victim_probability"].to_list() == PROBABILITIES
    assert csv["risk"].to_list() == SHOWN
    parquet = pl.read_parquet(write_warning_list(wl, tmp_path / "calls.parquet"))
    assert parquet.select("risk", "victim_probability").equals(frame.select("risk", "victim_probability"))


def test_the_xlsx_keeps_the_number_and_formats_it_as_a_percentage(tmp_path) -> None:
    book = openpyxl.load_workbook(write_warning_list(small_list(), tmp_path / "calls.xlsx"))
    sheet = book["call-back list"]
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["Rank", "Phone", "Victim probability", "Tier"] and "Risk" not in header
    cells = [sheet.cell(row=i + 2, column=3) for i in range(len(PROBABILITIES))]
    assert [c.value for c in cells] == PROBABILITIES
    assert [c.number_format for c in cells] == ['">99%"', "0%", "0.0%", "0.0%", '"<0.1%"']
    about = dict(book["about"].iter_rows(values_only=True))
    assert about["red from victim probability"] == "50%" and about["orange from victim probability"] == "20%"


def test_the_preview_shows_percentages_and_the_tiers(tmp_path) -> None:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(warning_table(small_list()))
    text = console.export_text()
    assert "risk" in text and "red from 50%, orange from 20%" in text
    for shown in SHOWN:
        assert shown in text
    assert "0.9991" not in text and "13900000000" not in text  # no raw score, phones masked
