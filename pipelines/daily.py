"""The daily batch: ingest the day's drop, scan for water houses, draw up the call-back list, report.

What a scheduler runs once a day after the operators' and banks' files arrive::

    python -m pipelines.daily --drop /data/drops/2026-10-31 --db /srv/fraudkit/fraudkit.duckdb --out /srv/runs

    # cron, 00:30 every day (the drop of the day before):
    30 0 * * *  cd /srv/fraudkit && .venv/bin/python -m pipelines.daily --drop /data/drops/$(date -d yesterday +\\%F)

The drop is a folder. Files go to the canonical table their kind names: either a sub-folder
(``calls/``, ``transactions/``, ...) or a file name starting with the kind (``calls_0931.csv``,
``transactions-2026-10-31.parquet``). Each step is a plain function over the store, so a
step can be rerun alone; rerunning the whole batch on the same drop adds nothing (files are
logged by content hash) and replaces that day's scan, list and summary.

Exit status: 0 when every step ran or was skipped for a stated reason (no victim model yet),
2 on a mistake of the caller's (one line on stderr), 1 on anything else.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from fraudkit.atomic import write_text
from fraudkit.drop import INGEST_ORDER, drop_files
from fraudkit.errors import ConfigError, FraudkitError, NotReadyError
from fraudkit.ingest import IngestSummary, ingest_paths
from fraudkit.schema import TABLES
from fraudkit.settings import Settings
from fraudkit.store import open_store, store_timezone
from fraudkit.timeutil import default_as_of, in_zone


@dataclass(frozen=True)
class DailyConfig:
    """One day's batch: where the drop is, where the store and outputs go, how far back to look."""

    drop: Path
    out: Path = Path("runs")
    settings: Settings = field(default_factory=Settings)
    as_of: datetime | None = None  # default: midnight after the latest transfer; aware: converted to the store zone
    scan_window: timedelta = timedelta(days=7)
    warn_top: int = 100
    warn_lookback: timedelta = timedelta(hours=24)
    warn_format: str = "xlsx"
    mappings: dict[str, Path] = field(default_factory=dict)  # kind -> mapping TOML

    def __post_init__(self) -> None:
        if not self.drop.is_dir():
            raise ConfigError(f"drop folder {self.drop} does not exist", hint="pass the folder the day's files are in")
        unknown = sorted(set(self.mappings) - set(TABLES))
        if unknown:
            raise ConfigError(f"mapping for unknown kind(s) {', '.join(unknown)}", hint=f"kinds: {', '.join(TABLES)}")
        if self.warn_format not in LIST_FORMATS:
            raise ConfigError(f"unknown list format {self.warn_format!r}", hint="use xlsx, csv or parquet")


@dataclass
class StepReport:
    """What one step did, in a sentence and in figures; ``skipped`` says why it did nothing."""

    name: str
    summary: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    skipped: str | None = None
    seconds: float = 0.0


@dataclass
class DailyResult:
    as_of: datetime
    run_dir: Path
    steps: list[StepReport]

    def step(self, name: str) -> StepReport:
        for report in self.steps:
            if report.name == name:
                return report
        raise KeyError(name)


def ingest_drop(con: duckdb.DuckDBPyConnection, config: DailyConfig) -> StepReport:
    """Load every file of the drop into its canonical table; bad rows go to ``rejects``."""
    files = drop_files(config.drop)
    summaries: dict[str, IngestSummary] = {}
    for kind in INGEST_ORDER:
        if kind in files:
            summaries[kind] = ingest_paths(con, files[kind], kind, config.mappings.get(kind))
    facts = {
        kind: {"files": len(s.files), "loaded": s.loaded, "rejected": s.rejected, "duplicates": s.duplicates}
        for kind, s in summaries.items()
    }
    loaded = sum(s.loaded for s in summaries.values())
    rejected = sum(s.rejected for s in summaries.values())
    skipped = sum(s.skipped for s in summaries.values())
    summary = f"{loaded:,} rows loaded, {rejected:,} rejected, from {sum(len(f) for f in files.values())} file(s)"
    if skipped:
        summary += f" ({skipped} already ingested)"
    return StepReport("ingest", summary=summary, facts=facts)


