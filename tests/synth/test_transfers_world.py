"""The transfers preset: a world like public synthetic AML data, not like fraudkit's telecom world.

Transfers only, one timestamp a day, amounts in the hundreds, laundering over weeks through the
typologies of AMLworld and AMLSim; its files load through ``fraudkit ingest`` and its truth is
read by the scan's evaluation and the model's labels unchanged.
"""

from __future__ import annotations

import typing
from datetime import datetime, time
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.errors import ConfigError
from fraudkit.schema import TABLES
from fraudkit.synth import SynthConfig, World, generate_world, store_world, write_world
from fraudkit.synth.config import PRESETS, TRANSFER_TYPOLOGIES
from fraudkit.synth.transfers import LOOKALIKE_KINDS

runner = CliRunner(env={"COLUMNS": "200"})
c = pl.col


@pytest.fixture(scope="module")
def world() -> World:
    """20,000 accounts over the preset's 120 days: about a second."""
    return generate_world(SynthConfig.preset("transfers", seed=3, subscribers=20_000))


@pytest.fixture(scope="module")
def laundering(world: World) -> pl.DataFrame:
    """Every laundering transfer with its ring, stage and day."""
    return world.tables["transactions"].join(world.truth["fraud_transactions"], on="txn_id")


def test_same_seed_same_world_and_another_seed_another(tmp_path: Path) -> None:
    cfg = SynthConfig.preset("transfers", seed=9, subscribers=3_000)
    first, again = generate_world(cfg), generate_world(cfg)
    for name in first.tables:
        assert first.tables[name].equals(again.tables[name]), name
    for name in first.truth:
        assert first.truth[name].equals(again.truth[name]), name
    a, b = write_world(first, tmp_path / "a"), write_world(again, tmp_path / "b")
    assert all(a[name].read_bytes() == b[name].read_bytes() for name in a)  # byte-identical files
    other = generate_world(cfg.replace(seed=10))
    assert not other.tables["transactions"].equals(first.tables["transactions"])


def test_transfers_only_one_timestamp_a_day_no_phones(world: World) -> None:
    tx, accounts = world.tables["transactions"], world.tables["accounts"]
    assert (tx["ts"].dt.time() == time(0)).all()
    assert tx["ts"].min() >= world.config.start and tx["ts"].dt.date().n_unique() > 100
    assert tx["channel"].unique().to_list() == ["online"]
    assert tx["status"].unique().to_list() == ["success"]
    assert tx.filter(c("src_account") == c("dst_account")).height == 0
    assert tx["txn_id"].n_unique() == tx.height
    assert accounts.height == 20_000 and accounts["account_id"].n_unique() == accounts.height
    assert accounts["holder_id"].null_count() == 0
    for column in ("phone", "bank", "opened_at", "account_type", "region"):
        assert accounts[column].null_count() == accounts.height, column
    known = set(accounts["account_id"])
    assert set(tx["src_account"]) <= known and set(tx["dst_account"]) <= known
    for name in ("calls", "subscribers", "reports"):
        assert world.tables[name].height == 0
        assert world.tables[name].columns == TABLES[name].column_names


def test_amounts_are_in_the_hundreds_with_a_heavy_tail(world: World, laundering: pl.DataFrame) -> None:
    amount = world.tables["transactions"]["amount"]
    assert 50 <= amount.median() <= 1_000
    assert amount.quantile(0.99) > 10 * amount.median()
    assert amount.min() > 0
    dirty = laundering["amount"]
    assert 200 <= dirty.median() <= 2_000  # the scale of ordinary payments, not giant
    assert dirty.quantile(0.95) < 10_000


def test_every_typology_is_present_and_rings_have_4_to_30_members(world: World) -> None:
    rings = world.truth["rings"]
    assert set(rings["typology"]) == set(TRANSFER_TYPOLOGIES)
    assert rings["n_members"].min() >= 4 and rings["n_members"].max() <= 30
    sizes = world.truth["mules"].group_by("ring_id").len()
    assert rings.join(sizes, on="ring_id").filter(c("len") != c("n_members")).height == 0


