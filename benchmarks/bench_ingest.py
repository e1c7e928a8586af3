"""Benchmark: ``ingest_paths`` against a bare DuckDB CSV load of the synthetic world's own files.

Measures on the files users load: the calls and transactions CSVs ``fraudkit synth --format csv``
writes (phone numbers, IMEIs and cells in calls; account numbers in transfers), not on a file of
its own. For each kind it times, back to back in pairs, (a) ``CREATE TABLE t AS SELECT * FROM
read_csv(file)`` into a fresh database and (b) ``ingest_paths`` of the same file into another
fresh database; ``--floor`` adds (c), a plain typed INSERT into the canonical table with no
checks, rejects or dedup (what storing the canonical types costs against (a), which infers
BIGINT for phone and account numbers; identifier columns are stored uncompressed, see
``fraudkit.schema``). Wall and CPU seconds (CPU is robust on a shared machine: user + system of
this process, DuckDB's threads and the fingerprint thread included); the ratios (b)/(a) of the
pairs are reported as min and median (other work on a shared machine only ever adds to them).
Target (issue 15): ratio <= 1.3 per kind.

The world is generated once into ``WORKDIR/world`` (``--subscribers``, ``--seed``; reused when
its ``world.json`` says the same), or read from ``--world``.

``--all-bad`` instead measures memory in rejects: every row of a generated transactions file has
a negative amount, the file is ingested in a child process, and the child's peak RSS is printed
beside that of a child ingesting the clean file of the same size (the figure must not grow with
the rejects).

    python benchmarks/bench_ingest.py --subscribers 1000000 --workdir /tmp/fk-bench --repeat 3
    python benchmarks/bench_ingest.py --world /tmp/world --kinds calls --repeat 5
    python benchmarks/bench_ingest.py --rows 3000000 --all-bad
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from fraudkit.ingest import IngestSummary, ingest_paths
from fraudkit.schema import TABLES, Table
from fraudkit.store import connect

TARGET_RATIO = 1.3
KINDS = ("transactions", "calls")
"""The synthetic world's large files, the ones whose ingest the target is about."""


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float  # user + system seconds of this process, DuckDB's threads included


def measure(run: Callable[[], None]) -> Timing:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu0, wall0 = usage.ru_utime + usage.ru_stime, time.perf_counter()
    run()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return Timing(time.perf_counter() - wall0, usage.ru_utime + usage.ru_stime - cpu0)


def generate_transactions(path: Path, rows: int, seed: int, *, all_bad: bool = False) -> None:
    """Write ``rows`` plausible transfers; hash(i, seed) makes it deterministic and parallel.
    ``all_bad``: every amount negative, so every row is a reject."""
    con = duckdb.connect()
    try:
        con.execute(
            """COPY (
            SELECT 'T' || lpad(i::VARCHAR, 11, '0') AS txn_id,
                   strftime(TIMESTAMP '2024-01-01'
                            + to_seconds((hash(i, $seed, 1) % 31536000)::BIGINT), '%Y-%m-%d %H:%M:%S') AS ts,
                   '6222' || lpad((hash(i, $seed, 2) % 1000000)::VARCHAR, 12, '0') AS src_account,
                   '6228' || lpad((hash(i, $seed, 3) % 1000000)::VARCHAR, 12, '0') AS dst_account,
                   $sign * round(1 + (hash(i, $seed, 4) % 5000000) / 100.0, 2) AS amount,
                   'CNY' AS currency,
                   ['mobile', 'online', 'atm', 'counter', 'third_party'][1 + (hash(i, $seed, 5) % 5)::INT]
                       AS channel,
                   CASE WHEN hash(i, $seed, 6) % 50 = 0 THEN 'failed' ELSE 'success' END AS status
            FROM range($rows) r(i)
            ) TO $path (HEADER, DELIMITER ',')""",
            {"rows": rows, "seed": seed, "path": str(path), "sign": -1 if all_bad else 1},
        )
    finally:
        con.close()


def time_bare(csv: Path, db: Path) -> Timing:
    con = duckdb.connect(str(db))
    try:
        return measure(lambda: con.execute("CREATE TABLE t AS SELECT * FROM read_csv($path)", {"path": str(csv)}))
    finally:
        con.close()


