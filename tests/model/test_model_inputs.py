"""Every column a model trains on is in the feature catalogue, with its definition, type and model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from fraudkit.features.catalogue import FEATURE_CATALOGUE, model_inputs
from fraudkit.model.contacts import CONTACT_FEATURE_NAMES, CONTACT_FEATURES
from fraudkit.model.dataset import CLUSTER_FEATURES, TrainingSet, build_training_set
from fraudkit.model.params import TARGETS, TrainParams
from fraudkit.synth import SynthConfig, generate_world, store_world
from fraudkit.warn.reasons import TEMPLATES


@dataclass(frozen=True)
class SmallStore:
    db: Path
    truth: Path


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> SmallStore:
    """12 days of 800 subscribers with fraud boosted: 4-5 usable days, positives for every target."""
    world = generate_world(SynthConfig(seed=5, subscribers=800, days=12, fraud_operations_per_100k=600.0))
    root = tmp_path_factory.mktemp("model_inputs")
    store_world(world, root / "fraudkit.duckdb", root / "truth")
    return SmallStore(root / "fraudkit.duckdb", root / "truth")


@pytest.fixture(scope="module")
def training_sets(small_store: SmallStore) -> dict[str, TrainingSet]:
    con = duckdb.connect(str(small_store.db), read_only=True)
    try:
        return {t: build_training_set(con, t, params=TrainParams(target=t), truth=small_store.truth) for t in TARGETS}
    finally:
        con.close()


@pytest.mark.parametrize("target", TARGETS)
def test_every_column_a_model_trains_on_is_catalogued_in_training_order(
    training_sets: dict[str, TrainingSet], target: str
) -> None:
    ts = training_sets[target]
    assert ts.frame.height > 0 and int(ts.frame["label"].sum() or 0) > 0
    inputs = model_inputs(target)
    # a feature the data cannot carry is left out with its reason (mule), never silently
    assert ts.features == [s.name for s in inputs if s.name not in ts.dropped]
    assert all(ts.dropped[name] for name in ts.dropped)
    for spec in inputs:
        assert spec.meaning and spec.window, f"{spec.name} has no definition"
        assert ts.frame.schema[spec.name] == spec.dtype(), f"{spec.name} is {ts.frame.schema[spec.name]}"
        assert ts.frame[spec.name].null_count() == 0, f"{spec.name} left nulls"


def test_catalogue_lists_models_only_for_columns_they_train_on(training_sets: dict[str, TrainingSet]) -> None:
    for spec in FEATURE_CATALOGUE:
        for target in spec.models:
            ts = training_sets[target]
            assert spec.name in ts.features or spec.name in ts.dropped, f"{spec.name} is not an input of {target}"


def test_reason_templates_are_the_catalogue_entries() -> None:
    """The sentences a warning team reads come from the catalogue, word for word."""
    by_name = {s.name: s for s in FEATURE_CATALOGUE}
    assert tuple(s.name for s in model_inputs("victim")) == CONTACT_FEATURE_NAMES
    for feature in (*CONTACT_FEATURES, *CLUSTER_FEATURES):
        spec = by_name[feature.name]
        assert (feature.meaning, feature.reason, feature.missing) == (spec.meaning, spec.reason, spec.missing)
        assert TEMPLATES[feature.name] == feature
