"""Water houses: mule rings that take victims' money and pass it on until it is cashed out.

Each ring is laid out in levels (collectors, up to five layer levels, cash-out
accounts) and moves every victim payment through them by its typology: fan-in with
periodic sweeps, fan-out, parallel chains, scatter-gather, layered splits under a
reporting threshold, and cycles back through the collector. Every hop waits a dwell
time and keeps a small fee, so money in equals cash out less the ring's fee.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from fraudkit.synth.calls import CallBatch, make_batch, talk_seconds
from fraudkit.synth.clock import DAY, MINUTE
from fraudkit.synth.config import TYPOLOGIES, SynthConfig
from fraudkit.synth.economy import Economy
from fraudkit.synth.fraud import STAGES, FraudPlan
from fraudkit.synth.money import TxnBatch, channels, make_txns, small_spending
from fraudkit.synth.population import Population, away_region
from fraudkit.synth.rand import (
    Rng,
    categorical,
    group_offsets,
    int_range,
    log_uniform,
    pick_in,
    stream,
    uniform,
)
from fraudkit.synth.registry import (
    ACCOUNT_KIND,
    BANK_SHARES,
    CHANNEL,
    PLANS,
    REGIONS,
    STATUS,
    Registry,
    cell_blocks,
)

ROLES = ("collector", "layer", "cashout")
N_LEVELS = 7
CASHOUT = N_LEVELS - 1
MAX_LOOP = 4  # longest chain/cycle of layer accounts
MULE_CHANNELS = {"mobile": 0.55, "online": 0.35, "third_party": 0.1}
CASHOUT_PLATFORM_SHARES = np.array([0.12, 0.12, 0.18, 0.18, 0.2, 0.2])
UNDER_THRESHOLD_SHARE = np.array([0.0002, 0.002, 0.01, 0.02, 0.03])  # 49,990 ... 48,500 under 50,000
VICTIM_PAYMENT, LAYERING, CASHOUT_STAGE = (STAGES.index(s) for s in STAGES)


@dataclass
class Rings:
    """Ring truth: per ring and per member account."""

    typology: np.ndarray
    op: np.ndarray
    size: np.ndarray
    n_victims: np.ndarray
    fee: np.ndarray
    member_acct: np.ndarray
    member_ring: np.ndarray
    member_role: np.ndarray  # index into ROLES
    pay_dst: np.ndarray  # collector account each victim payment went to
    member_from: np.ndarray  # seconds: when the account joined its ring (NEVER_BEFORE: from the ring's start)
    member_to: np.ndarray  # seconds: when it was dropped for a recruit (NEVER_AFTER: kept to the end)


NEVER_BEFORE = np.iinfo(np.int64).min // 4
NEVER_AFTER = np.iinfo(np.int64).max // 4


def layout(typology: str, n: int) -> tuple[np.ndarray, int, int]:
    """Members per level, fee-taking hops along every path, and chain/cycle depth."""
    counts = np.zeros(N_LEVELS, dtype=np.int64)
    depth = 0
    if typology == "fan_in":
        c, o = 1 + (n >= 8), max(1, round(n * 0.25))
        counts[0], counts[1], counts[CASHOUT] = c, n - c - o, o
        hops = 2
    elif typology == "fan_out":
        c = 1 + (n >= 10)
        counts[0], counts[CASHOUT] = c, n - c
        hops = 1
    elif typology == "chain":
        m = max(1, round(n / 4))
        while n // m > MAX_LOOP + 2:
            m += 1
        length = n // m
        depth = length - 2
        counts[0] = m
        counts[1 : 1 + depth] = m
        counts[CASHOUT] = n - m * (length - 1)
        hops = length - 1
    elif typology == "scatter_gather":
        o = 1 + (n >= 10)
        counts[0], counts[1], counts[2], counts[CASHOUT] = 1, n - 2 - o, 1, o
        hops = 3
    elif typology == "layered_split":
        c, o = 1 + (n >= 12), max(1, round(n * 0.2))
        rest = n - c - o
        a = max(1, rest // 3)
        counts[0], counts[1], counts[2], counts[CASHOUT] = c, a, rest - a, o
        hops = 3
    elif typology == "cycle":
        o = 1 + (n >= 9)
        k = n - 1 - o
        m = -(-k // MAX_LOOP)
        depth = k // m
        counts[0] = 1
        counts[1 : 1 + depth] = m
        counts[CASHOUT] = o + (k - m * depth)
        hops = depth + 2
    else:  # pragma: no cover - config validation keeps this out
        raise ValueError(typology)
    return counts, hops, depth


@dataclass
class Pieces:
    """Money sitting in mule accounts: which victim payment, ring, where, how much, since when."""

    flow: np.ndarray
    ring: np.ndarray
    acct: np.ndarray
    cents: np.ndarray
    t: np.ndarray
    slot: np.ndarray  # chain/loop followed
    origin: np.ndarray  # collector it entered by

    def take(self, index: np.ndarray) -> Pieces:
        return Pieces(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def __len__(self) -> int:
        return len(self.t)


def random_parts(rng: Rng, total: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split each total (cents) into k uneven parts, rounded to 100 yuan when large, else to
    1 yuan, the last part taking the remainder: returns (parent index, part) with exact sums."""
    parent = np.repeat(np.arange(len(total)), k)
    w = rng.uniform(0.5, 1.5, size=len(parent))
    share = w / np.bincount(parent, weights=w, minlength=len(total))[parent]
    unit = np.where(total[parent] >= 1_000_000, 10_000, 100)
    parts = (np.floor(total[parent] * share / unit) * unit).astype(np.int64)
    last = np.r_[parent[1:] != parent[:-1], True] if len(parent) else np.zeros(0, dtype=bool)
    others = np.bincount(parent[~last], weights=parts[~last], minlength=len(total)).astype(np.int64)
    parts[last] = total[parent[last]] - others[parent[last]]
    return parent, parts


