"""Fraud operations: their SIMs and handsets, cold calls to strangers, and the victims.

An operation runs for some days with a few new SIMs, several of them on one handset,
calling a bought target list with mostly short calls. A few targets stay on the line
for long; some of those pay a first-layer mule account within hours, and may pay
again over the following days after more calls. Where the money goes is ``rings``.

Who is called is who is on the target list: names are bought per operation and month, weighted
by the fraud intensity of the county they live in (``fraudkit.synth.counties``), so some counties
lose more people to fraud than others, and more in a month of an ``intensity_spikes`` wave.

Who pays is who the fraudster keeps engaged (``SynthConfig.victim_engagement_effect``):
the longer the hook call, the likelier the payment. Half of those who pay are rung again
before the first transfer, by the same number or a colleague's; a few of those who do not
pay are rung again too, and mostly hang up. Every such call is in the call stream at the
time it happened, so a model sees it only if it ended before the moment it scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fraudkit.synth.calls import CallBatch, make_batch, talk_seconds
from fraudkit.synth.clock import DAY, FRAUD_CALL_HOURS, HOUR, MINUTE
from fraudkit.synth.config import SynthConfig
from fraudkit.synth.counties import Counties
from fraudkit.synth.population import Population, away_region
from fraudkit.synth.rand import (
    Rng,
    categorical,
    group_offsets,
    humanise_cents,
    int_range,
    log_uniform,
    lognormal,
    pick_in,
    scaled,
    uniform,
    yuan_to_cents,
)
from fraudkit.synth.registry import CHANNEL, PLANS, REGIONS, Registry, cell_blocks

STAGES = ("victim_payment", "layering", "cashout")
VICTIM_TRANSFER_LIMIT = 5_000_000  # cents: a transfer above 50,000 yuan is split by the bank app
FRAUD_PLANS = {"4g-basic": 0.3, "5g-standard": 0.2, "prepaid": 0.5}
VICTIM_CHANNELS = {"mobile": 0.7, "online": 0.15, "counter": 0.1, "third_party": 0.05}


@dataclass
class FraudPlan:
    """Operations, their numbers and ring shells, the victims and their payments."""

    op_start_s: np.ndarray
    op_end_s: np.ndarray
    num_phone: np.ndarray
    num_op: np.ndarray
    num_device: np.ndarray
    # rings before they have members: operation, typology index, size, when used
    ring_op: np.ndarray
    ring_typology: np.ndarray
    ring_size: np.ndarray
    # victims
    v_person: np.ndarray
    v_phone: np.ndarray
    v_account: np.ndarray
    v_op: np.ndarray
    v_ring: np.ndarray
    v_fraud_phone: np.ndarray
    v_first_contact_s: np.ndarray
    # victim payments (parts of one transfer share a time within minutes)
    pay_victim: np.ndarray
    pay_t: np.ndarray
    pay_cents: np.ndarray
    pay_channel: np.ndarray
    pay_failed: np.ndarray  # a failed attempt, not a flow of money


def build_fraud(
    cfg: SynthConfig, pop: Population, reg: Registry, rng: Rng, spared: np.ndarray, counties: Counties
) -> tuple[FraudPlan, CallBatch]:
    """Draw operations, register their SIMs, make their calls and choose the victims
    (never among the ``spared`` people, the look-alikes, so each label means one thing), more of
    them where the ``counties`` say fraud hits harder."""
    n_ops = scaled(cfg.fraud_operations_per_100k, pop.n / 100_000, minimum=1)
    op_len = uniform(rng, cfg.operation_days_range, n_ops) * DAY
    # stratified starts spread operations over the whole window instead of bunching by chance;
    # every operation overlaps the window, those at its edges begin before or run on after it
    u = (rng.permutation(n_ops) + rng.random(n_ops)) / n_ops
    op_start = (u * cfg.end_seconds - op_len * 0.5).astype(np.int64)
    op_end = (op_start + op_len).astype(np.int64)

    numbers = _numbers(cfg, reg, rng, op_start, op_len)
    num_phone, num_op, num_first, num_end, num_roam, num_device = numbers
    calls, person, caller_num, hooks = _cold_calls(
        cfg, pop, counties, rng, num_phone, num_op, num_first, num_end, num_roam, n_ops
    )

    ring_op, ring_typology, ring_size, ring_from, ring_to, ring_weight = _ring_shells(cfg, rng, op_start, op_len)
    first_hooks, converts = _victims(cfg, pop, rng, calls, person, hooks, spared)
    hook = first_hooks[converts]
    v_person, v_fraud_phone, v_hook_s = person[hook], calls.caller[hook], calls.t[hook]
    v_hook_end = v_hook_s + calls.duration[hook]
    v_num = caller_num[hook]
    v_op = num_op[v_num]
    v_first_contact = _first_contact(calls, person, v_person, v_fraud_phone)
    pay = _payments(cfg, rng, v_hook_end)
    pay_victim, pay_t, pay_cents, pay_channel, pay_failed, pay_first_part = pay

    # victims with no transfer inside the window are only "hooked", not victims of this world
    paid = np.zeros(len(v_person), dtype=bool)
    paid[pay_victim[~pay_failed]] = True
    keep_v = np.flatnonzero(paid)
    remap = np.full(len(v_person), -1)
    remap[keep_v] = np.arange(len(keep_v))
    pay_victim = remap[pay_victim]
    v_person, v_fraud_phone, v_hook_s, v_hook_end, v_num, v_op = (
        a[keep_v] for a in (v_person, v_fraud_phone, v_hook_s, v_hook_end, v_num, v_op)
    )
    v_first_contact = v_first_contact[keep_v]

    first_pay = np.full(len(v_person), np.iinfo(np.int64).max)
    np.minimum.at(first_pay, pay_victim, pay_t)
    v_ring = _assign_rings(rng, v_op, first_pay, ring_op, ring_from, ring_to, ring_weight)
    follow = _follow_up_calls(
        pop,
        rng,
        pay_victim,
        pay_t,
        pay_first_part,
        pay_failed,
        v_person,
        v_fraud_phone,
        v_op,
        v_hook_s,
        v_hook_end,
        num_phone,
        num_op,
        num_first,
    )
    numbers_alive = (num_phone, num_op, num_first, num_end, num_roam)
    walk = _walk_through_calls(cfg, pop, rng, v_person, v_num, v_hook_end, first_pay, numbers_alive)
    retry = _retry_calls(cfg, pop, rng, calls, person, caller_num, first_hooks[~converts], numbers_alive)

    plan = FraudPlan(
        op_start_s=op_start,
        op_end_s=op_end,
        num_phone=num_phone,
        num_op=num_op,
        num_device=num_device,
        ring_op=ring_op,
        ring_typology=ring_typology,
        ring_size=ring_size,
        v_person=v_person,
        v_phone=pop.phone_at(v_person, v_hook_s),
        v_account=pop.primary_account(v_person),
        v_op=v_op,
        v_ring=v_ring,
        v_fraud_phone=v_fraud_phone,
        v_first_contact_s=v_first_contact,
        pay_victim=pay_victim,
        pay_t=pay_t,
        pay_cents=pay_cents,
        pay_channel=pay_channel,
        pay_failed=pay_failed,
    )
    return plan, CallBatch.concat([calls, follow, walk, retry])


def _numbers(
    cfg: SynthConfig, reg: Registry, rng: Rng, op_start: np.ndarray, op_len: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Fraud SIMs: few identities and handsets per operation, mostly activated just before use."""
    n_ops = len(op_start)
    per_op = int_range(rng, cfg.fraud_numbers_per_operation, n_ops)
    op = np.repeat(np.arange(n_ops), per_op)
    n = len(op)
    position = group_offsets(op)
    # numbers start within the part of their operation's run that falls inside the window
    lo = np.maximum(op_start[op], 0)
    hi = np.maximum(np.minimum(op_start[op] + op_len[op].astype(np.int64), cfg.end_seconds - HOUR), lo + 1)
    first = lo + (rng.random(n) * (hi - lo)).astype(np.int64)
    life = (uniform(rng, cfg.fraud_number_lifetime_days, n) * DAY).astype(np.int64)
    end = np.minimum(first + life, cfg.end_seconds)

    # identities: some SIMs of an operation are registered to the same (bought) identity
    identities = np.maximum(1, np.round(per_op * rng.uniform(0.5, 1.0, size=n_ops))).astype(np.int64)
    id_base = reg.new_holders(int(identities.sum()))[0] if identities.sum() else 0
    id_start = id_base + np.cumsum(identities) - identities
    holder = id_start[op] + position % identities[op]
    # handsets: each IMEI carries several SIMs of the operation
    sims_per_device = int_range(rng, cfg.sims_per_imei, n_ops)
    devices = np.ceil(per_op / sims_per_device).astype(np.int64)
    dev_base = reg.new_devices(int(devices.sum()))[0]
    dev_start = dev_base + np.cumsum(devices) - devices
    device = dev_start[op] + position % devices[op]

    region = away_region(rng, n, 0.4)
    roaming = rng.random(n) < cfg.fraud_roaming_share
    roam_region = np.where(roaming, away_region(rng, n, 0.8), region)
    roam_region = np.where(roaming & (roam_region == region), (region + 1) % len(REGIONS), roam_region)
    age = np.where(
        rng.random(n) < cfg.aged_sim_share, log_uniform(rng, (30.0, 365.0), n), log_uniform(rng, (0.1, 7.0), n)
    )
    cell_start, cell_count = cell_blocks(reg.cell_region, len(REGIONS))
    phone = reg.add_phones(
        holder=holder,
        onnet=np.ones(n, dtype=bool),
        device=device,
        region=region,
        roam_region=roam_region.astype(np.int16),
        activated_s=first - (age * DAY).astype(np.int64),
        plan=np.array([PLANS.index(p) for p in FRAUD_PLANS], dtype=np.int8)[
            categorical(rng, np.array(list(FRAUD_PLANS.values())), n)
        ],
        home_cell=pick_in(rng, cell_start[region.astype(np.int64)], cell_count[region.astype(np.int64)]),
    )
    return phone, op, first, end, roaming, device


