"""`fraudkit case ...` over a store with tracked rings: each command, its output, its refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from ring_rows import seed_rings
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from fraudkit.cases import get_case
from fraudkit.cli import app
from fraudkit.exposure import current_user

runner = CliRunner(env={"COLUMNS": "200", "FRAUDKIT_TIMEZONE": "Asia/Shanghai"})


@pytest.fixture
def case_cli(engine: Engine, ops_url: str, tmp_path: Path) -> list[str]:
    """The options that point a `fraudkit case` command at the test's stores."""
    seed_rings(engine)
    return ["--db", str(tmp_path / "f.duckdb"), "--ops-db", ops_url]


def case(options: list[str], *words: str) -> str:
    result = runner.invoke(app, ["case", *words, *options])
    assert result.exit_code == 0, result.output
    return result.output


def test_open_mark_note_show_list(engine: Engine, case_cli: list[str]) -> None:
    opened = case(case_cli, "open", "R000001", "--note", "fan-in from 3 victims")
    assert "case C000001 ring R000001: open" in opened and current_user() in opened
    case(case_cli, "note", "R000001", "cash-out card rented", "--by", "zhao")
    assert "confirmed" in case(case_cli, "mark", "C000001", "confirmed", "--by", "li.wei", "--note", "bank agrees")
    shown = case(case_cli, "show", "C000001")
    lines = [" ".join(line.split()[2:]) for line in shown.splitlines()[1:]]
    assert lines == [
        f"{current_user()} opened: fan-in from 3 victims",
        "zhao note: cash-out card rented",
        "li.wei status confirmed: bank agrees",
    ]
    assert "C000001" in case(case_cli, "list", "--status", "confirmed")
    assert "no cases open" in case(case_cli, "list", "--status", "open")
    assert get_case(engine, "R000001").updated_by == "li.wei"


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["open", "R000404"], "no ring 'R000404'"),
        (["mark", "C000404", "closed"], "no case 'C000404'"),
        (["note", "C000404", "x"], "no case 'C000404'"),
    ],
)
def test_refusals_are_one_line(case_cli: list[str], words: list[str], message: str) -> None:
    result = runner.invoke(app, ["case", *words, *case_cli])
    assert result.exit_code == 2 and message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_second_case_for_a_ring_names_the_first(case_cli: list[str]) -> None:
    case(case_cli, "open", "R000002")
    result = runner.invoke(app, ["case", "open", "R000002", *case_cli])
    assert result.exit_code == 2 and "has a case already: C000001" in result.output


def test_a_wrong_db_opens_no_new_store(tmp_path: Path) -> None:
    result = runner.invoke(app, ["case", "list", "--db", str(tmp_path / "nowhere.duckdb")])
    assert result.exit_code == 2 and "no operational store" in result.output
    assert not (tmp_path / "nowhere.ops.sqlite").exists()
