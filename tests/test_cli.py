"""The CLI as a user meets it: help everywhere, fast start, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from fraudkit.cli import app

runner = CliRunner(env={"COLUMNS": "200"})


def leaf_commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every runnable command as the words a user types after `fraudkit`, sub-commands (eval scan) included.

    Typer vendors its own click, so groups are recognised by their ``commands``, not by class."""
    found: list[tuple[str, ...]] = []
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):
            found += leaf_commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


LEAVES = leaf_commands(typer.main.get_command(app))
EXPECTED = {("synth",), ("ingest",), ("status",), ("rejects",), ("demo",), ("scan",), ("trace",), ("features",)}


def test_the_walk_sees_every_command() -> None:
    """Guards the walk itself: if it found nothing, the help test below would pass vacuously."""
    assert EXPECTED | {("eval", "scan")} <= set(LEAVES)


def test_top_level_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for words in LEAVES:
        assert words[0] in result.output


@pytest.mark.parametrize("words", LEAVES, ids=" ".join)
def test_every_command_has_help_with_an_example(words: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*words, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    assert f"fraudkit {' '.join(words)}" in result.output


def test_as_of_help_shows_its_default_on_every_command() -> None:
    """Rich reads an unescaped "[default: ...]" as a markup tag and drops it; the shared --as-of help escapes it."""
    helps = {words: " ".join(runner.invoke(app, [*words, "--help"]).output.split()) for words in LEAVES}
    with_as_of = {words for words, shown in helps.items() if "--as-of" in shown}
    assert {("scan",), ("trace",), ("features",)} <= with_as_of
    for words in with_as_of:
        assert "(YYYY-MM-DD[THH:MM]) [default: midnight after the data]." in helps[words], words


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("synth", "Number of subscribers [default: 20000]."),
        ("synth", "Days of activity [default: the preset's: 30, transfers 120]."),
        ("ingest", "utf-8, utf-8-sig, gbk or gb18030 [default: detect]."),
    ],
)
def test_option_help_shows_its_default(command: str, shown: str) -> None:
    """The same escaping for options whose help states a default Typer does not print itself."""
    assert shown in " ".join(runner.invoke(app, [command, "--help"]).output.split())


def test_help_does_not_import_heavy_libraries() -> None:
    """`fraudkit --help` must answer at once: engines load inside the commands that use them."""
    code = (
        "import sys; from fraudkit.cli import app; "
        "heavy = [m for m in ('lightgbm', 'mlflow', 'networkx', 'polars', 'duckdb', 'numpy', "
        "'fastapi', 'starlette', 'uvicorn', 'sqlalchemy', 'psycopg', 'argon2', 'jinja2') if m in sys.modules]; "
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
