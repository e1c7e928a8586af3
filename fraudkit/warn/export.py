"""Writing the call-back list for people: CSV, Parquet, or an XLSX laid out for a warning team.

The score is written as ``victim_probability``, a number (0-1) for programs, beside ``risk``, the
same as people read it ("71%", "0.4%", "<0.1%"); in the XLSX the one number column is shown that
way by a per-cell format. Phones and accounts are masked unless revealed; full values need the grant of
``exposure.reveal``, which records the export in the audit log first (who, when, what, how many)
and marks it completed once the file is in place. Every file is written atomically.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from fraudkit.atomic import write_file
from fraudkit.errors import ConfigError
from fraudkit.exposure import Reveal, mask_frame, reveal_if, revealed
from fraudkit.text import format_probability
from fraudkit.warn.listing import WarningList

SUFFIXES = (".xlsx", ".csv", ".parquet")
TIER_COLOURS = {"red": "#F4B6B6", "orange": "#FAD7A0", "yellow": "#FCF3CF"}
WIDTHS = {
    "rank": 6,
    "phone": 15,
    "risk": 7,
    "victim_probability": 11,
    "tier": 8,
    "reason_1": 52,
    "reason_2": 44,
    "reason_3": 44,
    "suspect_number": 16,
    "account": 22,
    "cluster": 14,
    "contact_began": 18,
    "contact_minutes": 9,
}
HEADERS = {
    "rank": "Rank",
    "phone": "Phone",
    "risk": "Risk",
    "victim_probability": "Victim probability",
    "tier": "Tier",
    "reason_1": "Reason 1",
    "reason_2": "Reason 2",
    "reason_3": "Reason 3",
    "suspect_number": "Suspect number",
    "account": "Account paid",
    "cluster": "Cluster",
    "contact_began": "Contact began",
    "contact_minutes": "Call minutes",
}


def check_output(path: Path) -> None:
    """Refuse an unknown suffix or a missing folder before any work is done."""
    if path.suffix.lower() not in SUFFIXES:
        raise ConfigError(f"--out {path} must end in .xlsx, .csv or .parquet", hint="e.g. --out calls.xlsx")
    if not path.parent.exists():
        raise ConfigError(f"folder {path.parent} does not exist", hint="create it first")


def masked(frame: pl.DataFrame) -> pl.DataFrame:
    """The list with phones, suspect numbers, accounts and clusters (named after an account) masked
    by the one rule of ``fraudkit.exposure`` (138****5678, 6222***********1234); numbers in the
    reasons are masked too."""
    return mask_frame(frame)


def write_warning_list(
    wl: WarningList,
    out: str | Path,
    *,
    reveal: Reveal | bool | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Path:
    """Write the list to ``out`` (.xlsx, .csv or .parquet), atomically, masked unless revealed:
    by a grant of ``exposure.reveal``, or ``reveal=True`` with the store ``con``, which audits
    the export before the file is written and marks it completed after."""
    path = Path(out)
    check_output(path)
    if isinstance(reveal, Reveal):
        _write_list(wl, path, reveal)
        return path
    details = {"out": str(path), "as_of": wl.as_of.isoformat(), "model_version": wl.model_version}
    what = "call-back list with phones and accounts"
    with reveal_if(con, bool(reveal), command="warn", what=what, rows=wl.frame.height, details=details) as grant:
        _write_list(wl, path, grant)
    return path


PROBABILITY_FORMATS = (
    (0.001, '"<0.1%"'),
    (0.0995, "0.0%"),
    (0.995, "0%"),
    (float("inf"), '">99%"'),
)
"""XLSX number formats by the probability below which each applies, as ``format_probability`` writes it."""


def export_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The list as written: ``score`` named ``victim_probability``, with ``risk`` (the percentage
    people read) before it."""
    if "score" not in frame.columns:
        return frame
    risk = frame["score"].map_elements(format_probability, return_dtype=pl.String).alias("risk")
    out = frame.rename({"score": "victim_probability"}).with_columns(risk)
    order = [name for name in out.columns if name != "risk"]
    at = order.index("victim_probability")
    return out.select([*order[:at], "risk", *order[at:]])


