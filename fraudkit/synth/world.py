"""generate_world: the whole synthetic world, stage by stage, from one SynthConfig.

Each stage draws from its own seeded stream, so the same config always gives the
same tables, and the stages run in a fixed order with no dependence on wall time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from fraudkit.progress import ProgressArg, as_reporter, stage
from fraudkit.synth.calls import (
    big_purchase_calls,
    call_centre_calls,
    courier_calls,
    finish_calls,
    ordinary_calls,
)
from fraudkit.synth.config import SynthConfig
from fraudkit.synth.counties import build_counties, entity_regions
from fraudkit.synth.economy import build_economy
from fraudkit.synth.frames import (
    accounts_table,
    calls_table,
    draw_identifiers,
    regions_table,
    reports_table,
    subscribers_table,
    transactions_table,
)
from fraudkit.synth.fraud import build_fraud
from fraudkit.synth.lookalikes import build_lookalikes
from fraudkit.synth.money import TxnBatch, ordinary_transactions
from fraudkit.synth.population import build_population
from fraudkit.synth.rand import stream
from fraudkit.synth.registry import Registry
from fraudkit.synth.reports import build_reports, victim_losses
from fraudkit.synth.rings import build_rings
from fraudkit.synth.truth import (
    fraud_numbers_frame,
    fraud_transactions_frame,
    lookalikes_frame,
    mules_frame,
    regions_frame,
    rings_frame,
    victims_frame,
)
from fraudkit.text import plural

TABLE_NAMES = ("calls", "transactions", "accounts", "subscribers", "reports", "regions")
TRUTH_NAMES = ("victims", "fraud_numbers", "mules", "rings", "fraud_transactions", "lookalikes", "regions")
STAGE_NAMES = ("population", "fraud", "rings", "calls", "transactions", "reports", "tables")


@dataclass(frozen=True)
class World:
    """The canonical tables, the ground truth beside them, and the config that made them."""

    config: SynthConfig
    tables: dict[str, pl.DataFrame]
    truth: dict[str, pl.DataFrame]

    def row_counts(self) -> dict[str, dict[str, int]]:
        """Rows per table and per truth table (what world.json records)."""
        return {
            "tables": {k: v.height for k, v in self.tables.items()},
            "truth": {k: v.height for k, v in self.truth.items()},
        }


def _finish_transactions(cfg: SynthConfig, batches: list[TxnBatch]) -> TxnBatch:
    """Keep transfers inside the window, sorted by time (ids follow that order)."""
    txns = TxnBatch.concat(batches)
    keep = (txns.t >= 0) & (txns.t < cfg.end_seconds) & (txns.src != txns.dst) & (txns.cents > 0)
    txns = txns.take(np.flatnonzero(keep))
    return txns.take(np.lexsort((txns.cents, txns.dst, txns.src, txns.t)))


def generate_world(cfg: SynthConfig, progress: ProgressArg = None) -> World:
    """Make the world ``cfg`` describes.

    ``progress`` (a :class:`fraudkit.progress.Reporter`, or a callable told each stage's name) sees
    the stage "world" counting the generator's stages, each stage inside it with what it made: the
    generator draws whole arrays at once, so a stage, not a subscriber, is the unit it can count.
    """
    if cfg.kind == "transfers":
        from fraudkit.synth.transfers import transfer_world  # imports world's siblings only, never world

        tables, truth = transfer_world(cfg, progress)
        return World(config=cfg, tables=tables, truth=truth)
    reporter = as_reporter(progress)
    seed = cfg.seed
    reg = Registry()
    with stage(reporter, "world", total=len(STAGE_NAMES), unit="stages") as world:
        with stage(reporter, "population") as step:
            pop = build_population(cfg, reg, stream(seed, "population"))
            econ = build_economy(cfg, pop, reg, stream(seed, "economy"))
            looks = build_lookalikes(cfg, pop, econ, reg, stream(seed, "lookalikes"))
            counties = build_counties(cfg, pop, stream(seed, "regions"))
            step.note = f"{plural(cfg.subscribers, 'person')}, {plural(reg.n_phones, 'phone')}"
        world.advance()

        with stage(reporter, "fraud") as step:
            plan, fraud_calls = build_fraud(cfg, pop, reg, stream(seed, "fraud"), looks.people, counties)
            step.note = plural(len(plan.v_person), "victim")
        world.advance()

        with stage(reporter, "rings") as step:
            rings, fraud_txns, mule_calls = build_rings(cfg, plan, pop, econ, reg, stream(seed, "rings"), looks.people)
            step.note = plural(len(rings.op), "mule ring")
        world.advance()

        with stage(reporter, "calls") as step:
            batches = [
                ordinary_calls(cfg, pop, stream(seed, "calls.ordinary")),
                courier_calls(cfg, pop, looks, stream(seed, "calls.couriers")),
                call_centre_calls(cfg, pop, looks, stream(seed, "calls.call_centres")),
                big_purchase_calls(pop, looks, stream(seed, "calls.big_purchases")),
                fraud_calls,
                mule_calls,
            ]
            log = finish_calls(cfg, batches, reg, stream(seed, "calls.cells"))
            del batches
            step.note = plural(len(log), "call")
        world.advance()

        with stage(reporter, "transactions") as step:
            legit = ordinary_transactions(cfg, pop, econ, looks, reg, stream(seed, "money"))
            txns = _finish_transactions(cfg, [legit, fraud_txns])
            del legit, fraud_txns
            step.note = plural(len(txns), "transfer")
        world.advance()

        with stage(reporter, "reports") as step:
            losses = victim_losses(plan, rings.pay_dst)
            reports, reported_at = build_reports(cfg, plan, losses, reg.n_phones, stream(seed, "reports"))
            step.note = plural(len(reports.victim), "report")
        world.advance()

        with stage(reporter, "tables") as step:
            ids = draw_identifiers(reg, stream(seed, "ids"))
            phone_region, account_region = entity_regions(counties, pop, reg, stream(seed, "regions.entities"))
            calls = calls_table(cfg, log, ids)
            del log
            transactions = transactions_table(cfg, txns, ids)
            tables = {
                "calls": calls,
                "transactions": transactions,
                "accounts": accounts_table(cfg, reg, ids, account_region),
                "subscribers": subscribers_table(cfg, reg, ids, phone_region),
                "reports": reports_table(cfg, reports, ids, stream(seed, "reports.typos")),
                "regions": regions_table(),
            }
            truth = {
                "victims": victims_frame(cfg, plan, losses, reported_at, ids, reg.phones().holder),
                "fraud_numbers": fraud_numbers_frame(cfg, plan, reg, ids),
                "mules": mules_frame(cfg, rings, reg, ids),
                "rings": rings_frame(rings),
                "fraud_transactions": fraud_transactions_frame(txns, transactions["txn_id"]),
                "lookalikes": lookalikes_frame(pop, econ, looks, reg, ids),
                "regions": regions_frame(cfg, counties, plan, losses),
            }
            step.note = f"{plural(sum(t.height for t in tables.values()), 'row')} in {plural(len(tables), 'table')}"
        world.advance()
    return World(config=cfg, tables=tables, truth=truth)
