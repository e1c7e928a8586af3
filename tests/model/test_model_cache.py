"""The local model cache: a version loaded from it scores exactly as through MLflow, the champion
alias is read afresh each time, and anything the cache cannot answer goes through MLflow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fraudkit.model import registry
from fraudkit.model.registry import CACHE_DIR, RegisteredModel, load_model, promote, register
from fraudkit.model.train import TrainResult
from fraudkit.settings import Settings


@pytest.fixture()
def own_settings(tmp_path: Path) -> Settings:
    return Settings(threads=1, tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}", mlruns_dir=tmp_path)


def _reasons(model: registry.LoadedModel, victim_model: TrainResult) -> np.ndarray:
    rows = victim_model.test_scored.select(model.features).head(200).to_numpy()
    return model.booster.predict(rows, pred_contrib=True)


def test_a_cached_version_scores_and_explains_exactly_as_through_mlflow(
    victim_model: TrainResult, own_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    v1 = register(victim_model, own_settings)
    assert registry._cached_model(own_settings, "victim", None) is not None, "training wrote the cache"
    through = registry._load_through_mlflow(own_settings, "victim")

    def no_mlflow(*args, **kwargs):
        raise AssertionError("loaded through MLflow")

    monkeypatch.setattr(registry, "_load_through_mlflow", no_mlflow)
    cached = load_model(own_settings, "victim")
    assert (cached.version, cached.run_id, cached.meta) == (v1.version, through.run_id, through.meta)
    assert cached.score(victim_model.test_scored).equals(through.score(victim_model.test_scored))
    assert np.array_equal(_reasons(cached, victim_model), _reasons(through, victim_model))


def test_a_promotion_is_seen_at_the_next_load(victim_model: TrainResult, own_settings: Settings) -> None:
    register(victim_model, own_settings)
    assert load_model(own_settings, "victim").version == "1"
    v2: RegisteredModel = register(victim_model, own_settings, promote_if_first=False)
    load_model(own_settings, "victim", v2.version)  # cached now, not champion yet
    assert load_model(own_settings, "victim").version == "1"
    promote(own_settings, "victim", v2.version, force=True)
    assert load_model(own_settings, "victim").version == v2.version


def test_a_damaged_cache_falls_back_to_mlflow(victim_model: TrainResult, own_settings: Settings) -> None:
    register(victim_model, own_settings)
    first = load_model(own_settings, "victim")
    (model_file,) = (Path(own_settings.mlruns_dir) / CACHE_DIR).rglob("model.txt")
    model_file.write_text("not a model")
    assert registry._cached_model(own_settings, "victim", None) is None
    again = load_model(own_settings, "victim")
    assert again.score(victim_model.test_scored).equals(first.score(victim_model.test_scored))


def test_the_champion_loads_without_importing_mlflow(victim_model: TrainResult, own_settings: Settings) -> None:
    register(victim_model, own_settings)
    load_model(own_settings, "victim")
    code = (
        "import sys\nfrom fraudkit.settings import Settings\nfrom fraudkit.model.registry import load_model\n"
        f"m = load_model(Settings(tracking_uri={own_settings.resolved_tracking_uri!r}), 'victim')\n"
        "print(m.version, 'mlflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["1", "False"]
