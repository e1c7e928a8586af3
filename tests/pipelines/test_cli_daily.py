"""`fraudkit daily` (fraudkit/cli_daily.py) through Typer's CliRunner, registered on a fresh app as
fraudkit.cli registers it; and `python -m pipelines.daily`, the same command under its own name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from fraudkit.cli_daily import daily
from fraudkit.synth import World, write_world

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode="rich")

    @app.callback()
    def group() -> None:
        """Stands for the fraudkit group, so the command is invoked as `daily`."""

    app.command()(daily)
    return app


@pytest.fixture(scope="module")
def world_folder(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A world as `fraudkit synth` writes it (tables, truth/, world.json): what `--drop demo/world` reads."""
    folder = tmp_path_factory.mktemp("synth") / "world"
    write_world(world, folder)
    return folder


def test_help_has_an_example(app: typer.Typer) -> None:
    result = runner.invoke(app, ["daily", "--help"], prog_name="fraudkit")
    assert result.exit_code == 0
    assert "Example:" in result.output and "fraudkit daily --drop" in result.output


def test_a_synthetic_world_folder_runs_as_a_drop(app: typer.Typer, world_folder: Path, tmp_path: Path) -> None:
    db, out = tmp_path / "daily.duckdb", tmp_path / "runs"
    tracking = f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}"
    args = ["daily", "--drop", str(world_folder), "--db", str(db), "--out", str(out), "--tracking-uri", tracking]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "set aside truth/ (7 files: a synthetic world's ground truth, never loaded)" in result.stdout
    assert "passed over world.json" in result.stdout and "from 6 files" in result.stdout
    assert "warn: skipped: no victim model is registered" in result.stdout
    assert f"trends: {out / '2026-10-31' / 'trends.svg'}" in result.stdout
    assert (out / "2026-10-31" / "trends.svg").is_file()
    stages = [line for line in result.stderr.splitlines() if line.startswith("… ")]
    assert stages[:3] == ["… ingest", "… ingest regions (1 file)", "… ingest subscribers (1 file)"]
    assert stages[-1] == "… summary"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--drop", "{tmp}/nowhere"], "drop folder {tmp}/nowhere does not exist"),
        (["--drop", "{tmp}/drop", "--format", "pdf"], "--format must be xlsx, csv or parquet, not 'pdf'"),
        (["--drop", "{tmp}/drop", "--mapping", "bank.toml"], "--mapping 'bank.toml' is not KIND=FILE"),
        (["--drop", "{tmp}/drop", "--mapping", "ledger=bank.toml"], "mapping for unknown kind ledger"),
        (["--drop", "{tmp}/drop", "--out", "{tmp}/drop/calls.csv"], "--out {tmp}/drop/calls.csv is a file"),
        (["--drop", "{tmp}/drop", "--tracking-uri", "{tmp}"], "is a plain folder, not an MLflow database"),
        (["--drop", "{tmp}/drop", "--window", "a week"], "--window"),
        (["--drop", "{tmp}/drop/calls.csv"], "drop folder {tmp}/drop/calls.csv is not a folder"),
        (["--drop", "{tmp}/drop/empty"], "holds no CSV or Parquet files to load"),
    ],
)
def test_a_mistake_is_one_line_exit_2_and_makes_no_store(
    app: typer.Typer, tmp_path: Path, args: list[str], said: str
) -> None:
    (tmp_path / "drop" / "empty").mkdir(parents=True)
    (tmp_path / "drop" / "calls.csv").write_text("x\n")
    db = tmp_path / "daily.duckdb"
    full = ["daily", *(a.format(tmp=tmp_path) for a in args), "--db", str(db)]
    result = runner.invoke(app, full)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error: ") and said.format(tmp=tmp_path) in lines[0], lines
    assert not db.exists(), "options and the drop are checked before the store is opened"


def test_ctrl_c_exits_130_saying_what_was_kept(
    app: typer.Typer, world_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipelines.daily

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipelines.daily, "scan_day", interrupted)
    args = ["daily", "--drop", str(world_folder), "--db", str(tmp_path / "d.duckdb"), "--out", str(tmp_path / "r")]
    result = runner.invoke(app, args)
    assert result.exit_code == 130
    line = result.stderr.strip().splitlines()[-1]
    kept = "error: interrupted at scan; kept: regions loaded (64 new rows); subscribers loaded ("
    assert line.startswith(kept) and "not written: scan" in line


def test_python_m_pipelines_daily_is_the_same_command(capsys: pytest.CaptureFixture[str]) -> None:
    from pipelines.daily import main

    assert main(["--help"]) == 0
    shown = capsys.readouterr().out
    assert "python -m pipelines.daily" in shown
    for option in ("--drop", "--db", "--out", "--as-of", "--window", "--top", "--lookback", "--format", "--mapping"):
        assert option in shown


@pytest.mark.parametrize("first", ["fraudkit.cli_daily", "fraudkit.cli"])
def test_either_module_may_be_imported_first(first: str) -> None:
    """fraudkit.cli registers the command at its end and this module takes its option types from it."""
    code = (
        f"import {first}; import fraudkit.cli, fraudkit.cli_daily, typer; app = typer.Typer(); "
        "app.command()(fraudkit.cli_daily.daily); print(' '.join(p.name for p in typer.main.get_command(app).params))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert {"db", "tracking_uri", "lock_wait", "as_of"} <= set(done.stdout.split()), "option types resolved"
