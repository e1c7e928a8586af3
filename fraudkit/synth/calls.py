"""Call-detail records of ordinary life and of the legitimate mass callers.

People call mostly their household, community and colleagues, the same few people
again and again, with callbacks; couriers and call centres call many strangers with
short calls and get few callbacks. Fraud calls are added by ``fraud``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from fraudkit.synth.clock import (
    DELIVERY_HOURS,
    MINUTE,
    OFFICE_HOURS,
    PERSONAL_CALL_HOURS,
    day_probabilities,
    sample_seconds,
    seconds_on,
    weekday_of_day,
)
from fraudkit.synth.config import SynthConfig
from fraudkit.synth.lookalikes import Lookalikes
from fraudkit.synth.population import Population
from fraudkit.synth.rand import Rng, categorical, log_uniform, lognormal, uniform
from fraudkit.synth.registry import REGIONS, Registry, cell_blocks

SLOT_EXPONENT = 1.3  # how strongly people call their top contacts


@dataclass
class CallBatch:
    """Calls as columns: phone indices, seconds from start, duration, sms flag, roaming."""

    caller: np.ndarray
    callee: np.ndarray
    t: np.ndarray
    duration: np.ndarray
    sms: np.ndarray
    roaming: np.ndarray

    def __len__(self) -> int:
        return len(self.t)

    def take(self, index: np.ndarray) -> CallBatch:
        return CallBatch(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @staticmethod
    def concat(batches: list[CallBatch]) -> CallBatch:
        return CallBatch(**{f.name: np.concatenate([getattr(b, f.name) for b in batches]) for f in fields(CallBatch)})


def make_batch(
    caller: np.ndarray,
    callee: np.ndarray,
    t: np.ndarray,
    duration: np.ndarray,
    sms: np.ndarray,
    roaming: np.ndarray | None = None,
) -> CallBatch:
    """A batch with the canonical dtypes (roaming defaults to at home)."""
    n = len(t)
    return CallBatch(
        caller=np.asarray(caller, dtype=np.int64),
        callee=np.asarray(callee, dtype=np.int64),
        t=np.asarray(t, dtype=np.int64),
        duration=np.where(sms, 0, np.asarray(duration)).astype(np.int32),
        sms=np.asarray(sms, dtype=bool),
        roaming=np.zeros(n, dtype=bool) if roaming is None else np.asarray(roaming, dtype=bool),
    )


@dataclass(frozen=True)
class CallLog:
    """All calls, sorted by time, with the caller's handset, cell and roaming resolved."""

    caller: np.ndarray
    callee: np.ndarray
    t: np.ndarray
    duration: np.ndarray
    sms: np.ndarray
    device: np.ndarray  # -1 when the caller is off-net
    cell: np.ndarray  # -1 when the caller is off-net
    roaming: np.ndarray  # int8: -1 unknown (off-net caller), 0, 1

    def __len__(self) -> int:
        return len(self.t)


def talk_seconds(rng: Rng, n: int, median: float, sigma: float, lo: float, hi: float) -> np.ndarray:
    """Durations of answered voice calls."""
    return np.round(lognormal(rng, median, sigma, n, lo, hi)).astype(np.int32)


def _people_batch(
    pop: Population,
    caller_p: np.ndarray,
    callee_p: np.ndarray,
    t: np.ndarray,
    duration: np.ndarray,
    sms: np.ndarray,
) -> CallBatch:
    """Calls between people, mapped to the SIM each uses at the time."""
    return make_batch(
        pop.phone_at(caller_p, t),
        pop.phone_at(callee_p, t),
        t,
        duration,
        sms,
        pop.roaming_at(caller_p, t),
    )


