"""write_world: tables beside truth/, a world.json, Parquet round-trips, CSV as documented."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from fraudkit.errors import ConfigError
from fraudkit.schema import TABLES
from fraudkit.synth import TABLE_NAMES, TRUTH_NAMES, SynthConfig, World, generate_world, write_world


@pytest.fixture(scope="module")
def tiny_world() -> World:
    return generate_world(SynthConfig(seed=2, subscribers=1_500, days=7))


def test_parquet_round_trips_exactly(tiny_world: World, tmp_path: Path) -> None:
    paths = write_world(tiny_world, tmp_path)
    for name in TABLE_NAMES:
        assert paths[name] == tmp_path / f"{name}.parquet"
        assert pl.read_parquet(paths[name]).equals(tiny_world.tables[name]), name
    for name in TRUTH_NAMES:
        assert paths[f"truth/{name}"] == tmp_path / "truth" / f"{name}.parquet"
        assert pl.read_parquet(paths[f"truth/{name}"]).equals(tiny_world.truth[name]), name
    assert not list(tmp_path.glob("truth*.parquet")), "answers never sit beside the tables"


def test_same_config_writes_identical_bytes(tiny_world: World, tmp_path: Path) -> None:
    again = generate_world(tiny_world.config)
    a = write_world(tiny_world, tmp_path / "a")
    b = write_world(again, tmp_path / "b")
    for key in a:
        assert a[key].read_bytes() == b[key].read_bytes(), key


def test_world_json_records_config_and_rows(tiny_world: World, tmp_path: Path) -> None:
    paths = write_world(tiny_world, tmp_path)
    meta = json.loads(paths["world.json"].read_text(encoding="utf-8"))
    assert SynthConfig.from_dict(meta["config"]) == tiny_world.config
    assert meta["rows"]["tables"]["calls"] == tiny_world.tables["calls"].height
    assert meta["rows"]["truth"]["victims"] == tiny_world.truth["victims"].height
    assert meta["format"] == "parquet"


def test_csv_has_headers_and_plain_timestamps(tiny_world: World, tmp_path: Path) -> None:
    paths = write_world(tiny_world, tmp_path, fmt="csv")
    calls_csv = paths["calls"]
    assert calls_csv.suffix == ".csv"
    lines = calls_csv.read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",") == TABLES["calls"].column_names
    start_time = lines[1].split(",")[3]
    assert len(start_time) == 19 and start_time[10] == " " and start_time[4] == "-"
    schema = {c: pl.String for c in TABLES["transactions"].column_names} | {"amount": pl.Float64}
    back = pl.read_csv(paths["transactions"], schema_overrides=schema)
    assert back.height == tiny_world.tables["transactions"].height
    assert back["src_account"].equals(tiny_world.tables["transactions"]["src_account"])
    assert (back["amount"] - tiny_world.tables["transactions"]["amount"]).abs().max() < 1e-9
    assert (tmp_path / "truth" / "victims.csv").exists()


def test_unknown_format_is_refused(tiny_world: World, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="xlsx"):
        write_world(tiny_world, tmp_path, fmt="xlsx")
