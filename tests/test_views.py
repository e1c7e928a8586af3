"""Terminal tables print file text as text: a bracket in a file name, a reason or a raw line is
not Rich markup, so nothing in it is swallowed or styled."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from fraudkit.exposure import reveal
from fraudkit.store import connect
from fraudkit.views import rejects_table


def _rendered(table: object) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(table)
    return console.export_text()


def test_rejects_show_bracketed_file_text_as_it_is(tmp_path: Path) -> None:
    rows = [
        {
            "kind": "transactions",
            "source_file": str(tmp_path / "x[b].csv"),
            "line": 7,
            "column": "amount",
            "reason": "names unknown transactions column(s) [fee]",
            "raw": "T1,[bold]12,abc",
        }
    ]
    con = connect(tmp_path / "fraudkit.duckdb", create=True)
    try:
        with reveal(con, command="rejects", what="raw lines", rows=1) as grant:
            text = _rendered(rejects_table(rows, reveal=grant))
    finally:
        con.close()
    assert "x[b].csv:7" in text
    assert "[fee]" in text and "[bold]12" in text


# ---- 80 columns (issue 11): identifiers never cut, a reject's raw line on one row ----------

from datetime import datetime  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import polars as pl  # noqa: E402
import pytest  # noqa: E402

from fraudkit.exposure import mask_id  # noqa: E402
from fraudkit.views import RAW_LINE_SHOWN, alerts_table, clusters_table  # noqa: E402

ACCOUNTS = ["6222020200112345678", "6217000011112222", "6228480402564890018"]


def _at_80(table: object) -> list[str]:
    console = Console(width=80, record=True, color_system=None)
    console.print(table)
    lines = console.export_text().splitlines()
    assert all(len(line) <= 80 for line in lines)
    return lines


def _scan_result(n: int) -> SimpleNamespace:
    rows = [
        {
            "rank": i + 1,
            "cluster_id": ACCOUNTS[i % len(ACCOUNTS)],
            "score": 0.99 - i / 100,
            "typology": ("scatter_gather", "fan_in", "chain")[i % 3],
            "size": 104 + i,
            "victims": 215,
            "reports": 31,
            "money_in": 12_345_678.9,
            "cash_out": 9_876_543.2,
            "median_dwell_minutes": 1264.0,
            "flagged": i % 2 == 0,
        }
        for i in range(n)
    ]
    return SimpleNamespace(clusters=pl.DataFrame(rows))


@pytest.mark.parametrize("show", [False, True])
def test_clusters_fit_80_columns_with_whole_ids(show: bool, tmp_path: Path) -> None:
    result = _scan_result(15)
    con = connect(tmp_path / "fraudkit.duckdb", create=True)
    try:
        if show:
            with reveal(con, command="scan", what="clusters", rows=15) as grant:
                text = "\n".join(_at_80(clusters_table(result, top=15, reveal=grant)))
        else:
            text = "\n".join(_at_80(clusters_table(result, top=15)))
    finally:
        con.close()
    for account in ACCOUNTS:
        assert (account if show else mask_id(account)) in text
    assert "…" not in text
    for heading in ("score", "members", "victims", "reports", "flag", "dwell", "cashed"):
        assert heading in text
    assert "scatter-gather" in text and "12.3M" in text and "yes" in text


def test_alerts_fit_80_columns_with_whole_phones() -> None:
    frame = pl.DataFrame(
        [
            {
                "created_at": datetime(2026, 10, 1, 12, 5),
                "phone": "13800138000",
                "tier": "orange",
                "channel": "call_queue",
                "urgent": True,
                "score": 0.912,
                "suspect_number": "+8617012345678",
                "urgent_reason": None,
                "reason_1": "Long incoming call from a number never seen before",
                "status": "claimed",
            }
        ]
    )
    text = "\n".join(_at_80(alerts_table(frame, limit=10)))
    assert mask_id("13800138000") in text and mask_id("+8617012345678") in text
    assert "…" not in text and "orange urgent" in text and "call_queue" in text and "claimed" in text
    assert "13800138000" not in text
    assert "91%" in text and "0.912" not in text  # the probability as people read it


def _long_reject(raw: str) -> dict:
    return {
        "kind": "transactions",
        "source_file": "/data/drop/bank_export_2026-10-01.csv",
        "line": 123_456,
        "column": "amount",
        "reason": "amount: not a number",
        "raw": raw,
    }


def test_a_reject_s_raw_line_is_cut_to_one_row_at_80_columns() -> None:
    raw = "T000123," + ",".join(f"field{i}" for i in range(40)) + ",END"
    lines = _at_80(rejects_table([_long_reject(raw)]))
    holding = [line for line in lines if "field" in line]
    assert len(holding) == 1, lines
    assert raw[: RAW_LINE_SHOWN - 1] in holding[0] and "END" not in holding[0]
    where = "".join(line[:24].strip() for line in lines if line.startswith(("bank", "sv:")))
    assert where == "bank_export_2026-10-01.csv:123456", lines  # folded in its column, never cut
    assert f"cut at {RAW_LINE_SHOWN} characters" in lines[0]


def test_full_lines_shows_the_whole_raw_line() -> None:
    raw = "T000123," + ",".join(f"field{i}" for i in range(40)) + ",END"
    text = "".join(line.strip() for line in _at_80(rejects_table([_long_reject(raw)], full_lines=True)))
    assert "END" in text and "cut at" not in text


def test_the_raw_line_is_masked_before_it_is_cut() -> None:
    """A card number across the cut is masked whole, so the cut never leaves its digits in clear."""
    card = "6222020200112345678"
    raw = "x" * (RAW_LINE_SHOWN - 10) + "," + card + ",tail"
    text = "".join(_at_80(rejects_table([_long_reject(raw)])))
    assert "02001" not in text and card[:4] + "***" in text  # cut first, it would read 62****02
