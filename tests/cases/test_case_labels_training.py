"""Case verdicts label the mule model's training rows: a confirmed ring's members are positives in
one fold, a false-positive ring's stay negative, and a labels file still comes first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from ring_rows import add_ring
from sqlalchemy.engine import Engine

from fraudkit.cases import mark_case, open_case
from fraudkit.exposure import pseudonym, store_secret
from fraudkit.model.dataset import TrainingSet, build_training_set
from fraudkit.ops.db import default_ops_url, ops_engine
from fraudkit.synth import SynthConfig, generate_world, store_world

c = pl.col


@pytest.fixture(scope="module")
def world_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    """A small world in a store with its pseudonym key; its mules."""
    world = generate_world(SynthConfig(seed=11, subscribers=1_000, fraud_operations_per_100k=400.0))
    db = tmp_path_factory.mktemp("case_labels") / "fraudkit.duckdb"
    store_world(world, db, db.parent / "truth")
    with duckdb.connect(str(db)) as con:
        store_secret(con)
    return db, world.truth["mules"]


def training_set(db: Path, **labels: object) -> TrainingSet:
    with duckdb.connect(str(db), read_only=True) as con:
        return build_training_set(con, "mule", **labels)  # type: ignore[arg-type]


def labels_of(ts: TrainingSet, accounts: list[str]) -> dict[str, int]:
    rows = ts.frame.filter(c("account_id").is_in(accounts))
    return dict(zip(rows["account_id"], rows["label"], strict=True))


@pytest.fixture(scope="module")
def verdicts(world_store: tuple[Path, pl.DataFrame]) -> dict[str, Any]:
    """Ring R000001 (a true ring's members) confirmed, R000002 (active accounts of no ring) a false positive."""
    db, mules = world_store
    before = training_set(db)
    unreported = before.frame.filter(c("label") == 0)["account_id"]
    ring = mules.filter(c("account_id").is_in(unreported.implode()))
    ring = ring.filter(c("ring_id") == ring["ring_id"][0])["account_id"].to_list()
    innocent = unreported.filter(~unreported.is_in(mules["account_id"].implode())).head(3).to_list()
    with duckdb.connect(str(db), read_only=True) as con:
        secret = store_secret(con)
    engine: Engine = ops_engine(default_ops_url(db))
    try:
        add_ring(engine, "R000001", ring, lambda a: pseudonym(a, secret) or "")
        add_ring(engine, "R000002", innocent, lambda a: pseudonym(a, secret) or "")
        for ring_id, verdict in (("R000001", "confirmed"), ("R000002", "false_positive")):
            open_case(engine, ring_id, "li.wei")
            mark_case(engine, ring_id, verdict, "li.wei")
    finally:
        engine.dispose()
    return {"confirmed": ring, "false_positive": innocent, "before": labels_of(before, ring + innocent)}


def test_confirmed_ring_members_become_positives_in_one_fold(
    world_store: tuple[Path, pl.DataFrame], verdicts: dict[str, Any]
) -> None:
    ts = training_set(world_store[0])
    assert set(verdicts["before"].values()) == {0}  # no report named any of them
    assert set(labels_of(ts, verdicts["confirmed"]).values()) == {1}
    assert set(labels_of(ts, verdicts["false_positive"]).values()) == {0}
    ring_rows = ts.frame.filter(c("account_id").is_in(verdicts["confirmed"]))
    assert ring_rows["group"].n_unique() == 1 and ring_rows["fold"].n_unique() == 1
    assert any(
        n.startswith(f"labels from cases: {len(verdicts['confirmed'])} members of 1 confirmed ring") for n in ts.notes
    )
    assert "false-positive rings kept negative" in " ".join(ts.notes)
    assert not any("p:" in n for n in ts.notes)


def test_a_labels_file_still_comes_first(
    world_store: tuple[Path, pl.DataFrame], verdicts: dict[str, Any], tmp_path: Path
) -> None:
    listed = tmp_path / "known.csv"
    pl.DataFrame({"account_id": verdicts["false_positive"][:1]}).write_csv(listed)
    ts = training_set(world_store[0], labels=listed)
    assert int(ts.frame["label"].sum()) == 1 and not any("cases" in n for n in ts.notes)
