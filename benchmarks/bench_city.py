"""A city's chain as a user types it, each command its own process: wall, CPU and peak RSS against the targets.

The steps of "fast at a city's scale": ingest of the five tables, scan, features, the victim model,
a day's call-back list, and the fraud-number and mule models, on a generated world (1M subscribers
by default: 10.3M calls and 10.1M transfers over 30 days). Labels come from the world's truth so that
every model has its positives. Figures are sampled over each command's whole process tree
(``bench_engines.timed``). A machine busy with other work shows in wall time, not much in CPU time:
report both, and the load average printed at the start and the end.

    python benchmarks/bench_city.py --subscribers 1000000 --workdir /tmp/fraudkit-city
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_engines import CHAIN_TABLES, FRAUDKIT, timed

GIB = 4.0
"""Peak memory every step of the chain stays under."""
TARGETS: dict[str, tuple[float | None, float]] = {
    "ingest": (None, GIB),
    "scan": (None, GIB),
    "features": (None, GIB),
    "train victim": (None, GIB),
    "warn": (5.0, 1.5),
    "train fraud_number": (180.0, GIB),
    "train mule": (180.0, GIB),
}
"""(wall seconds, peak GiB) a step should stay under; the chain ingest, scan, train victim, warn in 180 s."""
CHAIN = ("ingest", "scan", "train victim", "warn")
STEPS = tuple(TARGETS)


def commands(step: str, world: Path, folder: Path) -> list[list[str]]:
    """The command lines of one step (ingest is one per table)."""
    db = ["--db", str(folder / "fraudkit.duckdb")]
    mlflow = ["--tracking-uri", f"sqlite:///{folder / 'mlflow.db'}"]
    truth = ["--truth", str(world / "truth")]
    if step == "ingest":
        return [[*FRAUDKIT, "ingest", str(world / f"{t}.parquet"), "--kind", t, *db] for t in CHAIN_TABLES]
    if step in ("scan", "features"):
        return [[*FRAUDKIT, step, "--out", str(folder / step), *db]]
    if step.startswith("train "):
        return [[*FRAUDKIT, "train", "--target", step.split()[1], *truth, *db, *mlflow]]
    if step == "warn":
        return [[*FRAUDKIT, "warn", "--out", str(folder / "warn.parquet"), *db, *mlflow]]
    raise ValueError(step)


def run(step: str, world: Path, folder: Path) -> dict[str, float]:
    parts = [timed(command, {}) for command in commands(step, world, folder)]
    return {
        "wall": sum(p["wall"] for p in parts),
        "cpu": sum(p["cpu"] for p in parts),
        "rss": max(p["rss"] for p in parts),
    }


def verdict(step: str, figures: dict[str, float]) -> str:
    wall, gib = TARGETS[step]
    misses = []
    if wall is not None and figures["wall"] > wall:
        misses.append(f"wall > {wall:.0f} s")
    if figures["rss"] > gib:
        misses.append(f"peak > {gib:g} GiB")
    return "ok" if not misses else "MISSED: " + ", ".join(misses)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/fraudkit-city"))
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS), help="in this order")
    args = parser.parse_args(argv)
    world = args.workdir / f"world-{args.subscribers}-{args.seed}"
    if not (world / "transactions.parquet").exists():
        print(f"generating a {args.subscribers:,}-subscriber world into {world} ...", flush=True)
        synth = [*FRAUDKIT, "synth", "--subscribers", str(args.subscribers), "--seed", str(args.seed)]
        subprocess.run([*synth, "--out", str(world)], check=True, capture_output=True)
    folder = args.workdir / "run"
    if "ingest" in args.steps:  # a fresh store; without ingest, the last run's is reused
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    print(f"load average at the start: {os.getloadavg()[0]:.1f}", flush=True)
    results: dict[str, dict[str, Any]] = {}
    for step in args.steps:
        print(f"  {step}:", flush=True)
        results[step] = run(step, world, folder)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"\n{args.subscribers:,} subscribers (seed {args.seed}), {os.cpu_count()} cores")
    print(f"  {'step':<20}{'wall s':>9}{'CPU s':>9}{'peak GiB':>10}  target")
    for step, figures in results.items():
        row = f"{figures['wall']:>9.1f}{figures['cpu']:>9.1f}{figures['rss']:>10.2f}"
        print(f"  {step:<20}{row}  {verdict(step, figures)}")
    if all(step in results for step in CHAIN):
        total = sum(results[step]["wall"] for step in CHAIN)
        print(f"  chain {' -> '.join(CHAIN)}: {total:.1f} s ({'ok' if total <= 180 else 'MISSED: > 180 s'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
