"""A transfer-only world in the spirit of public synthetic AML data (IBM's AMLworld, AMLSim).

Not fraudkit's telecom world: no calls, phones, channels or opening dates, one timestamp a day,
amounts in the hundreds, and laundering rings that move money over weeks through fan-in, fan-out,
cycles, scatter-gather, gather-scatter, bipartite and stacked layers and random walks, hidden in
an economy (payroll, shops, bills, rent, family remittance) that has fan-ins, fan-outs and
pass-through accounts of its own. docs/synth-transfers.md describes it.

Every draw comes from a seeded stream named after its part, so one config gives one world.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from fraudkit.progress import ProgressArg, as_reporter, stage
from fraudkit.schema import CHANNELS, TABLES, TXN_STATUSES
from fraudkit.synth.clock import DAY, day_probabilities, days_with_day_of_month
from fraudkit.synth.config import TRANSFER_TYPOLOGIES, SynthConfig
from fraudkit.synth.frames import gather, labels, money, polars_schema, regions_table, sequential_ids
from fraudkit.synth.fraud import STAGES
from fraudkit.synth.ids import account_numbers
from fraudkit.synth.money import TxnBatch, make_txns
from fraudkit.synth.rand import Rng, categorical, int_range, lognormal, scaled, stream, uniform, yuan_to_cents
from fraudkit.synth.registry import BANK_SHARES, CHANNEL
from fraudkit.synth.rings import NEVER_AFTER, NEVER_BEFORE, ROLES, Roster
from fraudkit.synth.truth import REGION_TRUTH_SCHEMA
from fraudkit.text import plural

TRANSFER_STAGE_NAMES = ("accounts", "laundering", "economy", "tables")
PLAIN_TRANSFER = CHANNEL["online"]
"""The one channel of a transfer-only world: a plain bank transfer (the data names none)."""
CURRENCY = "CNY"

KINDS = ("person", "savings", "merchant", "employer", "utility", "mule")
K = {name: i for i, name in enumerate(KINDS)}
SAVINGS_SHARE = 0.1
"""People who keep a second (savings) account of their own and sweep part of their pay into it."""
LAYERING, CASHOUT = STAGES.index("layering"), STAGES.index("cashout")
COLLECTOR, LAYER, CASHOUT_ROLE = (ROLES.index(r) for r in ("collector", "layer", "cashout"))
SPREAD_TYPOLOGIES = ("fan_in", "fan_out", "bipartite")
"""Patterns of a single hop: their transfers are spread over the ring's whole activity."""
LOOKALIKE_KINDS = ("merchant", "utility", "payroll", "landlord", "remittance")
"""Legitimate accounts of laundering's shapes, in truth/lookalikes: fan-ins, fan-outs, pass-through."""

# ordinary amounts: (median, log-sigma) in yuan
SHOPPING_AMOUNT = (90.0, 0.9)
P2P_AMOUNT = (200.0, 1.0)
BILL_AMOUNT = (120.0, 0.5)
RENT_AMOUNT = (1_500.0, 0.4)
SALARY_AMOUNT = (1_300.0, 0.5)
SUPPLIER_AMOUNT = (2_500.0, 0.8)
REMITTANCE_AMOUNT = (400.0, 0.5)


@dataclass(frozen=True)
class Accounts:
    """Every account by index: its holder, kind, and for people their savings account and contacts."""

    holder: np.ndarray
    kind: np.ndarray  # index into KINDS
    savings: np.ndarray  # the person's own savings account, or -1
    contacts: np.ndarray  # people x contacts: account indices of each person's friends and family

    def of_kind(self, name: str) -> np.ndarray:
        return np.flatnonzero(self.kind == K[name])

    @property
    def people(self) -> np.ndarray:
        return self.of_kind("person")


@dataclass(frozen=True)
class Ring:
    """One laundering ring: members (account indices) in layout order, their roles and its fee."""

    typology: int  # index into TRANSFER_TYPOLOGIES
    members: np.ndarray
    roles: np.ndarray  # index into ROLES, per member
    fee: float
    joined: np.ndarray  # seconds: when each member took its place (NEVER_BEFORE: from the ring's start)
    left: np.ndarray  # seconds: when a recruit took its place (NEVER_AFTER: kept to the end)


@dataclass(frozen=True)
class Laundering:
    """The rings and every transfer of their flows (tagged with the ring and the stage)."""

    rings: list[Ring]
    txns: TxnBatch
    holder: np.ndarray  # every account's holder, some accounts kept for laundering under one name

    def ring_ids(self, index: np.ndarray) -> pl.Series:
        """W0001... for ring indices, one width for the whole world."""
        return gather(sequential_ids("W", len(self.rings), 4), np.asarray(index, dtype=np.int64))


# ---- accounts ------------------------------------------------------------------------------------