def threshold_parts(rng: Rng, total: np.ndarray, threshold: int) -> tuple[np.ndarray, np.ndarray]:
    """Split totals (cents) into equal parts just under ``threshold`` (e.g. 49,500 under 50,000)
    plus a remainder; totals below one part are split into 2-3 smaller uneven parts."""
    share = UNDER_THRESHOLD_SHARE[rng.integers(0, len(UNDER_THRESHOLD_SHARE), size=len(total))]
    under = np.maximum(100, np.round(threshold * share / 100) * 100).astype(np.int64)  # whole yuan
    size = np.maximum(threshold - under, threshold // 2).astype(np.int64)
    small = total < size
    n_full = np.where(small, 0, total // size)
    rem = total - n_full * size
    k = n_full + (rem > 0)
    parent = np.repeat(np.arange(len(total)), np.where(small, 0, k))
    j = group_offsets(parent)
    parts = np.where(j < n_full[parent], size[parent], rem[parent])
    sm = np.flatnonzero(small)
    sp, sparts = random_parts(rng, total[sm], rng.integers(2, 4, size=len(sm)))
    parent_all = np.concatenate([parent, sm[sp]])
    parts_all = np.concatenate([parts, sparts])
    order = np.argsort(parent_all, kind="stable")
    return parent_all[order], parts_all[order]


@dataclass
class Roster:
    """Which account fills each member slot of the rings at a time: the slot's first account from the
    ring's start, each recruit from the moment it replaced the one before (the burned one dropped)."""

    slot: np.ndarray  # per account, sorted by slot and then by start
    start: np.ndarray  # seconds from which the account fills its slot
    acct: np.ndarray

    @classmethod
    def of(
        cls, members: np.ndarray, recruit_slot: np.ndarray, recruit_from: np.ndarray, recruits: np.ndarray
    ) -> Roster:
        slot = np.concatenate([np.arange(len(members)), recruit_slot])
        start = np.concatenate([np.full(len(members), NEVER_BEFORE), recruit_from])
        order = np.lexsort((start, slot))
        return cls(slot[order], start[order], np.concatenate([members, recruits])[order])

    def at(self, slot: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The account filling each ``slot`` at time ``t``."""
        # per slot, accounts are in order of start: the last one started by t (the first starts before all)
        first = np.searchsorted(self.slot, slot, side="left")
        last = np.searchsorted(self.slot, slot, side="right") - 1
        pos = first.copy()
        for _ in range(int((last - first).max(initial=0))):  # a few recruits per slot at most
            pos = np.where((pos < last) & (self.start[np.minimum(pos + 1, len(self.start) - 1)] <= t), pos + 1, pos)
        return self.acct[pos]

    def until(self) -> np.ndarray:
        """Per account (in roster order): when the next recruit took its slot (NEVER_AFTER: kept)."""
        same = np.r_[self.slot[1:] == self.slot[:-1], False]
        return np.where(same, np.r_[self.start[1:], NEVER_AFTER], NEVER_AFTER)


class Engine:
    """Moves pieces through ring levels and books every transfer in a ledger."""

    def __init__(
        self,
        cfg: SynthConfig,
        rng: Rng,
        econ: Economy,
        acct_bank: np.ndarray,
        acct_region: np.ndarray,
        start: np.ndarray,
        count: np.ndarray,
        roster: Roster,
        keep: np.ndarray,
        dwell_median: np.ndarray,
        depth: np.ndarray,
    ) -> None:
        self.cfg, self.rng, self.econ = cfg, rng, econ
        self.acct_bank, self.acct_region = acct_bank, acct_region
        self.start, self.count, self.roster = start, count, roster
        self.keep, self.dwell_median, self.depth = keep, dwell_median, depth
        self.ledger: list[TxnBatch] = []

    # --- where money goes ---------------------------------------------------------------
    def member(self, ring: np.ndarray, level: int, k: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The account in the k-th slot (modulo the level's size) of a level of each ring at time ``t``."""
        cnt = np.maximum(self.count[ring, level], 1)
        return self.roster.at(self.start[ring, level] + k % cnt, t)

    def any_member(self, ring: np.ndarray, level: int, t: np.ndarray) -> np.ndarray:
        return self.member(ring, level, self.rng.integers(0, 1 << 30, size=len(ring)), t)

    def dwell(self, ring: np.ndarray) -> np.ndarray:
        """Seconds a piece rests in an account before it moves on."""
        lo, hi = self.cfg.dwell_minutes_range
        minutes = self.dwell_median[ring] * np.exp(0.5 * self.rng.standard_normal(len(ring)))
        return (np.clip(minutes, lo, hi) * MINUTE).astype(np.int64)

    # --- how it moves -------------------------------------------------------------------
    def _book(
        self,
        src: np.ndarray,
        dst: np.ndarray,
        t: np.ndarray,
        cents: np.ndarray,
        ring: np.ndarray,
        stage: int,
        channel: np.ndarray | None = None,
    ) -> None:
        if channel is None:
            channel = channels(self.rng, len(t), MULE_CHANNELS)
        self.ledger.append(make_txns(src, dst, t, cents, channel, STATUS["success"], ring, stage))

    def hop(self, p: Pieces, dst: np.ndarray) -> Pieces:
        """Forward each piece whole (less the hop fee) to ``dst``."""
        t = p.t + self.dwell(p.ring)
        cents = np.floor(p.cents * self.keep[p.ring]).astype(np.int64)
        self._book(p.acct, dst, t, cents, p.ring, LAYERING)
        return Pieces(p.flow, p.ring, dst, cents, t, p.slot, p.origin)

    def split(self, p: Pieces, parent: np.ndarray, part_cents: np.ndarray, level: int) -> Pieces:
        """Send parts of pieces to distinct members of a level, each after its own dwell."""
        offset = self.rng.integers(0, 1 << 30, size=len(p))
        j = group_offsets(parent)
        ring = p.ring[parent]
        dst = self.member(ring, level, offset[parent] + j, p.t[parent])
        keep = part_cents > 0
        parent, ring, dst, part_cents = parent[keep], ring[keep], dst[keep], part_cents[keep]
        t = p.t[parent] + self.dwell(ring)
        self._book(p.acct[parent], dst, t, part_cents, ring, LAYERING)
        return Pieces(p.flow[parent], ring, dst, part_cents, t, p.slot[parent], p.origin[parent])

    def net(self, p: Pieces) -> np.ndarray:
        return np.floor(p.cents * self.keep[p.ring]).astype(np.int64)

    def merge_flows(self, p: Pieces) -> Pieces:
        """Gather: pieces of the same payment in the same account wait for each other."""
        key = np.lexsort((p.acct, p.flow))
        p = p.take(key)
        new = np.r_[True, (p.flow[1:] != p.flow[:-1]) | (p.acct[1:] != p.acct[:-1])]
        group = np.cumsum(new) - 1
        first = np.flatnonzero(new)
        cents = np.bincount(group, weights=p.cents).astype(np.int64)
        t = np.maximum.reduceat(p.t, first)
        out = p.take(first)
        out.cents, out.t = cents, t
        return out

    def sweep(self, p: Pieces) -> Pieces:
        """Fan-in collectors forward what arrived in each sweep window in one transfer."""
        lo, hi = self.cfg.dwell_minutes_range
        interval = (np.clip(2 * self.dwell_median[p.ring], lo, hi) * MINUTE).astype(np.int64)
        window = p.t // interval
        order = np.lexsort((window, p.acct))
        p, window, interval = p.take(order), window[order], interval[order]
        new = np.r_[True, (p.acct[1:] != p.acct[:-1]) | (window[1:] != window[:-1])]
        group = np.cumsum(new) - 1
        first = np.flatnonzero(new)
        out = p.take(first)
        out.cents = np.bincount(group, weights=p.cents).astype(np.int64)
        out.t = (window[first] + 1) * interval[first]
        return out

    def cash_out(self, p: Pieces) -> None:
        """Cash-out mules withdraw at ATMs (multiples of 100) or pay a third-party platform."""
        rng = self.rng
        t0 = p.t + self.dwell(p.ring)
        n = len(p)
        atm = rng.random(n) < self.cfg.atm_cashout_share
        third = np.minimum(p.cents, (log_uniform(rng, (50.0, 3_000.0), n) * 100).astype(np.int64))
        atm_total = np.where(atm, (p.cents - third) // 10_000 * 10_000, 0)
        chunk_max = np.maximum(500_000, -(-atm_total // 20 // 10_000) * 10_000)
        n_chunks = -(-atm_total // chunk_max)
        parent = np.repeat(np.arange(n), n_chunks)
        j = group_offsets(parent)
        base = atm_total // np.maximum(n_chunks, 1) // 10_000 * 10_000
        chunk = np.where(
            j < n_chunks[parent] - 1, base[parent], atm_total[parent] - base[parent] * (n_chunks[parent] - 1)
        )
        region = np.where(
            rng.random(len(parent)) < 0.5,
            self.acct_region[p.acct[parent]],
            rng.integers(0, len(REGIONS), size=len(parent)),
        )
        atm_acct = self.econ.atm_acct[self.acct_bank[p.acct[parent]], region]
        t_chunk = t0[parent] + j * 150 + rng.integers(0, 90, size=len(parent))
        self._book(
            p.acct[parent],
            atm_acct,
            t_chunk,
            chunk,
            p.ring[parent],
            CASHOUT_STAGE,
            np.full(len(parent), CHANNEL["atm"], dtype=np.int8),
        )

        rest = p.cents - atm_total
        k = np.where(atm | (rest < 500_000), 1, rng.integers(1, 3, size=n))
        k = np.where(rest > 0, k, 0)
        tp, tparts = random_parts(self.rng, rest, k)
        platform = self.econ.platform_acct[categorical(rng, CASHOUT_PLATFORM_SHARES, len(tp))]
        t_tp = t0[tp] + n_chunks[tp] * 150 + group_offsets(tp) * 300 + rng.integers(0, 120, size=len(tp))
        keep = tparts > 0
        self._book(
            p.acct[tp][keep],
            platform[keep],
            t_tp[keep],
            tparts[keep],
            p.ring[tp][keep],
            CASHOUT_STAGE,
            np.full(int(keep.sum()), CHANNEL["third_party"], dtype=np.int8),
        )

    # --- typologies ---------------------------------------------------------------------
    def fan_in(self, p: Pieces) -> None:
        p = self.sweep(p)
        p = self.hop(p, self.any_member(p.ring, 1, p.t))
        p = self.hop(p, self.any_member(p.ring, CASHOUT, p.t))
        self.cash_out(p)

    def fan_out(self, p: Pieces) -> None:
        most = np.minimum(6, self.count[p.ring, CASHOUT])
        k = self.rng.integers(np.minimum(2, most), most + 1)
        parent, parts = random_parts(self.rng, self.net(p), k)
        self.cash_out(self.split(p, parent, parts, CASHOUT))

    def chain(self, p: Pieces) -> None:
        p = self._along(p)
        p = self.hop(p, self.member(p.ring, CASHOUT, p.slot, p.t))
        self.cash_out(p)

    def scatter_gather(self, p: Pieces) -> None:
        most = self.count[p.ring, 1]
        k = self.rng.integers(np.minimum(2, most), most + 1)
        parent, parts = random_parts(self.rng, self.net(p), k)
        p = self.split(p, parent, parts, 1)
        p = self.hop(p, self.member(p.ring, 2, np.zeros(len(p), dtype=np.int64), p.t))
        p = self.merge_flows(p)
        most = self.count[p.ring, CASHOUT]
        parent, parts = random_parts(self.rng, self.net(p), self.rng.integers(1, most + 1))
        self.cash_out(self.split(p, parent, parts, CASHOUT))

    def layered_split(self, p: Pieces) -> None:
        parent, parts = threshold_parts(self.rng, self.net(p), round(self.cfg.split_threshold * 100))
        p = self.split(p, parent, parts, 1)
        net = self.net(p)
        k = np.where(net < 200_000, 1, self.rng.integers(2, 4, size=len(p)))
        parent, parts = random_parts(self.rng, net, k)
        p = self.split(p, parent, parts, 2)
        p = self.hop(p, self.any_member(p.ring, CASHOUT, p.t))
        self.cash_out(p)

    def cycle(self, p: Pieces) -> None:
        p = self._along(p)
        p = self.hop(p, p.origin)
        p = self.hop(p, self.any_member(p.ring, CASHOUT, p.t))
        self.cash_out(p)

    def _along(self, p: Pieces) -> Pieces:
        """Follow the piece's own chain/loop through the ring's layer levels."""
        for level in range(1, MAX_LOOP + 1):
            go = np.flatnonzero(self.depth[p.ring] >= level)
            if len(go) == 0:
                break
            moved = self.hop(p.take(go), self.member(p.ring[go], level, p.slot[go], p.t[go]))
            p.acct[go], p.cents[go], p.t[go] = moved.acct, moved.cents, moved.t
        return p


def build_rings(
    cfg: SynthConfig,
    plan: FraudPlan,
    pop: Population,
    econ: Economy,
    reg: Registry,
    rng: Rng,
    spared: np.ndarray,
) -> tuple[Rings, TxnBatch, CallBatch]:
    """Register mule accounts, route every victim payment through its ring, add camouflage
    spending and the calls between handlers and account sellers. Accounts are bought from
    ordinary people, never from victims or the ``spared`` look-alikes."""
    n_rings = len(plan.ring_op)
    typ_names = [TYPOLOGIES[i] for i in plan.ring_typology]
    counts = np.zeros((n_rings, N_LEVELS), dtype=np.int64)
    hops = np.zeros(n_rings, dtype=np.int64)
    depth = np.zeros(n_rings, dtype=np.int64)
    for r in range(n_rings):  # one iteration per ring: hundreds at most per 100k people
        counts[r], hops[r], depth[r] = layout(typ_names[r], int(plan.ring_size[r]))
    size = counts.sum(axis=1)
    start = (np.cumsum(counts.ravel()) - counts.ravel()).reshape(n_rings, N_LEVELS)
    member_ring = np.repeat(np.arange(n_rings), size)
    member_level = np.repeat(np.tile(np.arange(N_LEVELS), n_rings), counts.ravel())
    role = np.where(member_level == 0, 0, np.where(member_level == CASHOUT, 2, 1))

    real = ~plan.pay_failed
    ring_of_pay = plan.v_ring[plan.pay_victim]
    first_use = np.full(n_rings, np.iinfo(np.int64).max)
    np.minimum.at(first_use, ring_of_pay, plan.pay_t)
    first_use = np.where(first_use == np.iinfo(np.int64).max, plan.op_start_s[plan.ring_op], first_use)
    mules = _mule_accounts(cfg, plan, pop, reg, rng, member_ring, first_use, spared)
    members = mules.acct
    # turnover from its own stream: a world without it is the world it was before turnover existed
    turnover = stream(cfg.seed, "rings.turnover")
    last_use = np.full(n_rings, np.iinfo(np.int64).min)
    np.maximum.at(last_use, ring_of_pay, plan.pay_t)
    recruit_slot, recruit_from = _replacements(cfg, turnover, member_ring, first_use, np.maximum(last_use, first_use))
    recruits = _recruits(cfg, plan, pop, reg, turnover, member_ring[recruit_slot], recruit_from, mules.handler, spared)
    roster = Roster.of(members, recruit_slot, recruit_from, recruits)

    fee = uniform(rng, cfg.fee_range, n_rings)
    keep = (1.0 - fee) ** (1.0 / hops)
    dwell_median = log_uniform(rng, cfg.dwell_minutes_range, n_rings)
    accts = reg.accounts()
    engine = Engine(
        cfg,
        rng,
        econ,
        accts.bank.astype(np.int64),
        accts.region.astype(np.int64),
        start,
        counts,
        roster,
        keep,
        dwell_median,
        depth,
    )

    # victims pay a collector of their ring; chains and cycles follow that collector's line
    n_pay = len(plan.pay_t)
    slot = rng.integers(0, 1 << 30, size=n_pay) % np.maximum(counts[ring_of_pay, 0], 1)
    collector = roster.at(start[ring_of_pay, 0] + slot, plan.pay_t)
    victim_txns = make_txns(
        plan.v_account[plan.pay_victim],
        collector,
        plan.pay_t,
        plan.pay_cents,
        plan.pay_channel,
        np.where(plan.pay_failed, STATUS["failed"], STATUS["success"]),
        ring_of_pay,
        VICTIM_PAYMENT,
    )
    flows = np.flatnonzero(real)
    pieces = Pieces(
        flows,
        ring_of_pay[flows],
        collector[flows],
        plan.pay_cents[flows],
        plan.pay_t[flows],
        slot[flows],
        collector[flows],
    )
    routes: dict[str, Callable[[Pieces], None]] = {
        "fan_in": engine.fan_in,
        "fan_out": engine.fan_out,
        "chain": engine.chain,
        "scatter_gather": engine.scatter_gather,
        "layered_split": engine.layered_split,
        "cycle": engine.cycle,
    }
    for code, name in enumerate(TYPOLOGIES):  # six typologies, each routed in one vectorised pass
        mine = np.flatnonzero(plan.ring_typology[pieces.ring] == code)
        if len(mine):
            routes[name](pieces.take(mine))

    camouflage = _camouflage(cfg, rng, members, econ, reg)
    recruits_camouflage = _camouflage(cfg, turnover, recruits, econ, reg)
    n_victims = np.bincount(plan.v_ring, minlength=n_rings)
    slot_ring, slot_role = member_ring[roster.slot], role[roster.slot]
    rings = Rings(
        typology=plan.ring_typology,
        op=plan.ring_op,
        size=np.bincount(slot_ring, minlength=n_rings),
        n_victims=n_victims,
        fee=fee,
        member_acct=roster.acct,
        member_ring=slot_ring,
        member_role=slot_role,
        pay_dst=collector,
        member_from=roster.start,
        member_to=roster.until(),
    )
    calls = _mule_calls(cfg, pop, rng, mules, member_ring, first_use)
    txns = TxnBatch.concat([victim_txns, *engine.ledger, camouflage, recruits_camouflage])
    return rings, txns, calls


def _replacements(
    cfg: SynthConfig, rng: Rng, member_ring: np.ndarray, first_use: np.ndarray, last_use: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The member slots whose account is replaced while the ring is in use, and when (sorted by slot and
    time): ``mule_turnover_per_week`` replacements per slot and week of the ring's use, at uniform times."""
    span = (last_use - first_use)[member_ring]
    k = rng.poisson(cfg.mule_turnover_per_week * span / (7 * DAY))
    slot = np.repeat(np.arange(len(member_ring)), k)
    t = first_use[member_ring[slot]] + (rng.random(len(slot)) * span[slot]).astype(np.int64)
    order = np.lexsort((t, slot))
    return slot[order], t[order]


def _mule_accounts(
    cfg: SynthConfig,
    plan: FraudPlan,
    pop: Population,
    reg: Registry,
    rng: Rng,
    member_ring: np.ndarray,
    first_use: np.ndarray,
    spared: np.ndarray,
) -> MuleAccounts:
    """Open the mule accounts: bought from locals or ghost identities, some sharing a holder
    or a registered phone, mostly opened shortly before the ring starts using them."""
    n = len(member_ring)
    pos = group_offsets(member_ring)
    ring_first = np.arange(n) - pos
    local, holder, phone, region = _sellers(cfg, plan, pop, reg, rng, n, spared)

    # some accounts of a ring are opened by the same holder (at different banks)
    shared = (pos > 0) & (rng.random(n) < cfg.mule_shared_holder_rate)
    root = np.where(shared, ring_first + np.floor(rng.random(n) * np.maximum(pos, 1)).astype(np.int64), np.arange(n))
    for _ in range(8):  # pointer jumping: everyone points at the first account of the holder
        root = root[root]
    holder, phone, region = holder[root], phone[root], region[root]

    # a ring's handler registers several accounts to one phone of his own
    holder_phone = phone
    handler = _handler_phones(cfg, reg, rng, first_use)
    use_handler = rng.random(n) < cfg.mule_shared_phone_rate
    phone = np.where(use_handler, handler[member_ring], phone)
    accounts = _open_accounts(cfg, reg, rng, holder, phone, region, first_use[member_ring])
    return MuleAccounts(accounts, holder_phone, ~local[root], handler)


def _sellers(
    cfg: SynthConfig, plan: FraudPlan, pop: Population, reg: Registry, rng: Rng, n: int, spared: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Who sells ``n`` accounts: ordinary people (never victims or the ``spared``) or identities bought
    elsewhere; whether local, the holder, the phone and the region of each."""
    local = rng.random(n) < cfg.mule_from_population_share
    candidates = np.setdiff1d(np.arange(pop.n), np.concatenate([plan.v_person, spared]))
    person = candidates[rng.integers(0, len(candidates), size=n)]
    ghost = reg.new_holders(n)
    phones = reg.phones()
    holder = np.where(local, phones.holder[person], ghost)
    ghost_phone = reg.add_offnet_numbers(ghost, away_region(rng, n, 0.5))
    phone = np.where(local, person, ghost_phone)
    region = np.where(local & (rng.random(n) < 0.7), pop.region[person], away_region(rng, n, 0.5))
    return local, holder, phone, region


def _open_accounts(
    cfg: SynthConfig,
    reg: Registry,
    rng: Rng,
    holder: np.ndarray,
    phone: np.ndarray,
    region: np.ndarray,
    first_use: np.ndarray,
) -> np.ndarray:
    """Open mule accounts, most of them shortly before their ``first_use``, some aged."""
    n = len(holder)
    aged = rng.random(n) < cfg.mule_aged_account_share
    age_days = np.where(aged, log_uniform(rng, (365.0, 5 * 365.0), n), uniform(rng, cfg.mule_account_age_days, n))
    business = rng.random(n) < 0.1
    return reg.add_accounts(
        holder=holder,
        phone=phone,
        bank=categorical(rng, BANK_SHARES, n).astype(np.int8),
        opened_s=first_use - (age_days * DAY).astype(np.int64) - 3_600,
        kind=np.where(business, ACCOUNT_KIND["business"], ACCOUNT_KIND["personal"]).astype(np.int8),
        region=region.astype(np.int16),
    )


def _recruits(
    cfg: SynthConfig,
    plan: FraudPlan,
    pop: Population,
    reg: Registry,
    rng: Rng,
    ring: np.ndarray,
    joined: np.ndarray,
    handler: np.ndarray,
    spared: np.ndarray,
) -> np.ndarray:
    """Accounts recruited into ``ring`` at ``joined`` in place of dropped ones: bought like the first
    (a seller, the handler's phone on some), opened shortly before their first use."""
    _, holder, phone, region = _sellers(cfg, plan, pop, reg, rng, len(ring), spared)
    phone = np.where(rng.random(len(ring)) < cfg.mule_shared_phone_rate, handler[ring], phone)
    return _open_accounts(cfg, reg, rng, holder, phone, region, joined)


@dataclass
class MuleAccounts:
    """Mule accounts and the phones behind them (before the handler's phone is swapped in)."""

    acct: np.ndarray
    holder_phone: np.ndarray
    ghost: np.ndarray  # holder is an identity from elsewhere, phone of another operator
    handler: np.ndarray  # per ring: the handler's SIM


def _handler_phones(cfg: SynthConfig, reg: Registry, rng: Rng, first_use: np.ndarray) -> np.ndarray:
    """One prepaid SIM per ring, activated a little before the ring opens its accounts."""
    n = len(first_use)
    region = away_region(rng, n, 0.5)
    cell_start, cell_count = cell_blocks(reg.cell_region, len(REGIONS))
    holder = reg.new_holders(n)
    return reg.add_phones(
        holder=holder,
        onnet=np.ones(n, dtype=bool),
        device=reg.new_devices(n),
        region=region,
        roam_region=region,
        activated_s=first_use - (log_uniform(rng, (10.0, 120.0), n) * DAY).astype(np.int64),
        plan=np.full(n, PLANS.index("prepaid"), dtype=np.int8),
        home_cell=pick_in(rng, cell_start[region.astype(np.int64)], cell_count[region.astype(np.int64)]),
    )


def _mule_calls(
    cfg: SynthConfig,
    pop: Population,
    rng: Rng,
    mules: MuleAccounts,
    member_ring: np.ndarray,
    first_use: np.ndarray,
) -> CallBatch:
    """Handlers phone the people whose accounts they use around the ring's start and make a
    few everyday calls; sellers from elsewhere call a few local people too."""
    n = len(member_ring)
    k = rng.integers(0, 4, size=n)
    who = np.repeat(np.arange(n), k)
    m = len(who)
    t = first_use[member_ring[who]] + (uniform(rng, (-10.0, 15.0), m) * DAY).astype(np.int64)
    handler = mules.handler[member_ring[who]]
    seller = mules.holder_phone[who]
    outgoing = rng.random(m) < 0.6
    dur = talk_seconds(rng, m, 90.0, 0.8, 5, 900)
    liaison = make_batch(
        np.where(outgoing, handler, seller), np.where(outgoing, seller, handler), t, dur, np.zeros(m, dtype=bool)
    )

    everyday = np.repeat(np.arange(len(mules.handler)), rng.poisson(8.0, size=len(mules.handler)))
    e = len(everyday)
    t_e = rng.integers(0, cfg.end_seconds, size=e)
    own = make_batch(
        mules.handler[everyday],
        pop.phone_at(rng.integers(0, pop.n, size=e), t_e),
        t_e,
        talk_seconds(rng, e, 60.0, 1.0, 3, 1800),
        rng.random(e) < 0.2,
    )

    ghosts = np.flatnonzero(mules.ghost)
    caller = np.repeat(mules.holder_phone[ghosts], rng.poisson(2.0, size=len(ghosts)))
    g = len(caller)
    t_g = rng.integers(0, cfg.end_seconds, size=g)
    far = make_batch(
        caller,
        pop.phone_at(rng.integers(0, pop.n, size=g), t_g),
        t_g,
        talk_seconds(rng, g, 80.0, 1.0, 3, 1800),
        rng.random(g) < 0.2,
    )
    return CallBatch.concat([liaison, own, far])


def _camouflage(cfg: SynthConfig, rng: Rng, members: np.ndarray, econ: Economy, reg: Registry) -> TxnBatch:
    """Some mules also shop and top up a little, from opening to the end of the window."""
    n = len(members)
    dressed = rng.random(n) < cfg.mule_camouflage_rate
    opened = reg.accounts().opened_s[members]
    from_s = np.maximum(opened, 0)
    counts = np.where(dressed, int_range(rng, (2, 10), n), 0)
    return small_spending(rng, members, from_s, np.full(n, cfg.end_seconds), counts, econ)
