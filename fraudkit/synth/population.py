"""People: communities, households, workplaces, contacts, their SIMs and bank accounts.

Person ``p`` holds SIM ``p`` (its phone index); people are laid out community by
community so a community is a contiguous block, which makes "a random member of my
community" one vectorised draw. Identifiers are random, so the layout never shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fraudkit.synth.clock import DAY
from fraudkit.synth.config import SynthConfig
from fraudkit.synth.rand import Rng, categorical, log_uniform, pick_in, scaled
from fraudkit.synth.registry import (
    ACCOUNT_KIND,
    AWAY_REGIONS,
    BANK_SHARES,
    CELLS_PER_PERSON,
    HOME_REGION_SHARES,
    N_HOME,
    PERSON_PLAN_SHARES,
    REGIONS,
    Registry,
    cell_blocks,
)

HOUSEHOLD_SIZES = np.array([1, 2, 3, 4, 5])
HOUSEHOLD_SHARES = np.array([0.25, 0.3, 0.25, 0.15, 0.05])
ACCOUNTS_PER_BANKED = np.array([1, 2, 3])
ACCOUNTS_PER_BANKED_SHARES = np.array([0.7, 0.22, 0.08])
STALE_PHONE_SHARE = 0.08
MISSING_PHONE_SHARE = 0.02
# where a contact slot points: own community, workplace, own region, anywhere
CONTACT_KIND_SHARES = np.array([0.62, 0.13, 0.17, 0.08])


@dataclass
class Population:
    """Column arrays over people (index = person = their first SIM)."""

    n: int
    region: np.ndarray
    comm_start: np.ndarray
    comm_size: np.ndarray
    hh_start: np.ndarray
    hh_size: np.ndarray
    employer: np.ndarray  # -1 when not employed
    n_employers: int
    contacts: np.ndarray  # (n, contacts_per_person) person indices, most called first
    activity: np.ndarray  # relative call/spending activity, mean 1
    onnet: np.ndarray
    acct_start: np.ndarray  # first account of the person, -1 when unbanked
    acct_count: np.ndarray
    region_order: np.ndarray  # people sorted by region
    region_start: np.ndarray
    region_count: np.ndarray
    travel_from_s: np.ndarray  # travel window (roaming), empty when from == to
    travel_to_s: np.ndarray
    # phone changers: a new SIM from a switch time on (-1 for everyone else)
    new_phone: np.ndarray
    switch_s: np.ndarray

    @property
    def banked(self) -> np.ndarray:
        return self.acct_start >= 0

    def primary_account(self, persons: np.ndarray) -> np.ndarray:
        """Main account of each person (-1 when unbanked)."""
        return self.acct_start[persons]

    def any_account(self, rng: Rng, persons: np.ndarray, main_share: float = 0.75) -> np.ndarray:
        """An account of each (banked) person, usually the main one."""
        start = self.acct_start[persons]
        other = pick_in(rng, start, self.acct_count[persons].astype(np.int64))
        return np.where(rng.random(len(persons)) < main_share, start, other)

    def same_region(self, rng: Rng, regions: np.ndarray) -> np.ndarray:
        """A random person living in each given region."""
        return self.region_order[pick_in(rng, self.region_start[regions], self.region_count[regions])]

    def phone_at(self, persons: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The SIM a person uses at time t: the new one once a phone changer has switched."""
        new = self.new_phone[persons]
        switched = (new >= 0) & (t >= self.switch_s[persons])
        return np.where(switched, new, persons)

    def roaming_at(self, persons: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Whether each person is travelling (outside the home region) at time t."""
        return (t >= self.travel_from_s[persons]) & (t < self.travel_to_s[persons])


def _blocks(n: int, draw_sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut 0..n-1 into consecutive blocks of the drawn sizes: per-item start, size, block."""
    cum = np.cumsum(draw_sizes)
    k = int(np.searchsorted(cum, n)) + 1
    sizes = draw_sizes[:k].astype(np.int64)
    sizes[-1] = n - (cum[k - 2] if k >= 2 else 0)
    starts = np.cumsum(sizes) - sizes
    block = np.repeat(np.arange(k), sizes)
    return starts[block], sizes[block], block


def build_population(cfg: SynthConfig, reg: Registry, rng: Rng) -> Population:
    """Draw the people of the world and register their SIMs, handsets and accounts."""
    n = cfg.subscribers
    lo, hi = cfg.community_size_range
    comm_start, comm_size, community = _blocks(n, rng.integers(lo, hi + 1, size=n // lo + 2))
    comm_region = categorical(rng, HOME_REGION_SHARES, int(community[-1]) + 1)
    region = comm_region[community].astype(np.int16)
    hh_draw = HOUSEHOLD_SIZES[categorical(rng, HOUSEHOLD_SHARES, n // 2 + 2)]
    hh_start, hh_size, _ = _blocks(n, hh_draw)

    region_order = np.argsort(region, kind="stable").astype(np.int64)
    region_count = np.bincount(region, minlength=len(REGIONS)).astype(np.int64)
    region_start = np.cumsum(region_count) - region_count

    employer, n_employers = _employment(cfg, rng, n)
    contacts = _contacts(
        cfg,
        rng,
        n,
        comm_start,
        comm_size,
        hh_start,
        hh_size,
        employer,
        n_employers,
        region,
        region_order,
        region_start,
        region_count,
    )
    activity = rng.lognormal(0.0, 0.75, size=n)
    activity = (activity / activity.mean()).astype(np.float32)
    onnet = rng.random(n) >= cfg.offnet_share

    _register_cells(reg, region_count)
    travel_from, travel_to, roam_region = _travel(cfg, rng, n)
    holders = reg.new_holders(n)
    _register_person_phones(cfg, reg, rng, holders, onnet, region, roam_region)
    acct_start, acct_count = _register_person_accounts(cfg, reg, rng, holders, region)

    return Population(
        n=n,
        region=region,
        comm_start=comm_start.astype(np.int64),
        comm_size=comm_size.astype(np.int64),
        hh_start=hh_start.astype(np.int64),
        hh_size=hh_size.astype(np.int64),
        employer=employer,
        n_employers=n_employers,
        contacts=contacts,
        activity=activity,
        onnet=onnet,
        acct_start=acct_start,
        acct_count=acct_count,
        region_order=region_order,
        region_start=region_start,
        region_count=region_count,
        travel_from_s=travel_from,
        travel_to_s=travel_to,
        new_phone=np.full(n, -1, dtype=np.int64),
        switch_s=np.full(n, -1, dtype=np.int64),
    )


def _employment(cfg: SynthConfig, rng: Rng, n: int) -> tuple[np.ndarray, int]:
    """Employer of each person: a few big workplaces, many small ones."""
    n_employers = scaled(cfg.employers_per_10k, n / 10_000, minimum=1)
    employed = rng.random(n) < cfg.employment_rate
    size_weight = rng.pareto(1.3, size=n_employers) + 1.0
    employer = np.full(n, -1, dtype=np.int64)
    employer[employed] = categorical(rng, size_weight / size_weight.sum(), int(employed.sum()))
    return employer, n_employers


def _contacts(
    cfg: SynthConfig,
    rng: Rng,
    n: int,
    comm_start: np.ndarray,
    comm_size: np.ndarray,
    hh_start: np.ndarray,
    hh_size: np.ndarray,
    employer: np.ndarray,
    n_employers: int,
    region: np.ndarray,
    region_order: np.ndarray,
    region_start: np.ndarray,
    region_count: np.ndarray,
) -> np.ndarray:
    """Who each person calls: household first, then community, colleagues and weak ties."""
    k = cfg.contacts_per_person
    people = np.arange(n, dtype=np.int64)
    staff_order = np.argsort(employer, kind="stable")
    n_unemployed = int((employer < 0).sum())
    staff_count = np.bincount(employer[employer >= 0], minlength=n_employers).astype(np.int64)
    staff_start = n_unemployed + np.cumsum(staff_count) - staff_count
    out = np.empty((n, k), dtype=np.int32)
    for slot in range(k):
        community = pick_in(rng, comm_start, comm_size)
        if slot == 0:
            offset = rng.integers(1, np.maximum(hh_size, 2))
            family = hh_start + (people - hh_start + offset) % hh_size
            chosen = np.where(hh_size > 1, family, community)
        else:
            kind = categorical(rng, CONTACT_KIND_SHARES, n)
            chosen = community
            emp = np.maximum(employer, 0)
            at_work = np.minimum(pick_in(rng, staff_start[emp], np.maximum(staff_count[emp], 1)), n - 1)
            colleague = staff_order[at_work]
            chosen = np.where((kind == 1) & (employer >= 0), colleague, chosen)
            local = region_order[pick_in(rng, region_start[region], region_count[region])]
            chosen = np.where(kind == 2, local, chosen)
            chosen = np.where(kind == 3, rng.integers(0, n, size=n), chosen)
        self_loop = chosen == people
        chosen = np.where(self_loop, comm_start + (people - comm_start + 1) % comm_size, chosen)
        out[:, slot] = chosen
    return out


def _register_cells(reg: Registry, region_count: np.ndarray) -> None:
    """Radio cells: enough per home region for its people, a handful in away regions."""
    per_region = np.maximum(4, np.ceil(region_count * CELLS_PER_PERSON)).astype(np.int64)
    reg.cell_region = np.repeat(np.arange(len(REGIONS), dtype=np.int16), per_region)


def _travel(cfg: SynthConfig, rng: Rng, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A few people travel for some days and roam in another region meanwhile."""
    travelling = rng.random(n) < cfg.travel_rate
    start = rng.integers(-3 * DAY, cfg.end_seconds, size=n)
    length = (log_uniform(rng, (1.0, 8.0), n) * DAY).astype(np.int64)
    travel_from = np.where(travelling, start, 0).astype(np.int64)
    travel_to = np.where(travelling, start + length, 0).astype(np.int64)
    roam = rng.integers(0, len(REGIONS), size=n).astype(np.int16)
    return travel_from, travel_to, roam


def _register_person_phones(
    cfg: SynthConfig,
    reg: Registry,
    rng: Rng,
    holders: np.ndarray,
    onnet: np.ndarray,
    region: np.ndarray,
    roam_region: np.ndarray,
) -> None:
    """One SIM and one handset per person; a few SIMs are recent (new subscribers)."""
    n = len(holders)
    age_days = log_uniform(rng, (60.0, 15 * 365.0), n)
    recent = rng.random(n) < cfg.new_sim_rate
    age_days = np.where(recent, rng.uniform(0.5, 30.0, size=n), age_days)
    cell_start, cell_count = cell_blocks(reg.cell_region, len(REGIONS))
    roam = np.where(roam_region == region, (roam_region + 1) % len(REGIONS), roam_region)
    reg.add_phones(
        holder=holders,
        onnet=onnet,
        device=reg.new_devices(n),
        region=region,
        roam_region=roam.astype(np.int16),
        activated_s=-(age_days * DAY).astype(np.int64),
        plan=categorical(rng, PERSON_PLAN_SHARES, n).astype(np.int8),
        home_cell=pick_in(rng, cell_start[region], cell_count[region]),
    )


def _register_person_accounts(
    cfg: SynthConfig, reg: Registry, rng: Rng, holders: np.ndarray, region: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bank accounts of banked people, contiguous per person (the first is the main one)."""
    n = len(holders)
    banked = rng.random(n) >= cfg.unbanked_share
    count = np.where(banked, ACCOUNTS_PER_BANKED[categorical(rng, ACCOUNTS_PER_BANKED_SHARES, n)], 0)
    owner = np.repeat(np.arange(n, dtype=np.int64), count)
    m = len(owner)
    age_days = log_uniform(rng, (60.0, 15 * 365.0), m)
    recent = rng.random(m) < 0.02  # legit new accounts: account age alone is no give-away
    age_days = np.where(recent, rng.uniform(1.0, 60.0, size=m), age_days)
    # banks keep stale numbers (changed years ago) or none at all for some customers
    phone = owner.copy()
    stale = rng.random(m) < STALE_PHONE_SHARE
    phone[stale] = reg.add_offnet_numbers(holders[owner[stale]], region[owner[stale]])
    phone[rng.random(m) < MISSING_PHONE_SHARE] = -1
    first = reg.add_accounts(
        holder=holders[owner],
        phone=phone,
        bank=categorical(rng, BANK_SHARES, m).astype(np.int8),
        opened_s=-(age_days * DAY).astype(np.int64),
        kind=np.full(m, ACCOUNT_KIND["personal"], dtype=np.int8),
        region=region[owner],
    )
    offsets = np.cumsum(count) - count
    base = first[0] if m else 0
    acct_start = np.where(banked, base + offsets, -1).astype(np.int64)
    return acct_start, count.astype(np.int64)


def away_region(rng: Rng, n: int, away_share: float) -> np.ndarray:
    """Regions for things often registered far away (mule accounts, fraud SIMs)."""
    home = categorical(rng, HOME_REGION_SHARES, n)
    away = N_HOME + rng.integers(0, len(AWAY_REGIONS), size=n)
    return np.where(rng.random(n) < away_share, away, home).astype(np.int16)