def scan_day(con: duckdb.DuckDBPyConnection, config: DailyConfig, as_of: datetime, run_dir: Path) -> StepReport:
    """Scan the window before ``as_of`` for water houses; tables in the store, report and Parquet in the run folder."""
    from fraudkit.scan.outputs import publish_scan
    from fraudkit.scan.scan import run_scan

    result = run_scan(con, as_of=as_of, window=config.scan_window)
    published = publish_scan(con, result, run_dir, top=10)
    flagged = result.flagged
    return StepReport(
        "scan",
        summary=(
            f"{flagged.height} of {result.clusters.height} clusters flagged as water houses, "
            f"{float(flagged['money_in'].sum()):,.2f} in from victims"
        ),
        facts={"clusters": result.clusters.height, "flagged": flagged.height, "run_id": result.run_id},
        outputs={"scan report": str(published.report), **{k: str(v) for k, v in published.parquet.items()}},
    )


LIST_FORMATS = ("xlsx", "csv", "parquet")


def withdraw_lists(run_dir: Path, keep: Path | None = None) -> int:
    """Remove the call-back lists of an earlier run in this day's folder (all but ``keep``), so a
    team never calls from a list that looks current but is not; returns how many went."""
    removed = 0
    for old in sorted(run_dir.glob("callbacks-*")):
        if old.suffix.lstrip(".") in LIST_FORMATS and old != keep:
            old.unlink(missing_ok=True)
            removed += 1
    return removed


def warn_day(con: duckdb.DuckDBPyConnection, config: DailyConfig, as_of: datetime, run_dir: Path) -> StepReport:
    """The masked call-back list from the champion victim model; skipped, saying why, when none is registered."""
    from fraudkit.model.registry import load_model
    from fraudkit.warn import warning_list, write_warning_list

    try:
        model = load_model(config.settings, "victim")
        wl = warning_list(con, model, as_of=as_of, top=config.warn_top, lookback=config.warn_lookback)
    except NotReadyError as exc:
        removed = withdraw_lists(run_dir)
        said = f"; removed {removed} earlier call-back list(s) of this day, no longer current" if removed else ""
        return StepReport("warn", skipped=exc.one_line() + said)
    path = write_warning_list(wl, run_dir / f"callbacks-{as_of:%Y%m%d-%H%M}.{config.warn_format}")
    withdraw_lists(run_dir, keep=path)
    tiers = wl.tier_counts()
    return StepReport(
        "warn",
        summary=(
            f"{wl.frame.height} people to call ({tiers['red']} red, {tiers['orange']} orange, "
            f"{tiers['yellow']} yellow), model version {wl.model_version}"
        ),
        facts={"listed": wl.frame.height, **tiers, "model_version": wl.model_version},
        outputs={"call-back list": str(path)},
    )


def write_summary(result: DailyResult) -> Path:
    """``summary.json`` for machines and ``summary.md`` for people, in the run folder (each atomically)."""
    data = {
        "as_of": result.as_of.isoformat(),
        "steps": [asdict(step) for step in result.steps],
    }
    write_text(result.run_dir / "summary.json", json.dumps(data, indent=2, default=str))
    lines = [f"# fraudkit daily batch, as of {result.as_of:%Y-%m-%d %H:%M}", ""]
    for step in result.steps:
        said = f"skipped: {step.skipped}" if step.skipped else step.summary
        lines.append(f"- **{step.name}** ({step.seconds:.1f} s): {said}")
        lines.extend(f"  - {label}: `{where}`" for label, where in step.outputs.items())
    return write_text(result.run_dir / "summary.md", "\n".join(lines) + "\n")


