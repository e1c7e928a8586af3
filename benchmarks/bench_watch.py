"""Benchmark: one tick of the live loop over five minutes of records, by world size and store age.

What a warning centre needs to know: how long a tick takes when operators and banks deliver
about 2,500 calls and 2,500 transfers a minute (a 1M-subscriber world), how many records a
second that is, and whether a tick's time or memory grows with the store (it should not: a tick
reads only the calls of the numbers that ended a call in it, over the look-back).

Each (subscribers, days) world runs in its own child process on a cached world (see worlds.py;
one folder per size and length): the victim model is trained once, in a child process, on the
first world's ground truth and registered under --workdir (a model is needed to score; its
quality is not what is measured), then ``--ticks`` 5-minute ticks of ``fraudkit watch --replay``
are timed through the same ``replay`` function the CLI calls, from 10:00 on a Tuesday late in the
world (``tick_start``: a longer world ticks whole weeks later, same weekday and hour, as near its
end as the 30-day world). Per world: records per tick, median and largest tick wall time, median
CPU seconds per tick (the process's, DuckDB's threads included: steadier than wall time on a
busy machine), records a second, alerts written, the child's peak RSS, and the load average when
it started. The first tick warms up and is left out of the medians. Target: a few seconds a tick
on 2 cores.

    python benchmarks/bench_watch.py --subscribers 100000 1000000

Store age: ``--days`` generates worlds of several lengths with the same subscribers and seed, so
the tick's store is older than the contact features' look-back (``ContactParams.lookback``, 37
days) on the longer ones; ``--repeat`` runs every world that many times in turn (A B C A B C),
and the last lines give each length's medians against the shortest's:

    python benchmarks/bench_watch.py --subscribers 100000 --days 30 51 75 --repeat 3

Measured (2 cores shared with other jobs, load average 5 to 13; three runs each at 100k, two
at 1M). 100k: peak RSS 0.57 GB on the 30-day store (26 days before the tick, younger than the
look-back), 0.63 GB on the 51-day (47 days), 0.67 GB on the 75-day (68 days); tick medians 0.6
to 1.6 s, too noisy to rank. 1M: tick 4.30 and 4.32 s (CPU 4.20, 4.08 s) on the 30-day store,
6.60 and 6.66 s (CPU 6.28, 6.39 s) on the 75-day, peak RSS 1.47 and 1.53 GB. The calls a tick
reads stop growing at the look-back: DuckDB prunes ``calls`` row groups by start time (calls are
stored in start-time order), and a tick at 1M scans 8.97M calls at 26 days, 12.13M at 40 days and
12.13M at 68 days (``tick_inputs`` 2.2 s against 3.3 s between the 30- and 75-day stores is the
look-back filling up). What keeps growing is escalation (``live.escalation.suspect_payments``,
its ``touching`` scan of every transfer before the tick, to date the accounts paid): 8.76M
transfers at 26 days, 13.2M at 40, 22.3M at 68, 0.96 s a tick against 2.5 s at 1M; at 100k,
without it, the peak is 0.53 GB at 51 and 75 days alike. Since escalation reads only
``escalation.account_history`` (30 days) before the oldest watched alert, on a quiet machine
(load 1.2-1.6): 1M 2.40 s a tick (CPU 4.41 s, 1.48 GB) on the 30-day store, 2.93 s (CPU 5.49 s,
1.53 GB) on the 75-day one: 1.22x, the contacts' look-back window still filling at 26 days.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from worlds import DEFAULT_DAYS, cached_world, cpu_seconds, peak_rss_gb

TARGET_SECONDS = 5.0
"""'A few seconds' per tick on 2 cores."""
SEED = 5
TICK = timedelta(minutes=5)
START = datetime(2026, 10, 27, 10, 0)
"""A weekday morning late in the 30-day world: the store holds almost all of the month before it
(a longer world ticks whole weeks later, ``tick_start``)."""
WORLD_START = datetime(2026, 10, 1)
"""The synthetic generator's first day (``SynthConfig.start``)."""


