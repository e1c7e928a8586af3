"""Load test of the work queue: simulated operators log in, claim, reveal and close alerts against
`fraudkit serve` on localhost for a bounded time; reports claims, duplicates, losses, page times.

python benchmarks/bench_queue.py --seconds 60 --operators 20
python benchmarks/bench_queue.py --seconds 60 --ops-db postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Each operator is a thread with its own HTTP client and session cookie doing, as fast as the server
answers (``--think`` adds a pause per page): queue page, claim next, alert page, reveal, outcome.
Every request is one "page" and is timed on its own (redirects are followed by hand). Afterwards
the store is checked: no alert claimed by two operators, every alert an operator was given has
exactly one outcome (none lost), and the rest are still waiting.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, insert, select

from fraudkit.ops.db import ops_engine
from fraudkit.ops.operators import create_operator
from fraudkit.ops.schema import alerts, outcomes

RESULTS = ["reached", "unreachable", "confirmed_victim", "false_alarm", "refused"]
TARGET_P95_MS = 200.0


def seed(engine, n: int) -> None:
    """``n`` waiting alerts across tiers and channels, a few urgent, as the loop would write them."""
    now = datetime.now()
    tiers = [("red", "call_now"), ("orange", "call_queue"), ("yellow", "sms")]
    rows = []
    for i in range(n):
        tier, channel = tiers[i % 3]
        rows.append(
            {
                "alert_id": f"B{i:07d}",
                "contact_id": f"BC{i:07d}",
                "created_at": now - timedelta(seconds=i),
                "phone": f"138{i:08d}",
                "score": (i * 7919 % 1000) / 1000,
                "tier": tier,
                "channel": channel,
                "reason_1": f"long call from new number 191{i:08d}",
                "reason_2": "first call from this number",
                "suspect_number": f"191{i:08d}",
                "contact_start": now - timedelta(minutes=30),
                "contact_end": now - timedelta(minutes=10),
                "model_version": "1",
                "status": "new",
                "urgent": i % 50 == 0,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(alerts), rows)


def start_server(db: Path, url: str, log: Path) -> tuple[subprocess.Popen, str]:
    """`fraudkit serve` on a free localhost port, waited for until its login page answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = Path(sys.executable).with_name("fraudkit")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from fraudkit.cli import main; main()"]
    command += ["serve", "--port", str(port), "--db", str(db), "--ops-db", url]
    proc = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"fraudkit serve exited: {log.read_text()}")
        try:
            if httpx.get(base + "/login", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("fraudkit serve did not start")


class Operator(threading.Thread):
    """One simulated operator: log in, then claim-reveal-record until the clock runs out."""

    def __init__(self, base: str, name: str, until: float, think: float, start: threading.Barrier) -> None:
        super().__init__(daemon=True)
        self.base, self.name, self.until, self.think, self.start_line = base, name, until, think, start
        self.times: dict[str, list[float]] = defaultdict(list)
        self.claimed: list[str] = []
        self.errors: Counter[str] = Counter()

    def page(self, client: httpx.Client, kind: str, method: str, path: str, **kw) -> httpx.Response:
        t0 = time.perf_counter()
        response = client.request(method, path, **kw)
        self.times[kind].append((time.perf_counter() - t0) * 1000)
        if response.status_code >= 400:
            self.errors[f"{kind} {response.status_code}"] += 1
        if self.think:
            time.sleep(self.think)
        return response

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            self.start_line.wait()
            self.page(
                client, "login", "POST", "/login", data={"operator": self.name, "password": "password-" + self.name}
            )
            n = 0
            while time.monotonic() < self.until:
                self.page(client, "queue", "GET", "/")
                where = self.page(client, "claim", "POST", "/claim").headers.get("location", "")
                if not where.startswith("/alerts/"):
                    break  # nothing left to claim
                alert_id = where.rsplit("/", 1)[1]
                self.claimed.append(alert_id)
                self.page(client, "alert", "GET", where)
                self.page(client, "reveal", "POST", where + "/reveal")
                result = RESULTS[n % len(RESULTS)]
                self.page(client, "outcome", "POST", where + "/outcome", data={"result": result, "note": "bench"})
                n += 1


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def check_store(engine, claims: dict[str, list[str]], total: int) -> dict[str, int]:
    """Duplicates and losses, from the store and from what each operator was handed."""
    handed = Counter(a for got in claims.values() for a in got)
    with engine.connect() as conn:
        per_alert = dict(conn.execute(select(outcomes.c.alert_id, func.count()).group_by(outcomes.c.alert_id)).all())
        waiting = conn.execute(select(func.count()).where(alerts.c.status == "new")).scalar_one()
        owners = dict(
            conn.execute(select(alerts.c.alert_id, alerts.c.claimed_by).where(alerts.c.claimed_by.is_not(None))).all()
        )
    return {
        "claims": sum(handed.values()),
        "claimed_twice": sum(1 for n in handed.values() if n > 1),
        "wrong_owner": sum(1 for name, got in claims.items() for a in got if owners.get(a) != name),
        "lost (handed, no single outcome)": sum(1 for a in handed if per_alert.get(a) != 1),
        "outcomes without a claim": sum(1 for a in per_alert if a not in handed),
        "still waiting": waiting,
        "unaccounted": total - waiting - len(per_alert),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--operators", type=int, default=20)
    parser.add_argument("--alerts", type=int, default=5000, help="waiting alerts at the start")
    parser.add_argument("--think", type=float, default=0.0, help="seconds an operator pauses after each page")
    parser.add_argument("--ops-db", default=None, help="operational store URL (default: SQLite in a temp dir)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    url = args.ops_db or f"sqlite:///{work / 'f.ops.sqlite'}"
    engine = ops_engine(url)
    if engine.dialect.name == "postgresql":  # a reused database: start from empty tables
        from fraudkit.ops.schema import metadata

        metadata.drop_all(engine)
        metadata.create_all(engine)
    names = [f"op{i:02d}" for i in range(args.operators)]
    for name in names:
        create_operator(engine, name, "password-" + name)
    seed(engine, args.alerts)
    proc, base = start_server(work / "f.duckdb", url, work / "serve.log")
    try:
        start = threading.Barrier(len(names))
        until = time.monotonic() + args.seconds
        ops = [Operator(base, name, until, args.think, start) for name in names]
        t0 = time.perf_counter()
        for op in ops:
            op.start()
        for op in ops:
            op.join()
        elapsed = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    times: dict[str, list[float]] = defaultdict(list)
    for op in ops:
        for kind, values in op.times.items():
            times[kind] += values
    every = [v for values in times.values() for v in values]
    errors = sum((op.errors for op in ops), Counter())
    checks = check_store(engine, {op.name: op.claimed for op in ops}, args.alerts)
    print(
        f"backend {engine.dialect.name}, {args.operators} operators, {elapsed:.1f} s, think {args.think} s, "
        f"{args.alerts} alerts at start, CPUs {os.cpu_count()}"
    )
    print(
        f"pages {len(every)} ({len(every) / elapsed:.0f}/s), alerts closed {checks['claims']} "
        f"({checks['claims'] / elapsed:.1f}/s), HTTP errors {sum(errors.values())} {dict(errors)}"
    )
    for kind in ["login", "queue", "claim", "alert", "reveal", "outcome"]:
        v = times.get(kind, [])
        if v:
            print(
                f"  {kind:8s} n={len(v):6d}  p50 {statistics.median(v):6.1f} ms  p95 {percentile(v, 0.95):6.1f} ms"
                f"  max {max(v):7.1f} ms"
            )
    p95 = percentile([v for k, vs in times.items() if k != "login" for v in vs], 0.95)
    print(
        f"p95 page (login excluded) {p95:.1f} ms (target < {TARGET_P95_MS:.0f} ms); "
        f"p95 all pages {percentile(every, 0.95):.1f} ms"
    )
    for key, value in checks.items():
        print(f"  {key}: {value}")
    bad = checks["claimed_twice"] or checks["wrong_owner"] or checks["lost (handed, no single outcome)"]
    bad = bad or checks["unaccounted"] or checks["outcomes without a claim"] or sum(errors.values())
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
