"""The legitimate economy: employers and payroll, merchants, suppliers, utilities,
payment platforms, ATMs and landlords. These are the big fan-in/fan-out hubs that a
mule detector must not mistake for water houses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fraudkit.synth.clock import DAY
from fraudkit.synth.config import SynthConfig
from fraudkit.synth.population import Population
from fraudkit.synth.rand import Rng, categorical, log_uniform, scaled, yuan_to_cents, zipf_weights
from fraudkit.synth.registry import ACCOUNT_KIND, BANK_SHARES, BANKS, N_HOME, REGIONS, Registry

N_PLATFORMS = 6
PAYDAYS = np.array([1, 5, 8, 10, 15, 20, 25, 28])
PAYDAY_SHARES = np.array([0.05, 0.15, 0.05, 0.3, 0.25, 0.05, 0.1, 0.05])


@dataclass
class Economy:
    """Accounts and parameters of the legitimate businesses (indices into the registry)."""

    employer_business: np.ndarray
    employer_payroll: np.ndarray
    payday: np.ndarray  # day of month per employer
    salary_cents: np.ndarray  # per person; 0 when not employed or unbanked
    merchant_acct: np.ndarray
    merchant_weight: np.ndarray
    merchant_owner: np.ndarray  # person owning each merchant (their phone is the shop's)
    supplier_acct: np.ndarray
    utility_acct: np.ndarray  # grouped by region
    utility_start: np.ndarray  # per region
    utility_count: np.ndarray
    platform_acct: np.ndarray
    atm_acct: np.ndarray  # (bank, region) -> cash account
    renter: np.ndarray
    landlord_acct: np.ndarray
    rent_cents: np.ndarray
    rent_dom: np.ndarray


def _company_accounts(
    reg: Registry,
    rng: Rng,
    holders: np.ndarray,
    phones: np.ndarray,
    kind: str,
    region: np.ndarray,
    min_age_days: float = 200.0,
) -> np.ndarray:
    n = len(holders)
    return reg.add_accounts(
        holder=holders,
        phone=phones,
        bank=categorical(rng, BANK_SHARES, n).astype(np.int8),
        opened_s=-(log_uniform(rng, (min_age_days, 20 * 365.0), n) * DAY).astype(np.int64),
        kind=np.full(n, ACCOUNT_KIND[kind], dtype=np.int8),
        region=np.asarray(region, dtype=np.int16),
    )


def build_economy(cfg: SynthConfig, pop: Population, reg: Registry, rng: Rng) -> Economy:
    """Register the businesses of the world and decide who pays whom regularly."""
    units = pop.n / 10_000
    banked = np.flatnonzero(pop.banked)

    # employers: an operating account and a payroll account each
    n_emp = pop.n_employers
    emp_holder = reg.new_holders(n_emp)
    emp_owner = rng.choice(pop.n, size=n_emp)
    emp_region = pop.region[emp_owner]
    business = _company_accounts(reg, rng, emp_holder, emp_owner, "business", emp_region)
    payroll = _company_accounts(reg, rng, emp_holder, np.full(n_emp, -1), "payroll", emp_region)
    payday = PAYDAYS[categorical(rng, PAYDAY_SHARES, n_emp)]
    wage_level = rng.lognormal(np.log(6_500.0), 0.35, size=n_emp)
    salary = wage_level[np.maximum(pop.employer, 0)] * rng.lognormal(0.0, 0.3, size=pop.n)
    salary_cents = np.where((pop.employer >= 0) & pop.banked, yuan_to_cents(salary), 0)

    # merchants: popularity is heavy-tailed, a few shops take most payments
    n_merch = scaled(cfg.merchants_per_10k, units, minimum=5)
    merch_owner = rng.choice(pop.n, size=n_merch)
    merchant = _company_accounts(
        reg, rng, reg.new_holders(n_merch), merch_owner, "merchant", pop.region[merch_owner], 30.0
    )
    n_sup = max(5, n_merch // 4)
    sup_owner = rng.choice(pop.n, size=n_sup)
    supplier = _company_accounts(reg, rng, reg.new_holders(n_sup), sup_owner, "business", pop.region[sup_owner])

    # utilities: at least one per home region, grouped by region
    n_util = max(N_HOME, scaled(cfg.utilities_per_10k, units))
    util_region = np.sort(np.arange(n_util) % N_HOME).astype(np.int16)
    utility = _company_accounts(reg, rng, reg.new_holders(n_util), np.full(n_util, -1), "utility", util_region)
    util_count = np.bincount(util_region, minlength=len(REGIONS)).astype(np.int64)
    util_start = utility[0] + np.cumsum(util_count) - util_count

    platform = _company_accounts(
        reg,
        rng,
        reg.new_holders(N_PLATFORMS),
        np.full(N_PLATFORMS, -1),
        "payment_platform",
        np.zeros(N_PLATFORMS, dtype=np.int16),
    )

    # ATMs: one cash account per bank and region, held by the bank
    bank_holder = reg.new_holders(len(BANKS))
    n_reg = len(REGIONS)
    atm = reg.add_accounts(
        holder=np.repeat(bank_holder, n_reg),
        phone=np.full(len(BANKS) * n_reg, -1),
        bank=np.repeat(np.arange(len(BANKS), dtype=np.int8), n_reg),
        opened_s=np.full(len(BANKS) * n_reg, -3650 * DAY, dtype=np.int64),
        kind=np.full(len(BANKS) * n_reg, ACCOUNT_KIND["business"], dtype=np.int8),
        region=np.tile(np.arange(n_reg, dtype=np.int16), len(BANKS)),
    ).reshape(len(BANKS), n_reg)

    # renters pay a landlord; some landlords let several flats (fan-in from tenants)
    renters = banked[rng.random(len(banked)) < cfg.renter_share]
    pool = rng.choice(banked, size=max(1, len(renters) // 3))
    landlord = pool[categorical(rng, zipf_weights(len(pool), 0.6, rng), len(renters))]
    keep = landlord != renters
    renters, landlord = renters[keep], landlord[keep]
    rent = np.round(rng.lognormal(np.log(2_600.0), 0.4, size=len(renters)) / 100) * 100

    return Economy(
        employer_business=business,
        employer_payroll=payroll,
        payday=payday,
        salary_cents=salary_cents.astype(np.int64),
        merchant_acct=merchant,
        merchant_weight=zipf_weights(n_merch, 1.0, rng),
        merchant_owner=merch_owner,
        supplier_acct=supplier,
        utility_acct=utility,
        utility_start=util_start,
        utility_count=util_count,
        platform_acct=platform,
        atm_acct=atm,
        renter=renters,
        landlord_acct=pop.primary_account(landlord),
        rent_cents=yuan_to_cents(np.maximum(rent, 500.0)),
        rent_dom=rng.integers(1, 6, size=len(renters)),
    )
