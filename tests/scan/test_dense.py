"""The dense detector: slow rings found by the shape of their money over a long span, not its speed."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from fraudkit.backend import DuckDBBackend
from fraudkit.scan.dense import DenseParams, find_dense
from fraudkit.scan.evaluate import evaluate_scan
from fraudkit.scan.flows import window_transactions
from fraudkit.scan.outputs import SCAN_TABLES, html_report, save_scan
from fraudkit.scan.scan import ScanParams, run_scan
from fraudkit.store import connect, materialised
from fraudkit.synth import SynthConfig, generate_world

START = datetime(2026, 1, 1)
DAYS = 120
AS_OF = START + timedelta(days=DAYS)


class SlowWorld:
    """A small daily-timestamped economy (pay, shopping, rent, friends paying each other) with two slow
    rings: a cycle of five strangers passing money on every 3-8 days, and a fan-out repeated monthly."""

    def __init__(self, seed: int = 1) -> None:
        rng = np.random.default_rng(seed)
        self.rows: list[tuple[str, int, str, str, float]] = []
        people = [f"P{i:04d}" for i in range(1500)]
        employers, shops, landlord = ["EMP0", "EMP1"], [f"SHOP{i}" for i in range(5)], "LANDLORD"
        for i, person in enumerate(people):
            pay_day = int(rng.integers(1, 28))
            for month in range(4):
                self._add(employers[i % 2], month * 30 + pay_day, person, float(rng.normal(3000, 300)))
            for _ in range(12):
                self._add(person, int(rng.integers(0, DAYS)), shops[int(rng.integers(0, 5))], float(rng.gamma(2, 40)))
            community = people[(i // 20) * 20 : (i // 20) * 20 + 20]
            for _ in range(6):  # friends pay each other small sums, within their community
                friend = community[int(rng.integers(0, len(community)))]
                if friend != person:
                    self._add(person, int(rng.integers(0, DAYS)), friend, float(rng.gamma(2, 100)))
        self.tenants = people[100:106]
        for tenant in self.tenants:  # rent: a standing order on the same day each month
            for month in range(4):
                self._add(tenant, month * 30 + 3, landlord, 1500.0)
        self.cycle = ["R_C0", "R_C1", "R_C2", "R_C3", "R_C4"]
        for round_start in (5, 33, 80):  # rounds come when the money does, not on a calendar
            amount, day = float(rng.normal(4000, 400)), round_start
            for src, dst in zip(self.cycle, self.cycle[1:] + self.cycle[:1], strict=True):
                day += int(rng.integers(3, 9))
                self._add(src, day, dst, round(amount, 2))
                amount *= 0.98
        self.fan_out = ["R_F0", *(f"R_F{i}" for i in range(1, 7))]
        for round_start in (10, 52, 75):
            for receiver in self.fan_out[1:]:
                self._add(
                    self.fan_out[0],
                    round_start + int(rng.integers(0, 4)),
                    receiver,
                    float(rng.lognormal(np.log(2500), 0.4)),
                )
        self.chain = ["R_N0", "R_N1", "R_N2"]  # accounts that do nothing but pass a person's money on
        for round_start in (8, 45, 85):  # not on one day of the month: no standing order
            amount = float(rng.normal(300, 30))
            path = ["P0200", *self.chain, "P0300"]
            for hop, (src, dst) in enumerate(itertools.pairwise(path)):
                self._add(src, round_start + 2 * hop, dst, round(amount * 0.98**hop, 2))
        self.landlord, self.employers = landlord, employers

    def _add(self, src: str, day: int, dst: str, amount: float) -> None:
        if 0 <= day < DAYS:
            self.rows.append((src, day, dst, round(max(amount, 1.0), 2)))

    @property
    def rings(self) -> set[str]:
        return set(self.cycle) | set(self.fan_out) | set(self.chain)

    def store(self, path: Path):
        con = connect(path)
        tx = pl.DataFrame(self.rows, schema=["src_account", "day", "dst_account", "amount"], orient="row")
        tx = tx.with_columns(
            txn_id=pl.format("T{}", pl.int_range(pl.len())),
            ts=pl.lit(START) + pl.duration(days=pl.col("day")),
            amount=pl.col("amount").cast(pl.Decimal(18, 2)),
            currency=pl.lit("CNY"),
            channel=pl.lit("online"),
            status=pl.lit("success"),
        ).select("txn_id", "ts", "src_account", "dst_account", "amount", "currency", "channel", "status")
        DuckDBBackend(con=con).write("transactions", tx)
        return con


@pytest.fixture(scope="module")
def slow(tmp_path_factory: pytest.TempPathFactory):
    world = SlowWorld()
    con = world.store(tmp_path_factory.mktemp("slow") / "s.duckdb")
    yield world, con
    con.close()


def _flagged_accounts(result) -> set[str]:
    return set(result.flagged_accounts.to_list())


def test_slow_rings_on_daily_data_are_found_by_their_shape(slow) -> None:
    world, con = slow
    result = run_scan(con, as_of=AS_OF, window=timedelta(days=7))
    assert result.detectors == ("fast", "dense") and result.span == ScanParams().span
    flagged = _flagged_accounts(result)
    assert flagged == world.rings, "both rings, and nobody else"
    dense = result.flagged.filter(pl.col("detector") == "dense")
    cycle = dense.filter(pl.col("cluster_id") == min(world.cycle)).row(0, named=True)
    assert cycle["typology"] == "cycle" and cycle["shape"] == "core"
    fan = dense.filter(pl.col("cluster_id") == min(world.fan_out)).row(0, named=True)
    assert fan["shape"] == "star" and fan["size"] == len(world.fan_out)
    chain = dense.filter(pl.col("cluster_id") == min(world.chain)).row(0, named=True)
    assert chain["shape"] == "no_life" and chain["size"] == len(world.chain), "no core, no star: no life"


def test_people_feeding_one_account_without_a_life_are_not_in_its_block(slow) -> None:
    world, con = slow
    result = run_scan(con, as_of=AS_OF, window=timedelta(days=7), detectors=("dense",))
    members = set(result.members["account"].to_list())
    assert not {"P0200", "P0300"} & members, "linked to one such account each: ordinary enough"
    loose = run_scan(
        con,
        as_of=AS_OF,
        window=timedelta(days=7),
        detectors=("dense",),
        params=ScanParams(dense=DenseParams(no_life_partners=1)),
    )
    of = loose.members.filter(pl.col("account") == "R_N0")["cluster_id"].item()
    block = loose.members.filter(pl.col("cluster_id") == of)["account"].to_list()
    assert set(block) == {*world.chain, "P0200", "P0300"}, "one such link is enough when the setting says so"


def test_standing_orders_payroll_and_friends_are_not_rings(slow) -> None:
    world, con = slow
    result = run_scan(con, as_of=AS_OF, window=timedelta(days=7), detectors=("dense",))
    members = set(result.members["account"].to_list())
    assert world.landlord not in members and not set(world.tenants) & members, "rent is a standing order"
    assert not set(world.employers) & members, "employers are hubs"
    assert members == world.rings, "friends paying each other share friends: no surprising link"


def test_the_fast_detector_alone_flags_nothing_without_speed_or_cash_out(slow) -> None:
    _, con = slow
    result = run_scan(con, as_of=AS_OF, window=timedelta(days=30), detectors=("fast",))
    assert {"speed", "cash_out"} <= result.absent.keys()
    assert result.flagged.height == 0


def test_a_shorter_span_than_the_rings_sees_less_of_them(slow) -> None:
    world, con = slow
    with materialised(
        con, window_transactions(con, AS_OF - timedelta(days=20), AS_OF), "span", table="transactions"
    ) as tx:
        short = find_dense(con, tx, DenseParams())
    assert not set(short.blocks["account"].to_list()) >= world.rings


def test_dense_finds_are_reported_saved_and_explained(slow, tmp_path: Path) -> None:
    _world, con = slow
    result = run_scan(con, as_of=AS_OF, window=timedelta(days=7))
    assert result.run_id.endswith("-dense2880h")
    page = html_report(result, reveal=None)
    assert "dense (the shape of money over 120 days" in page and "density" in page and "cohesion" in page
    assert "R_C0" not in page, "account numbers masked"
    save_scan(con, result)
    stored = con.execute(f"SELECT detector, count(*) FROM {SCAN_TABLES['clusters']} GROUP BY detector").fetchall()
    assert dict(stored).get("dense", 0) == result.clusters.filter(pl.col("detector") == "dense").height > 0


def test_on_the_transfer_only_preset_the_dense_detector_finds_what_the_fast_one_cannot(tmp_path: Path) -> None:
    """Seed 7 of the 'transfers' preset was not used to choose the dense detector's defaults (seeds 3 and
    5 were). The issue's target is F1 0.6; the bar sits a little under what it reaches there today
    (precision 0.90, recall 0.64, F1 0.75 by ``evaluate_scan`` on 2026-12-03)."""
    world = generate_world(SynthConfig.preset("transfers", seed=7, subscribers=20_000))
    con = connect(tmp_path / "t.duckdb")
    for name, table in world.tables.items():
        DuckDBBackend(con=con).write(name, table)
    as_of = datetime(2026, 9, 29)
    fast = run_scan(con, as_of=as_of, window=timedelta(days=7), detectors=("fast",))
    assert fast.flagged.height == 0, "daily times, no channels: the fast detector has nothing to flag on"
    both = run_scan(con, as_of=as_of, window=timedelta(days=7))
    quality = evaluate_scan(con, both, world.truth)
    assert quality.active_mules >= 150
    assert quality.mule_precision >= 0.85 and quality.mule_recall >= 0.55
    f1 = 2 * quality.mule_precision * quality.mule_recall / (quality.mule_precision + quality.mule_recall)
    assert f1 >= 0.6
    assert not {"merchant", "payroll", "utility"} & quality.lookalike_false_positives.keys()
