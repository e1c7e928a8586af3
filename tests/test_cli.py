"""The CLI as a user meets it: help everywhere, fast start, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from fraudkit.cli import app

runner = CliRunner()
COMMANDS = sorted(c.name for c in app.registered_commands if c.name) or sorted(
    c.callback.__name__ for c in app.registered_commands
)


def test_top_level_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("synth", "ingest", "demo", "status", "rejects"):
        assert name in result.output


@pytest.mark.parametrize("command", ["synth", "ingest", "demo", "status", "rejects"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    assert f"fraudkit {command}" in result.output


def test_help_does_not_import_heavy_libraries() -> None:
    """`fraudkit --help` must answer at once: engines load inside the commands that use them."""
    code = (
        "import sys; from fraudkit.cli import app; "
        "heavy = [m for m in ('lightgbm', 'mlflow', 'networkx', 'polars', 'duckdb', 'numpy') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_unknown_kind_is_one_line_error_not_traceback(tmp_path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("a,b\n1,2\n")
    result = runner.invoke(app, ["ingest", str(f), "--kind", "nonsense", "--db", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "unknown --kind 'nonsense'" in result.output


def test_status_on_missing_store_says_what_to_do(tmp_path) -> None:
    result = runner.invoke(app, ["status", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert "no database" in result.output
    assert "fraudkit ingest" in result.output
