"""`train` reads the store and releases it before LightGBM starts: a 3-minute train must not
make the daily pipeline (or any writer) fail on the store's lock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from model_world import ModelWorld
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.errors import FraudkitError

runner = CliRunner(env={"COLUMNS": "200"})
WRITER = "import sys; from fraudkit.store import connect; connect(sys.argv[1], lock_wait=0).close(); print('wrote')"


def test_a_writer_can_open_the_store_while_train_trains(
    model_world: ModelWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "store.duckdb"
    db.write_bytes(model_world.db.read_bytes())
    seen: dict[str, subprocess.CompletedProcess] = {}

    def train_while_another_process_writes(*_args, **_kwargs):
        seen["writer"] = subprocess.run(
            [sys.executable, "-c", WRITER, str(db)], capture_output=True, text=True, timeout=60
        )
        raise FraudkitError("stopped before LightGBM by the test")

    monkeypatch.setattr("fraudkit.model.train.train_model", train_while_another_process_writes)
    result = runner.invoke(
        app,
        ["train", "--truth", str(model_world.truth), "--db", str(db), "--tracking-uri", f"sqlite:///{tmp_path}/m.db"],
    )
    assert result.exit_code == 2 and "stopped before LightGBM" in result.output
    writer = seen["writer"]
    assert writer.returncode == 0 and writer.stdout.strip() == "wrote", writer.stderr[-500:]
