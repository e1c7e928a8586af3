"""The daily batch as a scheduler runs it: a drop folder in, the store, the day's folder and an exit code out."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from fraudkit.errors import ConfigError
from fraudkit.settings import Settings
from fraudkit.synth import SynthConfig, World, generate_world
from pipelines.daily import DailyConfig, drop_files, main, run_daily

AS_OF = datetime(2026, 10, 31)


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(SynthConfig.preset("default", seed=5, subscribers=3_000))


def write_drop(world: World, drop: Path) -> Path:
    """Half the kinds in sub-folders, half as prefixed file names, as drops arrive in practice."""
    for kind, frame in world.tables.items():
        if kind in ("calls", "transactions"):
            (drop / kind).mkdir(parents=True, exist_ok=True)
            frame.write_parquet(drop / kind / "part-0.parquet")
        else:
            drop.mkdir(parents=True, exist_ok=True)
            frame.write_csv(drop / f"{kind}_20261030.csv")
    return drop


def test_drop_files_by_folder_or_name_prefix(tmp_path: Path) -> None:
    (tmp_path / "calls").mkdir()
    (tmp_path / "calls" / "a.csv").write_text("x\n")
    (tmp_path / "transactions-2026-10-31.parquet").write_bytes(b"PAR1")
    (tmp_path / "accounts.csv").write_text("x\n")
    (tmp_path / "README.txt.bak").write_text("not data")
    found = drop_files(tmp_path)
    assert {kind: [p.name for p in files] for kind, files in found.items()} == {
        "calls": ["a.csv"],
        "transactions": ["transactions-2026-10-31.parquet"],
        "accounts": ["accounts.csv"],
    }


def test_a_file_naming_no_kind_stops_the_batch_before_loading(tmp_path: Path) -> None:
    (tmp_path / "callsheet.csv").write_text("x\n")  # "calls" followed by letters is not the calls kind
    with pytest.raises(ConfigError, match="name no kind"):
        drop_files(tmp_path)


def test_daily_batch_ingests_scans_and_reports_then_a_rerun_adds_nothing(world: World, tmp_path: Path) -> None:
    drop = write_drop(world, tmp_path / "drop")
    settings = Settings(db_path=tmp_path / "fraudkit.duckdb", tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    config = DailyConfig(drop=drop, out=tmp_path / "runs", settings=settings)
    stale = tmp_path / "runs" / f"{AS_OF:%Y-%m-%d}" / f"callbacks-{AS_OF:%Y%m%d-%H%M}.xlsx"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an earlier run's list, when a champion was registered")
    first = run_daily(config)
    assert first.as_of == AS_OF
    ingest = first.step("ingest")
    assert ingest.facts["transactions"]["loaded"] == world.tables["transactions"].height
    assert ingest.facts["calls"]["rejected"] == 0
    assert first.step("scan").facts["flagged"] >= 1
    assert Path(first.step("scan").outputs["scan report"]).exists()
    warn = first.step("warn")
    assert warn.skipped is not None and "fraudkit train --target victim" in warn.skipped
    assert not stale.exists() and "removed 1 earlier call-back list(s)" in warn.skipped  # no stale list to call from
    summary = json.loads((first.run_dir / "summary.json").read_text())
    assert [s["name"] for s in summary["steps"]] == ["ingest", "scan", "warn"]
    assert "skipped" in (first.run_dir / "summary.md").read_text()

    again = run_daily(config)
    assert sum(kind["loaded"] for kind in again.step("ingest").facts.values()) == 0
    assert again.step("scan").facts["flagged"] == first.step("scan").facts["flagged"]


def test_main_returns_2_with_one_line_for_a_missing_drop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--drop", str(tmp_path / "nowhere"), "--db", str(tmp_path / "f.duckdb")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error: drop folder") and "Traceback" not in err[0]


def test_main_rejects_a_mapping_that_is_not_kind_equals_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "drop").mkdir()
    code = main(["--drop", str(tmp_path / "drop"), "--mapping", "bank.toml"])
    assert code == 2
    assert "KIND=FILE" in capsys.readouterr().err


def test_with_a_champion_the_batch_writes_a_masked_call_back_list(tmp_path: Path) -> None:
    import polars as pl

    from fraudkit.model import TrainParams, build_training_set, register, train_model
    from fraudkit.store import open_store

    # boosted fraud so that a small world holds enough victims to train on
    world = generate_world(SynthConfig(seed=3, subscribers=4_000, fraud_operations_per_100k=300.0))
    drop = write_drop(world, tmp_path / "drop")
    truth = tmp_path / "truth"
    truth.mkdir()
    for name, frame in world.truth.items():
        frame.write_parquet(truth / f"{name}.parquet")
    settings = Settings(
        db_path=tmp_path / "fraudkit.duckdb", tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}", threads=1
    )
    config = DailyConfig(drop=drop, out=tmp_path / "runs", settings=settings, warn_format="csv")
    run_daily(config)  # day one: no model yet
    with open_store(settings.db_path) as con:
        training = build_training_set(con, "victim", as_of=AS_OF, truth=truth)
    register(train_model(training, TrainParams(target="victim"), settings), settings)

    result = run_daily(config)
    warn = result.step("warn")
    assert warn.skipped is None, warn.skipped
    listed = pl.read_csv(warn.outputs["call-back list"], schema_overrides={"phone": pl.String})
    assert 0 < listed.height <= config.warn_top
    assert listed["tier"].is_in(["red", "orange", "yellow"]).all()
    phones = set(world.tables["subscribers"]["phone"].to_list())
    assert not phones & set(listed["phone"].to_list()), "the list must be masked"
    assert listed["phone"].str.contains(r"\*").all()