def _cold_calls(
    cfg: SynthConfig,
    pop: Population,
    counties: Counties,
    rng: Rng,
    num_phone: np.ndarray,
    num_op: np.ndarray,
    first: np.ndarray,
    end: np.ndarray,
    roaming: np.ndarray,
    n_ops: int,
) -> tuple[CallBatch, np.ndarray, np.ndarray, np.ndarray]:
    """Mass calls to a target list: the batch, per call the target person and the calling
    number (-1 for callbacks from targets), and which calls hooked their target."""
    rate = int_range(rng, cfg.fraud_calls_per_number_day, len(num_phone))
    active_days = (end - first) / DAY
    counts = np.maximum(1, rng.poisson(rate * active_days))  # a number in the truth has called
    num = np.repeat(np.arange(len(num_phone)), counts)
    n = len(num)
    t = first[num] + (rng.random(n) * (end - first)[num]).astype(np.int64)
    # move to a working-hours rhythm, keeping each call inside its number's active life
    for _ in range(3):
        hour = categorical(rng, FRAUD_CALL_HOURS, n)
        shaped = (t // DAY) * DAY + hour * HOUR + rng.integers(0, HOUR, size=n)
        inside = (shaped >= first[num]) & (shaped < end[num])
        t = np.where(inside, shaped, t)

    # a target list per operation and month, its names weighted by the intensity of their county
    n_months = counties.n_months
    key = num_op[num] * n_months + counties.month_of(t)
    expected = np.bincount(key, minlength=n_ops * n_months)
    pool_size = np.where(expected > 0, np.maximum(30, (expected * 0.8).astype(np.int64)), 0)
    pool_month = np.repeat(np.tile(np.arange(n_months), n_ops), pool_size)
    pool = counties.targets(rng.random(len(pool_month)), pool_month)
    pool_start = np.cumsum(pool_size) - pool_size
    person = pool[pick_in(rng, pool_start[key], pool_size[key])]

    sms = rng.random(n) < 0.1
    p_long = cfg.hook_rate
    outcome = categorical(rng, np.array([0.3, 0.58 - p_long, 0.12, p_long]), n)
    duration = np.select(
        [outcome == 0, outcome == 1, outcome == 2],
        [0, talk_seconds(rng, n, 12.0, 0.7, 1, 60), talk_seconds(rng, n, 100.0, 0.5, 40, 400)],
        talk_seconds(rng, n, 1_500.0, 0.6, 300, 7_200),
    )
    hook = (outcome == 3) & ~sms
    target_phone = pop.phone_at(person, t)
    out = make_batch(num_phone[num], target_phone, t, duration, sms, roaming[num])

    back = ~sms & (rng.random(n) < 0.03)
    m = int(back.sum())
    t_back = t[back] + (log_uniform(rng, (1.0, 600.0), m) * MINUTE).astype(np.int64)
    dur_back = np.where(rng.random(m) < 0.5, 0, talk_seconds(rng, m, 20.0, 0.7, 2, 120))
    callbacks = make_batch(
        pop.phone_at(person[back], t_back),
        num_phone[num][back],
        t_back,
        dur_back,
        np.zeros(m, dtype=bool),
        pop.roaming_at(person[back], t_back),
    )
    person_all = np.concatenate([person, np.full(m, -1)])
    caller_num = np.concatenate([num, np.full(m, -1)])
    hooks = np.concatenate([hook, np.zeros(m, dtype=bool)])
    return CallBatch.concat([out, callbacks]), person_all, caller_num, hooks


def _victims(
    cfg: SynthConfig,
    pop: Population,
    rng: Rng,
    calls: CallBatch,
    person: np.ndarray,
    hooks: np.ndarray,
    spared: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The hook call of each hooked target (the first long call they take) and whether they go
    on to pay. Only banked targets can; look-alikes (phone changers among them) are spared, so
    a victim keeps one number and each label means one thing. Among the rest, the longer the
    fraudster kept them on the line, the likelier they pay (``conversion_probability``)."""
    idx = np.flatnonzero(hooks & (calls.t < cfg.end_seconds))
    idx = idx[np.lexsort((calls.caller[idx], calls.t[idx]))]
    _, first = np.unique(person[idx], return_index=True)
    idx = np.sort(idx[first])
    target = person[idx]
    eligible = pop.banked[target] & ~np.isin(target, spared)
    chance = np.zeros(len(idx))
    chance[eligible] = conversion_probability(
        calls.duration[idx][eligible], cfg.victim_conversion_rate, cfg.victim_engagement_effect
    )
    converts = rng.random(len(idx)) < chance
    return idx, converts


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def conversion_probability(duration_s: np.ndarray, rate: float, effect: float) -> np.ndarray:
    """The chance that each hooked target pays, from the length of their hook call.

    Logistic in the log of the length relative to the median length: log-odds
    ``a + effect * log(d / median)``, the intercept ``a`` solved (by bisection, the mean
    chance rises with it) so that the chances average ``rate`` over these targets: the
    slope moves payments from short calls to long ones without changing how many there are.
    """
    n = len(duration_s)
    if n == 0 or effect == 0 or rate <= 0 or rate >= 1:
        return np.full(n, float(rate))
    x = np.log(np.maximum(np.asarray(duration_s, dtype=np.float64), 1.0))
    z = effect * (x - np.median(x))
    lo, hi = -60.0, 60.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if _sigmoid(mid + z).mean() < rate:
            lo = mid
        else:
            hi = mid
    return _sigmoid(0.5 * (lo + hi) + z)


def _first_contact(calls: CallBatch, person: np.ndarray, v_person: np.ndarray, v_fraud_phone: np.ndarray) -> np.ndarray:
    """Earliest call from the victim's fraud number to the victim."""
    if len(v_person) == 0:
        return np.zeros(0, dtype=np.int64)
    mine = person >= 0
    key_calls = calls.caller[mine] * (person.max() + 1) + person[mine]
    order = np.lexsort((calls.t[mine], key_calls))
    keys, first = np.unique(key_calls[order], return_index=True)
    first_t = calls.t[mine][order][first]
    wanted = v_fraud_phone * (person.max() + 1) + v_person
    return first_t[np.searchsorted(keys, wanted)]


def _payments(cfg: SynthConfig, rng: Rng, hook_end: np.ndarray) -> tuple[np.ndarray, ...]:
    """Transfers of each victim: the first within hours of the hook, more over days."""
    nv = len(hook_end)
    n_pay = int_range(rng, cfg.victim_payments_range, nv)
    victim = np.repeat(np.arange(nv), n_pay)
    k = group_offsets(victim)
    first_delay = lognormal(rng, 45.0 * MINUTE, 0.8, nv, 5 * MINUTE, 8 * HOUR).astype(np.int64)
    gap = (log_uniform(rng, (2.0, 72.0), len(victim)) * HOUR).astype(np.int64)
    gap = np.where(k == 0, hook_end[victim] + first_delay[victim], gap)
    t = np.cumsum(gap)
    t = t - np.repeat(np.cumsum(gap)[np.cumsum(n_pay) - n_pay] - gap[np.cumsum(n_pay) - n_pay], n_pay)
    first_amount = lognormal(rng, cfg.loss_median, cfg.loss_sigma, nv, 100.0, 400_000.0)
    growth = log_uniform(rng, (0.8, 1.8), nv)
    amount = first_amount[victim] * growth[victim] ** k * lognormal(rng, 1.0, 0.2, len(victim))
    cents = humanise_cents(rng, yuan_to_cents(np.minimum(amount, 500_000.0)), 0.6)
    channel = np.array([CHANNEL[c] for c in VICTIM_CHANNELS], dtype=np.int8)[
        categorical(rng, np.array(list(VICTIM_CHANNELS.values())), len(victim))
    ]

    # bank apps cap one transfer: big payments go as several transfers minutes apart
    parts = np.where(channel == CHANNEL["counter"], 1, -(-cents // VICTIM_TRANSFER_LIMIT))
    part_of = np.repeat(np.arange(len(victim)), parts)
    j = group_offsets(part_of)
    full = cents[part_of] - j * VICTIM_TRANSFER_LIMIT
    part_cents = np.where(j < parts[part_of] - 1, VICTIM_TRANSFER_LIMIT, full)
    part_cents = np.where(parts[part_of] == 1, cents[part_of], part_cents)
    part_t = t[part_of] + j * (uniform(rng, (60.0, 240.0), len(part_of))).astype(np.int64)
    first_part = j == 0

    # a few first attempts fail (limit, wrong name) and are retried minutes later
    fail = first_part & (rng.random(len(part_of)) < 0.04)
    f = np.flatnonzero(fail)
    fail_t = part_t[f] - (uniform(rng, (60.0, 300.0), len(f))).astype(np.int64)
    victims = np.concatenate([victim[part_of], victim[part_of][f]])
    times = np.concatenate([part_t, fail_t])
    amounts = np.concatenate([part_cents, part_cents[f]])
    chans = np.concatenate([channel[part_of], channel[part_of][f]])
    failed = np.concatenate([np.zeros(len(part_of), dtype=bool), np.ones(len(f), dtype=bool)])
    firsts = np.concatenate([first_part, np.zeros(len(f), dtype=bool)])
    inside = times < cfg.end_seconds
    return victims[inside], times[inside], amounts[inside], chans[inside], failed[inside], firsts[inside]


def _ring_shells(cfg: SynthConfig, rng: Rng, op_start: np.ndarray, op_len: np.ndarray) -> tuple[np.ndarray, ...]:
    """Rings each operation launders through, with the part of its run each is used in."""
    n_ops = len(op_start)
    per_op = int_range(rng, cfg.rings_per_operation, n_ops)
    op = np.repeat(np.arange(n_ops), per_op)
    n = len(op)
    typology = categorical(rng, np.array(cfg.typology_probabilities()), n)
    size = int_range(rng, cfg.ring_size_range, n)
    ring_from = op_start[op] + (rng.uniform(0, 0.5, size=n) * op_len[op]).astype(np.int64)
    ring_to = ring_from + (rng.uniform(0.5, 1.0, size=n) * op_len[op]).astype(np.int64) + DAY
    weight = rng.uniform(0.3, 1.0, size=n)
    return op, typology, size, ring_from, ring_to, weight


def _assign_rings(
    rng: Rng,
    v_op: np.ndarray,
    first_pay: np.ndarray,
    ring_op: np.ndarray,
    ring_from: np.ndarray,
    ring_to: np.ndarray,
    ring_weight: np.ndarray,
) -> np.ndarray:
    """The ring each victim pays into: one of the operation's rings in use at the time."""
    out = np.empty(len(v_op), dtype=np.int64)
    for op in np.unique(v_op):
        vs = np.flatnonzero(v_op == op)
        rings = np.flatnonzero(ring_op == op)
        t = first_pay[vs][:, None]
        in_use = (t >= ring_from[rings][None, :]) & (t < ring_to[rings][None, :])
        w = ring_weight[rings][None, :] * (in_use + 0.03)
        cdf = np.cumsum(w, axis=1)
        u = rng.random(len(vs))[:, None] * cdf[:, -1:]
        out[vs] = rings[np.minimum((cdf <= u).sum(axis=1), len(rings) - 1)]
    return out


def _follow_up_calls(
    pop: Population,
    rng: Rng,
    pay_victim: np.ndarray,
    pay_t: np.ndarray,
    pay_first_part: np.ndarray,
    pay_failed: np.ndarray,
    v_person: np.ndarray,
    v_fraud_phone: np.ndarray,
    v_op: np.ndarray,
    v_hook_s: np.ndarray,
    v_hook_end: np.ndarray,
    num_phone: np.ndarray,
    num_op: np.ndarray,
    num_first: np.ndarray,
) -> CallBatch:
    """Fraudsters coach victims before later transfers; some victims call the number back."""
    later = np.flatnonzero(pay_first_part & ~pay_failed)
    later = later[pay_t[later] > v_hook_s[pay_victim[later]] + 2 * HOUR]
    v = pay_victim[later]
    n = len(v)
    dur = talk_seconds(rng, n, 900.0, 0.6, 120, 5_400)
    start = pay_t[later] - dur - (uniform(rng, (2.0, 30.0), n) * MINUTE).astype(np.int64)
    # sometimes a colleague's number of the same operation makes the call
    other = _operation_number(rng, num_op, v_op[v])
    colleague = (rng.random(n) < 0.2) & (num_first[other] <= start)
    caller = np.where(colleague, num_phone[other], v_fraud_phone[v])
    coach = make_batch(caller, pop.phone_at(v_person[v], start), start, dur, np.zeros(n, dtype=bool))

    back = np.flatnonzero(rng.random(len(v_person)) < 0.3)
    m = len(back)
    t_back = v_hook_end[back] + (uniform(rng, (2.0, 60.0), m) * MINUTE).astype(np.int64)
    reply = make_batch(
        pop.phone_at(v_person[back], t_back),
        v_fraud_phone[back],
        t_back,
        talk_seconds(rng, m, 120.0, 0.7, 20, 900),
        np.zeros(m, dtype=bool),
        pop.roaming_at(v_person[back], t_back),
    )
    return CallBatch.concat([coach, reply])


def _operation_number(rng: Rng, num_op: np.ndarray, ops: np.ndarray) -> np.ndarray:
    """A number drawn uniformly among each given operation's numbers."""
    op_numbers = np.argsort(num_op, kind="stable")
    count = np.bincount(num_op, minlength=int(num_op.max()) + 1)
    first = np.cumsum(count) - count
    return op_numbers[pick_in(rng, first[ops], count[ops])]


def _alive(num_first: np.ndarray, num_end: np.ndarray, num: np.ndarray, t: np.ndarray) -> np.ndarray:
    return (num_first[num] <= t) & (t < num_end[num])


WALK_THROUGH_COLLEAGUE_SHARE = 0.3
"""Of the calls before the first transfer, the share made from a colleague's number."""


def _walk_through_calls(
    cfg: SynthConfig,
    pop: Population,
    rng: Rng,
    v_person: np.ndarray,
    v_num: np.ndarray,
    v_hook_end: np.ndarray,
    first_attempt: np.ndarray,
    numbers: tuple[np.ndarray, ...],
) -> CallBatch:
    """A second call before the first transfer, for ``victim_second_call_rate`` of the victims.

    It begins a tenth to a half of the way from the hook's end to the first transfer attempt
    and ends at least a minute before it: the victim is told which app to open and what to
    type. A colleague's number makes some of them (the hand-over to a "prosecutor") and those
    whose hooking SIM has been dropped; with no room left before the transfer (it followed the
    hook within minutes) there is no call.
    """
    num_phone, num_op, num_first, num_end, num_roam = numbers
    n = len(v_person)
    wanted = rng.random(n) < cfg.victim_second_call_rate
    gap = first_attempt - v_hook_end
    start = v_hook_end + (uniform(rng, (0.1, 0.5), n) * gap).astype(np.int64)
    dur = np.minimum(talk_seconds(rng, n, 720.0, 0.7, 120, 3_600), first_attempt - MINUTE - start)
    other = _operation_number(rng, num_op, num_op[v_num])
    handed_over = (rng.random(n) < WALK_THROUGH_COLLEAGUE_SHARE) | ~_alive(num_first, num_end, v_num, start)
    colleague = handed_over & _alive(num_first, num_end, other, start)
    caller = np.where(colleague, other, v_num)
    keep = np.flatnonzero(wanted & (dur >= MINUTE) & _alive(num_first, num_end, caller, start))
    return make_batch(
        num_phone[caller[keep]],
        pop.phone_at(v_person[keep], start[keep]),
        start[keep],
        dur[keep],
        np.zeros(len(keep), dtype=bool),
        num_roam[caller[keep]],
    )


RETRY_OUTCOMES = np.array([0.3, 0.3, 0.4])
"""A call to a hooked target who did not pay: not answered, hung up on, listened to."""


def _retry_calls(
    cfg: SynthConfig,
    pop: Population,
    rng: Rng,
    calls: CallBatch,
    person: np.ndarray,
    caller_num: np.ndarray,
    cold_hooks: np.ndarray,
    numbers: tuple[np.ndarray, ...],
) -> CallBatch:
    """The hooking number tries again, half an hour to a day after a hook that led nowhere,
    for ``hooked_retry_rate`` of those targets: hard negatives for the calls before a transfer."""
    num_phone, _, num_first, num_end, num_roam = numbers
    idx = cold_hooks[rng.random(len(cold_hooks)) < cfg.hooked_retry_rate]
    n = len(idx)
    num = caller_num[idx]
    t = calls.t[idx] + calls.duration[idx] + (log_uniform(rng, (0.5, 24.0), n) * HOUR).astype(np.int64)
    outcome = categorical(rng, RETRY_OUTCOMES, n)
    dur = np.select(
        [outcome == 0, outcome == 1],
        [0, talk_seconds(rng, n, 20.0, 0.7, 2, 90)],
        talk_seconds(rng, n, 360.0, 0.7, 60, 2_400),
    )
    keep = np.flatnonzero(_alive(num_first, num_end, num, t))
    return make_batch(
        num_phone[num[keep]],
        pop.phone_at(person[idx[keep]], t[keep]),
        t[keep],
        dur[keep],
        np.zeros(len(keep), dtype=bool),
        num_roam[num[keep]],
    )
