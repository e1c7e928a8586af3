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
