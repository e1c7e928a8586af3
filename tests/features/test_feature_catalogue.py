"""The catalogue is the code: it lists exactly the columns produced, every model's inputs, and
every producer entry has a test. (That it holds every column a model trains on, checked against
real training sets, is tests/model/test_model_inputs.py.)"""

from __future__ import annotations

import runpy
from pathlib import Path

import polars as pl
import pytest
import test_account_features
import test_money_features
import test_phone_features
from feature_builders import T
from feature_world import world
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.errors import ConfigError
from fraudkit.features import (
    FEATURE_CATALOGUE,
    FEATURE_SETS,
    account_features,
    catalogue_markdown,
    phone_features,
    subscriber_money_features,
)
from fraudkit.features.catalogue import FEATURE_GROUPS, MODELS, catalogue_for, model_inputs
from fraudkit.model.catalogue import model_feature
from fraudkit.model.params import TARGETS

ROOT = Path(__file__).resolve().parents[2]
PRODUCER_SPECS = [spec for fs in FEATURE_SETS for spec in fs.specs]


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


def test_feature_names_are_unique_and_every_entry_is_described_and_feeds_a_model() -> None:
    """A name means one thing everywhere: reasons and figures look meanings up by name alone."""
    names = [s.name for s in FEATURE_CATALOGUE]
    assert len(names) == len(set(names)), "duplicate feature names"
    assert MODELS == TARGETS
    for spec in FEATURE_CATALOGUE:
        assert spec.meaning and spec.window and spec.producer
        assert spec.name.islower() and spec.name.replace("_", "").isalnum()
        assert spec.models and set(spec.models) <= set(TARGETS), f"{spec.name} feeds no known model"


def test_the_catalogue_holds_every_producer_column_and_the_models_own_inputs() -> None:
    assert [s.name for s in FEATURE_CATALOGUE if s.producer in {fs.producer for fs in FEATURE_SETS}] == [
        s.name for s in PRODUCER_SPECS
    ]
    assert {s.entity for s in model_inputs("victim")} == {"contact"}
    assert {g.producer for g in FEATURE_GROUPS if "mule" in g.models} == {
        "account_features",
        "graph_features",
        "cluster_features",
    }
    assert {g.producer for g in FEATURE_GROUPS if "fraud_number" in g.models} == {
        "phone_features",
        "subscriber_money_features",
    }
    assert catalogue_for() == FEATURE_CATALOGUE
    assert catalogue_for("victim") == model_inputs("victim")


def test_an_unknown_model_is_one_line_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError) as err:
        model_inputs("victims")
    assert err.value.one_line() == "unknown model 'victims' (hint: one of victim, fraud_number, mule)"


def test_every_template_renders_its_reason_and_its_missing_sentence() -> None:
    for spec in FEATURE_CATALOGUE:
        if spec.reason is None:
            continue
        sentence = model_feature(spec).render(2.0)
        assert sentence and "{" not in sentence, spec.name
        if spec.missing:
            assert model_feature(spec).render(spec.fill) == spec.missing


def test_markdown_documents_every_feature_with_its_models() -> None:
    text = catalogue_markdown()
    for spec in FEATURE_CATALOGUE:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{spec.name}` |"))
        assert row.endswith(f"| {', '.join(spec.models)} |")
        assert spec.dtype.__name__ in row
    for group in FEATURE_GROUPS:
        assert f"## `{group.producer}`" in text
    for model in MODELS:
        assert f"| `{model}` |" in text


def test_regenerating_the_docs_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/features.md is exactly what `python -m fraudkit.features` prints."""
    runpy.run_module("fraudkit.features", run_name="__main__")
    printed = capsys.readouterr().out
    assert printed == (ROOT / "docs" / "features.md").read_text(encoding="utf-8"), (
        "stale: run `python -m fraudkit.features > docs/features.md`"
    )


def test_features_list_shows_every_models_inputs() -> None:
    result = CliRunner().invoke(app, ["features", "--list"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    for model in MODELS:
        missing = [s.name for s in model_inputs(model) if s.name not in result.output]
        assert not missing, f"{model} inputs not listed: {missing}"
    assert "contact" in result.output


def test_features_list_for_one_model_shows_its_inputs_and_no_others() -> None:
    result = CliRunner().invoke(app, ["features", "--list", "--model", "victim"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    names = [s.name for s in model_inputs("victim")]
    assert all(name in result.output for name in names)
    others = {s.name for s in model_inputs("mule")} - set(names)
    assert not [name for name in others if f" {name} " in result.output], "only the victim model's inputs"


def test_features_model_without_list_is_a_one_line_mistake() -> None:
    result = CliRunner().invoke(app, ["features", "--model", "victim"])
    assert result.exit_code == 2 and "--model only chooses what --list prints" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("spec", PRODUCER_SPECS, ids=lambda s: s.name)
def test_every_catalogue_feature_has_a_hand_built_value_test(spec) -> None:
    tested = {
        case[2] for module in (test_account_features, test_phone_features, test_money_features) for case in module.CASES
    }
    assert spec.name in tested, f"{spec.name} has no case in the hand-built value tests"