def train_model(workdir: Path) -> tuple[str, str]:
    """Train and register the victim model on ``workdir``'s world; (tracking URI, version)."""
    import duckdb

    from fraudkit.model import TrainParams, build_training_set, register, train_model
    from fraudkit.settings import Settings

    mlruns = workdir / "mlruns"
    uri = f"sqlite:///{mlruns / 'mlflow.db'}"
    settings = Settings(tracking_uri=uri, mlruns_dir=mlruns)
    con = duckdb.connect(str(workdir / "fraudkit.duckdb"), read_only=True)
    try:
        ts = build_training_set(con, "victim", truth=workdir / "truth")
    finally:
        con.close()
    result = train_model(ts, TrainParams(target="victim"), settings)
    return uri, register(result, settings, promote_if_first=False).version


def train_to(workdir: Path, out: Path) -> None:
    """Child process: ``train_model`` on ``workdir``'s world, (tracking URI, version) as JSON to ``out``."""
    out.write_text(json.dumps(train_model(workdir)))


def run_ticks(workdir: Path, uri: str, version: str, ticks: int, start: datetime, out: Path) -> None:
    """Child process: ``ticks`` replayed 5-minute ticks on ``workdir``'s store; figures to ``out``."""
    from fraudkit.live.config import WatchConfig
    from fraudkit.live.loop import replay
    from fraudkit.model.registry import load_model
    from fraudkit.ops.db import ops_engine
    from fraudkit.settings import Settings

    settings = Settings(db_path=workdir / "fraudkit.duckdb", tracking_uri=uri, mlruns_dir=Path(uri[10:]).parent)
    ops = workdir / "bench.ops.sqlite"
    for path in (ops, ops.with_name(ops.name + "-wal"), ops.with_name(ops.name + "-shm")):
        path.unlink(missing_ok=True)
    model = load_model(settings, "victim", version)
    config = WatchConfig(every=TICK, delivery_delay=timedelta(minutes=5))
    started = time.perf_counter()
    cpu = [cpu_seconds()]  # after each tick (``replay`` says a line after each): CPU seconds per tick
    reports = replay(
        settings,
        ops_engine(f"sqlite:///{ops}"),
        model,
        config,
        start=start,
        end=start + TICK * (ticks - 1),
        say=lambda _line: cpu.append(cpu_seconds()),
    )
    wall = time.perf_counter() - started
    figures = {
        "ticks": len(reports),
        "tick_s": [r.seconds for r in reports],
        "tick_cpu_s": [b - a for a, b in itertools.pairwise(cpu)],
        "records": [r.records_in for r in reports],
        "contacts": sum(r.contacts for r in reports),
        "alerts": sum(r.alerts_out for r in reports),
        "wall_s": wall,
        "peak_rss_gb": peak_rss_gb(),
    }
    out.write_text(json.dumps(figures))


def measure(workdir: Path, uri: str, version: str, ticks: int, start: datetime) -> dict[str, Any]:
    out = workdir / "watch-figures.json"
    out.unlink(missing_ok=True)
    args = (workdir, uri, version, ticks, start, out)
    child = multiprocessing.get_context("spawn").Process(target=run_ticks, args=args)
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"ticks on {workdir} failed (exit code {child.exitcode})")
    return json.loads(out.read_text())


def world_folder(workdir: Path, subscribers: int, days: int) -> Path:
    """A world's cache folder: one per (subscribers, days); the 30-day worlds keep their old name."""
    return workdir / (f"world-{subscribers}" if days == DEFAULT_DAYS else f"world-{subscribers}-{days}d")


