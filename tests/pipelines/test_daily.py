"""The daily batch as a scheduler runs it: a drop folder in, the store, the day's folder and an exit code out."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from fraudkit.settings import Settings
from fraudkit.synth import SynthConfig, World, generate_world
from pipelines.daily import DailyConfig, DailyInterrupted, main, run_daily

AS_OF = datetime(2026, 10, 31)


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
    assert not stale.exists()  # no stale list to call from
    assert "removed 1 earlier call-back list of this day" in warn.skipped
    summary = json.loads((first.run_dir / "summary.json").read_text())
    assert [s["name"] for s in summary["steps"]] == ["ingest", "scan", "warn"]
    assert summary["trend"]["clusters"] == first.step("scan").facts["flagged"] and summary["trend"]["listed"] is None
    assert first.step("scan").facts["victims"] >= 1
    md = (first.run_dir / "summary.md").read_text()
    assert "skipped" in md and "![per-day trends](trends.svg)" in md and (first.run_dir / "trends.svg").is_file()

    again = run_daily(config)
    facts = again.step("ingest").facts
    assert sum(facts[kind]["loaded"] for kind in world.tables) == 0
    assert facts["set aside"] == {"ground truth": 0, "passed over": 0}
    assert again.step("scan").facts["flagged"] == first.step("scan").facts["flagged"]

    earlier = run_daily(dataclasses.replace(config, as_of=AS_OF - timedelta(days=2)))  # a day two days back
    assert earlier.run_dir.name == "2026-10-29"
    rows = [line for line in (earlier.run_dir / "summary.md").read_text().splitlines() if line.startswith("| 2026")]
    assert [row.split(" | ")[0] for row in rows] == ["| 2026-10-31", "| 2026-10-29"], "every day so far, newest first"
    assert f"| no list | {first.step('scan').facts['flagged']} | {first.step('scan').facts['victims']} |" in rows[0]


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
    tiers = " / ".join(str(warn.facts[t]) for t in ("red", "orange", "yellow"))
    assert f"| 2026-10-31 | {listed.height} ({tiers}) |" in (result.run_dir / "summary.md").read_text()


def test_ctrl_c_during_the_scan_says_which_kinds_were_kept(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipelines.daily

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipelines.daily, "scan_day", interrupted)
    drop = write_drop(world, tmp_path / "drop")
    config = DailyConfig(drop=drop, out=tmp_path / "runs", settings=Settings(db_path=tmp_path / "f.duckdb"))
    with pytest.raises(DailyInterrupted) as caught:
        run_daily(config)
    line = caught.value.one_line()
    assert line.startswith("interrupted at scan; kept: regions loaded (64 new rows); subscribers loaded (")
    assert f"transactions loaded ({world.tables['transactions'].height:,} new rows)" in line
    assert "not written: scan, warn, summary" in line
    assert not list((tmp_path / "runs").glob("*/summary.*")), "no summary of a run that did not finish"


def test_ctrl_c_inside_one_kind_says_that_kind_was_rolled_back(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipelines.daily

    real = pipelines.daily.ingest_paths

    def interrupted_on_calls(con: object, paths: object, kind: str, *args: object, **kwargs: object) -> object:
        if kind == "calls":
            raise KeyboardInterrupt
        return real(con, paths, kind, *args, **kwargs)

    monkeypatch.setattr(pipelines.daily, "ingest_paths", interrupted_on_calls)
    drop = write_drop(world, tmp_path / "drop")
    config = DailyConfig(drop=drop, out=tmp_path / "runs", settings=Settings(db_path=tmp_path / "f.duckdb"))
    with pytest.raises(DailyInterrupted) as caught:
        run_daily(config)
    line = caught.value.one_line()
    assert line.startswith("interrupted at ingest calls (1 file) (rolled back")
    assert "subscribers loaded" in line and "accounts loaded" in line and "calls loaded" not in line
    assert "not written: ingest, scan, warn, summary" in line