def time_floor(csv: Path, db: Path, table: Table) -> Timing:
    """A typed INSERT of the file's text into the canonical table: no cleaning, checks or dedup."""
    con = duckdb.connect(str(db))
    con.execute(table.ddl())
    names = [c.name for c in table.columns]
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in names) + "}"
    typed = ", ".join(f'CAST("{c.name}" AS {c.sql_type})' for c in table.columns)
    query = f"""INSERT INTO "{table.name}" SELECT {typed}
        FROM read_csv($path, header = true, auto_detect = false, columns = {columns})"""
    try:
        return measure(lambda: con.execute(query, {"path": str(csv)}))
    finally:
        con.close()


def time_ingest(csv: Path, db: Path, kind: str) -> tuple[Timing, int, int]:
    """Ingest ``csv`` as ``kind`` into a fresh store; its timing, rows loaded and rejected."""
    con = connect(db)
    summaries: list[IngestSummary] = []
    try:
        timing = measure(lambda: summaries.append(ingest_paths(con, csv, kind)))
        return timing, summaries[0].loaded, summaries[0].rejected
    finally:
        con.close()


def synth_world(folder: Path, subscribers: int, seed: int) -> Path:
    """The synthetic world's CSVs in ``folder``, generated by the CLI as a user would, unless its
    ``world.json`` records this world already."""
    marker = folder / "world.json"
    if marker.exists():
        config = json.loads(marker.read_text()).get("config", {})
        if (config.get("subscribers"), config.get("seed")) == (subscribers, seed) and all(
            (folder / f"{kind}.csv").exists() for kind in KINDS
        ):
            print(f"reusing the world in {folder} (delete world.json to regenerate)")
            return folder
    started = time.perf_counter()
    command = [sys.executable, "-m", "fraudkit", "synth", "--subscribers", str(subscribers), "--seed", str(seed)]
    subprocess.run([*command, "--out", str(folder), "--format", "csv"], check=True, capture_output=True)
    print(f"generated a {subscribers:,}-subscriber world (seed {seed}) in {time.perf_counter() - started:.0f} s")
    return folder


CHILD = """
import resource, sys
from fraudkit.ingest import IngestSummary, ingest_paths
from fraudkit.store import connect
con = connect(sys.argv[2])
con.execute("SET enable_progress_bar = false")
summary = ingest_paths(con, sys.argv[1], "transactions")
con.close()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux
print(summary.rows_read, summary.loaded, summary.rejected, peak, flush=True)
"""


