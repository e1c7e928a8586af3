"""Benchmark: ``ingest_paths`` against a bare DuckDB CSV load of the same transactions file.

Generates a seeded transactions CSV with DuckDB (vectorised, no Python rows), then times
(a) ``CREATE TABLE t AS SELECT * FROM read_csv(file)`` into a fresh database,
(b) ``ingest_paths`` of the same file into another fresh database, and, for context,
(c) the "floor": a plain typed INSERT into the canonical ``transactions`` table with no
checks, rejects or dedup (what storing the canonical types costs against (a), which infers
BIGINT for account numbers; identifier columns are stored uncompressed, see
``fraudkit.schema``). Prints wall and CPU seconds (CPU is robust on a shared machine),
rows/s and the ratio (b)/(a). Target: ratio <= 1.5.

    python benchmarks/bench_ingest.py --rows 10000000 --workdir /tmp/fk-bench
"""

from __future__ import annotations

import argparse
import resource
import shutil
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


def generate_transactions(path: Path, rows: int, seed: int) -> None:
    """Write ``rows`` plausible transfers; hash(i, seed) makes it deterministic and parallel."""
    con = duckdb.connect()
    try:
        con.execute(
            """COPY (
            SELECT 'T' || lpad(i::VARCHAR, 11, '0') AS txn_id,
                   strftime(TIMESTAMP '2024-01-01'
                            + to_seconds((hash(i, $seed, 1) % 31536000)::BIGINT), '%Y-%m-%d %H:%M:%S') AS ts,
                   '6222' || lpad((hash(i, $seed, 2) % 1000000)::VARCHAR, 12, '0') AS src_account,
                   '6228' || lpad((hash(i, $seed, 3) % 1000000)::VARCHAR, 12, '0') AS dst_account,
                   round(1 + (hash(i, $seed, 4) % 5000000) / 100.0, 2) AS amount,
                   'CNY' AS currency,
                   ['mobile', 'online', 'atm', 'counter', 'third_party'][1 + (hash(i, $seed, 5) % 5)::INT]
                       AS channel,
                   CASE WHEN hash(i, $seed, 6) % 50 = 0 THEN 'failed' ELSE 'success' END AS status
            FROM range($rows) r(i)
            ) TO $path (HEADER, DELIMITER ',')""",
            {"rows": rows, "seed": seed, "path": str(path)},
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows to generate (default 10M)")
    parser.add_argument("--workdir", type=Path, default=None, help="where to put the CSV and databases")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated data")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the fastest counts")
    parser.add_argument("--keep", action="store_true", help="keep the generated CSV")
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="fraudkit-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
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
        ratio = best["ingest"].wall / best["bare"].wall
        cpu_ratio = best["ingest"].cpu / best["bare"].cpu
        floor_ratio = best["floor"].wall / best["bare"].wall
        verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
        print(f"ratio ingest/bare : {ratio:7.2f} wall {cpu_ratio:7.2f} cpu  (target <= {TARGET_RATIO}: {verdict})")
        print(f"ratio floor/bare  : {floor_ratio:7.2f} wall")
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
