"""Transfers of ordinary life: salaries, rent, bills, shopping, person-to-person,
ATM withdrawals, wallet top-ups, suppliers paid by shops and small traders.

Fast forwarders (traders paying suppliers within hours) and payroll funding (money in
and straight out again) make pass-through and dwell time alone no give-away.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from fraudkit.synth.clock import (
    DAY,
    HOUR,
    MINUTE,
    SHOPPING_HOURS,
    day_probabilities,
    days_with_day_of_month,
    sample_seconds,
    seconds_on,
)
from fraudkit.synth.config import SynthConfig
from fraudkit.synth.economy import Economy
from fraudkit.synth.lookalikes import Lookalikes
from fraudkit.synth.population import Population
from fraudkit.synth.rand import (
    Rng,
    categorical,
    humanise_cents,
    log_uniform,
    lognormal,
    uniform,
    yuan_to_cents,
)
from fraudkit.synth.registry import CHANNEL, STATUS, Registry

PLATFORM_SHARES = np.array([0.38, 0.34, 0.1, 0.08, 0.06, 0.04])
ROUND_GIFTS = np.array([50, 100, 200, 500, 1_000, 2_000, 5_000]) * 100
ROUND_GIFT_SHARES = np.array([0.12, 0.22, 0.22, 0.2, 0.14, 0.06, 0.04])
LUCKY_AMOUNTS = np.array([8.88, 66.66, 88.88, 520.0, 666.0, 1314.0])


@dataclass
class TxnBatch:
    """Transfers as columns: account indices, seconds, cents, channel/status codes, truth tags."""

    src: np.ndarray
    dst: np.ndarray
    t: np.ndarray
    cents: np.ndarray
    channel: np.ndarray
    status: np.ndarray
    ring: np.ndarray  # -1 unless the transfer is part of a ring's flow
    stage: np.ndarray  # -1, or index into fraud.STAGES

    def __len__(self) -> int:
        return len(self.t)

    def take(self, index: np.ndarray) -> TxnBatch:
        return TxnBatch(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @staticmethod
    def concat(batches: list[TxnBatch]) -> TxnBatch:
        return TxnBatch(**{f.name: np.concatenate([getattr(b, f.name) for b in batches]) for f in fields(TxnBatch)})


def make_txns(
    src: np.ndarray,
    dst: np.ndarray,
    t: np.ndarray,
    cents: np.ndarray,
    channel: np.ndarray | int,
    status: np.ndarray | int = STATUS["success"],
    ring: np.ndarray | int = -1,
    stage: np.ndarray | int = -1,
) -> TxnBatch:
    """A batch with canonical dtypes; scalars are broadcast."""
    n = len(t)
    return TxnBatch(
        src=np.asarray(src, dtype=np.int64),
        dst=np.asarray(dst, dtype=np.int64),
        t=np.asarray(t, dtype=np.int64),
        cents=np.asarray(cents, dtype=np.int64),
        channel=np.broadcast_to(np.asarray(channel, dtype=np.int8), n).copy(),
        status=np.broadcast_to(np.asarray(status, dtype=np.int8), n).copy(),
        ring=np.broadcast_to(np.asarray(ring, dtype=np.int32), n).copy(),
        stage=np.broadcast_to(np.asarray(stage, dtype=np.int8), n).copy(),
    )


def channels(rng: Rng, n: int, shares: dict[str, float]) -> np.ndarray:
    """Channel codes drawn with the given shares (keys are schema channel names)."""
    codes = np.array([CHANNEL[k] for k in shares], dtype=np.int8)
    return codes[categorical(rng, np.array(list(shares.values())), n)]


def _per_person(rng: Rng, people: np.ndarray, rate: float, weight: np.ndarray | None = None) -> np.ndarray:
    """Each person repeated by a Poisson count of events at ``rate`` (times ``weight``)."""
    lam = np.full(len(people), rate) if weight is None else rate * weight
    return np.repeat(people, rng.poisson(lam))


def ordinary_transactions(
    cfg: SynthConfig, pop: Population, econ: Economy, looks: Lookalikes, reg: Registry, rng: Rng
) -> TxnBatch:
    """All legitimate transfers of the world, including failed and duplicate-looking ones."""
    months = cfg.days / 30.0
    banked = np.flatnonzero(pop.banked)
    spend = np.sqrt(pop.activity[banked].astype(np.float64))
    day_p = day_probabilities(cfg.start, cfg.days)
    batches = [
        _salaries(cfg, pop, econ, rng),
        _rent(cfg, pop, econ, rng),
    ]
    shopping = _shopping(cfg, pop, econ, rng, banked, spend, months, day_p)
    batches += [
        shopping,
        _merchant_payouts(cfg, econ, shopping, rng),
        _bills(cfg, pop, econ, rng, banked, months, day_p),
        _p2p(cfg, pop, rng, banked, months, day_p),
        _atm(cfg, pop, econ, reg, rng, banked, months, day_p),
        _topups(cfg, pop, econ, rng, banked, months, day_p),
        _fast_forwarders(cfg, pop, looks, rng, banked, months, day_p),
        _big_purchases(pop, looks, rng),
    ]
    return with_noise(cfg, TxnBatch.concat(batches), rng)


def _salaries(cfg: SynthConfig, pop: Population, econ: Economy, rng: Rng) -> TxnBatch:
    """Payroll accounts fan out on payday; the operating account funds them the day before."""
    out = []
    employee = np.flatnonzero(econ.salary_cents > 0)
    emp = pop.employer[employee]
    for payday in np.unique(econ.payday):
        for day in days_with_day_of_month(cfg.start, cfg.days, int(payday)):
            who = employee[econ.payday[emp] == payday]
            their_emp = pop.employer[who]
            n = len(who)
            t = day * DAY + 9 * HOUR + rng.integers(0, 3 * HOUR, size=n)
            cents = (econ.salary_cents[who] * rng.uniform(0.97, 1.08, size=n)).astype(np.int64)
            out.append(
                make_txns(econ.employer_payroll[their_emp], pop.primary_account(who), t, cents, CHANNEL["online"])
            )
            total = np.bincount(their_emp, weights=cents, minlength=len(econ.payday))
            funded = np.flatnonzero(total > 0)
            m = len(funded)
            t_fund = max(0, day - 1) * DAY + 15 * HOUR + rng.integers(0, 2 * HOUR, size=m)
            buffer = rng.uniform(1.0, 1.05, size=m)
            out.append(
                make_txns(
                    econ.employer_business[funded],
                    econ.employer_payroll[funded],
                    t_fund,
                    (total[funded] * buffer).astype(np.int64),
                    channels(rng, m, {"online": 0.8, "counter": 0.2}),
                )
            )
    return TxnBatch.concat(out) if out else make_txns(*(np.zeros(0),) * 4, channel=0)


def _rent(cfg: SynthConfig, pop: Population, econ: Economy, rng: Rng) -> TxnBatch:
    """Tenants pay the same landlord the same amount early each month."""
    out = []
    for dom in np.unique(econ.rent_dom):
        for day in days_with_day_of_month(cfg.start, cfg.days, int(dom)):
            sel = np.flatnonzero(econ.rent_dom == dom)
            n = len(sel)
            t = seconds_on(rng, np.full(n, day), SHOPPING_HOURS)
            out.append(
                make_txns(
                    pop.primary_account(econ.renter[sel]),
                    econ.landlord_acct[sel],
                    t,
                    econ.rent_cents[sel],
                    channels(rng, n, {"mobile": 0.8, "online": 0.2}),
                )
            )
    return TxnBatch.concat(out) if out else make_txns(*(np.zeros(0),) * 4, channel=0)


def _shopping(
    cfg: SynthConfig,
    pop: Population,
    econ: Economy,
    rng: Rng,
    banked: np.ndarray,
    spend: np.ndarray,
    months: float,
    day_p: np.ndarray,
) -> TxnBatch:
    """Payments to merchants: the biggest fan-in accounts of the world."""
    who = _per_person(rng, banked, cfg.shopping_per_person_month * months, spend)
    n = len(who)
    merchant = econ.merchant_acct[categorical(rng, econ.merchant_weight, n)]
    cents = yuan_to_cents(lognormal(rng, 80.0, 1.1, n, 1.0, 20_000.0))
    return make_txns(
        pop.any_account(rng, who),
        merchant,
        sample_seconds(rng, n, cfg.days, SHOPPING_HOURS, day_p),
        cents,
        channels(rng, n, {"mobile": 0.72, "online": 0.22, "counter": 0.06}),
    )


def _merchant_payouts(cfg: SynthConfig, econ: Economy, shopping: TxnBatch, rng: Rng) -> TxnBatch:
    """Shops pay part of each week's takings to a supplier."""
    week = shopping.t // (7 * DAY)
    n_weeks = int(cfg.days // 7) + 1
    merchant_pos = np.searchsorted(econ.merchant_acct, shopping.dst)
    key = merchant_pos * n_weeks + week
    keys, inverse = np.unique(key, return_inverse=True)
    revenue = np.bincount(inverse, weights=shopping.cents)
    m = len(keys)
    pos, wk = keys // n_weeks, keys % n_weeks
    t = (wk + 1) * 7 * DAY + 10 * HOUR + rng.integers(0, 6 * HOUR, size=m)
    supplier = econ.supplier_acct[rng.integers(0, len(econ.supplier_acct), size=m)]
    cents = (revenue * rng.uniform(0.5, 0.8, size=m)).astype(np.int64)
    keep = cents > 0
    return make_txns(
        econ.merchant_acct[pos][keep],
        supplier[keep],
        t[keep],
        cents[keep],
        channels(rng, int(keep.sum()), {"online": 0.7, "counter": 0.3}),
    )


def _bills(
    cfg: SynthConfig,
    pop: Population,
    econ: Economy,
    rng: Rng,
    banked: np.ndarray,
    months: float,
    day_p: np.ndarray,
) -> TxnBatch:
    """Power, water, gas and phone bills paid to the utilities of one's region."""
    who = _per_person(rng, banked, cfg.bills_per_person_month * months)
    n = len(who)
    region = pop.region[who].astype(np.int64)
    start, count = econ.utility_start[region], econ.utility_count[region]
    util = start + np.floor(rng.random(n) * count).astype(np.int64)
    cents = yuan_to_cents(lognormal(rng, 120.0, 0.6, n, 10.0, 3_000.0))
    return make_txns(
        pop.primary_account(who),
        util,
        sample_seconds(rng, n, cfg.days, SHOPPING_HOURS, day_p),
        cents,
        channels(rng, n, {"mobile": 0.5, "online": 0.3, "third_party": 0.2}),
    )


def _p2p(cfg: SynthConfig, pop: Population, rng: Rng, banked: np.ndarray, months: float, day_p: np.ndarray) -> TxnBatch:
    """Transfers to people one calls: family support, shared bills, gifts, red envelopes."""
    who = _per_person(rng, banked, cfg.p2p_per_person_month * months, pop.activity[banked].astype(np.float64))
    n = len(who)
    k = pop.contacts.shape[1]
    slot_p = 1.0 / np.arange(1, k + 1) ** 1.5
    to = pop.contacts[who, categorical(rng, slot_p / slot_p.sum(), n)].astype(np.int64)
    kind = rng.random(n)
    cents = yuan_to_cents(lognormal(rng, 300.0, 1.2, n, 1.0, 50_000.0))
    cents = np.where(kind < 0.35, ROUND_GIFTS[categorical(rng, ROUND_GIFT_SHARES, n)], cents)
    lucky = yuan_to_cents(LUCKY_AMOUNTS[rng.integers(0, len(LUCKY_AMOUNTS), size=n)])
    cents = np.where(kind > 0.95, lucky, cents)
    dst = pop.primary_account(to)
    keep = dst >= 0
    m = int(keep.sum())
    return make_txns(
        pop.any_account(rng, who[keep]),
        dst[keep],
        sample_seconds(rng, m, cfg.days, SHOPPING_HOURS, day_p),
        cents[keep],
        channels(rng, m, {"mobile": 0.8, "third_party": 0.15, "online": 0.05}),
    )


def _atm(
    cfg: SynthConfig,
    pop: Population,
    econ: Economy,
    reg: Registry,
    rng: Rng,
    banked: np.ndarray,
    months: float,
    day_p: np.ndarray,
) -> TxnBatch:
    """Cash withdrawals in multiples of 100 at an ATM of the card's bank."""
    who = _per_person(rng, banked, cfg.atm_per_person_month * months)
    n = len(who)
    src = pop.any_account(rng, who)
    t = sample_seconds(rng, n, cfg.days, SHOPPING_HOURS, day_p)
    phones = reg.phones()
    region = np.where(pop.roaming_at(who, t), phones.roam_region[who], pop.region[who]).astype(np.int64)
    bank = reg.accounts().bank[src].astype(np.int64)
    cents = np.round(lognormal(rng, 800.0, 0.8, n, 100.0, 20_000.0) / 100).astype(np.int64) * 10_000
    return make_txns(src, econ.atm_acct[bank, region], t, cents, CHANNEL["atm"])


def _topups(
    cfg: SynthConfig,
    pop: Population,
    econ: Economy,
    rng: Rng,
    banked: np.ndarray,
    months: float,
    day_p: np.ndarray,
) -> TxnBatch:
    """Wallet top-ups and online purchases through payment platforms (third_party)."""
    who = _per_person(rng, banked, cfg.topups_per_person_month * months)
    n = len(who)
    dst = econ.platform_acct[categorical(rng, PLATFORM_SHARES, n)]
    cents = yuan_to_cents(lognormal(rng, 200.0, 1.0, n, 1.0, 10_000.0))
    return make_txns(
        pop.any_account(rng, who),
        dst,
        sample_seconds(rng, n, cfg.days, SHOPPING_HOURS, day_p),
        cents,
        CHANNEL["third_party"],
    )


def _fast_forwarders(
    cfg: SynthConfig,
    pop: Population,
    looks: Lookalikes,
    rng: Rng,
    banked: np.ndarray,
    months: float,
    day_p: np.ndarray,
) -> TxnBatch:
    """Small traders: many customers pay in, takings go to suppliers within hours."""
    n_ff = len(looks.ff_acct)
    counts = rng.poisson(looks.ff_monthly_in * months)
    ff = np.repeat(np.arange(n_ff), counts)
    n = len(ff)
    customer = banked[rng.integers(0, len(banked), size=n)]
    t_in = sample_seconds(rng, n, cfg.days, SHOPPING_HOURS, day_p)
    cents_in = yuan_to_cents(lognormal(rng, 1_500.0, 0.9, n, 50.0, 50_000.0))
    inflow = make_txns(
        pop.any_account(rng, customer),
        looks.ff_acct[ff],
        t_in,
        cents_in,
        channels(rng, n, {"mobile": 0.7, "online": 0.2, "third_party": 0.1}),
    )
    window = t_in // looks.ff_sweep_s[ff]
    key = ff.astype(np.int64) * (cfg.end_seconds + 1) + window
    keys, inverse = np.unique(key, return_inverse=True)
    takings = np.bincount(inverse, weights=cents_in)
    owner, win = keys // (cfg.end_seconds + 1), keys % (cfg.end_seconds + 1)
    m = len(keys)
    t_out = (win + 1) * looks.ff_sweep_s[owner] + (log_uniform(rng, (10.0, 180.0), m) * MINUTE).astype(np.int64)
    supplier = looks.ff_supplier[owner, rng.integers(0, looks.ff_supplier.shape[1], size=m)]
    cents_out = humanise_cents(rng, (takings * looks.ff_pass_share[owner]).astype(np.int64), 0.3)
    outflow = make_txns(
        looks.ff_acct[owner], supplier, t_out, cents_out, channels(rng, m, {"online": 0.6, "mobile": 0.4})
    )
    return TxnBatch.concat([inflow, outflow])


def _big_purchases(pop: Population, looks: Lookalikes, rng: Rng) -> TxnBatch:
    """A car, a flat deposit, tuition: a large first payment to a new counterparty."""
    n = len(looks.bp_buyer)
    src = pop.primary_account(looks.bp_buyer)
    t_pay = looks.bp_call_s + (log_uniform(rng, (30.0, 1_200.0), n) * MINUTE).astype(np.int64)
    deposit = rng.random(n) < 0.3
    share = np.where(deposit, rng.uniform(0.2, 0.3, size=n), 1.0)
    first = np.round(looks.bp_cents * share / 10_000).astype(np.int64) * 10_000
    big = {"counter": 0.5, "online": 0.5}
    out = [
        make_txns(
            src,
            looks.bp_seller_acct,
            t_pay,
            first,
            np.where(first > 5_000_000, channels(rng, n, big), channels(rng, n, {"mobile": 0.7, "online": 0.3})),
        )
    ]
    d = np.flatnonzero(deposit)
    rest = looks.bp_cents[d] - first[d]
    t_rest = t_pay[d] + (uniform(rng, (1.0, 5.0), len(d)) * DAY).astype(np.int64)
    out.append(make_txns(src[d], looks.bp_seller_acct[d], t_rest, rest, channels(rng, len(d), big)))
    return TxnBatch.concat(out)


def small_spending(
    rng: Rng, accounts: np.ndarray, from_s: np.ndarray, to_s: np.ndarray, counts: np.ndarray, econ: Economy
) -> TxnBatch:
    """A little ordinary-looking shopping and top-ups from given accounts (camouflage)."""
    acct = np.repeat(accounts, counts)
    lo, hi = np.repeat(from_s, counts), np.repeat(to_s, counts)
    n = len(acct)
    t = lo + (rng.random(n) * np.maximum(hi - lo, 1)).astype(np.int64)
    to_shop = rng.random(n) < 0.7
    dst = np.where(
        to_shop,
        econ.merchant_acct[categorical(rng, econ.merchant_weight, n)],
        econ.platform_acct[categorical(rng, PLATFORM_SHARES, n)],
    )
    cents = yuan_to_cents(lognormal(rng, 90.0, 1.0, n, 1.0, 5_000.0))
    channel = np.where(to_shop, channels(rng, n, {"mobile": 0.8, "online": 0.2}), CHANNEL["third_party"])
    return make_txns(acct, dst, t, cents, channel)


def with_noise(cfg: SynthConfig, txns: TxnBatch, rng: Rng) -> TxnBatch:
    """Failed attempts (usually retried), double payments (some reversed), late pending ones."""
    n = len(txns)
    failed = np.flatnonzero(rng.random(n) < cfg.failed_txn_rate)
    txns.status[failed] = STATUS["failed"]
    retried = failed[rng.random(len(failed)) < 0.7]
    retry = txns.take(retried)
    retry.t = retry.t + (log_uniform(rng, (0.5, 30.0), len(retried)) * MINUTE).astype(np.int64)
    retry.status[:] = STATUS["success"]
    dup_idx = np.flatnonzero((rng.random(n) < cfg.duplicate_payment_rate) & (txns.status == STATUS["success"]))
    dup = txns.take(dup_idx)
    dup.t = dup.t + (log_uniform(rng, (0.5, 10.0), len(dup_idx)) * MINUTE).astype(np.int64)
    dup.status = np.where(rng.random(len(dup_idx)) < 0.15, STATUS["reversed"], STATUS["success"]).astype(np.int8)
    out = TxnBatch.concat([txns, retry, dup])
    late = (out.t >= cfg.end_seconds - 2 * HOUR) & (rng.random(len(out)) < 0.3) & (out.status == STATUS["success"])
    out.status[late] = STATUS["pending"]
    return out
