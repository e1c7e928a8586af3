"""Benchmark: a command on a busy machine against the same command idle (issue 15: no spinning).

    python benchmarks/bench_busy.py --busy 8 -- fraudkit train --target victim --db demo/fraudkit.duckdb

Runs the command idle, then beside ``--busy`` processes that each spin one core, each ``--runs`` times,
with each OpenMP setting of ``VARIANTS`` (fraudkit's, and others for comparison). Prints wall and CPU
seconds (the command's own, children included) and how many times slower the busy run's wall time is
than the idle one's. The target: at most 3x under a load of 8
on 2 cores for the same CPU time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

SPIN = "while True: pass"
"""One busy process: a core's worth of load until killed."""


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command`` (its children's CPU, as the kernel accounts it)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


VARIANTS = {
    "fraudkit's": {},
    "PASSIVE, no spin": {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "0"},
    "libgomp default": {"OMP_WAIT_POLICY": "", "GOMP_SPINCOUNT": "300000"},
    "ACTIVE": {"OMP_WAIT_POLICY": "ACTIVE", "GOMP_SPINCOUNT": "30000000000"},
}
"""OpenMP settings compared: fraudkit's defaults (PASSIVE, a spin of 20,000), no spin at all, libgomp's own
default (an empty policy: spin 300,000 times, then sleep), and ACTIVE (spin)."""


def measure(command: list[str], settings: dict[str, str], busy: int, runs: int) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")} | settings
    spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(busy)]
    try:
        figures = [timed(command, env) for _ in range(runs)]
    finally:
        for p in spinners:
            p.kill()
            p.wait()
    return statistics.median(f[0] for f in figures), statistics.median(f[1] for f in figures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--busy", type=int, default=8, help="spinning processes beside the busy runs")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ARG ...")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command after --")
    print(f"{' '.join(command)}; {os.cpu_count()} cores; busy runs beside {args.busy} spinning processes")
    print(f"{'OpenMP':<18}{'idle wall':>10}{'idle cpu':>10}{'busy wall':>10}{'busy cpu':>10}{'slower':>8}")
    for label, settings in VARIANTS.items():
        idle_wall, idle_cpu = measure(command, settings, 0, args.runs)
        busy_wall, busy_cpu = measure(command, settings, args.busy, args.runs)
        print(
            f"{label:<18}{idle_wall:>10.1f}{idle_cpu:>10.1f}{busy_wall:>10.1f}{busy_cpu:>10.1f}"
            f"{busy_wall / idle_wall:>7.1f}x",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
