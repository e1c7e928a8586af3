"""The CLI's ingest table shows updates when a correcting source sent any: read = the rest."""

from __future__ import annotations

from pathlib import Path

from ingest_helpers import HEADERS, write
from typer.testing import CliRunner

from fraudkit.cli import app

runner = CliRunner(env={"COLUMNS": "200"})
TS = "2024-03-01 10:00:00"


def txn(i: int, amount: str = "10.00", status: str = "success") -> str:
    return f"T{i},{TS},6222000011112222,6228000033334444,{amount},CNY,mobile,{status}"


def test_ingest_table_shows_updates_only_when_there_are_some(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    first = write(tmp_path / "a.csv", [HEADERS["transactions"], txn(1), txn(2)])
    result = runner.invoke(app, ["ingest", str(first), "--kind", "transactions", "--db", db])
    assert result.exit_code == 0, result.output
    assert "updates" not in result.output
    mapping = tmp_path / "corrections.toml"
    mapping.write_text('on_conflict = "update"\n')
    fix = write(tmp_path / "fix.csv", [HEADERS["transactions"], txn(2, "20.00", "reversed"), txn(3), txn(3)])
    result = runner.invoke(app, ["ingest", str(fix), "--kind", "transactions", "--mapping", str(mapping), "--db", db])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(line for line in lines if all(name in line for name in ("read", "loaded", "duplicates")))
    row = [line for line in lines if "fix.csv" in line][-1]  # the table's, after the progress lines naming the file
    names = [c for c in header.replace("┃", " ").split() if c not in ("file", "note")]
    cells = dict(zip(names, [c for c in row.replace("│", " ").split() if c.isdigit()], strict=True))
    assert cells == {"read": "3", "loaded": "1", "rejected": "0", "duplicates": "1", "updates": "1"}