def _communities(rng: Rng, n: int, bounds: tuple[int, int]) -> np.ndarray:
    """Community index of each of ``n`` people, in blocks of sizes drawn in ``bounds``."""
    sizes = int_range(rng, bounds, n // max(1, bounds[0]) + 1)
    ends = np.cumsum(sizes)
    return np.searchsorted(ends, np.arange(n), side="right")


def _contacts(rng: Rng, people: np.ndarray, community: np.ndarray, per_person: int) -> np.ndarray:
    """Each person's contacts: four in five from their own community, the rest anyone."""
    n = len(people)
    starts = np.searchsorted(community, community)  # people are laid out community by community
    sizes = np.bincount(community)[community]
    within = starts[:, None] + np.floor(rng.random((n, per_person)) * sizes[:, None]).astype(np.int64)
    anyone = rng.integers(0, n, size=(n, per_person))
    local = rng.random((n, per_person)) < 0.8
    pick = np.where(local, within, anyone)
    pick = np.where(pick == np.arange(n)[:, None], (pick + 1) % n, pick)
    return people[pick]


def build_accounts(cfg: SynthConfig, rng: Rng) -> Accounts:
    """People (some with a savings account), shops, employers, utilities and dedicated mule accounts
    adding up to about ``cfg.subscribers`` accounts."""
    n_total = cfg.subscribers
    per_10k = n_total / 10_000
    n_merchant = scaled(cfg.merchants_per_10k, per_10k, 3)
    n_employer = scaled(cfg.employers_per_10k, per_10k, 2)
    n_utility = scaled(cfg.utilities_per_10k, per_10k, 1)
    n_mule = round(cfg.laundering_account_share * n_total)
    n_dedicated = round(n_mule * (1.0 - cfg.mule_from_population_share))
    n_private = n_total - n_merchant - n_employer - n_utility - n_dedicated
    n_people = round(n_private / (1.0 + SAVINGS_SHARE))
    n_savings = n_private - n_people

    kind = np.concatenate(
        [
            np.full(n_people, K["person"]),
            np.full(n_savings, K["savings"]),
            np.full(n_merchant, K["merchant"]),
            np.full(n_employer, K["employer"]),
            np.full(n_utility, K["utility"]),
            np.full(n_dedicated, K["mule"]),
        ]
    ).astype(np.int8)
    savers = np.sort(rng.choice(n_people, size=n_savings, replace=False))
    savings = np.full(len(kind), -1, dtype=np.int64)
    savings[savers] = n_people + np.arange(n_savings)
    n_business_holders = len(kind) - n_people - n_savings
    holder = np.concatenate([np.arange(n_people), savers, n_people + np.arange(n_business_holders)])
    community = _communities(rng, n_people, cfg.community_size_range)
    contacts = _contacts(rng, np.arange(n_people), community, cfg.contacts_per_person)
    return Accounts(holder=holder, kind=kind, savings=savings, contacts=contacts)


# ---- laundering ---------------------------------------------------------------------------------


def _ring_sizes(rng: Rng, bounds: tuple[int, int], total: int) -> list[int]:
    """Ring sizes (more small rings than large, log-uniform) adding up to ``total`` accounts."""
    lo, hi = bounds
    sizes: list[int] = []
    left = total
    while left >= lo:
        size = int(np.floor(np.exp(rng.uniform(np.log(lo), np.log(hi + 1)))))
        size = min(max(lo, size), hi, left)
        if 0 < left - size < lo:  # too few would be left for a ring: take them, or leave the next its least
            size = left if left <= hi else left - lo
        sizes.append(size)
        left -= size
    return sizes


def _layers(typology: str, n: int, rng: Rng) -> list[np.ndarray]:
    """Member positions (0..n-1) of each layer of a layered pattern, money flowing layer to layer."""
    pos = np.arange(n)
    if typology == "fan_in":
        return [pos[:-1], pos[-1:]]
    if typology == "fan_out":
        return [pos[:1], pos[1:]]
    if typology == "scatter_gather":
        return [pos[:1], pos[1:-1], pos[-1:]]
    if typology == "gather_scatter":
        k = max(1, int(rng.integers(1, n - 1)))
        k = min(k, n - 2)
        return [pos[:k], pos[k : k + 1], pos[k + 1 :]]
    if typology == "bipartite":
        k = int(rng.integers(max(1, n // 3), n - n // 3 + 1))
        k = min(max(k, 1), n - 1)
        return [pos[:k], pos[k:]]
    if typology == "stack":
        a = max(1, n // 3)
        b = max(1, (n - a) // 2)
        return [pos[:a], pos[a : a + b], pos[a + b :]]
    raise ValueError(f"not a layered typology: {typology}")


def _dense_edges(rng: Rng, upper: np.ndarray, lower: np.ndarray) -> list[tuple[int, int]]:
    """Edges from each node of one layer to about three of the next (half of a small layer), no node
    left unlinked: dense enough to be a block, not so dense that a ring is all transfers."""
    if len(upper) == 1 or len(lower) == 1:
        return [(int(u), int(v)) for u in upper for v in lower]
    keep = rng.random((len(upper), len(lower))) < min(0.5, 3.0 / len(lower))
    keep[np.arange(len(upper)), rng.integers(0, len(lower), len(upper))] = True
    keep[rng.integers(0, len(upper), len(lower)), np.arange(len(lower))] = True
    rows, cols = np.nonzero(keep)
    return [(int(upper[r]), int(lower[c])) for r, c in zip(rows, cols, strict=True)]


def _path(typology: str, n: int, rng: Rng) -> np.ndarray:
    """Member positions a cycle or random walk visits in order (a cycle comes back to its start)."""
    if typology == "cycle":
        return np.r_[np.arange(n), 0]
    walk = list(rng.permutation(n))
    for _ in range(int(rng.poisson(n / 2))):  # extra steps revisit members, never the same twice running
        step = int(rng.integers(0, n - 1))
        walk.append(step if step < walk[-1] else step + 1)
    return np.asarray(walk)


@dataclass
class _Hops:
    """Transfers of one ring as lists, in days from the ring's start (floats until placed)."""

    src: list[int]
    dst: list[int]
    day: list[float]
    cents: list[int]

    def add(self, src: int, dst: int, day: float, cents: int) -> None:
        self.src.append(src)
        self.dst.append(dst)
        self.day.append(day)
        self.cents.append(cents)


def _placed(rng: Rng, median: float) -> int:
    """Cents of dirty money entering a ring at one account: a third of them round hundreds, as sums
    are when they are paid in (a fee per hop makes the amounts further on uneven)."""
    yuan = float(lognormal(rng, median, 0.5, 1)[0])
    if rng.random() < 1 / 3:
        yuan = max(100.0, round(yuan / 100) * 100)
    return int(yuan_to_cents(np.array([yuan]))[0])


def _delays(rng: Rng, cfg: SynthConfig, n: int, budget: float) -> np.ndarray:
    """Days each of ``n`` successive hops waits (``hop_days_range``), shortened towards the range's low
    end, never below it, when together they would take more than ``budget`` days."""
    lo, hi = cfg.hop_days_range
    delays = rng.uniform(lo, hi + 1, n)
    room, excess = budget - n * lo, float(delays.sum()) - n * lo
    if excess > 0 and delays.sum() > budget:
        delays = lo + (delays - lo) * max(0.0, room) / excess
    return delays


def _round_path(
    rng: Rng, cfg: SynthConfig, path: np.ndarray, fee: float, start: float, budget: float, hops: _Hops
) -> None:
    """One pass of money along a path within ``budget`` days: each member keeps its fee and passes
    the rest on days later."""
    cents = _placed(rng, cfg.laundering_amount_median)
    day = start + float(rng.uniform(0.0, 1.0))
    for (src, dst), delay in zip(itertools.pairwise(path), _delays(rng, cfg, len(path) - 1, budget - 1.0), strict=True):
        day += float(delay)
        hops.add(int(src), int(dst), day, cents)
        cents = round(cents * (1.0 - fee))


def _round_layers(
    rng: Rng,
    cfg: SynthConfig,
    layers: list[np.ndarray],
    edges: list[list[tuple[int, int]]],
    fee: float,
    start: float,
    budget: float,
    spread: float,
    hops: _Hops,
) -> None:
    """One pass of money down the layers within ``budget`` days: an entry member sends on a day of its
    own within ``spread`` (a lone entry member spreads its payments so); a member further down waits
    for all it is owed, keeps its fee and splits the rest days later."""
    arrived: dict[int, float] = {}
    held: dict[int, int] = {}
    for u in layers[0]:
        fan = sum(1 for a, _ in edges[0] if a == u)
        held[int(u)] = _placed(rng, cfg.laundering_amount_median * fan)
        arrived[int(u)] = start + float(rng.uniform(0.0, spread if len(layers[0]) > 1 else 0.0))
    for level, level_edges in enumerate(edges):
        by_src: dict[int, list[int]] = {}
        for u, v in level_edges:
            by_src.setdefault(u, []).append(v)
        for u, targets in by_src.items():
            shares = rng.dirichlet(np.full(len(targets), 3.0))
            passed = held.get(u, 0) * (1.0 - (fee if level > 0 else 0.0))
            wait = float(_delays(rng, cfg, 1, budget - spread - 2.0)[0]) if level > 0 else 0.0
            for v, share in zip(targets, shares, strict=True):
                day = arrived[u] + wait + float(rng.uniform(0.0, 1.0))
                if level == 0 and len(layers[0]) == 1:
                    day += float(rng.uniform(0.0, spread))
                cents = max(100, round(passed * share))
                hops.add(u, v, day, cents)
                held[v] = held.get(v, 0) + cents
                arrived[v] = max(arrived.get(v, 0.0), day)


def _roles(typology: str, n: int, layers: list[np.ndarray] | None, path: np.ndarray | None) -> np.ndarray:
    """collector where money enters the ring, cashout where it leaves, layer in between."""
    roles = np.full(n, LAYER, dtype=np.int64)
    if layers is not None:
        roles[layers[0]] = COLLECTOR
        if len(layers) > 1:
            roles[layers[-1]] = CASHOUT_ROLE
    elif path is not None:
        roles[path[0]] = COLLECTOR
        if typology == "random" and path[-1] != path[0]:
            roles[path[-1]] = CASHOUT_ROLE
    return roles


def _ring_hops(
    rng: Rng, cfg: SynthConfig, typology: str, n: int, fee: float, window: float
) -> tuple[_Hops, np.ndarray, float]:
    """A ring's transfers (member positions, days from the ring's start), its roles, and the days it
    is active: ``window``, or longer when a long cycle or walk needs a day per hop at the least.

    The pattern runs once, or again about every four weeks, each pass in its share of the window."""
    hops = _Hops([], [], [], [])
    passes = 1 + int(rng.poisson(window / 28.0))
    least = max(1.0, float(cfg.hop_days_range[0])) + 0.5  # days a hop needs, at the least
    if typology in ("cycle", "random"):
        path = _path(typology, n, rng)
        window = max(window, min(cfg.days - 1.0, (len(path) - 1) * least + 1.0))
        n_rounds = max(1, min(passes, int(window // ((len(path) - 1) * least * 2))))
        budget = window / n_rounds
        for r in range(n_rounds):
            _round_path(rng, cfg, path, fee, r * budget, budget, hops)
        roles = _roles(typology, n, None, path)
    else:
        layers = _layers(typology, n, rng)
        edges = [_dense_edges(rng, a, b) for a, b in itertools.pairwise(layers)]
        if typology in SPREAD_TYPOLOGIES:  # one hop: the payments spread over each pass
            n_rounds = passes
            spread = window / n_rounds
        else:  # two hops: a pass needs two weeks
            n_rounds = max(1, min(passes, int(window // 14)))
            spread = min(7.0, window / n_rounds / 3)
        budget = window / n_rounds
        for r in range(n_rounds):
            _round_layers(rng, cfg, layers, edges, fee, r * budget, budget, spread, hops)
        roles = _roles(typology, n, layers, None)
    return hops, roles, window


def _fit_window(days: np.ndarray, window: float) -> np.ndarray:
    """Whole days inside [0, window]: a ring that would run past its window is squeezed into it."""
    last = float(days.max()) if len(days) else 0.0
    if last > window:
        days = days * (window / last)
    return np.floor(days).astype(np.int64)


def _pick_members(cfg: SynthConfig, accts: Accounts, rng: Rng, n_mule: int) -> np.ndarray:
    """Laundering accounts in random order: people of the economy, then the dedicated mule accounts."""
    dedicated = accts.of_kind("mule")
    from_people = rng.choice(accts.people, size=max(0, n_mule - len(dedicated)), replace=False)
    return rng.permutation(np.concatenate([from_people, dedicated]))


def _typologies(rng: Rng, probabilities: np.ndarray, n_rings: int) -> np.ndarray:
    """Each ring's pattern: every pattern with a weight once (while rings last), the rest by weight,
    in random order, so a world of a few dozen rings holds them all."""
    each = rng.permutation(np.flatnonzero(probabilities > 0))[:n_rings]
    rest = categorical(rng, probabilities, n_rings - len(each))
    return rng.permutation(np.concatenate([each, rest]).astype(np.int64))


def build_laundering(cfg: SynthConfig, accts: Accounts, rng: Rng) -> Laundering:
    """Rings of 4-30 accounts, each active for weeks, moving money in hops days apart."""
    n_mule = round(cfg.laundering_account_share * cfg.subscribers)
    members = _pick_members(cfg, accts, rng, n_mule)
    # turnover from its own stream: a world without it is the world it was before turnover existed
    turnover = stream(cfg.seed, "laundering.turnover")
    free = turnover.permutation(np.setdiff1d(accts.people, members))
    used = 0
    sizes = _ring_sizes(rng, cfg.ring_size_range, len(members))
    typologies = _typologies(rng, np.asarray(cfg.transfer_typology_probabilities()), len(sizes))
    rings: list[Ring] = []
    batches: list[TxnBatch] = []
    offset = 0
    for index, (size, typology) in enumerate(zip(sizes, typologies, strict=True)):
        ring_members = members[offset : offset + size]
        offset += size
        name = TRANSFER_TYPOLOGIES[int(typology)]
        weeks = float(uniform(rng, cfg.ring_weeks_range, 1)[0])
        window = min(weeks * 7.0, cfg.days - 1.0)
        first = int(rng.integers(0, max(1, int(cfg.days - window))))
        fee = float(uniform(rng, cfg.fee_range, 1)[0])
        hops, roles, window = _ring_hops(rng, cfg, name, size, fee, window)
        first = min(first, max(0, int(cfg.days - 1 - window)))
        day = first + _fit_window(np.asarray(hops.day), window)
        dst_pos = np.asarray(hops.dst, dtype=np.int64)
        stage_of = np.where(roles[dst_pos] == CASHOUT_ROLE, CASHOUT, LAYERING)
        slot, joined = _replacements(cfg, turnover, size, first * DAY, (first + window) * DAY)
        recruits = free[used : used + len(slot)]
        slot, joined, used = slot[: len(recruits)], joined[: len(recruits)], used + len(recruits)
        roster = Roster.of(ring_members, slot, joined, recruits)
        at = day * DAY
        batches.append(
            make_txns(
                roster.at(np.asarray(hops.src, dtype=np.int64), at),
                roster.at(dst_pos, at),
                at,
                np.asarray(hops.cents, dtype=np.int64),
                PLAIN_TRANSFER,
                ring=index,
                stage=stage_of,
            )
        )
        rings.append(Ring(int(typology), roster.acct, roles[roster.slot], fee, roster.start, roster.until()))
    txns = TxnBatch.concat(batches) if batches else make_txns([], [], [], [], PLAIN_TRANSFER)
    return Laundering(rings=rings, txns=txns, holder=_shared_holders(cfg, accts, rings, rng))


def _replacements(cfg: SynthConfig, rng: Rng, size: int, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
    """Positions of a ring whose account is replaced while it is active, and when (seconds, at a
    midnight, sorted by position and time): ``mule_turnover_per_week`` per position and week."""
    span = max(end - start, 0.0)
    k = rng.poisson(cfg.mule_turnover_per_week * span / (7 * DAY), size=size)
    slot = np.repeat(np.arange(size), k)
    day = np.floor((start + rng.random(len(slot)) * span) / DAY).astype(np.int64) + 1
    order = np.lexsort((day, slot))
    return slot[order], day[order] * DAY


def _shared_holders(cfg: SynthConfig, accts: Accounts, rings: list[Ring], rng: Rng) -> np.ndarray:
    """Some accounts kept for laundering are opened by one person for the ring (``mule_shared_holder_rate``
    of them take the holder of another such account of their ring), as people hold a savings account."""
    holder = accts.holder.copy()
    for ring in rings:
        kept = ring.members[accts.kind[ring.members] == K["mule"]]
        if len(kept) < 2:
            continue
        shared = kept[1:][rng.random(len(kept) - 1) < cfg.mule_shared_holder_rate]
        holder[shared] = holder[kept[rng.integers(0, len(kept), len(shared))]]
    return holder


# ---- the economy --------------------------------------------------------------------------------


def _activity(rng: Rng, n: int) -> np.ndarray:
    """How active each person is relative to the average: a few pay a lot more often than most."""
    return lognormal(rng, 1.0, 0.6, n) / np.exp(0.18)


def _events(rng: Rng, payers: np.ndarray, per_month: float, cfg: SynthConfig, weight: np.ndarray) -> np.ndarray:
    """Each payer repeated by a Poisson count of events over the world's span."""
    counts = rng.poisson(per_month * cfg.days / 30.0 * weight)
    return np.repeat(payers, counts)


def _amounts(rng: Rng, n: int, median_sigma: tuple[float, float], lo: float = 1.0) -> np.ndarray:
    """Cents of ``n`` heavy-tailed amounts; a third of them rounded to whole tens as people pay."""
    median, sigma = median_sigma
    yuan = lognormal(rng, median, sigma, n, lo=lo, hi=median * 60)
    rounded = rng.random(n) < 1 / 3
    yuan = np.where(rounded & (yuan >= 20), np.round(yuan / 10) * 10, yuan)
    return yuan_to_cents(yuan)


def _days(rng: Rng, cfg: SynthConfig, n: int, weekend: float = 1.0) -> np.ndarray:
    return categorical(rng, day_probabilities(cfg.start, cfg.days, weekend), n)


def _monthly(cfg: SynthConfig, payer_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(payer position, day) for every month's day-of-month ``payer_day`` (1..28) inside the world."""
    rows: list[np.ndarray] = []
    days: list[np.ndarray] = []
    for dom in np.unique(payer_day):  # at most 28 days of the month
        who = np.flatnonzero(payer_day == dom)
        on = days_with_day_of_month(cfg.start, cfg.days, int(dom))
        rows.append(np.repeat(who, len(on)))
        days.append(np.tile(on, len(who)))
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(rows), np.concatenate(days)


def _batch(src: np.ndarray, dst: np.ndarray, day: np.ndarray, cents: np.ndarray) -> TxnBatch:
    return make_txns(src, dst, np.asarray(day, dtype=np.int64) * DAY, cents, PLAIN_TRANSFER)


def payroll(cfg: SynthConfig, accts: Accounts, rng: Rng) -> TxnBatch:
    """Employers paying their staff each month (a quarter every two weeks): fan-outs on a fixed day."""
    people, employers = accts.people, accts.of_kind("employer")
    staff = people[rng.random(len(people)) < cfg.employment_rate]
    size = rng.pareto(1.2, len(employers)) + 1.0
    employer = categorical(rng, size / size.sum(), len(staff))  # position among employers
    salary = _amounts(rng, len(staff), SALARY_AMOUNT, lo=300.0)
    payday = rng.integers(1, 29, len(employers))
    fortnightly = rng.random(len(employers)) < 0.25
    offset = rng.integers(0, 14, len(employers))
    monthly_staff = np.flatnonzero(~fortnightly[employer])
    who, day = _monthly(cfg, payday[employer[monthly_staff]])
    who = monthly_staff[who]
    fortnight_staff = np.flatnonzero(fortnightly[employer])
    per_staff = np.arange(cfg.days)[None, :]
    rows, cols = np.nonzero((per_staff - offset[employer[fortnight_staff]][:, None]) % 14 == 0)
    who = np.concatenate([who, fortnight_staff[rows]])
    day = np.concatenate([day, cols])
    wobble = np.exp(0.05 * rng.standard_normal(len(who)))
    return _batch(employers[employer[who]], staff[who], day, np.round(salary[who] * wobble).astype(np.int64))


def shopping(cfg: SynthConfig, accts: Accounts, rng: Rng, payers: np.ndarray, weight: np.ndarray) -> TxnBatch:
    """Purchases: many customers paying a few popular shops (the fan-in of ordinary trade)."""
    merchants = accts.of_kind("merchant")
    popularity = rng.pareto(1.0, len(merchants)) + 1.0
    src = _events(rng, payers, cfg.shopping_per_person_month, cfg, weight)
    dst = merchants[categorical(rng, popularity / popularity.sum(), len(src))]
    return _batch(src, dst, _days(rng, cfg, len(src), weekend=1.4), _amounts(rng, len(src), SHOPPING_AMOUNT))


def bills(cfg: SynthConfig, accts: Accounts, rng: Rng) -> TxnBatch:
    """Households paying their utilities, each bill on its own day every month and a similar amount
    each time (``bills_per_person_month`` bills a person on average)."""
    people, utilities = accts.people, accts.of_kind("utility")
    payers = np.repeat(people, np.minimum(rng.poisson(cfg.bills_per_person_month, len(people)), 4))
    utility = utilities[rng.integers(0, len(utilities), len(payers))]
    who, day = _monthly(cfg, rng.integers(1, 29, len(payers)))
    usual = _amounts(rng, len(payers), BILL_AMOUNT, lo=10.0)
    cents = np.round(usual[who] * np.exp(0.15 * rng.standard_normal(len(who)))).astype(np.int64)
    return _batch(payers[who], utility[who], day, cents)


def person_to_person(cfg: SynthConfig, accts: Accounts, rng: Rng, weight: np.ndarray) -> TxnBatch:
    """Friends and family paying each other; a quarter of them are paid back days later."""
    people = accts.people
    who = _events(rng, np.arange(len(people)), cfg.p2p_per_person_month, cfg, weight)
    dst = accts.contacts[who, rng.integers(0, accts.contacts.shape[1], len(who))]
    src = people[who]
    day = _days(rng, cfg, len(src))
    cents = _amounts(rng, len(src), P2P_AMOUNT)
    back = rng.random(len(src)) < 0.25
    back_day = day[back] + rng.integers(1, 15, int(back.sum()))
    back_cents = np.round(cents[back] * rng.uniform(0.5, 1.0, int(back.sum()))).astype(np.int64)
    return TxnBatch.concat([_batch(src, dst, day, cents), _batch(dst[back], src[back], back_day, back_cents)])


def rent(cfg: SynthConfig, accts: Accounts, rng: Rng) -> tuple[TxnBatch, np.ndarray]:
    """Renters paying their landlord monthly: landlords are people receiving from a few tenants."""
    people = accts.people
    renters = people[rng.random(len(people)) < cfg.renter_share]
    n_landlords = max(1, len(renters) // 3)
    landlords = rng.choice(
        np.setdiff1d(people, renters), size=min(n_landlords, len(people) - len(renters)), replace=False
    )
    if len(landlords) == 0:
        return _batch(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0)), landlords
    landlord = landlords[rng.integers(0, len(landlords), len(renters))]
    who, day = _monthly(cfg, rng.integers(1, 29, len(renters)))
    usual = _amounts(rng, len(renters), RENT_AMOUNT, lo=400.0)
    late = rng.integers(0, 3, len(who))
    return _batch(renters[who], landlord[who], day + late, usual[who]), np.unique(landlord)


def remittance(cfg: SynthConfig, accts: Accounts, rng: Rng) -> tuple[TxnBatch, np.ndarray]:
    """Legitimate pass-through: a person gathering money from family each month and forwarding it
    to relatives a few days later (a gather-scatter in the open)."""
    people = accts.people
    n = min(len(people), scaled(cfg.passthrough_per_10k, cfg.subscribers / 10_000, 1))
    hubs = rng.choice(people, size=n, replace=False)
    batches: list[TxnBatch] = []
    months = max(1, round(cfg.days / 30))
    for hub in hubs:  # a few dozen per 10,000 accounts
        senders = rng.choice(people, size=int(rng.integers(2, 7)), replace=False)
        senders = senders[senders != hub]
        kin = rng.choice(people, size=int(rng.integers(1, 3)), replace=False)
        kin = kin[kin != hub]
        if len(senders) == 0 or len(kin) == 0:
            continue
        base = int(rng.integers(0, 30))
        for month in range(months):
            send_day = base + 30 * month + rng.integers(0, 6, len(senders))
            cents = _amounts(rng, len(senders), REMITTANCE_AMOUNT, lo=50.0)
            batches.append(_batch(senders, np.full(len(senders), hub), send_day, cents))
            out_day = int(send_day.max()) + int(rng.integers(1, 6))
            share = rng.dirichlet(np.full(len(kin), 2.0))
            out = np.round(cents.sum() * rng.uniform(0.85, 1.0) * share).astype(np.int64)
            batches.append(_batch(np.full(len(kin), hub), kin, np.full(len(kin), out_day), out))
    return (TxnBatch.concat(batches) if batches else _batch(*(np.zeros(0),) * 4)), hubs


def savings_sweeps(cfg: SynthConfig, accts: Accounts, rng: Rng, pay: TxnBatch) -> TxnBatch:
    """Savers moving part of each pay into their own savings account a few days later, and now and
    then some back: money in and out again, between accounts of one holder."""
    owner = accts.savings[pay.dst]
    saved = owner >= 0
    src, dst = pay.dst[saved], owner[saved]
    day = pay.t[saved] // DAY + rng.integers(0, 4, int(saved.sum()))
    cents = np.round(pay.cents[saved] * rng.uniform(0.1, 0.4, int(saved.sum()))).astype(np.int64)
    back = rng.random(len(src)) < 0.2
    back_day = day[back] + rng.integers(3, 25, int(back.sum()))
    sweeps = _batch(src, dst, day, cents)
    return TxnBatch.concat([sweeps, _batch(dst[back], src[back], back_day, cents[back] // 2)])


def business(cfg: SynthConfig, accts: Accounts, rng: Rng) -> TxnBatch:
    """Shops paying suppliers (employers) weekly and their owners monthly, utilities their contractor."""
    merchants, employers, people = accts.of_kind("merchant"), accts.of_kind("employer"), accts.people
    supplier = employers[rng.integers(0, len(employers), len(merchants))]
    weekday = rng.integers(0, 7, len(merchants))
    weeks = np.arange(0, cfg.days, 7)
    rows = np.repeat(np.arange(len(merchants)), len(weeks))
    day = np.tile(weeks, len(merchants)) + weekday[rows]  # past the last day: dropped with the rest
    weekly = _batch(merchants[rows], supplier[rows], day, _amounts(rng, len(rows), SUPPLIER_AMOUNT, lo=200.0))
    owner = people[rng.integers(0, len(people), len(merchants))]
    who, mday = _monthly(cfg, rng.integers(1, 29, len(merchants)))
    draws = _batch(merchants[who], owner[who], mday, _amounts(rng, len(who), SALARY_AMOUNT, lo=300.0))
    utilities = accts.of_kind("utility")
    contractor = employers[rng.integers(0, len(employers), len(utilities))]
    uwho, uday = _monthly(cfg, rng.integers(1, 29, len(utilities)))
    upkeep = _batch(utilities[uwho], contractor[uwho], uday, _amounts(rng, len(uwho), (20_000.0, 0.4)))
    return TxnBatch.concat([weekly, draws, upkeep])


def camouflage(cfg: SynthConfig, accts: Accounts, rng: Rng) -> TxnBatch:
    """Dedicated mule accounts that also shop, pay people and receive from them now and then."""
    mules = accts.of_kind("mule")
    active = mules[rng.random(len(mules)) < cfg.mule_camouflage_rate]
    weight = _activity(rng, len(active)) * 0.7
    shop = shopping(cfg, accts, rng, active, weight)
    who = _events(rng, np.arange(len(active)), cfg.p2p_per_person_month, cfg, weight)
    other = accts.people[rng.integers(0, len(accts.people), len(who))]
    out = rng.random(len(who)) < 0.5
    src = np.where(out, active[who], other)
    dst = np.where(out, other, active[who])
    p2p = _batch(src, dst, _days(rng, cfg, len(who)), _amounts(rng, len(who), P2P_AMOUNT))
    return TxnBatch.concat([shop, p2p])


def build_economy(cfg: SynthConfig, accts: Accounts, seed: int) -> tuple[TxnBatch, dict[str, np.ndarray]]:
    """Every ordinary transfer of the world, and the legitimate accounts that look like laundering."""
    people = accts.people
    weight = _activity(stream(seed, "transfers.activity"), len(people))
    pay = payroll(cfg, accts, stream(seed, "transfers.payroll"))
    rents, landlords = rent(cfg, accts, stream(seed, "transfers.rent"))
    sends, hubs = remittance(cfg, accts, stream(seed, "transfers.remittance"))
    parts = [
        pay,
        shopping(cfg, accts, stream(seed, "transfers.shopping"), people, weight),
        bills(cfg, accts, stream(seed, "transfers.bills")),
        person_to_person(cfg, accts, stream(seed, "transfers.p2p"), weight),
        rents,
        sends,
        savings_sweeps(cfg, accts, stream(seed, "transfers.savings"), pay),
        business(cfg, accts, stream(seed, "transfers.business")),
        camouflage(cfg, accts, stream(seed, "transfers.camouflage")),
    ]
    looks = {
        "merchant": accts.of_kind("merchant"),
        "utility": accts.of_kind("utility"),
        "payroll": accts.of_kind("employer"),
        "landlord": landlords,
        "remittance": np.asarray(hubs, dtype=np.int64),
    }
    return TxnBatch.concat(parts), {kind: looks[kind] for kind in LOOKALIKE_KINDS}


# ---- tables and truth ---------------------------------------------------------------------------


def _finish(cfg: SynthConfig, batches: list[TxnBatch]) -> TxnBatch:
    """Transfers inside the world's days, never to oneself, sorted by day (ids follow that order)."""
    txns = TxnBatch.concat(batches)
    keep = (txns.t >= 0) & (txns.t < cfg.end_seconds) & (txns.src != txns.dst) & (txns.cents > 0)
    txns = txns.take(np.flatnonzero(keep))
    n = int(max(txns.src.max(initial=0), txns.dst.max(initial=0))) + 1
    key = (txns.t // DAY * n + txns.src) * n + txns.dst  # < 2**63 for 366 days of 50 million accounts
    return txns.take(np.argsort(key, kind="stable"))  # ties keep the fixed order the parts came in


def _midnights(cfg: SynthConfig, seconds: np.ndarray) -> pl.Series:
    """Timestamps at midnight of each day (the world's start day at 00:00 plus whole days)."""
    first = datetime(cfg.start.year, cfg.start.month, cfg.start.day)
    base = (first - datetime(1970, 1, 1)) // timedelta(microseconds=1)
    return pl.Series(base + np.asarray(seconds, dtype=np.int64) * 1_000_000).cast(pl.Datetime("us"))


def _frame(name: str, columns: dict[str, pl.Series], n: int) -> pl.DataFrame:
    """A canonical table: the columns given, every other column of the schema null."""
    schema = polars_schema(TABLES[name])
    return pl.DataFrame(
        [(columns[c] if c in columns else pl.Series(c, [None] * n)).alias(c).cast(dtype) for c, dtype in schema.items()]
    )


def _ids(accts: Accounts, rng: Rng) -> tuple[pl.Series, pl.Series]:
    """Account numbers (19-digit, like cards) and holder ids, unrelated to the accounts' order."""
    bank = categorical(rng, BANK_SHARES, len(accts.kind))
    account = pl.Series(account_numbers(rng, bank)).cast(pl.String)
    n_holders = int(accts.holder.max()) + 1
    width = max(7, len(str(n_holders)))
    holder = "H" + pl.Series(rng.permutation(n_holders)).cast(pl.String).str.zfill(width)
    return account, holder


def _tables(cfg: SynthConfig, txns: TxnBatch, account: pl.Series, holder_of: pl.Series) -> dict[str, pl.DataFrame]:
    n = len(txns)
    transactions = _frame(
        "transactions",
        {
            "txn_id": sequential_ids("T", n, 9),
            "ts": _midnights(cfg, txns.t),
            "src_account": gather(account, txns.src),
            "dst_account": gather(account, txns.dst),
            "amount": money(txns.cents),
            "currency": labels((CURRENCY,), np.zeros(n, dtype=np.int64)),
            "channel": labels(CHANNELS, txns.channel.astype(np.int64)),
            "status": labels(TXN_STATUSES, txns.status.astype(np.int64)),
        },
        n,
    )
    accounts = _frame("accounts", {"account_id": account, "holder_id": holder_of}, len(account)).sort("account_id")
    empty = {name: _frame(name, {}, 0) for name in ("calls", "subscribers", "reports")}
    return {
        "calls": empty["calls"],
        "transactions": transactions,
        "accounts": accounts,
        "subscribers": empty["subscribers"],
        "reports": empty["reports"],
        "regions": regions_table(),  # reference data, the same in every world (no account here carries a region)
    }


EMPTY_TRUTH: dict[str, dict[str, pl.DataType]] = {
    "victims": {
        "phone": pl.String(),
        "holder_id": pl.String(),
        "account_id": pl.String(),
        "fraud_phone": pl.String(),
        "first_contact_at": pl.Datetime("us"),
        "first_loss_at": pl.Datetime("us"),
        "total_loss": pl.Float64(),
        "ring_id": pl.String(),
        "reported": pl.Boolean(),
        "operation_id": pl.String(),
        "n_payments": pl.Int32(),
        "reported_at": pl.Datetime("us"),
    },
    "fraud_numbers": {
        "phone": pl.String(),
        "operation_id": pl.String(),
        "imei": pl.String(),
        "activated_at": pl.Datetime("us"),
    },
    "regions": REGION_TRUTH_SCHEMA,
}
"""Truth tables of the telecom world with no counterpart here, kept with their columns and no rows."""


def _truth(
    cfg: SynthConfig,
    laundering: Laundering,
    looks: dict[str, np.ndarray],
    txns: TxnBatch,
    txn_ids: pl.Series,
    account: pl.Series,
    holder_of: pl.Series,
) -> dict[str, pl.DataFrame]:
    rings = laundering.rings
    none = np.zeros(0, dtype=np.int64)
    member = np.concatenate([r.members for r in rings]) if rings else none
    ring_of = np.repeat(np.arange(len(rings)), [len(r.members) for r in rings])
    role = np.concatenate([r.roles for r in rings]) if rings else none
    joined = np.concatenate([r.joined for r in rings]) if rings else none
    left = np.concatenate([r.left for r in rings]) if rings else none
    tagged = np.flatnonzero(txns.ring >= 0)
    active = np.isin(np.arange(len(rings)), txns.ring[tagged])
    in_ring = np.isin(member, np.concatenate([txns.src[tagged], txns.dst[tagged]]))
    member, ring_of, role = member[in_ring], ring_of[in_ring], role[in_ring]
    joined, left = joined[in_ring], left[in_ring]
    mules = pl.DataFrame(
        {
            "account_id": gather(account, member),
            "holder_id": gather(holder_of, member),
            "ring_id": laundering.ring_ids(ring_of),
            "role": labels(ROLES, role),
            # null: a member from the ring's start, or kept to its end; otherwise a recruit or a dropped one
            "joined_at": _midnights(cfg, np.where(joined == NEVER_BEFORE, 0, joined)).set(
                pl.Series(joined == NEVER_BEFORE), None
            ),
            "left_at": _midnights(cfg, np.where(left == NEVER_AFTER, 0, left)).set(
                pl.Series(left == NEVER_AFTER), None
            ),
        }
    ).sort("ring_id", "account_id")
    span = (
        pl.DataFrame({"ring": txns.ring[tagged].astype(np.int64), "t": txns.t[tagged]})
        .group_by("ring")
        .agg(pl.col("t").min().alias("first"), pl.col("t").max().alias("last"), pl.len().alias("n_transfers"))
        .sort("ring")
    )
    kept = np.flatnonzero(active)
    rings_frame = pl.DataFrame(
        {
            "ring_id": laundering.ring_ids(kept),
            "typology": labels(TRANSFER_TYPOLOGIES, np.array([rings[i].typology for i in kept], dtype=np.int64)),
            "n_members": pl.Series(np.bincount(ring_of, minlength=len(rings))[kept].astype(np.int32)),
            "fee": pl.Series(np.round([rings[i].fee for i in kept], 4), dtype=pl.Float64),
            "started_at": _midnights(cfg, span["first"].to_numpy()),
            "ended_at": _midnights(cfg, span["last"].to_numpy()),
            "n_transfers": pl.Series(span["n_transfers"].to_numpy().astype(np.int32)),
        }
    )
    fraud_transactions = pl.DataFrame(
        {
            "txn_id": txn_ids.gather(tagged),
            "ring_id": laundering.ring_ids(txns.ring[tagged].astype(np.int64)),
            "stage": labels(STAGES, txns.stage[tagged].astype(np.int64)),
        }
    )
    mule_set = np.unique(member)
    look_frames = [
        pl.DataFrame(
            {
                "entity_id": gather(account, np.setdiff1d(index, mule_set)),
                "entity_type": pl.Series(["account"] * len(np.setdiff1d(index, mule_set)), dtype=pl.String),
                "lookalike": pl.Series([kind] * len(np.setdiff1d(index, mule_set)), dtype=pl.String),
            }
        )
        for kind, index in looks.items()
    ]
    truth = {name: pl.DataFrame(schema=schema) for name, schema in EMPTY_TRUTH.items()}
    truth |= {
        "mules": mules,
        "rings": rings_frame,
        "fraud_transactions": fraud_transactions,
        "lookalikes": pl.concat(look_frames).unique(maintain_order=True).sort("lookalike", "entity_id"),
    }
    names = ("victims", "fraud_numbers", "mules", "rings", "fraud_transactions", "lookalikes", "regions")
    return {name: truth[name] for name in names}


def transfer_world(
    cfg: SynthConfig, progress: ProgressArg = None
) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]]:
    """The tables and the ground truth of a transfers world (``generate_world`` wraps them)."""
    reporter = as_reporter(progress)
    seed = cfg.seed
    with stage(reporter, "world", total=len(TRANSFER_STAGE_NAMES), unit="stages") as world:
        with stage(reporter, "accounts") as step:
            accts = build_accounts(cfg, stream(seed, "transfers.accounts"))
            step.note = plural(len(accts.kind), "account")
        world.advance()
        with stage(reporter, "laundering") as step:
            laundering = build_laundering(cfg, accts, stream(seed, "transfers.laundering"))
            step.note = plural(len(laundering.rings), "ring")
        world.advance()
        with stage(reporter, "economy") as step:
            ordinary, looks = build_economy(cfg, accts, seed)
            txns = _finish(cfg, [ordinary, laundering.txns])
            step.note = plural(len(txns), "transfer")
        world.advance()
        with stage(reporter, "tables") as step:
            account, holder = _ids(accts, stream(seed, "transfers.ids"))
            holder_of = gather(holder, laundering.holder)
            tables = _tables(cfg, txns, account, holder_of)
            truth = _truth(cfg, laundering, looks, txns, tables["transactions"]["txn_id"], account, holder_of)
            step.note = plural(tables["transactions"].height, "row")
        world.advance()
    return tables, truth
