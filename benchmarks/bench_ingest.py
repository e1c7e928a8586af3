"""Benchmark: ``ingest_paths`` against a bare DuckDB CSV load of the same transactions file.

Generates a seeded transactions CSV with DuckDB (vectorised, no Python rows), then times
(a) ``CREATE TABLE t AS SELECT * FROM read_csv(file)`` into a fresh database,
(b) ``ingest_paths`` of the same file into another fresh database, and, for context,
(c) the "floor": a plain typed INSERT into the canonical ``transactions`` table with no
checks, rejects or dedup (what storing the canonical types costs against (a), which infers
BIGINT for account numbers; identifier columns are stored uncompressed, see
``fraudkit.schema``). Prints wall and CPU seconds (CPU is robust on a shared machine),
rows/s and the ratios (b)/(a). Target: ratio <= 1.5. Each repeat runs (a) and (b) back
to back, so each pair shares the machine's conditions; the ratios of the pairs are
reported as min and median (other work on a shared machine only ever adds to them).

``--all-bad`` instead measures memory in rejects: every row of the generated file has a
negative amount, the file is ingested in a child process, and the child's peak RSS is
printed beside that of a child ingesting the clean file of the same size (the figure must
not grow with the rejects).

    python benchmarks/bench_ingest.py --rows 10000000 --workdir /tmp/fk-bench
    python benchmarks/bench_ingest.py --rows 3000000 --all-bad
"""

from __future__ import annotations

import argparse
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

from fraudkit.ingest import ingest_paths
from fraudkit.schema import TRANSACTIONS
from fraudkit.store import connect

TARGET_RATIO = 1.5


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


def time_floor(csv: Path, db: Path) -> Timing:
    con = duckdb.connect(str(db))
    con.execute(TRANSACTIONS.ddl())
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in TRANSACTIONS.column_names) + "}"
    query = f"""INSERT INTO transactions
        SELECT txn_id, CAST(ts AS TIMESTAMP), src_account, dst_account, CAST(amount AS DECIMAL(18,2)),
               currency, channel, status
        FROM read_csv($path, header = true, auto_detect = false, columns = {columns})"""
    try:
        return measure(lambda: con.execute(query, {"path": str(csv)}))
    finally:
        con.close()


def time_ingest(csv: Path, db: Path) -> tuple[Timing, int]:
    con = connect(db)
    loaded: list[int] = []
    try:
        timing = measure(lambda: loaded.append(ingest_paths(con, csv, "transactions").loaded))
        return timing, loaded[0]
    finally:
        con.close()


CHILD = """
import resource, sys
from fraudkit.ingest import ingest_paths
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows to generate (default 10M)")
    parser.add_argument("--workdir", type=Path, default=None, help="where to put the CSV and databases")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated data")
    parser.add_argument("--repeat", type=int, default=1, help="pairs of runs; ratios reported as min and median")
    parser.add_argument("--keep", action="store_true", help="keep the generated CSV")
    parser.add_argument("--all-bad", action="store_true", help="measure peak memory of an all-rejects file instead")
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="fraudkit-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.all_bad:
        try:
            return measure_memory(workdir, args.rows, args.seed, args.keep)
        finally:
            if args.workdir is None:
                shutil.rmtree(workdir, ignore_errors=True)
    csv = workdir / f"transactions_{args.rows}_{args.seed}.csv"
    databases = [workdir / f"{name}.duckdb" for name in ("bare", "floor", "ingest")]

    def fresh(db: Path) -> Path:
        for path in (db, db.with_name(db.name + ".wal")):
            path.unlink(missing_ok=True)
        return db

    try:
        if not csv.exists():
            started = time.perf_counter()
            generate_transactions(csv, args.rows, args.seed)
            size = csv.stat().st_size / 1e6
            print(f"generated {args.rows:,} rows ({size:,.0f} MB) in {time.perf_counter() - started:.1f} s")
        runs: dict[str, list[Timing]] = {"bare": [], "floor": [], "ingest": []}
        for _ in range(args.repeat):
            runs["bare"].append(time_bare(csv, fresh(databases[0])))
            runs["floor"].append(time_floor(csv, fresh(databases[1])))
            timing, loaded = time_ingest(csv, fresh(databases[2]))
            runs["ingest"].append(timing)
            if loaded != args.rows:
                print(f"WARNING: ingest loaded {loaded:,} of {args.rows:,} rows")
        best = {name: min(timings, key=lambda t: t.wall) for name, timings in runs.items()}
        labels = {"bare": "bare read_csv", "floor": "floor (no checks)", "ingest": "ingest_paths"}
        for name, t in best.items():
            print(f"{labels[name]:<18}: {t.wall:7.2f} s wall {t.cpu:7.2f} s cpu {args.rows / t.wall:12,.0f} rows/s")
        pairs = list(zip(runs["bare"], runs["ingest"], runs["floor"], strict=True))
        wall = sorted(i.wall / b.wall for b, i, _ in pairs)
        cpu = sorted(i.cpu / b.cpu for b, i, _ in pairs)
        floor = sorted(f.wall / b.wall for b, _, f in pairs)
        verdict = (
            "met" if statistics.median(wall) <= TARGET_RATIO and statistics.median(cpu) <= TARGET_RATIO else "MISSED"
        )
        print(
            f"ratio ingest/bare : {wall[0]:5.2f} min {statistics.median(wall):5.2f} median wall, "
            f"{cpu[0]:5.2f} min {statistics.median(cpu):5.2f} median cpu  (target <= {TARGET_RATIO}: {verdict})"
        )
        print(f"ratio floor/bare  : {floor[0]:5.2f} min {statistics.median(floor):5.2f} median wall")
        print(
            "pairs (wall, cpu)  : "
            + ", ".join(
                f"{w:.2f}/{c:.2f}"
                for w, c in zip(
                    (i.wall / b.wall for b, i, _ in pairs), (i.cpu / b.cpu for b, i, _ in pairs), strict=True
                )
            )
        )
        return 0
    finally:
        for db in databases:
            fresh(db)
        if not args.keep:
            csv.unlink(missing_ok=True)
            if args.workdir is None:
                shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
