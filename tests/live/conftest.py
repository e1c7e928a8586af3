"""A small world for the live-loop tests, stored once per session, with a victim model trained on
its reports (what a centre has) in a temporary MLflow store, never the repository's mlruns/."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from fraudkit.model.dataset import build_training_set
from fraudkit.model.params import TrainParams
from fraudkit.model.registry import register
from fraudkit.model.train import train_model
from fraudkit.settings import Settings
from fraudkit.synth import SynthConfig, World, generate_world, store_world


@dataclass(frozen=True)
class LiveWorld:
    world: World
    db: Path
    truth: Path
    settings: Settings

    def copy_store(self, folder: Path) -> Path:
        """A private copy of the store, for a test that writes to it."""
        target = folder / "fraudkit.duckdb"
        shutil.copy(self.db, target)
        return target


@pytest.fixture(scope="session")
def live_world(tmp_path_factory: pytest.TempPathFactory) -> LiveWorld:
    world = generate_world(SynthConfig(seed=5, subscribers=3_000, days=14, fraud_operations_per_100k=300.0))
    root = tmp_path_factory.mktemp("live_world")
    db, truth = root / "fraudkit.duckdb", root / "truth"
    store_world(world, db, truth)
    settings = Settings(threads=1, tracking_uri=f"sqlite:///{root / 'mlflow.db'}", mlruns_dir=root, db_path=db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        training = build_training_set(con, "victim", params=TrainParams(target="victim"))
    finally:
        con.close()
    register(train_model(training, TrainParams(target="victim"), settings), settings)
    return LiveWorld(world=world, db=db, truth=truth, settings=settings)
