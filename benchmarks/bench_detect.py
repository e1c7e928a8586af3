"""Benchmark: detection on a data folder and a labels file, beside a plain baseline on the same folds.

    python benchmarks/bench_detect.py --preset transfers --subscribers 20000 --seed 2
    python benchmarks/bench_detect.py --data DIR --labels bad_accounts.csv [--mapping transactions=map.toml]

A world is either generated (``--preset``, labels from its truth: the mules, grouped by ring) or
read from ``--data`` (canonical-table files: transactions, and accounts, calls, subscribers, reports
when present; CSV, gzip-compressed CSV or Parquet, each with an optional ``--mapping kind=FILE``) with
``--labels`` (a CSV or Parquet of known bad accounts: ``account_id`` and an optional ``group``, the case
or ring). The files are ingested into a fresh store under ``--workdir`` as ``fraudkit ingest`` does.

Then, as of the store's last transfer:
1. the unsupervised detectors: the water-house scan over ``--scan-window`` (fast pass-through) and,
   when the package has it, the dense-flow detector over ``--dense-window``; their flagged members are
   scored against the labels (account-level precision, recall, F1);
2. the account-level mule model's inputs (``fraudkit.model.mule.mule_rows``) in ring-grouped k-fold
   cross-validation (no ring in two folds; the next fold validates and picks the flag threshold);
3. a plain baseline on exactly those rows and folds: LightGBM over per-account flow and graph
   features written here with no knowledge of fraudkit's (in and out counts, sums and
   counterparties, amount spread, first and last activity, active days, pagerank, k-core number,
   clustering coefficient, reciprocity), the kind a data scientist builds in an afternoon.
Prints one table: precision, recall, F1 (and PR-AUC for the models) with each step's seconds.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fraudkit import synth  # noqa: E402
from fraudkit.model.external import flagged_quality, read_labels, truth_labels  # noqa: E402
from fraudkit.scan.scan import ScanResult  # noqa: E402
from fraudkit.schema import TABLES  # noqa: E402
from fraudkit.store import connect  # noqa: E402

c = pl.col
SUFFIXES = (".parquet", ".csv", ".csv.gz", ".tsv", ".tsv.gz")
BASELINE = (
    "in_count",
    "out_count",
    "in_sum",
    "out_sum",
    "in_partners",
    "out_partners",
    "amount_mean",
    "amount_std",
    "first_seen_days",
    "last_seen_days",
    "active_days",
    "pagerank",
    "core_number",
    "clustering",
    "reciprocity",
)
"""The plain baseline's features."""


def table_files(folder: Path) -> dict[str, Path]:
    """The canonical-table files of ``folder``, by kind (``transactions.csv.gz`` -> transactions)."""
    found: dict[str, Path] = {}
    for kind in TABLES:
        for suffix in SUFFIXES:
            path = folder / f"{kind}{suffix}"
            if path.exists():
                found[kind] = path
                break
    if "transactions" not in found:
        raise SystemExit(f"{folder}: no transactions file ({', '.join('transactions' + s for s in SUFFIXES)})")
    return found


