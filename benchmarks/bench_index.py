"""Benchmark: does the regional index rank regions by their true risk, and does a fraud wave turn a county red?

    python benchmarks/bench_index.py --preset default --subscribers 20000 --seed 7
    python benchmarks/bench_index.py --preset alt --seed 11 --start 2026-08-01 --days 92 --spike 440306:2026-10:2

A synthetic world is generated (``--start``, ``--days``: months of history for the change and the spike
rule; ``--spike COUNTY:MONTH:FACTOR`` multiplies one county's fraud in one month), stored as ``fraudkit
synth`` stores it, and the index computed for every whole month in order, each published before the next
(as a centre publishes them). For each month and level: Spearman's rho between the index and the truth's
loss at risk per resident (``fraudkit.index.evaluate``), the regions coloured red, and for a spiked county
its colour and reason in its month. Seconds per month are printed too.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from fraudkit import synth  # noqa: E402
from fraudkit.index.compute import Month, compute_index, flagged_members, load_regions  # noqa: E402
from fraudkit.index.evaluate import index_quality  # noqa: E402
from fraudkit.index.indicators import region_map  # noqa: E402
from fraudkit.index.result import LEVELS  # noqa: E402
from fraudkit.index.runs import publish  # noqa: E402
from fraudkit.index.scoring import IndexParams  # noqa: E402
from fraudkit.store import connect  # noqa: E402


def spike_of(text: str) -> tuple[str, str, float]:
    code, month, factor = text.split(":")
    return code, month, float(factor)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", default=None, help="first day of the world (YYYY-MM-DD)")
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--spike", action="append", default=[], help="COUNTY:YYYY-MM:FACTOR")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/fraudkit-bench-index"))
    args = parser.parse_args(argv)
    overrides: dict[str, object] = {"seed": args.seed, "subscribers": args.subscribers}
    if args.start:
        overrides["start"] = datetime.fromisoformat(args.start)
    if args.days:
        overrides["days"] = args.days
    if args.spike:
        overrides["intensity_spikes"] = tuple(spike_of(s) for s in args.spike)
    cfg = synth.SynthConfig.preset(args.preset, **overrides)
    started = time.perf_counter()
    world = synth.generate_world(cfg)
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    db = args.workdir / "fraudkit.duckdb"
    synth.store_world(world, db)
    print(
        f"{args.preset}, {args.subscribers:,} subscribers, seed {args.seed}, months {', '.join(cfg.months)}: "
        f"world in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    truth = world.truth["regions"]
    spikes = {(code, month): factor for code, month, factor in cfg.intensity_spikes}
    params = IndexParams()
    print(f"\n{'month':<8} {'level':<7} {'regions':>7} {'spearman':>9} {'red':>4} {'seconds':>8}  spiked county")
    with connect(db) as con:
        regions = load_regions(con)
        for label in cfg.months:
            month = Month.parse(label)
            if month.start < cfg.start:  # a month the world only partly covers is no month to rank
                continue
            began = time.perf_counter()
            members = flagged_members(con, month)
            for level in LEVELS:
                result = compute_index(con, month, level, params, members=members)
                publish(con, result.month, level, result.table, result.notes, params, month.end)
                quality = index_quality(result, truth, region_map(regions, level))
                said = ""
                for (code, spiked_month), factor in spikes.items():
                    if spiked_month == label and level == "county":
                        row = result.table.filter(pl.col("region") == code).row(0, named=True)
                        said += f"{code} x{factor:g}: {row['tier_reason']} "
                print(
                    f"{label:<8} {level:<7} {quality.regions:>7} {quality.spearman:>9.3f} {len(quality.red):>4}"
                    f" {time.perf_counter() - began:>8.1f}  {said}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
