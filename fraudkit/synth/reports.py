"""Victims' reports to the police: only some report, late, and not always accurately.

A report names the victim's phone and account, the number that called and the account
paid, and the loss. Fields are sometimes missing or wrong (a mistyped digit, a number
mixed up with another), as in real case files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fraudkit.synth.clock import HOUR
from fraudkit.synth.config import SynthConfig
from fraudkit.synth.fraud import FraudPlan
from fraudkit.synth.rand import Rng, log_uniform


@dataclass
class Reports:
    """One row per report; -1 marks a missing field, ``*_typo`` a field with a wrong digit."""

    victim: np.ndarray  # victim index (truth only)
    t: np.ndarray
    victim_phone: np.ndarray
    victim_account: np.ndarray
    fraud_phone: np.ndarray
    fraud_account: np.ndarray
    loss_cents: np.ndarray  # -1 when missing
    victim_account_typo: np.ndarray
    fraud_phone_typo: np.ndarray
    fraud_account_typo: np.ndarray


@dataclass
class VictimLosses:
    """What each victim lost inside the window and to whom they paid first."""

    first_loss_s: np.ndarray
    last_loss_s: np.ndarray
    total_cents: np.ndarray
    first_dst: np.ndarray


def victim_losses(plan: FraudPlan, victim_dst: np.ndarray) -> VictimLosses:
    """Sum successful payments per victim; ``victim_dst`` is each payment's destination."""
    nv = len(plan.v_person)
    ok = ~plan.pay_failed
    v, t = plan.pay_victim[ok], plan.pay_t[ok]
    total = np.bincount(v, weights=plan.pay_cents[ok], minlength=nv).astype(np.int64)
    order = np.lexsort((t, v))
    change = v[order][1:] != v[order][:-1]
    first_idx = order[np.r_[True, change]] if len(v) else order
    last_idx = order[np.r_[change, True]] if len(v) else order
    first = np.zeros(nv, dtype=np.int64)
    last = np.zeros(nv, dtype=np.int64)
    dst = np.full(nv, -1, dtype=np.int64)
    first[v[first_idx]] = t[first_idx]
    last[v[last_idx]] = t[last_idx]
    dst[v[first_idx]] = victim_dst[ok][first_idx]
    return VictimLosses(first, last, total, dst)


def build_reports(
    cfg: SynthConfig, plan: FraudPlan, losses: VictimLosses, n_phones: int, rng: Rng
) -> tuple[Reports, np.ndarray]:
    """Reports filed inside the window, and the time each victim reported (-1 if not)."""
    nv = len(plan.v_person)
    delay = (log_uniform(rng, cfg.report_delay_hours, nv) * HOUR).astype(np.int64)
    t = losses.last_loss_s + delay
    files = (rng.random(nv) < cfg.report_rate) & (t < cfg.end_seconds)
    reported_at = np.where(files, t, -1)
    v = np.flatnonzero(files)
    v = v[np.argsort(t[v], kind="stable")]
    n = len(v)
    miss, wrong = cfg.report_missing_rate, cfg.report_wrong_rate

    def blank(values: np.ndarray, rate: float) -> np.ndarray:
        return np.where(rng.random(n) < rate, -1, values)

    fraud_phone = plan.v_fraud_phone[v].copy()
    mixed_up = rng.random(n) < wrong * 0.4  # a relative's or another caller's number
    fraud_phone[mixed_up] = rng.integers(0, n_phones, size=int(mixed_up.sum()))
    loss = losses.total_cents[v]
    estimated = rng.random(n) < 0.2
    loss = np.where(estimated, np.maximum(100_000, np.round(loss / 100_000) * 100_000), loss).astype(np.int64)
    reports = Reports(
        victim=v,
        t=t[v],
        victim_phone=blank(plan.v_phone[v], miss / 4),
        victim_account=blank(plan.v_account[v], miss),
        fraud_phone=blank(fraud_phone, miss),
        fraud_account=blank(losses.first_dst[v], miss),
        loss_cents=blank(loss, miss / 2),
        victim_account_typo=rng.random(n) < wrong * 0.5,
        fraud_phone_typo=~mixed_up & (rng.random(n) < wrong * 0.6),
        fraud_account_typo=rng.random(n) < wrong,
    )
    return reports, reported_at