def _callbacks(
    rng: Rng,
    caller: np.ndarray,
    callee: np.ndarray,
    t: np.ndarray,
    sms: np.ndarray,
    p: np.ndarray,
    delay_minutes: tuple[float, float],
    median_s: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The called party calling back some minutes later (who, whom, when, how long, sms)."""
    back = rng.random(len(t)) < p
    n = int(back.sum())
    delay = (log_uniform(rng, delay_minutes, n) * MINUTE).astype(np.int64)
    dur = talk_seconds(rng, n, median_s, 0.9, 3, 3600)
    dur = np.where(rng.random(n) < 0.08, 0, dur)
    return callee[back], caller[back], t[back] + delay, dur, sms[back] & (rng.random(n) < 0.6)


def ordinary_calls(cfg: SynthConfig, pop: Population, rng: Rng) -> CallBatch:
    """Everyday calls and texts among family, community, colleagues and weak ties."""
    counts = rng.poisson(cfg.calls_per_person_day * cfg.days * pop.activity.astype(np.float64))
    caller = np.repeat(np.arange(pop.n, dtype=np.int64), counts)
    n = len(caller)
    k = pop.contacts.shape[1]
    slot_p = 1.0 / np.arange(1, k + 1) ** SLOT_EXPONENT
    slot = categorical(rng, slot_p / slot_p.sum(), n)
    callee = pop.contacts[caller, slot].astype(np.int64)
    t = sample_seconds(rng, n, cfg.days, PERSONAL_CALL_HOURS, day_probabilities(cfg.start, cfg.days))
    sms = rng.random(n) < cfg.sms_share
    unanswered = ~sms & (rng.random(n) < 0.1)
    duration = talk_seconds(rng, n, 70.0, 1.0, 3, 5400)
    duration = np.where(slot == 0, np.minimum(duration * 1.6, 7200), duration)
    duration = np.where(unanswered, 0, duration)
    p_back = np.where(unanswered, min(1.0, cfg.callback_rate * 1.8), cfg.callback_rate * 0.35)
    p_back = np.where(sms, cfg.callback_rate * 0.6, p_back)
    cb = _callbacks(rng, caller, callee, t, sms, p_back, (1.0, 240.0), 90.0)
    return CallBatch.concat([_people_batch(pop, caller, callee, t, duration, sms), _people_batch(pop, *cb)])


def courier_calls(cfg: SynthConfig, pop: Population, looks: Lookalikes, rng: Rng) -> CallBatch:
    """Delivery riders ring many customers (strangers in their region) with short calls."""
    couriers = looks.couriers
    if len(couriers) == 0:
        return make_batch(*(np.zeros(0),) * 5)
    per_day = uniform(rng, (15.0, 50.0), len(couriers))
    day_factor = np.where(weekday_of_day(cfg.start, cfg.days) == 6, 0.3, 1.0)
    counts = rng.poisson(np.outer(per_day, day_factor)).ravel()
    cells = np.repeat(np.arange(len(couriers) * cfg.days), counts)
    courier = couriers[cells // cfg.days]
    day = cells % cfg.days
    n = len(courier)
    customer = pop.same_region(rng, pop.region[courier].astype(np.int64))
    t = seconds_on(rng, day, DELIVERY_HOURS)
    sms = rng.random(n) < 0.3
    duration = np.where(rng.random(n) < 0.15, 0, talk_seconds(rng, n, 25.0, 0.6, 3, 300))
    cb = _callbacks(rng, courier, customer, t, sms, np.full(n, 0.12), (1.0, 90.0), 40.0)
    return CallBatch.concat([_people_batch(pop, courier, customer, t, duration, sms), _people_batch(pop, *cb)])


def call_centre_calls(cfg: SynthConfig, pop: Population, looks: Lookalikes, rng: Rng) -> CallBatch:
    """Customer-service and telemarketing lines call strangers on workdays, office hours."""
    lines = looks.cc_lines
    per_day = uniform(rng, (20.0, 80.0), len(lines))
    day_factor = np.where(weekday_of_day(cfg.start, cfg.days) >= 5, 0.05, 1.0)
    counts = rng.poisson(np.outer(per_day, day_factor)).ravel()
    cells = np.repeat(np.arange(len(lines) * cfg.days), counts)
    line = lines[cells // cfg.days]
    day = cells % cfg.days
    n = len(line)
    t = seconds_on(rng, day, OFFICE_HOURS)
    person = rng.integers(0, pop.n, size=n)
    kind = categorical(rng, np.array([0.25, 0.6, 0.15]), n)  # unanswered, short, long
    duration = np.where(kind == 1, talk_seconds(rng, n, 35.0, 0.6, 3, 300), 0)
    duration = np.where(kind == 2, talk_seconds(rng, n, 360.0, 0.6, 120, 2400), duration)
    sms = rng.random(n) < 0.1
    out = make_batch(line, pop.phone_at(person, t), t, duration, sms)
    back = rng.random(n) < 0.04
    m = int(back.sum())
    t_back = t[back] + (log_uniform(rng, (2.0, 600.0), m) * MINUTE).astype(np.int64)
    cb = make_batch(
        pop.phone_at(person[back], t_back),
        line[back],
        t_back,
        talk_seconds(rng, m, 120.0, 0.8, 5, 1800),
        np.zeros(m, dtype=bool),
        pop.roaming_at(person[back], t_back),
    )
    return CallBatch.concat([out, cb])


def big_purchase_calls(pop: Population, looks: Lookalikes, rng: Rng) -> CallBatch:
    """A long sales call from an unknown number, often answered by a call back."""
    n = len(looks.bp_buyer)
    t = looks.bp_call_s
    first = make_batch(
        looks.bp_seller_phone,
        pop.phone_at(looks.bp_buyer, t),
        t,
        talk_seconds(rng, n, 900.0, 0.5, 300, 3600),
        np.zeros(n, dtype=bool),
    )
    back = rng.random(n) < 0.5
    m = int(back.sum())
    t_back = t[back] + (log_uniform(rng, (10.0, 180.0), m) * MINUTE).astype(np.int64)
    second = make_batch(
        pop.phone_at(looks.bp_buyer[back], t_back),
        looks.bp_seller_phone[back],
        t_back,
        talk_seconds(rng, m, 300.0, 0.6, 30, 2400),
        np.zeros(m, dtype=bool),
        pop.roaming_at(looks.bp_buyer[back], t_back),
    )
    return CallBatch.concat([first, second])


def finish_calls(cfg: SynthConfig, batches: list[CallBatch], reg: Registry, rng: Rng) -> CallLog:
    """Keep calls inside the window that the operator sees, resolve handset and cell, sort."""
    calls = CallBatch.concat(batches)
    phones = reg.phones()
    visible = phones.onnet[calls.caller] | phones.onnet[calls.callee]
    keep = (calls.t >= 0) & (calls.t < cfg.end_seconds) & visible & (calls.caller != calls.callee)
    calls = calls.take(np.flatnonzero(keep))
    order = np.lexsort((calls.callee, calls.caller, calls.t))
    calls = calls.take(order)

    onnet = phones.onnet[calls.caller]
    n = len(calls)
    cell_start, cell_count = cell_blocks(reg.cell_region, len(REGIONS))
    region = np.where(calls.roaming, phones.roam_region[calls.caller], phones.region[calls.caller])
    region = region.astype(np.int64)
    any_cell = cell_start[region] + np.floor(rng.random(n) * cell_count[region]).astype(np.int64)
    at_home = ~calls.roaming & (rng.random(n) < 0.7)
    cell = np.where(at_home, phones.home_cell[calls.caller], any_cell)
    return CallLog(
        caller=calls.caller,
        callee=calls.callee,
        t=calls.t,
        duration=calls.duration,
        sms=calls.sms,
        device=np.where(onnet, phones.device[calls.caller], -1),
        cell=np.where(onnet, cell, -1),
        roaming=np.where(onnet, calls.roaming.astype(np.int8), -1).astype(np.int8),
    )