def tick_start(days: int) -> datetime:
    """The first tick on a ``days``-day world: ``START`` moved by whole weeks (same weekday and hour)
    as late as it goes while leaving at least as much of the world after it as the 30-day world
    leaves after ``START``, so a longer world's store is older at the tick by about the extra days."""
    weeks = (days - DEFAULT_DAYS) // 7
    at = START + timedelta(weeks=weeks)
    if at < WORLD_START:
        raise SystemExit(f"a {days}-day world is too short for the ticks (at least {DEFAULT_DAYS - 7 * 3} days)")
    return at


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--subscribers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--days", type=int, nargs="+", default=[DEFAULT_DAYS], help="world lengths, to compare store ages [30]"
    )
    parser.add_argument("--ticks", type=int, default=12, help="5-minute ticks to time [12: one hour]")
    parser.add_argument(
        "--repeat", type=int, default=1, help="times to run every configuration, in turn (A B A B ...) [1]"
    )
    parser.add_argument("--workdir", type=Path, default=Path("bench-watch"))
    args = parser.parse_args(argv)
    sizes = sorted(args.subscribers)
    lengths = sorted(set(args.days))
    configs = [(n, d) for n in sizes for d in lengths]
    worlds = {(n, d): world_folder(args.workdir, n, d) for n, d in configs}
    for (n, d), folder in worlds.items():
        marker = cached_world(folder, n, SEED, days=d)
        print(
            f"{n:>9,} subscribers, {d:>3} days: {marker['calls']:,} calls, {marker['transactions']:,} transfers; "
            f"ticks from {tick_start(d):%Y-%m-%d %H:%M} ({(tick_start(d) - WORLD_START).days} days into the store)"
        )
    first = worlds[configs[0]]
    trained = first / "watch-model.json"
    if trained.exists():  # the world is cached, so is its model (delete the file to retrain)
        uri, version = json.loads(trained.read_text())
        print(f"reusing victim model version {version} of the {first.name} world")
    else:
        # trained in a child process, as the worlds are generated: Linux keeps a process's peak
        # memory across fork and exec, so training here would set the peak RSS of every tick run
        t0 = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(target=train_to, args=(first, trained))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"training on {first} failed (exit code {child.exitcode})")
        uri, version = json.loads(trained.read_text())
        print(f"victim model trained on the {first.name} world in {time.perf_counter() - t0:.1f} s (version {version})")
    print(
        f"\n{'subscribers':>11}  {'days':>4}  {'run':>3}  {'records/tick':>12}  {'tick median':>11}  {'tick max':>8}  "
        f"{'CPU/tick':>8}  {'records/s':>10}  {'alerts':>6}  {'peak RSS':>8}  {'load avg (1, 5 min)':>19}"
    )
    medians: dict[tuple[int, int], list[float]] = {k: [] for k in configs}
    cpus: dict[tuple[int, int], list[float]] = {k: [] for k in configs}
    peaks: dict[tuple[int, int], list[float]] = {k: [] for k in configs}
    for run in range(1, args.repeat + 1):
        for n, d in configs:
            load = os.getloadavg()
            f = measure(worlds[n, d], uri, version, args.ticks, tick_start(d))
            busy = [(s, r) for s, r in zip(f["tick_s"], f["records"], strict=True)][1:]  # the first tick warms up
            median_s = statistics.median(s for s, _ in busy)
            median_cpu = statistics.median(f["tick_cpu_s"][1:])
            per_tick = statistics.median(r for _, r in busy)
            rate = sum(r for _, r in busy) / max(sum(s for s, _ in busy), 1e-9)
            medians[n, d].append(median_s)
            cpus[n, d].append(median_cpu)
            peaks[n, d].append(f["peak_rss_gb"])
            print(
                f"{n:>11,}  {d:>4}  {run:>3}  {per_tick:>12,.0f}  {median_s:>9.2f} s  {max(f['tick_s']):>6.2f} s  "
                f"{median_cpu:>6.2f} s  {rate:>10,.0f}  {f['alerts']:>6,}  {f['peak_rss_gb']:>6.2f} GB  "
                f"{load[0]:>9.2f}, {load[1]:>5.2f}"
            )
    worst = max(statistics.median(m) for m in medians.values())
    verdict = "met" if worst <= TARGET_SECONDS else "MISSED"
    print(f"\ntarget: a tick in at most {TARGET_SECONDS:.0f} s at every size: {verdict}")
    if len(lengths) > 1:
        print(f"against the {lengths[0]}-day store (medians over the runs):")
        for n in sizes:
            for d in lengths[1:]:
                tick, cpu, rss = (
                    statistics.median(x[n, d]) / max(statistics.median(x[n, lengths[0]]), 1e-9)
                    for x in (medians, cpus, peaks)
                )
                print(f"  {n:>9,} subscribers, {d:>3} days: tick {tick:.2f}x, CPU/tick {cpu:.2f}x, peak RSS {rss:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
