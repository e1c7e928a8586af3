"""The MLflow registry: a registered model loads back with the same scores, promotion compares first."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest

from fraudkit.errors import NotReadyError
from fraudkit.model.dataset import TrainingSet
from fraudkit.model.params import LightGBMParams, TrainParams
from fraudkit.model.registry import (
    PromotionRefused,
    RegisteredModel,
    artifact_root,
    compare,
    list_versions,
    load_model,
    promote,
    register,
)
from fraudkit.model.train import TrainResult, train_model
from fraudkit.settings import Settings


def test_a_registered_model_loads_back_and_gives_the_same_scores(
    registered: RegisteredModel, victim_model: TrainResult, settings: Settings
) -> None:
    model = load_model(settings, "victim", registered.version)
    assert model.features == victim_model.features
    assert model.thresholds == victim_model.meta["thresholds"]
    again = model.score(victim_model.test_scored).to_numpy()
    assert np.allclose(again, victim_model.test_scored["score"].to_numpy(), rtol=0, atol=1e-12)


def test_the_first_version_becomes_champion_and_artifacts_stay_beside_the_store(
    registered: RegisteredModel, settings: Settings
) -> None:
    assert load_model(settings, "victim").version == registered.version
    root = artifact_root(settings)
    assert root is not None and str(settings.mlruns_dir) in root
    assert any(settings.mlruns_dir.glob("artifacts/**/model_meta.json"))
    svg = next(settings.mlruns_dir.glob("artifacts/**/importance.svg"))
    assert ElementTree.parse(svg).getroot().tag.endswith("svg")
    assert any(settings.mlruns_dir.glob("artifacts/**/eval/test_scored.parquet"))


def test_promotion_compares_on_the_candidates_test_days_and_refuses_a_worse_version(
    registered: RegisteredModel, victim_set: TrainingSet, settings: Settings
) -> None:
    params = TrainParams(target="victim", lgbm=replace(LightGBMParams(), num_leaves=2, max_rounds=1))
    stump = register(train_model(victim_set, params, settings), settings)
    assert load_model(settings, "victim").version == registered.version, "a later version waits for promote"
    cmp = compare(settings, "victim", stump.version)
    assert (cmp.candidate, cmp.champion) == (stump.version, registered.version)
    metrics = {name: (cand, champ) for name, cand, champ in cmp.rows}
    assert metrics["auc_pr"][0] == pytest.approx(stump.metrics["auc_pr"])
    assert metrics["auc_pr"][1] == pytest.approx(registered.metrics["auc_pr"])
    assert metrics["auc_pr"][0] < metrics["auc_pr"][1], "a one-split stump ranks worse than the real model"
    assert "champion trained or validated" in cmp.note or "both scored" in cmp.note
    with pytest.raises(PromotionRefused, match=f"version {stump.version} not promoted .*AUC-PR") as refused:
        promote(settings, "victim", stump.version)
    assert "--force" in refused.value.one_line()
    assert load_model(settings, "victim").version == registered.version, "a refused version does not serve"
    forced = promote(settings, "victim", stump.version, force=True)
    assert forced.promoted and load_model(settings, "victim").version == stump.version
    listed = list_versions(settings, "victim")
    assert [v["version"] for v in listed][:2] == [stump.version, registered.version]
    assert [v["champion"] for v in listed][:2] == [True, False]
    back = promote(settings, "victim", registered.version)  # better than the stump: the rule lets it back
    assert back.promoted and "promoted to champion (at least as good" in back.decision
    assert load_model(settings, "victim").version == registered.version


def test_missing_models_and_versions_are_one_line_errors(settings: Settings, tmp_path) -> None:
    empty = Settings(tracking_uri=f"sqlite:///{tmp_path / 'none.db'}")
    with pytest.raises(NotReadyError, match="no victim model is registered"):
        load_model(empty, "victim")
    with pytest.raises(NotReadyError, match="no version 999"):
        load_model(settings, "victim", "999")


def test_eval_artifacts_hold_keyed_pseudonyms_not_numbers(victim_model: TrainResult, model_world, tmp_path) -> None:
    import polars as pl

    from fraudkit.exposure import pseudonym, store_secret_at
    from fraudkit.model.registry import _client, _eval_frames

    settings = Settings(threads=1, tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}", mlruns_dir=tmp_path)
    secret = store_secret_at(model_world.db)
    done = register(victim_model, settings, secret=secret)
    scored, victims = _eval_frames(_client(settings), done.run_id)
    assert victims is not None
    raw = victim_model.test_scored
    for column in ("callee", "caller", "caller_imei"):
        written = set(scored[column].drop_nulls())
        assert written and all(v.startswith("p:") for v in written), column
        assert not written & set(raw[column].drop_nulls()), f"{column} written in full"
    # keyed with the store's secret: the same number gives the same token as any other file of the store
    first = raw.filter(pl.col("callee").is_not_null()).row(0, named=True)
    assert pseudonym(first["callee"], secret) in set(scored["callee"])
    assert all(v.startswith("p:") for v in victims["phone"].drop_nulls())
    assert set(victims["phone"]) & set(scored["callee"]), "victims still join their contacts"
    assert not set(victims["phone"]) & set(victim_model.test_victims["phone"])


def test_no_champion_points_at_a_registry_beside_the_store(tmp_path: Path) -> None:
    """As after ``make demo``: the demo's registry sits in demo/mlruns beside demo/fraudkit.duckdb,
    and a command run with the default registry must say where the champion probably is."""
    from fraudkit.model.registry import _client

    beside = tmp_path / "demo" / "mlruns" / "mlflow.db"
    beside.parent.mkdir(parents=True)
    _client(Settings(tracking_uri=f"sqlite:///{beside}", mlruns_dir=beside.parent))  # makes the registry file
    elsewhere = Settings(
        db_path=tmp_path / "demo" / "fraudkit.duckdb",
        tracking_uri=f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}",
        mlruns_dir=tmp_path / "mlruns",
    )
    with pytest.raises(NotReadyError) as err:
        load_model(elsewhere, "victim")
    assert f"--tracking-uri sqlite:///{beside.resolve()}" in err.value.one_line()
    there = Settings(db_path=elsewhere.db_path, tracking_uri=f"sqlite:///{beside}", mlruns_dir=beside.parent)
    with pytest.raises(NotReadyError) as err:
        load_model(there, "victim")  # the registry in use is the one beside: nothing else to suggest
    assert "sits beside" not in err.value.one_line()


def test_models_promote_refuses_a_worse_version_in_one_line_unless_forced(
    registered: RegisteredModel, victim_set: TrainingSet, settings: Settings
) -> None:
    from typer.testing import CliRunner

    from fraudkit.cli import app

    params = TrainParams(target="victim", lgbm=replace(LightGBMParams(), num_leaves=2, max_rounds=1))
    stump = register(train_model(victim_set, params, settings), settings)
    runner = CliRunner()
    args = ["models", "promote", "--target", "victim", "--version", stump.version]
    tracking = ["--tracking-uri", settings.resolved_tracking_uri]
    refused = runner.invoke(app, [*args, *tracking])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    said = " ".join(refused.output.split())
    assert f"fraudkit-victim version {stump.version} not promoted (precision@k" in said and "AUC-PR" in said
    assert f"fraudkit-victim@champion stays version {registered.version}" in said and "--force" in said
    assert load_model(settings, "victim").version == registered.version
    forced = runner.invoke(app, [*args, "--force", *tracking])
    assert forced.exit_code == 0, forced.output
    assert load_model(settings, "victim").version == stump.version
    promote(settings, "victim", registered.version)  # back, for the tests that follow
