"""The catalogue is the code: it lists exactly the columns produced, and every entry has a test."""

from __future__ import annotations

import polars as pl
import pytest
import test_account_features
import test_money_features
import test_phone_features
from feature_builders import T
from feature_world import world

from fraudkit.features import (
    FEATURE_CATALOGUE,
    FEATURE_SETS,
    account_features,
    catalogue_markdown,
    phone_features,
    subscriber_money_features,
)


def _produced() -> dict[str, pl.DataFrame]:
    w = world()
    common = {"as_of": T, "reports": w["reports"]}
    return {
        "account_features": account_features(w["transactions"], w["accounts"], **common),
        "phone_features": phone_features(w["calls"], w["subscribers"], **common),
        "subscriber_money_features": subscriber_money_features(
            w["transactions"], w["accounts"], w["subscribers"], w["calls"], **common
        ),
    }


def test_catalogue_lists_exactly_the_columns_each_producer_emits_with_their_types() -> None:
    produced = _produced()
    assert {fs.producer for fs in FEATURE_SETS} == set(produced)
    for fs in FEATURE_SETS:
        frame = produced[fs.producer]
        assert frame.height > 0
        assert frame.columns == [fs.key, *fs.names]
        assert [frame.schema[s.name] for s in fs.specs] == [s.dtype() for s in fs.specs]
        assert frame[fs.key].is_sorted() and frame[fs.key].n_unique() == frame.height
        assert frame.null_count().sum_horizontal()[0] == 0, f"{fs.producer} left nulls"


def test_feature_names_are_unique_per_entity_and_described() -> None:
    for entity in ("account", "phone"):
        names = [s.name for s in FEATURE_CATALOGUE if s.entity == entity]
        assert len(names) == len(set(names)), f"duplicate {entity} feature names"
    for spec in FEATURE_CATALOGUE:
        assert spec.meaning and spec.window and spec.producer
        assert spec.name.islower() and spec.name.replace("_", "").isalnum()


def test_markdown_documents_every_feature() -> None:
    text = catalogue_markdown()
    for spec in FEATURE_CATALOGUE:
        assert f"`{spec.name}`" in text
    for fs in FEATURE_SETS:
        assert fs.producer in text


@pytest.mark.parametrize("spec", FEATURE_CATALOGUE, ids=lambda s: s.name)
def test_every_catalogue_feature_has_a_hand_built_value_test(spec) -> None:
    tested = {
        case[2] for module in (test_account_features, test_phone_features, test_money_features) for case in module.CASES
    }
    assert spec.name in tested, f"{spec.name} has no case in the hand-built value tests"
