"""Time account_features and phone_features on a seeded synthetic shard of canonical rows.

Run: python benchmarks/bench_features.py --rows 10000000
Builds --rows transactions and --rows calls over the history (30 days before as_of)
with numpy, then times each producer and prints rows/s and the peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from fraudkit.features import account_features, phone_features, subscriber_money_features

AS_OF = datetime(2024, 6, 1)
HISTORY = timedelta(days=30)


def _ids(prefix: str, values: np.ndarray) -> pl.Series:
    return pl.select(pl.format(prefix + "{}", pl.Series(values).cast(pl.String).str.zfill(8))).to_series()


def _times(rng: np.random.Generator, n: int) -> pl.Series:
    start = np.datetime64(AS_OF - HISTORY, "us")
    offsets = rng.integers(0, int(HISTORY.total_seconds() * 1e6), n).astype("timedelta64[us]")
    return pl.Series(start + offsets)


def _counterparties(rng: np.random.Generator, src: np.ndarray, n_entities: int, share_known: float) -> np.ndarray:
    """Mostly a few regular contacts per entity, the rest anyone: repeated pairs like real traffic."""
    known = (src + rng.choice(np.array([1, 7, 31, 127, 1009]), len(src))) % n_entities
    anyone = rng.integers(0, n_entities, len(src))
    return np.where(rng.random(len(src)) < share_known, known, anyone)


def make_shard(rows: int, seed: int = 7) -> dict[str, pl.LazyFrame]:
    """Canonical transactions, calls, accounts, subscribers and reports for one shard."""
    rng = np.random.default_rng(seed)
    n_acc = max(rows // 20, 100)
    src = rng.integers(0, n_acc, rows)
    dst = _counterparties(rng, src, n_acc, 0.6)
    amount = np.round(rng.lognormal(7.0, 1.3, rows), 2)
    amount = np.where(rng.random(rows) < 0.2, np.round(amount, -3) + 1000, amount)
    transactions = pl.DataFrame(
        {
            "txn_id": pl.int_range(rows, eager=True).cast(pl.String),
            "ts": _times(rng, rows),
            "src_account": _ids("A", src),
            "dst_account": _ids("A", dst),
            "amount": amount,
            "currency": "CNY",
            "channel": pl.Series(
                np.array(["mobile", "online", "atm", "counter", "third_party"])[
                    rng.choice(5, rows, p=[0.5, 0.3, 0.08, 0.05, 0.07])
                ]
            ),
            "status": pl.Series(np.where(rng.random(rows) < 0.97, "success", "failed")),
        }
    )
    n_ph = max(rows // 20, 100)
    caller = rng.integers(0, n_ph, rows)
    callee = _counterparties(rng, caller, n_ph, 0.7)
    duration = np.where(rng.random(rows) < 0.2, rng.integers(0, 6, rows), rng.exponential(120, rows).astype(int))
    calls = pl.DataFrame(
        {
            "call_id": pl.int_range(rows, eager=True).cast(pl.String),
            "caller": _ids("P", caller),
            "callee": _ids("P", callee),
            "start_time": _times(rng, rows),
            "duration_s": duration.astype(np.int32),
            "kind": pl.Series(np.where(rng.random(rows) < 0.9, "voice", "sms")),
            "caller_imei": _ids("I", caller // 2),
            "cell_id": "C1",
            "roaming": pl.Series(rng.random(rows) < 0.05),
        }
    )
    accounts = pl.DataFrame(
        {
            "account_id": _ids("A", np.arange(n_acc)),
            "holder_id": _ids("H", np.arange(n_acc)),
            "phone": _ids("P", np.arange(n_acc) % n_ph),
            "opened_at": _times(rng, n_acc) - timedelta(days=365),
        }
    )
    subscribers = pl.DataFrame(
        {
            "phone": _ids("P", np.arange(n_ph)),
            "holder_id": _ids("H", np.arange(n_ph)),
            "activated_at": _times(rng, n_ph) - timedelta(days=200),
        }
    )
    n_rep = max(rows // 10_000, 10)
    reports = pl.DataFrame(
        {
            "report_id": _ids("R", np.arange(n_rep)),
            "reported_at": _times(rng, n_rep),
            "victim_phone": _ids("P", rng.integers(0, n_ph, n_rep)),
            "victim_account": _ids("A", rng.integers(0, n_acc, n_rep)),
            "fraud_phone": _ids("P", rng.integers(0, n_ph, n_rep)),
            "fraud_account": _ids("A", rng.integers(0, n_acc, n_rep)),
        }
    )
    frames = {
        "transactions": transactions,
        "calls": calls,
        "accounts": accounts,
        "subscribers": subscribers,
        "reports": reports,
    }
    return {name: frame.lazy() for name, frame in frames.items()}


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="transactions and calls each")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--window-days", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1, help="runs per producer; the best time is shown")
    args = parser.parse_args()

    t0 = time.perf_counter()
    shard = make_shard(args.rows, args.seed)
    print(
        f"built {args.rows:,} transactions + {args.rows:,} calls in {time.perf_counter() - t0:.1f} s; "
        f"peak RSS {_peak_rss_gb():.2f} GB; polars threads {pl.thread_pool_size()}"
    )
    common = {
        "as_of": AS_OF,
        "window": timedelta(days=args.window_days),
        "history": HISTORY,
        "reports": shard["reports"],
    }
    runs = {
        "account_features": lambda: account_features(shard["transactions"], shard["accounts"], **common),
        "phone_features": lambda: phone_features(shard["calls"], shard["subscribers"], **common),
        "subscriber_money_features": lambda: subscriber_money_features(
            shard["transactions"], shard["accounts"], shard["subscribers"], shard["calls"], **common
        ),
    }
    for name, run in runs.items():
        times, cpu = [], []
        for _ in range(max(args.repeat, 1)):
            t0, c0 = time.perf_counter(), _cpu_s()
            out = run()
            times.append(time.perf_counter() - t0)
            cpu.append(_cpu_s() - c0)
        best = min(times)
        print(
            f"{name:>26}: {best:6.2f} s wall ({min(cpu):5.2f} s cpu)  {args.rows / best:12,.0f} input rows/s"
            f"  -> {out.height:,} rows x {out.width} cols; peak RSS so far {_peak_rss_gb():.2f} GB"
        )


if __name__ == "__main__":
    main()