def child_peak_rss(csv: Path, db: Path) -> tuple[float, tuple[int, int, int]]:
    """Ingest ``csv`` in a fresh process; its peak RSS in MB, as the child measured it, and
    its rows (read, loaded, rejected)."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(csv), str(db)], capture_output=True, text=True, check=True)
    read, loaded, rejected, peak = (int(v) for v in done.stdout.splitlines()[-1].split())
    return peak / 1024, (read, loaded, rejected)


def measure_memory(workdir: Path, rows: int, seed: int, keep: bool) -> int:
    """Peak RSS of a child ingesting an all-bad file, then one ingesting a clean file."""
    results = []
    for all_bad in (True, False):
        csv = workdir / f"transactions_{rows}_{seed}{'_bad' if all_bad else ''}.csv"
        if not csv.exists():
            generate_transactions(csv, rows, seed, all_bad=all_bad)
        db = workdir / f"memory{'_bad' if all_bad else ''}.duckdb"
        for path in (db, db.with_name(db.name + ".wal")):
            path.unlink(missing_ok=True)
        try:
            peak, (read, loaded, rejected) = child_peak_rss(csv, db)
        finally:
            for path in (db, db.with_name(db.name + ".wal")):
                path.unlink(missing_ok=True)
            size = csv.stat().st_size / 1e6
            if not keep:
                csv.unlink(missing_ok=True)
        label = "all-bad" if all_bad else "clean"
        print(
            f"{label:<8}: {size:7,.0f} MB file, {read:,} read, {loaded:,} loaded, {rejected:,} rejected: "
            f"peak RSS {peak:7,.0f} MB"
        )
        results.append(peak)
    print(f"peak RSS all-bad / clean: {results[0] / results[1]:.2f}")
    return 0


def line_count(csv: Path) -> int:
    """Data lines of a CSV with one header line and no blank lines (the synth's files)."""
    with csv.open("rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(8 << 20), b"")) - 1


def bench_kind(csv: Path, kind: str, workdir: Path, repeat: int, floor: bool) -> dict[str, list[float]]:
    """Pairs of (bare, ingest) loads of ``csv``, plus the floor when asked; prints and returns the ratios."""
    rows = line_count(csv)
    size = csv.stat().st_size / 1e6
    print(f"{kind}: {csv} ({rows:,} rows, {size:,.0f} MB)")
    databases = {name: workdir / f"{kind}_{name}.duckdb" for name in ("bare", "floor", "ingest")}

    def fresh(db: Path) -> Path:
        for path in (db, db.with_name(db.name + ".wal")):
            path.unlink(missing_ok=True)
        return db

    runs: dict[str, list[Timing]] = {"bare": [], "floor": [], "ingest": []}
    try:
        for _ in range(repeat):
            runs["bare"].append(time_bare(csv, fresh(databases["bare"])))
            fresh(databases["bare"])
            timing, loaded, rejected = time_ingest(csv, fresh(databases["ingest"]), kind)
            fresh(databases["ingest"])
            runs["ingest"].append(timing)
            if loaded != rows or rejected:
                print(f"WARNING: ingest loaded {loaded:,} of {rows:,} rows, {rejected:,} rejected")
            if floor:
                runs["floor"].append(time_floor(csv, fresh(databases["floor"]), TABLES[kind]))
                fresh(databases["floor"])
    finally:
        for db in databases.values():
            fresh(db)
    labels = {"bare": "bare read_csv", "floor": "floor (no checks)", "ingest": "ingest_paths"}
    for name, timings in runs.items():
        if timings:
            t = min(timings, key=lambda t: t.wall)
            print(f"  {labels[name]:<18}: {t.wall:7.2f} s wall {t.cpu:7.2f} s cpu {rows / t.wall:12,.0f} rows/s (best)")
    pairs = list(zip(runs["bare"], runs["ingest"], strict=True))
    ratios = {
        "wall": sorted(i.wall / b.wall for b, i in pairs),
        "cpu": sorted(i.cpu / b.cpu for b, i in pairs),
    }
    wall, cpu = ratios["wall"], ratios["cpu"]
    verdict = "met" if statistics.median(wall) <= TARGET_RATIO and statistics.median(cpu) <= TARGET_RATIO else "MISSED"
    print(
        f"  ratio ingest/bare : {wall[0]:5.2f} min {statistics.median(wall):5.2f} median wall, "
        f"{cpu[0]:5.2f} min {statistics.median(cpu):5.2f} median cpu  (target <= {TARGET_RATIO}: {verdict})"
    )
    if runs["floor"]:
        floors = sorted(f.wall / b.wall for b, f in zip(runs["bare"], runs["floor"], strict=True))
        print(f"  ratio floor/bare  : {floors[0]:5.2f} min {statistics.median(floors):5.2f} median wall")
    print(
        "  pairs (s wall/cpu): "
        + ", ".join(f"{b.wall:.1f}/{b.cpu:.1f} bare, {i.wall:.1f}/{i.cpu:.1f} ingest" for b, i in pairs)
    )
    return ratios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000, help="world to generate (default 1M)")
    parser.add_argument("--world", type=Path, default=None, help="a folder of synth CSVs to use instead")
    parser.add_argument("--kinds", default=",".join(KINDS), help="which files, comma-separated (default both)")
    parser.add_argument("--workdir", type=Path, default=None, help="where to put the world and databases")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated data")
    parser.add_argument("--repeat", type=int, default=1, help="pairs of runs; ratios reported as min and median")
    parser.add_argument("--floor", action="store_true", help="also time a typed insert with no checks")
    parser.add_argument("--keep", action="store_true", help="keep generated files")
    parser.add_argument("--all-bad", action="store_true", help="measure peak memory of an all-rejects file instead")
    parser.add_argument("--rows", type=int, default=3_000_000, help="with --all-bad: rows to generate")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if unknown := [k for k in kinds if k not in KINDS]:
        parser.error(f"--kinds: {', '.join(unknown)} (choose from {', '.join(KINDS)})")

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="fraudkit-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        if args.all_bad:
            return measure_memory(workdir, args.rows, args.seed, args.keep)
        world = args.world or synth_world(workdir / "world", args.subscribers, args.seed)
        missed = False
        for kind in kinds:
            ratios = bench_kind(world / f"{kind}.csv", kind, workdir, args.repeat, args.floor)
            missed |= max(statistics.median(r) for r in ratios.values()) > TARGET_RATIO
        print(f"target <= {TARGET_RATIO} (median wall and cpu, every kind): {'MISSED' if missed else 'met'}")
        return 0
    finally:
        if args.workdir is None and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