def run_daily(config: DailyConfig, progress: Callable[[str], None] | None = None) -> DailyResult:
    """Ingest, scan, warn and report, in order, in one store; outputs in ``out/<as-of date>/``."""
    say = progress or (lambda _message: None)
    steps: list[StepReport] = []

    def timed(name: str, step: Callable[[], StepReport]) -> StepReport:
        say(name)
        started = time.perf_counter()
        report = step()
        report.seconds = time.perf_counter() - started
        steps.append(report)
        return report

    with open_store(config.settings.db_path, lock_wait=config.settings.lock_wait_s, create=True) as con:
        timed("ingest", lambda: ingest_drop(con, config))
        as_of = in_zone(config.as_of, store_timezone(con)) if config.as_of else default_as_of(con)
        run_dir = config.out / f"{as_of:%Y-%m-%d}"
        run_dir.mkdir(parents=True, exist_ok=True)
        timed("scan", lambda: scan_day(con, config, as_of, run_dir))
        timed("warn", lambda: warn_day(con, config, as_of, run_dir))
    result = DailyResult(as_of=as_of, run_dir=run_dir, steps=steps)
    write_summary(result)
    return result


def main(argv: list[str] | None = None) -> int:
    """Command line for schedulers; see the module docstring."""
    import argparse
    import sys

    from fraudkit.timeutil import parse_duration, parse_time

    parser = argparse.ArgumentParser(prog="python -m pipelines.daily", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--drop", type=Path, required=True, help="folder holding the day's files")
    parser.add_argument("--db", type=Path, default=None, help="DuckDB store [default: $FRAUDKIT_DB or fraudkit.duckdb]")
    parser.add_argument("--out", type=Path, default=Path("runs"), help="where each day's folder goes [runs]")
    parser.add_argument("--as-of", default=None, help="point in time [default: midnight after the latest transfer]")
    parser.add_argument("--window", default="7d", help="scan window before --as-of [7d]")
    parser.add_argument("--top", type=int, default=100, help="people on the call-back list [100]")
    parser.add_argument("--lookback", default="24h", help="contacts scored for the list [24h]")
    parser.add_argument("--format", default="xlsx", choices=("xlsx", "csv", "parquet"), help="list format [xlsx]")
    parser.add_argument("--tracking-uri", default=None, help="MLflow store [default: sqlite under mlruns/]")
    parser.add_argument(
        "--mapping", action="append", default=[], metavar="KIND=FILE", help="mapping TOML for a kind (repeatable)"
    )
    args = parser.parse_args(argv)
    try:
        mappings = {}
        for item in args.mapping:
            kind, sep, file = item.partition("=")
            if not sep:
                raise ConfigError(f"--mapping {item!r} is not KIND=FILE", hint="e.g. --mapping transactions=bank.toml")
            mappings[kind.strip()] = Path(file)
        config = DailyConfig(
            drop=args.drop,
            out=args.out,
            settings=Settings.from_env(db_path=args.db, tracking_uri=args.tracking_uri),
            as_of=parse_time(args.as_of) if args.as_of else None,
            scan_window=parse_duration(args.window),
            warn_top=args.top,
            warn_lookback=parse_duration(args.lookback),
            warn_format=args.format,
            mappings=mappings,
        )
        result = run_daily(config, progress=lambda name: print(f"… {name}", file=sys.stderr, flush=True))
    except FraudkitError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file where a folder is expected, a missing folder, no permission
        where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
        print(f"error: cannot use {where}: {exc.strerror or exc}" if where else f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "error: interrupted; this day's outputs may be incomplete: run it again (files already loaded are skipped)",
            file=sys.stderr,
        )
        return 130
    for step in result.steps:
        print(f"{step.name}: {'skipped: ' + step.skipped if step.skipped else step.summary}")
    print(f"summary: {result.run_dir / 'summary.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
