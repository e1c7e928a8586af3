"""train, models and warn as a user types them, through Typer's runner, against a temporary MLflow store."""

from __future__ import annotations

from pathlib import Path

import duckdb
import openpyxl
import pytest
from model_world import ModelWorld
from typer.testing import CliRunner

from fraudkit.cli import app

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.mark.parametrize("command", [["train"], ["warn"], ["models", "list"], ["models", "promote"]])
def test_new_commands_have_help_with_an_example(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output and f"fraudkit {' '.join(command)}" in result.output


def test_train_promote_and_warn_end_to_end(model_world: ModelWorld, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    db.write_bytes(model_world.db.read_bytes())
    store = ["--db", str(db)]
    tracking = ["--tracking-uri", f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}"]
    out = tmp_path / "calls.xlsx"
    warn = ["warn", *store, *tracking, "--as-of", "2026-10-27T15:00", "--top", "25"]

    no_model = runner.invoke(app, [*warn, "--out", str(out)])
    assert no_model.exit_code == 2 and "no victim model is registered" in no_model.output
    assert "fraudkit train --target victim" in no_model.output and "Traceback" not in no_model.output

    trained = runner.invoke(
        app, ["train", "--target", "victim", "--truth", str(model_world.truth), "--threads", "1", *store, *tracking]
    )
    assert trained.exit_code == 0, trained.output
    assert "registered fraudkit-victim version 1" in trained.output
    assert "warned before first transfer" in trained.output and "precision@100" in trained.output

    listed = runner.invoke(app, ["models", "list", "--target", "victim", *tracking])
    assert listed.exit_code == 0 and "champion" in listed.output

    written = runner.invoke(app, [*warn, "--out", str(out)])
    assert written.exit_code == 0, written.output
    assert "25 people listed" in written.output and "(masked)" in written.output
    assert openpyxl.load_workbook(out)["call-back list"].max_row == 26

    again = runner.invoke(
        app,
        [
            "train",
            "--truth",
            str(model_world.truth),
            "--threads",
            "1",
            "--capacity",
            "50",
            "--promote",
            *store,
            *tracking,
        ],
    )
    assert again.exit_code == 0, again.output
    assert "against champion v1" in again.output and "fraudkit-victim@champion is now version 2" in again.output

    # --force: which of the two is better on the test days is the world's business, not this test's
    back = runner.invoke(app, ["models", "promote", "--target", "victim", "--version", "1", "--force", *tracking])
    assert back.exit_code == 0, back.output
    assert "is now version 1" in back.output

    revealed = runner.invoke(app, [*warn, "--top", "5", "--reveal", "--out", str(tmp_path / "calls.csv")])
    assert revealed.exit_code == 0, revealed.output
    assert "(unmasked;" in revealed.output
    con = duckdb.connect(str(db), read_only=True)
    try:
        audit = con.execute("SELECT command, row_count FROM audit_log").fetchall()
    finally:
        con.close()
    assert audit == [("warn", 5)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--target", "victims"], "unknown --target 'victims'"),
        (["warn", "--out", "calls.pdf"], "must end in .xlsx, .csv or .parquet"),
        (["warn", "--out", "calls.csv", "--lookback", "a day"], "--lookback 'a day' is not a duration"),
        (["warn", "--out", "calls.csv", "--tiers", "0.1,0.9"], "orange <= red"),
        (["models", "promote", "--target", "mule"], "no version of fraudkit-mule registered"),
    ],
)
def test_mistakes_are_one_line_errors(args: list[str], message: str, tmp_path: Path) -> None:
    tracking = ["--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}"]
    result = runner.invoke(app, [*args, *tracking], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
