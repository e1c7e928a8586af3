"""Benchmark: the chain, and connected components with a per-component map, on DuckDB and on Spark.

    python benchmarks/bench_engines.py --chain --subscribers 1000000
    python benchmarks/bench_engines.py --edges 100000 1000000

``--chain`` runs the commands a user types on a synthetic world (generated with ``fraudkit synth``
into the work folder once, then reused): ``ingest`` of its five tables, ``scan`` and ``features``,
on DuckDB (the store) and on Spark local[1] / local[2] (``--engine spark --lake``: the rows go to a
Parquet lake, the graph steps and the features per shard run on Spark). Each command is its own
process, timed with its CPU and the peak memory of its largest process (the JVM, on Spark); the
scan's and the features' Parquet outputs must be the same on every engine (``--reveal``, so the
store's pseudonym key does not differ between stores).

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
CHAIN_TABLES = ("subscribers", "accounts", "calls", "transactions", "reports")
CHAIN_STEPS = ("ingest", "scan", "features")
FRAUDKIT = [sys.executable, "-m", "fraudkit"]


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


def _process_tree(root: int) -> dict[int, tuple[int, float]]:
    """pid -> (RSS bytes, CPU seconds so far) of ``root`` and every process under it, from /proc."""
    import os

    tick, page = os.sysconf("SC_CLK_TCK"), os.sysconf("SC_PAGE_SIZE")
    stats: dict[int, tuple[int, int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        stats[int(entry)] = (int(fields[1]), int(fields[21]) * page, (int(fields[11]) + int(fields[12])) / tick)
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (ppid, _, _) in stats.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier += children
    return {pid: (stats[pid][1], stats[pid][2]) for pid in tree if pid in stats}


def timed(command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run a command: wall seconds, and sampled every 0.2 s over its whole process tree (the JVM and
    Spark's Python workers included, which no one waits for), CPU seconds and the peak of the summed RSS (GiB)."""
    import os
    import threading

    started = time.perf_counter()
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env}
    )
    peak, cpu_by_pid = 0, {}
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            tree = _process_tree(child.pid)
            peak = max(peak, sum(rss for rss, _ in tree.values()))
            for pid, (_, cpu) in tree.items():
                cpu_by_pid[pid] = max(cpu, cpu_by_pid.get(pid, 0.0))
            stop.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    if child.returncode != 0:
        sys.stderr.write(out[-2000:] + err[-4000:])
        raise SystemExit(f"failed ({child.returncode}): {' '.join(command)}")
    figures = {"wall": wall, "cpu": sum(cpu_by_pid.values()), "rss": peak / 1024**3}
    said = f"{wall:.1f} s, CPU {figures['cpu']:.1f} s, {figures['rss']:.2f} GiB"
    print(f"    {' '.join(command[2:5])}: {said}", flush=True)
    return figures


def output_digest(folder: Path) -> str:
    """One digest of every Parquet file under ``folder``: each read, its rows sorted, written as CSV."""
    parts = []
    for path in sorted(folder.rglob("*.parquet")):
        frame = pl.read_parquet(path)
        parts.append(f"{path.relative_to(folder)}:{digest(frame.sort(frame.columns, nulls_last=True))}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def run_chain(side: str, world: Path, workdir: Path, steps: list[str]) -> dict[str, Any]:
    """The chain's commands for one engine on a fresh store (and lake): figures per step, outputs' digests."""
    import shutil

    folder = workdir / side.replace("[", "").replace("]", "")
    if "ingest" in steps:  # a fresh store and lake; without ingest, the last run's are reused
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    db = ["--db", str(folder / "fraudkit.duckdb")]
    on_spark = [] if side == "duckdb" else ["--engine", "spark", "--lake", str(folder / "lake")]
    env = {} if side == "duckdb" else {"FRAUDKIT_SPARK_MASTER": side.removeprefix("spark-")}
    env["FRAUDKIT_SPARK_DRIVER_MEMORY"] = "4g"  # the Polars forms bring results to the driver
    figures: dict[str, Any] = {}
    if "ingest" in steps:
        parts = [
            timed([*FRAUDKIT, "ingest", str(world / f"{t}.parquet"), "--kind", t, *db, *on_spark], env)
            for t in CHAIN_TABLES
        ]
        figures["ingest"] = {
            "wall": sum(p["wall"] for p in parts),
            "cpu": sum(p["cpu"] for p in parts),
            "rss": max(p["rss"] for p in parts),
        }
    for step in ("scan", "features"):
        if step in steps:
            out = folder / step
            figures[step] = timed([*FRAUDKIT, step, "--out", str(out), "--reveal", *db, *on_spark], env)
            figures[step]["digest"] = output_digest(out)
    return figures


def chain(args: argparse.Namespace) -> int:
    """``--chain``: the commands on a cached world, per engine; a table of wall, CPU and memory."""
    world = args.workdir / f"world-{args.subscribers}-{args.seed}"
    if not (world / "transactions.parquet").exists():
        print(f"generating a {args.subscribers:,}-subscriber world into {world} ...", flush=True)
        command = [*FRAUDKIT, "synth", "--subscribers", str(args.subscribers), "--seed", str(args.seed)]
        subprocess.run([*command, "--out", str(world)], check=True, capture_output=True)
    steps = list(args.steps)
    results = {}
    for side in args.sides:
        print(f"  {side}:", flush=True)
        results[side] = run_chain(side, world, args.workdir, steps)
    print(f"\nthe chain on {args.subscribers:,} subscribers (seed {args.seed}): wall s / CPU s / peak GiB")
    print(f"  {'step':<10}" + "".join(f"{side:>26}" for side in args.sides))
    for step in steps:
        cells = [results[side][step] for side in args.sides]
        print(f"  {step:<10}" + "".join(f"{c['wall']:>10.1f} {c['cpu']:>7.1f} {c['rss']:>6.2f}  " for c in cells))
    totals = {side: sum(results[side][step]["wall"] for step in steps) for side in args.sides}
    print(f"  {'total':<10}" + "".join(f"{totals[side]:>10.1f} {'':>16}" for side in args.sides))
    if "duckdb" in totals:
        for side in args.sides:
            if side != "duckdb":
                print(f"  {side}: {totals[side] / totals['duckdb']:.1f}x DuckDB's wall time")
    for step in ("scan", "features"):
        if step in steps:
            digests = {results[side][step]["digest"] for side in args.sides}
            print(f"  same {step} outputs on every engine: {'yes' if len(digests) == 1 else 'NO'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--edges", type=int, nargs="+", default=[100_000, 1_000_000], help="edge list sizes")
    parser.add_argument("--chain", action="store_true", help="time the commands (ingest, scan, features) instead")
    parser.add_argument("--subscribers", type=int, default=1_000_000, help="with --chain: the world's size")
    parser.add_argument("--steps", nargs="+", choices=CHAIN_STEPS, default=list(CHAIN_STEPS), help="with --chain")
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
    if args.chain:
        return chain(args)
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