def _write_list(wl: WarningList, path: Path, grant: Reveal | None) -> None:
    frame = export_frame(wl.frame if revealed(grant) else masked(wl.frame))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_file(path, frame.write_csv)
    elif suffix == ".parquet":
        write_file(path, frame.write_parquet)
    else:
        write_file(path, lambda temp: _write_xlsx(frame, temp, wl))


def _write_xlsx(frame: pl.DataFrame, path: Path, wl: WarningList) -> None:
    """One sheet for the team: frozen header, filters, widths, tier colours, wrapped reasons; a second
    sheet saying when and with which model the list was drawn up. The workbook is built in memory
    and written in one go, so a full disk fails that one write (xlsxwriter's own zip file would
    fail again, noisily, when collected)."""
    import io

    import xlsxwriter

    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as book:
        sheet = book.add_worksheet("call-back list")
        head = book.add_format(
            {
                "bold": True,
                "bg_color": "#34495E",
                "font_color": "#FFFFFF",
                "text_wrap": True,
                "valign": "vcenter",
                "border": 1,
            }
        )
        cell = {
            t: book.add_format({"bg_color": colour, "valign": "top", "text_wrap": True, "border": 1})
            for t, colour in TIER_COLOURS.items()
        }
        probability_fmt = {
            (t, below): book.add_format({"bg_color": colour, "valign": "top", "num_format": shown, "border": 1})
            for t, colour in TIER_COLOURS.items()
            for below, shown in PROBABILITY_FORMATS
        }
        time_fmt = {
            t: book.add_format({"bg_color": colour, "valign": "top", "num_format": "yyyy-mm-dd hh:mm", "border": 1})
            for t, colour in TIER_COLOURS.items()
        }
        columns = [name for name in frame.columns if name != "risk"]  # the number column is shown as a percentage
        for j, name in enumerate(columns):
            sheet.write(0, j, HEADERS.get(name, name), head)
            sheet.set_column(j, j, WIDTHS.get(name, 14))
        for i, row in enumerate(frame.iter_rows(named=True), start=1):
            tier = row["tier"] if row["tier"] in TIER_COLOURS else "yellow"
            for j, name in enumerate(columns):
                value = row[name]
                if value is None:
                    sheet.write_blank(i, j, None, cell[tier])
                elif name == "victim_probability":
                    below = next((b for b, _ in PROBABILITY_FORMATS if float(value) < b), float("inf"))
                    sheet.write_number(i, j, float(value), probability_fmt[(tier, below)])
                elif name == "contact_began":
                    sheet.write_datetime(i, j, value, time_fmt[tier])
                elif isinstance(value, int | float):
                    sheet.write_number(i, j, value, cell[tier])
                else:
                    sheet.write_string(i, j, str(value), cell[tier])
        sheet.freeze_panes(1, 2)
        sheet.autofilter(0, 0, max(frame.height, 1), len(columns) - 1)
        sheet.set_row(0, 30)
        about = book.add_worksheet("about")
        facts = [
            ("as of", wl.as_of.strftime("%Y-%m-%d %H:%M")),
            ("model version", wl.model_version),
            ("contacts scored", wl.contacts_scored),
            ("subscribers scored", wl.subscribers_scored),
            ("left out: called back recently", wl.left_out_called),
            ("red from victim probability", format_probability(wl.tiers.red)),
            ("orange from victim probability", format_probability(wl.tiers.orange)),
            ("ties", "equal probabilities: the contact that ended latest first, then the contact id"),
        ]
        about.set_column(0, 0, 32)
        about.set_column(1, 1, 22)
        for i, (key, value) in enumerate(facts):
            about.write(i, 0, key)
            about.write(i, 1, value)
    path.write_bytes(buffer.getvalue())