def load_store(db: Path, files: dict[str, Path], mappings: dict[str, Path]) -> None:
    """Ingest every file into a fresh store at ``db``, printing what each loaded and rejected."""
    from fraudkit.ingest.pipeline import ingest_paths

    for suffix in ("", ".wal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    with connect(db) as con:
        for kind in ("subscribers", "accounts", "calls", "transactions", "reports", "outcomes"):
            if kind in files:
                summary = ingest_paths(con, [files[kind]], kind, mappings.get(kind))
                print(f"  {kind}: {summary.loaded:,} loaded, {summary.rejected:,} rejected", flush=True)


def generated(args: argparse.Namespace) -> tuple[Path, pl.DataFrame]:
    """A generated world in a store under the workdir, and its mules as labels."""
    folder = args.workdir / f"{args.preset}-{args.subscribers}-{args.seed}"
    db = folder / "fraudkit.duckdb"
    labels_file = folder / "labels.parquet"
    if not (db.exists() and labels_file.exists()):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        world = synth.generate_world(
            synth.SynthConfig.preset(args.preset, seed=args.seed, subscribers=args.subscribers)
        )
        synth.store_world(world, db)
        truth_labels(world.truth["mules"]).write_parquet(labels_file)
    return db, pl.read_parquet(labels_file)


def last_transfer(db: Path) -> datetime:
    from fraudkit.timeutil import default_as_of

    with connect(db, read_only=True) as con:
        return default_as_of(con)


def active_labels(db: Path, as_of: datetime, window: timedelta, labels: pl.DataFrame) -> pl.DataFrame:
    """The known bad accounts that moved money in ``[as_of - window, as_of)``: all a detector looking at
    that window can find (a ring that worked only before it is no miss of the window's)."""
    with connect(db, read_only=True) as con:
        active = con.sql(
            "SELECT DISTINCT unnest([src_account, dst_account]) AS account_id FROM transactions"
            " WHERE ts >= ? AND ts < ?",
            params=[as_of - window, as_of],
        ).pl()
    return labels.join(active, on="account_id", how="semi")


def detector_quality(
    db: Path, as_of: datetime, window: timedelta, labels: pl.DataFrame, accounts: int, detector: str
) -> dict:
    """One detector of the scan over ``window`` (the fast scan's window, the dense detector's span), its
    flagged members scored against the known bad accounts that moved money in that window."""
    from fraudkit.scan.scan import run_scan

    labels = active_labels(db, as_of, window, labels)
    with connect(db, read_only=True) as con:
        if detector == "fast":
            result = run_scan(con, as_of=as_of, window=window, detectors=("fast",))
        else:
            result = run_scan(con, as_of=as_of, window=timedelta(days=7), detectors=(detector,), span=window)
    return _quality(result, labels, accounts)


def both_quality(
    db: Path, as_of: datetime, windows: tuple[timedelta, timedelta], labels: pl.DataFrame, accounts: int
) -> dict:
    """The scan as a user runs it on this data (detectors "auto"), against the accounts active in what it
    read (the window, and the span when the dense detector ran)."""
    from fraudkit.scan.scan import run_scan

    with connect(db, read_only=True) as con:
        result = run_scan(con, as_of=as_of, window=windows[0], span=windows[1])
    return _quality(result, active_labels(db, as_of, result.truth_window, labels), accounts)


def _quality(result: ScanResult, labels: pl.DataFrame, accounts: int) -> dict:
    """The flagged members of ``result`` against ``labels``, and how many clusters were flagged."""
    quality = flagged_quality(result.flagged_accounts, labels, accounts=accounts)
    return {"quality": quality, "flagged_clusters": result.flagged.height}


def baseline_features(db: Path, as_of: datetime, history: timedelta) -> pl.DataFrame:
    """The plain baseline: per-account flow and graph features over ``[as_of - history, as_of)``."""
    import igraph as ig

    with connect(db, read_only=True) as con:
        txns = con.sql(
            "SELECT src_account AS src, dst_account AS dst, amount::DOUBLE AS amount, ts FROM transactions"
            " WHERE ts >= ? AND ts < ? AND coalesce(status, 'success') = 'success' AND src_account <> dst_account",
            params=[as_of - history, as_of],
        ).pl()
    days = (pl.lit(as_of) - c("ts")).dt.total_seconds() / 86_400.0
    out = txns.group_by(c("src").alias("account_id")).agg(
        c("amount").count().alias("out_count"),
        c("amount").sum().alias("out_sum"),
        c("dst").n_unique().alias("out_partners"),
    )
    into = txns.group_by(c("dst").alias("account_id")).agg(
        c("amount").count().alias("in_count"),
        c("amount").sum().alias("in_sum"),
        c("src").n_unique().alias("in_partners"),
    )
    moves = pl.concat(
        [
            txns.select(c("src").alias("account_id"), "amount", "ts"),
            txns.select(c("dst").alias("account_id"), "amount", "ts"),
        ]
    )
    spread = (
        moves.with_columns(days.alias("ago"))
        .group_by("account_id")
        .agg(
            c("amount").mean().alias("amount_mean"),
            c("amount").std().fill_null(0.0).alias("amount_std"),
            c("ago").max().alias("first_seen_days"),
            c("ago").min().alias("last_seen_days"),
            c("ts").dt.date().n_unique().alias("active_days"),
        )
    )
    names = spread["account_id"].sort()
    index = {name: i for i, name in enumerate(names.to_list())}
    pairs = txns.group_by("src", "dst").agg(c("amount").sum())
    src = pairs["src"].replace_strict(index, return_dtype=pl.Int64).to_numpy()
    dst = pairs["dst"].replace_strict(index, return_dtype=pl.Int64).to_numpy()
    graph = ig.Graph(n=len(index), edges=np.column_stack([src, dst]).tolist(), directed=True)
    pagerank = graph.pagerank(weights=pairs["amount"].to_list())
    undirected = graph.as_undirected(mode="collapse")
    core = undirected.coreness()
    clustering = undirected.transitivity_local_undirected(mode="zero")
    reverse = pairs.select(c("dst").alias("src"), c("src").alias("dst"), pl.lit(1).alias("back"))
    mutual = (
        pairs.join(reverse, on=["src", "dst"], how="left")
        .group_by(c("src").alias("account_id"))
        .agg((c("back").fill_null(0).sum() / c("back").len()).alias("reciprocity"))
    )
    graph_frame = pl.DataFrame(
        {"account_id": names, "pagerank": pagerank, "core_number": core, "clustering": clustering}
    )
    frame = (
        graph_frame.join(spread, on="account_id", how="left")
        .join(out, on="account_id", how="left")
        .join(into, on="account_id", how="left")
        .join(mutual, on="account_id", how="left")
    )
    return frame.with_columns(c(name).fill_null(0).cast(pl.Float64) for name in BASELINE)


def supervised(db: Path, as_of: datetime, labels: pl.DataFrame, scan_window: timedelta) -> dict[str, dict]:
    """fraudkit's mule inputs and the baseline's, each in the same ring-grouped folds."""
    from fraudkit.model.grouped import grouped_cv
    from fraudkit.model.mule import mule_rows, usable_features, with_labels
    from fraudkit.model.params import TrainParams
    from fraudkit.settings import Settings

    params = TrainParams(target="mule")
    settings = Settings()
    figures: dict[str, dict] = {}
    started = time.perf_counter()
    with connect(db, read_only=True) as con:
        rows = mule_rows(con, as_of, params.mule, scan_window=scan_window)
    features, dropped = usable_features(rows)
    frame = with_labels(rows.frame, labels, params.mule, "labels")
    built = time.perf_counter() - started
    started = time.perf_counter()
    figures["fraudkit mule model"] = grouped_cv(frame, features, params, settings) | {
        "seconds": built + time.perf_counter() - started,
        "features": len(features),
        "dropped": len(dropped),
    }
    started = time.perf_counter()
    plain = baseline_features(db, as_of, params.mule.history)
    base = frame.select("account_id", "label", "group", "fold").join(plain, on="account_id", how="left")
    base = base.with_columns(c(name).fill_null(0.0) for name in BASELINE)
    figures["plain baseline"] = grouped_cv(base, BASELINE, params, settings) | {
        "seconds": time.perf_counter() - started,
        "features": len(BASELINE),
        "dropped": 0,
    }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--preset", default=None, help="generate a world of this synth preset (default, alt, transfers)"
    )
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--data", type=Path, default=None, help="a folder of canonical-table files")
    parser.add_argument("--labels", type=Path, default=None, help="known bad accounts (account_id[, group])")
    parser.add_argument("--mapping", action="append", default=[], help="kind=FILE, a mapping for one kind")
    parser.add_argument("--scan-window", type=float, default=7.0, help="days the fast scan looks back")
    parser.add_argument("--dense-window", type=float, default=90.0, help="days the dense detector looks back")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/fraudkit-bench-detect"))
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    if (args.preset is None) == (args.data is None):
        parser.error("give either --preset or --data (with --labels)")
    if args.data is not None:
        if args.labels is None:
            parser.error("--data needs --labels")
        mappings = dict(item.split("=", 1) for item in args.mapping)
        db = args.workdir / "data.duckdb"
        print(f"ingesting {args.data} into {db}", flush=True)
        load_store(db, table_files(args.data), {k: Path(v) for k, v in mappings.items()})
        labels = read_labels(args.labels)
        world = str(args.data)
    else:
        db, labels = generated(args)
        world = f"preset {args.preset}, {args.subscribers:,} subscribers, seed {args.seed}"
    as_of = last_transfer(db)
    with connect(db, read_only=True) as con:
        accounts = int(con.execute("SELECT count(*) FROM accounts").fetchall()[0][0])
    print(f"{world}: {accounts:,} accounts, {labels.height:,} known bad; as of {as_of:%Y-%m-%d %H:%M}", flush=True)

    rows: list[tuple[str, float, float, float, float, float]] = []
    fast, dense = timedelta(days=args.scan_window), timedelta(days=args.dense_window)
    for name, run in (
        ("scan: fast", lambda: detector_quality(db, as_of, fast, labels, accounts, "fast")),
        ("scan: dense", lambda: detector_quality(db, as_of, dense, labels, accounts, "dense")),
        ("scan: auto (as run)", lambda: both_quality(db, as_of, (fast, dense), labels, accounts)),
    ):
        started = time.perf_counter()
        q = run()["quality"]
        rows.append((name, q.precision, q.recall, q.f1, float("nan"), time.perf_counter() - started))
    for name, f in supervised(db, as_of, labels, timedelta(days=args.scan_window)).items():
        rows.append((name, f["cv_precision"], f["cv_recall"], f["cv_f1"], f["cv_auc_pr"], f["seconds"]))

    print(f"\n{'method':<22}{'precision':>10}{'recall':>8}{'F1':>7}{'PR-AUC':>8}{'seconds':>9}")
    for name, p, r, f1, auc, seconds in rows:
        print(f"{name:<22}{p:>10.3f}{r:>8.3f}{f1:>7.3f}{auc:>8.3f}{seconds:>9.1f}")
    print(
        "(models: pooled over ring-grouped folds, each account tested once; detectors: flagged members against"
        " the known bad accounts that moved money in their window)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
