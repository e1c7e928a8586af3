"""Legitimate look-alikes of fraud: the hard negatives.

Couriers and call centres mass-call strangers with short calls; phone changers start
a new SIM mid-stream; fast forwarders (small traders) pass money on within hours; big
purchasers take a long call from a number they never saw and then pay a large sum to
a new counterparty, just as a victim would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fraudkit.synth.clock import DAY, OFFICE_HOURS, seconds_on
from fraudkit.synth.config import SynthConfig
from fraudkit.synth.economy import Economy
from fraudkit.synth.population import Population
from fraudkit.synth.rand import Rng, categorical, int_range, log_uniform, pick_in, scaled, uniform
from fraudkit.synth.registry import ACCOUNT_KIND, BANK_SHARES, PLANS, REGIONS, Registry, cell_blocks

GATEWAY_SHARE = 0.3  # call centres running their lines through SIM gateways (shared IMEI)


@dataclass
class Lookalikes:
    """Who plays each legitimate look-alike role, and their parameters."""

    couriers: np.ndarray  # persons
    cc_lines: np.ndarray  # phone indices of call-centre lines
    changers: np.ndarray  # persons who switch SIM
    ff_acct: np.ndarray  # fast-forwarder accounts
    ff_supplier: np.ndarray  # (n_ff, 3) supplier accounts they pay
    ff_monthly_in: np.ndarray  # customer payments per month
    ff_sweep_s: np.ndarray  # how long they hold money before paying suppliers
    ff_pass_share: np.ndarray  # share of takings passed on
    bp_buyer: np.ndarray  # big purchasers (persons)
    bp_seller_phone: np.ndarray
    bp_seller_acct: np.ndarray
    bp_call_s: np.ndarray
    bp_cents: np.ndarray
    people: np.ndarray  # everyone above who is a person (kept out of the victims' truth)


def build_lookalikes(cfg: SynthConfig, pop: Population, econ: Economy, reg: Registry, rng: Rng) -> Lookalikes:
    """Choose and register the look-alike people, lines and accounts."""
    units = pop.n / 10_000
    onnet = np.flatnonzero(pop.onnet)
    banked_onnet = np.flatnonzero(pop.onnet & pop.banked)

    couriers = np.sort(rng.choice(onnet, size=min(len(onnet), scaled(cfg.couriers_per_10k, units)), replace=False))
    cc_lines = _call_centre_lines(cfg, reg, rng, scaled(cfg.call_centres_per_10k, units, minimum=1))
    changers = _phone_changers(cfg, pop, reg, rng, onnet, scaled(cfg.phone_changers_per_10k, units))

    n_ff = min(len(banked_onnet) // 2, scaled(cfg.fast_forwarders_per_10k, units, minimum=1))
    owner = rng.choice(banked_onnet, size=n_ff, replace=False)
    sole_trader = rng.random(n_ff) < 0.6  # trades through the owner's personal account
    shop = reg.add_accounts(
        holder=reg.new_holders(n_ff),
        phone=owner,
        bank=categorical(rng, BANK_SHARES, n_ff).astype(np.int8),
        opened_s=-(log_uniform(rng, (90.0, 3650.0), n_ff) * DAY).astype(np.int64),
        kind=np.full(n_ff, ACCOUNT_KIND["business"], dtype=np.int8),
        region=pop.region[owner],
    )
    ff_acct = np.where(sole_trader, pop.primary_account(owner), shop)
    ff_supplier = econ.supplier_acct[rng.integers(0, len(econ.supplier_acct), size=(n_ff, 3))]

    n_bp = min(len(banked_onnet) // 2, scaled(cfg.big_purchases_per_10k, units))
    buyer = rng.choice(banked_onnet, size=n_bp, replace=False)
    m = rng.integers(0, len(econ.merchant_acct), size=n_bp)
    from_line = rng.random(n_bp) < 0.5
    seller_phone = np.where(from_line, cc_lines[rng.integers(0, len(cc_lines), size=n_bp)], econ.merchant_owner[m])
    day = rng.integers(0, cfg.days, size=n_bp)
    amount = np.round(log_uniform(rng, (5_000.0, 200_000.0), n_bp) / 100) * 100

    return Lookalikes(
        couriers=couriers,
        cc_lines=cc_lines,
        changers=changers,
        ff_acct=ff_acct,
        ff_supplier=ff_supplier,
        ff_monthly_in=uniform(rng, (30.0, 150.0), n_ff),
        ff_sweep_s=(log_uniform(rng, (1.0, 8.0), n_ff) * 3600).astype(np.int64),
        ff_pass_share=uniform(rng, (0.8, 0.97), n_ff),
        bp_buyer=buyer,
        bp_seller_phone=seller_phone,
        bp_seller_acct=econ.merchant_acct[m],
        bp_call_s=seconds_on(rng, day, OFFICE_HOURS),
        bp_cents=(amount * 100).astype(np.int64),
        people=np.unique(np.concatenate([couriers, changers, owner, buyer])),
    )


def _call_centre_lines(cfg: SynthConfig, reg: Registry, rng: Rng, n_centres: int) -> np.ndarray:
    """Lines of customer-service / telemarketing centres: old SIMs of one company each."""
    lines = int_range(rng, (3, 12), n_centres)
    centre = np.repeat(np.arange(n_centres), lines)
    n = len(centre)
    holder = reg.new_holders(n_centres)[centre]
    own_device = reg.new_devices(n)
    gateway = np.zeros(n_centres, dtype=bool)  # some centres, at least one, use SIM gateways
    gateway[rng.permutation(n_centres)[: max(1, round(GATEWAY_SHARE * n_centres))]] = True
    # a gateway hosts up to 8 lines on one IMEI
    position = np.arange(n) - np.repeat(np.cumsum(lines) - lines, lines)
    gateway_device = reg.new_devices(int(np.ceil(lines / 8).sum()))
    gateway_base = np.repeat(np.cumsum(np.ceil(lines / 8)) - np.ceil(lines / 8), lines).astype(np.int64)
    device = np.where(gateway[centre], gateway_device[gateway_base + position // 8], own_device)
    region = rng.integers(0, 8, size=n_centres)[centre].astype(np.int16)
    cell_start, cell_count = cell_blocks(reg.cell_region, len(REGIONS))
    return reg.add_phones(
        holder=holder,
        onnet=np.ones(n, dtype=bool),
        device=device,
        region=region,
        roam_region=region,
        activated_s=-(log_uniform(rng, (120.0, 3000.0), n) * DAY).astype(np.int64),
        plan=np.full(n, PLANS.index("enterprise"), dtype=np.int8),
        home_cell=pick_in(rng, cell_start[region], cell_count[region]),
    )


def _phone_changers(
    cfg: SynthConfig, pop: Population, reg: Registry, rng: Rng, onnet: np.ndarray, n: int
) -> np.ndarray:
    """People who take a new SIM mid-window (same holder; half keep their handset)."""
    n = min(n, len(onnet))
    people = np.sort(rng.choice(onnet, size=n, replace=False))
    if n == 0:
        return people
    phones = reg.phones()
    switch = rng.integers(DAY, max(DAY + 1, cfg.end_seconds - DAY), size=n)
    keep_handset = rng.random(n) < 0.5
    device = np.where(keep_handset, phones.device[people], reg.new_devices(n))
    new = reg.add_phones(
        holder=phones.holder[people],
        onnet=np.ones(n, dtype=bool),
        device=device,
        region=phones.region[people],
        roam_region=phones.roam_region[people],
        activated_s=switch - rng.integers(0, DAY, size=n),
        plan=categorical(rng, np.array([0.2, 0.4, 0.15, 0.15, 0.1, 0.0]), n).astype(np.int8),
        home_cell=phones.home_cell[people],
    )
    pop.new_phone[people] = new
    pop.switch_s[people] = switch
    return people
