"""One small world for the model tests, built once per session, and what is trained on it.

Fraud is boosted (300 operations per 100k people) so that 4,000 subscribers still hold a
dozen operations and a few hundred victims; training uses one thread and a temporary
MLflow store, never the repository's mlruns/.
"""

from __future__ import annotations

import duckdb
import pytest
from model_world import AS_OF, ModelWorld

from fraudkit.model.dataset import TrainingSet, build_training_set
from fraudkit.model.params import TrainParams
from fraudkit.model.registry import RegisteredModel, register
from fraudkit.model.train import TrainResult, train_model
from fraudkit.settings import Settings
from fraudkit.synth import SynthConfig, generate_world, store_world


@pytest.fixture(scope="session")
def model_world(tmp_path_factory: pytest.TempPathFactory) -> ModelWorld:
    world = generate_world(SynthConfig(seed=3, subscribers=4_000, fraud_operations_per_100k=300.0))
    root = tmp_path_factory.mktemp("model_world")
    db = root / "fraudkit.duckdb"
    truth = root / "truth"
    store_world(world, db, truth)
    return ModelWorld(world=world, db=db, truth=truth, tables=world.tables)


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("mlflow")
    return Settings(threads=1, tracking_uri=f"sqlite:///{root / 'mlflow.db'}", mlruns_dir=root)


@pytest.fixture(scope="session")
def victim_set(model_world: ModelWorld) -> TrainingSet:
    con = duckdb.connect(str(model_world.db), read_only=True)
    try:
        return build_training_set(con, "victim", as_of=AS_OF, truth=model_world.truth)
    finally:
        con.close()


@pytest.fixture(scope="session")
def victim_model(victim_set: TrainingSet, settings: Settings) -> TrainResult:
    return train_model(victim_set, TrainParams(target="victim"), settings)


@pytest.fixture(scope="session")
def registered(victim_model: TrainResult, settings: Settings) -> RegisteredModel:
    return register(victim_model, settings)