def test_laundering_spans_weeks_with_hops_days_apart(world: World, laundering: pl.DataFrame) -> None:
    rings = world.truth["rings"].with_columns(days=(c("ended_at") - c("started_at")).dt.total_days())
    assert rings["days"].median() >= 14
    assert rings["days"].max() <= 16 * 7
    # a hop: money reaching an account and that account passing ring money on; days, not hours, between
    ins = laundering.select("ring_id", c("dst_account").alias("account"), c("ts").alias("in_ts"))
    outs = laundering.select("ring_id", c("src_account").alias("account"), c("ts").alias("out_ts"))
    hops = (
        outs.join(ins, on=["ring_id", "account"])
        .filter(c("in_ts") <= c("out_ts"))
        .group_by("ring_id", "account", "out_ts")
        .agg((c("out_ts") - c("in_ts")).min().dt.total_days().alias("wait"))
    )
    assert hops.height > 50
    assert hops["wait"].median() >= 2
    assert (hops["wait"] >= 1).mean() > 0.95  # money leaves on a later day than it came


def test_base_rate_and_truth_agree_with_the_transfers(world: World, laundering: pl.DataFrame) -> None:
    mules = world.truth["mules"]
    share = mules.height / world.tables["accounts"].height
    assert 0.005 <= share <= 0.02
    assert mules["account_id"].n_unique() == mules.height  # an account launders for one ring
    assert set(mules["role"]) == {"collector", "layer", "cashout"}
    touched = pl.concat(
        [
            laundering.select("ring_id", c("src_account").alias("account_id")),
            laundering.select("ring_id", c("dst_account").alias("account_id")),
        ]
    ).unique()
    by_ring = ["ring_id", "account_id"]
    assert touched.sort(by_ring).equals(mules.select(by_ring).sort(by_ring))
    assert set(laundering["stage"]) <= {"layering", "cashout"}


def test_some_laundering_accounts_also_pay_and_get_paid_as_anyone_does(world: World, laundering: pl.DataFrame) -> None:
    mules = world.truth["mules"]["account_id"]
    ordinary = world.tables["transactions"].join(world.truth["fraud_transactions"], on="txn_id", how="anti")
    active = set(ordinary.filter(c("src_account").is_in(mules.implode()))["src_account"])
    assert 0.3 < len(active) / mules.len() < 1.0


def test_some_ring_accounts_share_a_holder_as_savers_and_their_savings_do(world: World) -> None:
    holders = world.tables["accounts"].group_by("holder_id").len()
    shared = holders.filter(c("len") > 1)
    mules = world.truth["mules"]
    in_rings = mules.group_by("ring_id", "holder_id").len().filter(c("len") > 1)
    assert in_rings.height > 0  # one person opening several accounts for the ring
    assert shared.height > 10 * in_rings.height  # far more ordinary people hold two accounts


def test_the_economy_has_fan_ins_fan_outs_and_pass_through_of_its_own(world: World) -> None:
    looks = world.truth["lookalikes"]
    assert (
        set(looks["lookalike"]) == set(LOOKALIKE_KINDS) == {"merchant", "utility", "payroll", "landlord", "remittance"}
    )
    assert looks.join(world.truth["mules"], left_on="entity_id", right_on="account_id").height == 0
    tx = world.tables["transactions"]
    merchants = looks.filter(c("lookalike") == "merchant")["entity_id"].implode()
    payroll = looks.filter(c("lookalike") == "payroll")["entity_id"].implode()
    hubs = looks.filter(c("lookalike") == "remittance")["entity_id"].implode()
    fan_in = tx.filter(c("dst_account").is_in(merchants)).group_by("dst_account").agg(c("src_account").n_unique())
    fan_out = tx.filter(c("src_account").is_in(payroll)).group_by("src_account").agg(c("dst_account").n_unique())
    assert fan_in["src_account"].max() > 100 and fan_out["dst_account"].max() > 50
    hub_in = tx.filter(c("dst_account").is_in(hubs))["amount"].sum()
    hub_out = tx.filter(c("src_account").is_in(hubs))["amount"].sum()
    assert hub_in > 0 and hub_out > 0.5 * hub_in  # they receive and forward, as a mule would


def test_subscribers_scale_the_accounts_and_days_the_span() -> None:
    small = generate_world(SynthConfig.preset("transfers", seed=1, subscribers=5_000, days=60))
    assert small.tables["accounts"].height == 5_000
    days = small.tables["transactions"]["ts"].dt.date()
    assert (days.max() - days.min()).days == 59
    assert small.truth["rings"].height >= 3


