"""Ground-truth tables: who the victims, fraud numbers, mules and rings are, which
transfers belong to a ring's flow, which legitimate entities only look suspicious, and how
hard fraud hit each county in each month.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from fraudkit.synth.config import TYPOLOGIES, SynthConfig
from fraudkit.synth.counties import Counties
from fraudkit.synth.economy import Economy
from fraudkit.synth.frames import Identifiers, gather, labels, money, sequential_ids, timestamps
from fraudkit.synth.fraud import STAGES, FraudPlan
from fraudkit.synth.lookalikes import Lookalikes
from fraudkit.synth.money import TxnBatch
from fraudkit.synth.population import Population
from fraudkit.synth.regions import COUNTY_CODES
from fraudkit.synth.registry import ACCOUNT_KIND, Registry
from fraudkit.synth.reports import VictimLosses
from fraudkit.synth.rings import NEVER_AFTER, NEVER_BEFORE, ROLES, Rings

LOOKALIKES = (
    "merchant",
    "utility",
    "payroll",
    "call_centre",
    "courier",
    "phone_changer",
    "fast_forwarder",
    "big_purchase",
)


def ring_ids(index: np.ndarray) -> pl.Series:
    return gather(sequential_ids("W", int(index.max()) + 1 if len(index) else 0, 4), index)


def operation_ids(index: np.ndarray) -> pl.Series:
    return gather(sequential_ids("OP", int(index.max()) + 1 if len(index) else 0, 3), index)


def victims_frame(
    cfg: SynthConfig,
    plan: FraudPlan,
    losses: VictimLosses,
    reported_at: np.ndarray,
    ids: Identifiers,
    holders: np.ndarray,
) -> pl.DataFrame:
    n_pay = np.bincount(plan.pay_victim[~plan.pay_failed], minlength=len(plan.v_person))
    df = pl.DataFrame(
        {
            "phone": gather(ids.phone, plan.v_phone),
            "holder_id": gather(ids.holder, holders[plan.v_phone]),
            "account_id": gather(ids.account, plan.v_account),
            "fraud_phone": gather(ids.phone, plan.v_fraud_phone),
            "first_contact_at": timestamps(cfg, plan.v_first_contact_s),
            "first_loss_at": timestamps(cfg, losses.first_loss_s),
            "total_loss": money(losses.total_cents),
            "ring_id": ring_ids(plan.v_ring),
            "reported": pl.Series(reported_at >= 0),
            "operation_id": operation_ids(plan.v_op),
            "n_payments": pl.Series(n_pay.astype(np.int32)),
            "reported_at": timestamps(cfg, np.maximum(reported_at, 0)),
        }
    )
    df = df.with_columns(pl.when(pl.col("reported")).then(pl.col("reported_at")).alias("reported_at"))
    return df.sort("first_loss_at", "phone")


def fraud_numbers_frame(cfg: SynthConfig, plan: FraudPlan, reg: Registry, ids: Identifiers) -> pl.DataFrame:
    ph = reg.phones()
    return pl.DataFrame(
        {
            "phone": gather(ids.phone, plan.num_phone),
            "operation_id": operation_ids(plan.num_op),
            "imei": gather(ids.imei, plan.num_device),
            "activated_at": timestamps(cfg, ph.activated_s[plan.num_phone]),
        }
    ).sort("operation_id", "phone")


def mules_frame(cfg: SynthConfig, rings: Rings, reg: Registry, ids: Identifiers) -> pl.DataFrame:
    acc = reg.accounts()
    return pl.DataFrame(
        {
            "account_id": gather(ids.account, rings.member_acct),
            "holder_id": gather(ids.holder, acc.holder[rings.member_acct]),
            "ring_id": ring_ids(rings.member_ring),
            "role": labels(ROLES, rings.member_role),
            # null: a member from the ring's start, or kept to its end; otherwise a recruit or a dropped one
            "joined_at": _member_time(cfg, rings.member_from, NEVER_BEFORE),
            "left_at": _member_time(cfg, rings.member_to, NEVER_AFTER),
        }
    ).sort("ring_id", "account_id")


def _member_time(cfg: SynthConfig, seconds: np.ndarray, never: int) -> pl.Series:
    return timestamps(cfg, np.where(seconds == never, 0, seconds)).set(pl.Series(seconds == never), None)


def rings_frame(rings: Rings) -> pl.DataFrame:
    n = len(rings.typology)
    return pl.DataFrame(
        {
            "ring_id": ring_ids(np.arange(n)),
            "typology": labels(TYPOLOGIES, rings.typology.astype(np.int64)),
            "n_members": pl.Series(rings.size.astype(np.int32)),
            "operation_id": operation_ids(rings.op),
            "n_victims": pl.Series(rings.n_victims.astype(np.int32)),
            "fee": pl.Series(np.round(rings.fee, 4)),
        }
    )


def fraud_transactions_frame(txns: TxnBatch, txn_ids: pl.Series) -> pl.DataFrame:
    tagged = np.flatnonzero(txns.ring >= 0)
    return pl.DataFrame(
        {
            "txn_id": txn_ids.gather(tagged),
            "ring_id": ring_ids(txns.ring[tagged].astype(np.int64)),
            "stage": labels(STAGES, txns.stage[tagged].astype(np.int64)),
        }
    )


def lookalikes_frame(
    pop: Population, econ: Economy, looks: Lookalikes, reg: Registry, ids: Identifiers
) -> pl.DataFrame:
    kind = reg.accounts().kind
    parts = [
        ("account", "merchant", econ.merchant_acct),
        ("account", "utility", econ.utility_acct),
        ("account", "payroll", np.flatnonzero(kind == ACCOUNT_KIND["payroll"])),
        ("phone", "call_centre", looks.cc_lines),
        ("phone", "courier", looks.couriers),
        ("phone", "phone_changer", pop.new_phone[looks.changers]),
        ("account", "fast_forwarder", looks.ff_acct),
        ("phone", "big_purchase", looks.bp_buyer),
    ]
    frames = []
    for entity_type, lookalike, index in parts:  # eight look-alike kinds
        values = ids.account if entity_type == "account" else ids.phone
        frames.append(
            pl.DataFrame(
                {
                    "entity_id": gather(values, np.asarray(index, dtype=np.int64)),
                    "entity_type": labels((entity_type,), np.zeros(len(index), dtype=np.int64)),
                    "lookalike": labels((lookalike,), np.zeros(len(index), dtype=np.int64)),
                }
            )
        )
    return pl.concat(frames).unique(maintain_order=True).sort("lookalike", "entity_id")


REGION_TRUTH_SCHEMA: dict[str, pl.DataType] = {
    "code": pl.String(),
    "month": pl.String(),
    "intensity": pl.Float64(),
    "residents": pl.Int64(),
    "victims": pl.Int64(),
    "loss_at_risk": pl.Float64(),
}
"""Truth ``regions``: one row per county and month of the world."""


def regions_frame(cfg: SynthConfig, counties: Counties, plan: FraudPlan, losses: VictimLosses) -> pl.DataFrame:
    """Per county and month: the intensity fraud was drawn with, the people living there, the
    victims first contacted that month and what they lost (reported or not), so that a regional
    index can be held against what happened."""
    n_counties, n_months = len(COUNTY_CODES), counties.n_months
    cell = counties.person[plan.v_person] * n_months + counties.month_of(plan.v_first_contact_s)
    victims = np.bincount(cell, minlength=n_counties * n_months)
    loss = np.bincount(cell, weights=losses.total_cents, minlength=n_counties * n_months)
    return pl.DataFrame(
        {
            "code": pl.Series(np.repeat(COUNTY_CODES, n_months)),
            "month": pl.Series(np.tile(cfg.months, n_counties)),
            "intensity": pl.Series(np.round(counties.intensity.ravel(), 6)),
            "residents": pl.Series(np.repeat(counties.residents, n_months)),
            "victims": pl.Series(victims),
            "loss_at_risk": money(loss.round().astype(np.int64)),
        },
        schema=REGION_TRUTH_SCHEMA,
    )
