"""Benchmark: connected components and a per-component map on DuckDB and on Spark local[1] / local[2].

    python benchmarks/bench_engines.py --edges 100000 1000000

Builds a seeded edge list shaped like a scan's fast-flow subgraph grown large: mostly small rings
(3-40 accounts, a few extra edges each), plus a sparse random graph over a quarter of the accounts
(one giant component and many small ones) and a few long chains. Each engine then runs in its own
fresh interpreter, so Spark's fixed costs are counted where they fall:

- ``start``: the JVM and the Spark session (DuckDB: nothing to start);
- ``warm-up``: a first, tiny connected-components call (JIT, Python workers); not in the figures below;
- ``components``: ``Backend.connected_components`` on the edge list, with the queries it ran;
- ``map``: ``Backend.map_components`` over the edges tagged with their component, running the same
  Polars summary per component (Spark: ``groupBy(component).applyInArrow``).

Prints wall seconds per step, seconds per query, and checks that every engine gave the same frames.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

SIDES = ("duckdb", "spark-local[1]", "spark-local[2]")


def edge_list(n_edges: int, seed: int) -> pl.DataFrame:
    """About ``n_edges`` edges (``src``, ``dst``, ``amount``) over string account ids."""
    rng = np.random.default_rng(seed)
    ring_edges = int(n_edges * 0.6)
    sizes = rng.integers(3, 41, ring_edges // 43)  # 21.5 members, 43 edges on average
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    owner = np.repeat(np.arange(len(sizes)), sizes * 2)  # about two edges per member
    base, size = starts[owner], sizes[owner]
    src = base + rng.integers(0, size)
    dst = base + (src - base + rng.integers(1, size)) % size
    n_ring_nodes = int(sizes.sum())
    chain_len = max(n_edges // 200, 10)  # four chains of 0.5% of the edges each
    n_random = max(n_edges - len(src) - 4 * (chain_len - 1), 10)
    random_nodes = max(n_random // 2, 10)
    rsrc = n_ring_nodes + rng.integers(0, random_nodes, n_random)
    rdst = n_ring_nodes + rng.integers(0, random_nodes, n_random)
    chain = n_ring_nodes + random_nodes + rng.permutation(chain_len * 4)
    csrc = np.concatenate([c[:-1] for c in np.split(chain, 4)])
    cdst = np.concatenate([c[1:] for c in np.split(chain, 4)])
    all_src = np.concatenate([src, rsrc, csrc])
    all_dst = np.concatenate([dst, rdst, cdst])
    # ids shuffled so that neither ring members nor chain steps come in order
    ids = rng.permutation(int(max(all_src.max(), all_dst.max())) + 1)
    return pl.DataFrame(
        {
            "src": pl.Series(ids[all_src]).cast(pl.String).str.zfill(9),
            "dst": pl.Series(ids[all_dst]).cast(pl.String).str.zfill(9),
            "amount": np.round(rng.lognormal(7, 1, len(all_src)), 2),
        }
    )


def component_summary(edges: pl.DataFrame) -> pl.DataFrame:
    """One row per component: members, edges, money and the largest fan-out (a scan-like summary)."""
    members = pl.concat([edges["src"], edges["dst"]]).n_unique()
    fan_out = edges.group_by("src").agg(pl.col("dst").n_unique()).get_column("dst").max()
    return pl.DataFrame(
        {
            "component": [edges["component"][0]],
            "members": [members],
            "edges": [edges.height],
            "money": [edges["amount"].sum()],
            "max_fan_out": [fan_out],
        },
        schema={
            "component": pl.Utf8,
            "members": pl.UInt32,
            "edges": pl.UInt32,
            "money": pl.Float64,
            "max_fan_out": pl.UInt32,
        },
    )


def digest(frame: pl.DataFrame) -> str:
    return hashlib.sha256(frame.write_csv().encode()).hexdigest()[:16]


def run_side(side: str, edges_file: Path) -> dict[str, Any]:
    """In a child: start the engine, warm it up, time components and the map; figures as a dict."""
    from fraudkit.backend import Backend, DuckDBBackend

    edges = pl.read_parquet(edges_file)
    t0 = time.perf_counter()
    backend: Backend
    if side == "duckdb":
        backend = DuckDBBackend()
    else:
        from pyspark import cloudpickle

        from fraudkit.engine.spark import SparkBackend, SparkSettings

        cloudpickle.register_pickle_by_value(sys.modules[__name__])  # executors cannot import this script
        backend = SparkBackend(SparkSettings(master=side.removeprefix("spark-"), driver_memory="6g"))
        backend.session  # noqa: B018 - the JVM and session, timed apart
    started = time.perf_counter()
    backend.connected_components(edges.head(200))
    warmed = time.perf_counter()
    components = backend.connected_components(edges.select("src", "dst"))
    componented = time.perf_counter()
    steps = backend.last_steps  # type: ignore[attr-defined]
    tagged = edges.join(components.rename({"node": "src"}), on="src")
    summary = backend.map_components(tagged, component_summary)
    mapped = time.perf_counter()
    return {
        "start_s": started - t0,
        "warmup_s": warmed - started,
        "components_s": componented - warmed,
        "steps": steps,
        "map_s": mapped - componented,
        "nodes": components.height,
        "components": components["component"].n_unique(),
        "largest": int(components.group_by("component").len()["len"].max() or 0),
        "components_digest": digest(components),
        "map_digest": digest(summary),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--edges", type=int, nargs="+", default=[100_000, 1_000_000], help="edge list sizes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sides", nargs="+", choices=SIDES, default=list(SIDES))
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/fraudkit-bench-engines"))
    parser.add_argument("--side", choices=SIDES, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--edges-file", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.side is not None:  # a child: one engine, figures as the last stdout line
        print(json.dumps(run_side(args.side, args.edges_file)))
        return 0

    args.workdir.mkdir(parents=True, exist_ok=True)
    for n in args.edges:
        edges_file = args.workdir / f"edges-{n}-{args.seed}.parquet"
        edges = edge_list(n, args.seed)
        edges.write_parquet(edges_file)
        print(f"\n{edges.height:,} edges (seed {args.seed})", flush=True)
        results: dict[str, dict[str, Any]] = {}
        for side in args.sides:
            command = [sys.executable, __file__, "--side", side, "--edges-file", str(edges_file)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                sys.stderr.write(done.stderr[-4000:])
                raise SystemExit(f"the {side} side failed with exit code {done.returncode}")
            results[side] = json.loads(done.stdout.strip().splitlines()[-1])
            r = results[side]
            print(
                f"  {side:<16} start {r['start_s']:6.1f} s  warm-up {r['warmup_s']:5.1f} s  "
                f"components {r['components_s']:6.1f} s ({r['steps']} queries, "
                f"{r['components_s'] / max(r['steps'], 1):.2f} s each)  map {r['map_s']:6.1f} s",
                flush=True,
            )
        first = next(iter(results.values()))
        print(
            f"  {first['nodes']:,} accounts in {first['components']:,} components, the largest "
            f"{first['largest']:,} accounts"
        )
        same = all(
            (r["components_digest"], r["map_digest"]) == (first["components_digest"], first["map_digest"])
            for r in results.values()
        )
        print(f"  same components and per-component frames on every engine: {'yes' if same else 'NO'}")
        if "duckdb" in results:
            base = results["duckdb"]["components_s"] + results["duckdb"]["map_s"]
            for side, r in results.items():
                if side != "duckdb":
                    total = r["components_s"] + r["map_s"]
                    print(f"  {side}: {total / base:.1f}x DuckDB's time (start and warm-up not counted)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
