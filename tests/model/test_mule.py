"""The account-level mule model: one row per account as of T, transfers alone, ring-grouped folds,
a flag threshold kept with the model, `fraudkit score`, and labels from a file."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from leakscan import folder_leaks, known_identifiers
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.errors import ConfigError
from fraudkit.features.catalogue import model_inputs
from fraudkit.model.dataset import TrainingSet, build_training_set
from fraudkit.model.external import read_labels
from fraudkit.model.grouped import grouped_metrics
from fraudkit.model.mule import SUB_DAY_FEATURES, fold_split
from fraudkit.model.params import TrainParams
from fraudkit.model.train import TrainResult, best_f1_threshold, raw_margin, train_model
from fraudkit.settings import Settings
from fraudkit.synth import SynthConfig, generate_world, store_world

runner = CliRunner(env={"COLUMNS": "200"})
AS_OF = datetime(2026, 10, 31)


@dataclass(frozen=True)
class TransferStore:
    db: Path
    truth: Path
    labels: Path
    mules: pl.DataFrame


@pytest.fixture(scope="module")
def transfer_store(tmp_path_factory: pytest.TempPathFactory) -> TransferStore:
    """A default world stripped to what transfer-only data holds: no calls, one timestamp a day,
    no channels, no opening dates; and a labels file of its mules, grouped by ring."""
    world = generate_world(SynthConfig(seed=11, subscribers=3_000, fraud_operations_per_100k=400.0))
    root = tmp_path_factory.mktemp("mule_store")
    db, truth = root / "fraudkit.duckdb", root / "truth"
    store_world(world, db, truth)
    con = duckdb.connect(str(db))
    try:
        con.execute("UPDATE transactions SET ts = date_trunc('day', ts), channel = NULL")
        con.execute("UPDATE accounts SET opened_at = NULL")
        con.execute("DELETE FROM calls")
    finally:
        con.close()
    mules = world.truth["mules"]
    labels = root / "known_mules.csv"
    mules.select("account_id", pl.col("ring_id").alias("group")).write_csv(labels)
    return TransferStore(db, truth, labels, mules)


@pytest.fixture(scope="module")
def mule_set(transfer_store: TransferStore) -> TrainingSet:
    con = duckdb.connect(str(transfer_store.db), read_only=True)
    try:
        return build_training_set(con, "mule", as_of=AS_OF, labels=transfer_store.labels)
    finally:
        con.close()


@pytest.fixture(scope="module")
def mule_model(mule_set: TrainingSet) -> TrainResult:
    return train_model(mule_set, TrainParams(target="mule"), Settings(threads=1))


def test_one_row_per_account_with_every_ring_in_one_fold(mule_set: TrainingSet, transfer_store) -> None:
    frame = mule_set.frame
    assert frame["account_id"].n_unique() == frame.height > 1_000
    positives = frame.filter(pl.col("label") == 1)
    assert positives.height > 20 and set(positives["label_source"]) == {"labels"}
    rings = (
        positives.join(transfer_store.mules.select("account_id", "ring_id"), on="account_id", how="left")
        .group_by("ring_id")
        .agg(pl.col("fold").n_unique().alias("folds"))
    )
    assert rings.height > 3 and rings["folds"].max() == 1, "a ring split over folds leaks it into training"
    assert frame["fold"].n_unique() == 5


def test_transfer_only_data_leaves_out_what_it_cannot_carry(mule_set: TrainingSet) -> None:
    for name in SUB_DAY_FEATURES:
        assert mule_set.dropped[name] == "transfers carry one timestamp a day"
    assert "account_age_days" in mule_set.dropped and "cash_out_share" in mule_set.dropped
    assert not set(mule_set.dropped) & set(mule_set.features)
    assert {"pagerank", "core_number", "relayed_share", "flow_balance"} <= set(mule_set.features)
    assert mule_set.features == [s.name for s in model_inputs("mule") if s.name in mule_set.features]
    assert any("left out night_share" in note for note in mule_set.notes)


def test_training_reports_grouped_and_temporal_figures_and_keeps_its_flag(mule_model: TrainResult) -> None:
    m = mule_model.metrics
    assert m["cv_folds"] == 5 and m["cv_positives"] == m["train_positives"] + m["val_positives"] + m["test_positives"]
    assert m["cv_f1"] > 0.6 and m["cv_precision"] > 0.7, m
    assert 0 <= m["temporal_f1"] <= 1
    flag = mule_model.meta["thresholds"]["flag"]
    assert 0 < flag < 1 and mule_model.meta["dropped"] and mule_model.meta["mule"]["history"] == 90.0
    test = mule_model.test_scored.filter(pl.col("label").is_not_null())
    hits = test.filter((pl.col("score") >= flag) & (pl.col("label") == 1)).height
    assert m["flag_precision"] == pytest.approx(hits / test.filter(pl.col("score") >= flag).height)


def test_cross_validation_takes_the_models_own_fit_for_the_first_fold(
    mule_set: TrainingSet, mule_model: TrainResult
) -> None:
    """The registered model is fitted on fold 0's split, so its scores stand for that fold's fit: the
    figures are the same as when every fold is fitted, and a frame split otherwise is fitted anew."""
    p, s = TrainParams(target="mule"), Settings(threads=1)
    margin = raw_margin(mule_model.booster, mule_set.frame, mule_set.features)
    refitted = grouped_metrics(mule_set, p, s)
    assert grouped_metrics(mule_set, p, s, first_fold_margin=margin) == refitted
    assert refitted["cv_f1"] == mule_model.metrics["cv_f1"]
    other = replace(mule_set, frame=fold_split(mule_set.frame, 1, p.mule.folds))
    wrong = np.zeros(mule_set.frame.height)  # not this split's scores: must not be used
    assert grouped_metrics(other, p, s, first_fold_margin=wrong)["cv_f1"] == refitted["cv_f1"]


def test_the_flag_threshold_is_the_best_f1_and_flags_ties_together() -> None:
    labels = [1, 1, 0, 1, 0, 0]
    scores = [0.9, 0.8, 0.7, 0.7, 0.2, 0.1]
    # from 0.8: 2 of 3 positives, F1 0.8; from 0.7: 3 of 3 at precision 3/4, F1 0.857
    assert best_f1_threshold(labels, scores) == 0.7
    assert best_f1_threshold([0, 0], [0.3, 0.4]) == 0.5


def test_a_labels_file_names_its_mistakes_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        read_labels(tmp_path / "none.csv")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("acct,case\n1,2\n")
    with pytest.raises(ConfigError) as err:
        read_labels(wrong)
    assert str(wrong) in err.value.one_line() and "'account_id'" in err.value.one_line()
    empty = tmp_path / "empty.csv"
    empty.write_text("account\n \n")
    with pytest.raises(ConfigError, match="holds no account"):
        read_labels(empty)
    alias = tmp_path / "alias.parquet"
    pl.DataFrame({"account": ["6222 1", "6222 1", "6333"], "group": [7, 8, None]}).write_parquet(alias)
    read = read_labels(alias)
    assert read.to_dicts() == [{"account_id": "6222 1", "group": "7"}, {"account_id": "6333", "group": None}]


def test_train_score_and_eval_from_the_command_line(transfer_store: TransferStore, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    db.write_bytes(transfer_store.db.read_bytes())
    store = ["--db", str(db)]
    tracking = ["--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}"]
    labels = ["--labels", str(transfer_store.labels)]

    trained = runner.invoke(app, ["train", "--target", "mule", *labels, "--threads", "1", *store, *tracking])
    assert trained.exit_code == 0, trained.output
    assert "ring-grouped 5-fold" in trained.output and "left out night_share" in trained.output
    con = duckdb.connect(str(db), read_only=True)
    try:
        known = known_identifiers(con)
    finally:
        con.close()
    assert known and list(tmp_path.glob("artifacts/**/*.parquet")), "the run's test rows are there to search"
    assert not folder_leaks(tmp_path, known, skip=[db]), "the MLflow run holds raw account numbers"

    out = tmp_path / "accounts.csv"
    scored = runner.invoke(app, ["score", "--target", "mule", "--out", str(out), *store, *tracking])
    assert scored.exit_code == 0, scored.output
    assert "(masked)" in scored.output and "flagged from" in scored.output
    written = pl.read_csv(out, schema_overrides={"account_id": pl.String})
    assert written.columns == ["account_id", "score", "flagged"] and written.height > 1_000
    assert written["account_id"].str.contains(r"\*\*\*").all(), "account numbers masked by default"
    assert written["score"].is_sorted(descending=True)
    flagged = written.filter(pl.col("flagged"))
    assert (
        0 < flagged.height < written.height
        and flagged["score"].min() > written.filter(~pl.col("flagged"))["score"].max()
    )

    revealed = tmp_path / "accounts.parquet"
    shown = runner.invoke(app, ["score", "--out", str(revealed), "--reveal", *store, *tracking])
    assert shown.exit_code == 0, shown.output
    full = pl.read_parquet(revealed)
    assert full["account_id"].is_in(transfer_store.mules["account_id"].implode()).sum() > 10
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM audit_log WHERE command = 'score'").fetchall()[0][0] == 1
    finally:
        con.close()

    evaluated = runner.invoke(app, ["eval", "mule", *labels, *store, *tracking])
    assert evaluated.exit_code == 0, evaluated.output
    assert "precision" in evaluated.output and "PR-AUC" in evaluated.output and "F1" in evaluated.output

    scan = runner.invoke(app, ["eval", "scan", *labels, *store])
    assert scan.exit_code == 0, scan.output
    assert "known bad (labels)" in scan.output

    both = runner.invoke(app, ["eval", "scan", *labels, "--truth", str(transfer_store.truth), *store])
    assert both.exit_code == 2 and "one of --truth DIR, --labels FILE or --cases" in both.output


def test_labels_only_label_the_mule_target(transfer_store: TransferStore, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["train", "--target", "fraud_number", "--labels", str(transfer_store.labels), "--db", str(tmp_path / "x")]
    )
    assert result.exit_code == 2 and "--labels lists bad accounts" in result.output
