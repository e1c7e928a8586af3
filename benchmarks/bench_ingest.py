"""Benchmark: ``ingest_paths`` against a bare DuckDB CSV load of the same transactions file.

Generates a seeded transactions CSV with DuckDB (vectorised, no Python rows), then times
(a) ``CREATE TABLE t AS SELECT * FROM read_csv(file)`` into a fresh database and
(b) ``ingest_paths`` of the same file into another fresh database, and prints rows/s
and the ratio (b)/(a). Target: ratio <= 1.5.

    python benchmarks/bench_ingest.py --rows 10000000 --workdir /tmp/fk-bench
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from fraudkit.ingest import ingest_paths
from fraudkit.store import connect

TARGET_RATIO = 1.5


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


def time_bare(csv: Path, db: Path) -> float:
    con = duckdb.connect(str(db))
    try:
        started = time.perf_counter()
        con.execute("CREATE TABLE t AS SELECT * FROM read_csv($path)", {"path": str(csv)})
        return time.perf_counter() - started
    finally:
        con.close()


def time_ingest(csv: Path, db: Path) -> tuple[float, int]:
    con = connect(db)
    try:
        started = time.perf_counter()
        summary = ingest_paths(con, csv, "transactions")
        return time.perf_counter() - started, summary.loaded
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows to generate (default 10M)")
    parser.add_argument("--workdir", type=Path, default=None, help="where to put the CSV and databases")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated data")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="fraudkit-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    csv = workdir / f"transactions_{args.rows}.csv"
    try:
        if not csv.exists():
            started = time.perf_counter()
            generate_transactions(csv, args.rows, args.seed)
            print(
                f"generated {args.rows:,} rows ({csv.stat().st_size / 1e6:,.0f} MB) "
                f"in {time.perf_counter() - started:.1f} s"
            )
        for name in ("bare.duckdb", "ingest.duckdb"):
            (workdir / name).unlink(missing_ok=True)
        bare = time_bare(csv, workdir / "bare.duckdb")
        ingest, loaded = time_ingest(csv, workdir / "ingest.duckdb")
        if loaded != args.rows:
            print(f"WARNING: loaded {loaded:,} of {args.rows:,} rows")
        ratio = ingest / bare
        print(f"bare read_csv : {bare:7.2f} s  {args.rows / bare:12,.0f} rows/s")
        print(f"ingest_paths  : {ingest:7.2f} s  {args.rows / ingest:12,.0f} rows/s")
        print(f"ratio         : {ratio:7.2f}  (target <= {TARGET_RATIO})")
        return 0 if ratio <= TARGET_RATIO else 1
    finally:
        if not args.keep:
            for name in ("bare.duckdb", "ingest.duckdb"):
                (workdir / name).unlink(missing_ok=True)
            if args.workdir is None:
                shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
