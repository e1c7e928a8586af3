"""Time generate_world and write_world at scale and report throughput and peak memory.

python benchmarks/bench_synth.py --subscribers 1000000 --out /tmp/synth-1m
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from fraudkit.synth import SynthConfig, generate_world, write_world


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--preset", default="default", choices=["default", "alt"])
    parser.add_argument("--format", default="parquet", choices=["parquet", "csv"])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: a temp dir)")
    args = parser.parse_args(argv)

    cfg = SynthConfig.preset(args.preset, seed=args.seed, subscribers=args.subscribers, days=args.days)
    stages: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    world = generate_world(cfg, progress=lambda s: stages.append((s, time.perf_counter())))
    t_gen = time.perf_counter() - t0
    rss_gen = peak_rss_mb()

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        t1 = time.perf_counter()
        paths = write_world(world, out, fmt=args.format)
        t_write = time.perf_counter() - t1
        size_mb = sum(p.stat().st_size for p in paths.values()) / 1e6

    n_calls = world.tables["calls"].height
    n_txns = world.tables["transactions"].height
    print(f"subscribers      {cfg.subscribers:>12,}  (preset {args.preset}, {cfg.days} days)")
    ends = [t for _, t in stages[1:]] + [t0 + t_gen]
    for (name, started), ended in zip(stages, ends, strict=True):
        print(f"  stage {name:<12} {ended - started:8.2f} s")
    print(f"generate_world   {t_gen:12.2f} s")
    print(f"write_world      {t_write:12.2f} s  ({args.format}, {size_mb:,.0f} MB)")
    print(f"calls            {n_calls:>12,}  ({n_calls / t_gen:,.0f} rows/s generated)")
    print(f"transactions     {n_txns:>12,}  ({n_txns / t_gen:,.0f} rows/s generated)")
    for name, df in {**world.tables, **world.truth}.items():
        if name not in ("calls", "transactions"):
            print(f"  {name:<18} {df.height:>10,}")
    print(f"peak RSS         {peak_rss_mb():12,.0f} MB  (after generate: {rss_gen:,.0f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