def test_typology_weights_choose_the_patterns() -> None:
    only_cycles = {t: (1.0 if t == "cycle" else 0.0) for t in TRANSFER_TYPOLOGIES}
    cfg = SynthConfig.preset("transfers", seed=2, subscribers=5_000, transfer_typology_weights=only_cycles)
    assert set(generate_world(cfg).truth["rings"]["typology"]) == {"cycle"}


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"kind": "bank"}, "kind"),
        ({"laundering_account_share": 0.5}, "laundering_account_share"),
        ({"transfer_typology_weights": {"smurfing": 1.0}}, "smurfing"),
        ({"ring_weeks_range": (4.0, 2.0)}, "ring_weeks_range"),
        ({"hop_days_range": (1.5, 3)}, "hop_days_range"),
    ],
)
def test_bad_transfer_settings_name_the_field(changes: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        SynthConfig.preset("transfers", **changes)


def test_written_truth_is_read_by_the_scan_evaluation_and_the_model_labels(world: World, tmp_path: Path) -> None:
    from fraudkit.model.labels import read_truth as label_truth
    from fraudkit.scan.evaluate import read_truth as scan_truth

    write_world(world, tmp_path)
    for_scan = scan_truth(tmp_path / "truth")
    assert for_scan["mules"].height == world.truth["mules"].height
    assert for_scan["fraud_transactions"].height == world.truth["fraud_transactions"].height
    assert label_truth(tmp_path / "truth", "mule")["mules"].equals(world.truth["mules"])


def test_store_world_takes_the_empty_tables(tmp_path: Path) -> None:
    world = generate_world(SynthConfig.preset("transfers", seed=4, subscribers=2_000))
    db = tmp_path / "s.duckdb"
    store_world(world, db, tmp_path / "truth")
    con = duckdb.connect(str(db), read_only=True)
    counts = {name: con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0] for name in world.tables}
    con.close()
    assert counts == {name: frame.height for name, frame in world.tables.items()}
    assert (tmp_path / "truth" / "victims.parquet").exists()


def _synth_then_ingest(tmp_path: Path, synth_args: list[str]) -> None:
    out, db = tmp_path / "world", tmp_path / "s.duckdb"
    made = runner.invoke(app, ["synth", *synth_args, "--subscribers", "3000", "--seed", "5", "--out", str(out)])
    assert made.exit_code == 0, made.output
    expected = {k: pl.read_parquet(out / f"{k}.parquet").height for k in ("transactions", "accounts", "calls")}
    assert expected["transactions"] > 50_000 and expected["calls"] == 0
    for kind in expected:
        loaded = runner.invoke(app, ["ingest", str(out / f"{kind}.parquet"), "--kind", kind, "--db", str(db)])
        assert loaded.exit_code == 0, loaded.output
    con = duckdb.connect(str(db), read_only=True)
    got = {k: con.execute(f'SELECT count(*) FROM "{k}"').fetchall()[0][0] for k in expected}
    rejected = con.execute("SELECT count(*) FROM rejects").fetchall()[0][0]
    midnights = con.execute("SELECT count(*) FROM transactions WHERE ts <> date_trunc('day', ts)").fetchall()[0][0]
    con.close()
    assert got == expected
    assert rejected == 0 and midnights == 0


def test_cli_synth_from_a_config_file_then_ingest_loads_every_row(tmp_path: Path) -> None:
    """The preset's settings in a [synth] section: works whatever presets the CLI lists."""
    lines = ["[synth]"]
    for key, value in PRESETS["transfers"].items():
        shown = f'"{value}"' if isinstance(value, str) else (list(value) if isinstance(value, tuple) else value)
        shown = value.isoformat() if isinstance(value, datetime) else shown
        lines.append(f"{key} = {shown}")
    config = tmp_path / "fraudkit.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _synth_then_ingest(tmp_path, ["--config", str(config)])


def _cli_presets() -> tuple[str, ...]:
    from fraudkit.cli import SynthPreset

    return typing.get_args(SynthPreset)


@pytest.mark.skipif("transfers" not in _cli_presets(), reason="fraudkit.cli.SynthPreset does not list it yet")
def test_cli_synth_preset_transfers_then_ingest_loads_every_row(tmp_path: Path) -> None:
    _synth_then_ingest(tmp_path, ["--preset", "transfers"])
