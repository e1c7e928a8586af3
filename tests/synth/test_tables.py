"""The canonical tables the world writes: schema, keys, identifiers, time window, seeds."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl
import pytest

from fraudkit.schema import TABLES
from fraudkit.synth import TABLE_NAMES, TRUTH_NAMES, SynthConfig, World, generate_world
from fraudkit.synth.world import STAGE_NAMES

EXPECTED_DTYPES = {
    "VARCHAR": pl.String,
    "TIMESTAMP": pl.Datetime("us"),
    "INTEGER": pl.Int32,
    "BIGINT": pl.Int64,
    "DOUBLE": pl.Float64,
    "DECIMAL(18,2)": pl.Float64,
    "BOOLEAN": pl.Boolean,
}


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number][::-1]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


def test_world_has_every_table_and_truth(fraud_world: World) -> None:
    assert set(fraud_world.tables) == set(TABLE_NAMES)
    assert set(fraud_world.truth) == set(TRUTH_NAMES)
    assert "outcomes" not in fraud_world.tables
    assert all(df.height > 0 for df in fraud_world.tables.values())
    assert all(df.height > 0 for df in fraud_world.truth.values())


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_columns_and_dtypes_follow_the_schema(fraud_world: World, name: str) -> None:
    table, df = TABLES[name], fraud_world.tables[name]
    assert df.columns == table.column_names
    for col in table.columns:
        assert df.schema[col.name] == EXPECTED_DTYPES[col.sql_type], col.name
        if col.required:
            assert df[col.name].null_count() == 0, col.name
        if col.allowed:
            assert set(df[col.name].drop_nulls().unique()) <= set(col.allowed), col.name


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_keys_are_unique(fraud_world: World, name: str) -> None:
    df = fraud_world.tables[name]
    assert df.select(TABLES[name].key).is_duplicated().sum() == 0


def test_identifiers_look_real(fraud_world: World) -> None:
    subs, acc = fraud_world.tables["subscribers"], fraud_world.tables["accounts"]
    assert subs["phone"].str.contains(r"^1[3-9]\d{9}$").all()
    people = acc.filter(pl.col("account_type") == "personal")
    assert people["account_id"].str.contains(r"^62\d{17}$").all()
    assert all(luhn_ok(a) for a in people["account_id"].head(300))
    assert acc["holder_id"].str.contains(r"^H\d{7,}$").all()
    imei = fraud_world.tables["calls"]["caller_imei"].drop_nulls()
    assert imei.str.contains(r"^\d{15}$").all()
    assert all(luhn_ok(i) for i in imei.unique().sort().head(300))


def test_everything_happens_inside_the_window(fraud_world: World, fraud_config: SynthConfig) -> None:
    start, end = fraud_config.start, fraud_config.start + timedelta(days=fraud_config.days)
    for name, col in [("calls", "start_time"), ("transactions", "ts"), ("reports", "reported_at")]:
        s = fraud_world.tables[name][col]
        assert s.min() >= start and s.max() < end, name
    calls = fraud_world.tables["calls"]
    # a month of days is covered, with few calls at night
    assert calls["start_time"].dt.date().n_unique() == fraud_config.days
    night = calls.filter(pl.col("start_time").dt.hour() < 6).height / calls.height
    assert night < 0.08


def test_amounts_are_positive_with_two_decimals(fraud_world: World) -> None:
    amount = fraud_world.tables["transactions"]["amount"].to_numpy()
    assert (amount > 0).all()
    assert np.allclose(np.round(amount * 100), amount * 100, atol=1e-6)
    atm = fraud_world.tables["transactions"].filter(pl.col("channel") == "atm")["amount"].to_numpy()
    assert np.allclose(atm % 100, 0), "ATM withdrawals come in notes of 100"


def test_calls_reference_known_numbers(fraud_world: World) -> None:
    calls, subs = fraud_world.tables["calls"], fraud_world.tables["subscribers"]
    onnet = set(subs["phone"])
    caller_on = calls["caller"].is_in(subs["phone"].implode())
    callee_on = calls["callee"].is_in(subs["phone"].implode())
    assert (caller_on | callee_on).all(), "the operator only sees calls touching its own SIMs"
    offnet_callers = calls.filter(~caller_on)
    assert offnet_callers.height > 0
    assert offnet_callers["caller_imei"].null_count() == offnet_callers.height
    assert len(onnet) == subs.height
    assert (calls["duration_s"] >= 0).all()
    assert (calls.filter(pl.col("kind") == "sms")["duration_s"] == 0).all()


def test_transactions_reference_known_accounts(fraud_world: World) -> None:
    tx, acc = fraud_world.tables["transactions"], fraud_world.tables["accounts"]
    ids = acc["account_id"].implode()
    assert tx["src_account"].is_in(ids).all()
    assert tx["dst_account"].is_in(ids).all()
    statuses = set(tx["status"].unique())
    assert {"success", "failed"} <= statuses
    assert tx.filter(pl.col("status") == "success").height / tx.height > 0.95


def test_some_legit_payments_look_duplicated(fraud_world: World) -> None:
    tx = fraud_world.tables["transactions"]
    same = tx.filter(pl.struct("src_account", "dst_account", "amount").is_duplicated())
    assert same.height > 0


def test_ordinary_volumes_scale_with_subscribers(fraud_world: World, fraud_config: SynthConfig) -> None:
    per_person_month = fraud_config.subscribers * fraud_config.days / 30
    calls = fraud_world.tables["calls"].height / per_person_month
    txns = fraud_world.tables["transactions"].height / per_person_month
    assert 6 < calls < 20
    assert 6 < txns < 16


def test_same_seed_same_tables_other_seed_other_tables() -> None:
    cfg = SynthConfig(seed=5, subscribers=2_000, days=10)
    a, b = generate_world(cfg), generate_world(cfg)
    for name in TABLE_NAMES:
        assert a.tables[name].equals(b.tables[name]), name
    for name in TRUTH_NAMES:
        assert a.truth[name].equals(b.truth[name]), name
    c = generate_world(cfg.replace(seed=6))
    assert not c.tables["calls"].equals(a.tables["calls"])
    assert not c.tables["transactions"].equals(a.tables["transactions"])
    assert set(c.tables["subscribers"]["phone"]) != set(a.tables["subscribers"]["phone"])


def test_progress_is_told_each_stage() -> None:
    seen: list[str] = []
    generate_world(SynthConfig(seed=1, subscribers=1_000, days=3), progress=seen.append)
    assert [s.removeprefix("world: ") for s in seen if s.startswith("world: ")] == list(STAGE_NAMES)
    assert seen[0] == "world" and seen[-1] == f"world {len(STAGE_NAMES)}/{len(STAGE_NAMES)} stages"
