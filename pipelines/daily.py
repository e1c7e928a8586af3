"""The daily batch: ingest the day's drop, scan for water houses, draw up the call-back list, report.

What a scheduler runs once a day after the operators' and banks' files arrive, as
``fraudkit daily`` or, with the same options, ``python -m pipelines.daily``::

    fraudkit daily --drop /data/drops/2026-10-31 --db /srv/fraudkit/fraudkit.duckdb --out /srv/runs

    # cron, 00:30 every day (the drop of the day before):
    30 0 * * *  cd /srv/fraudkit && .venv/bin/fraudkit daily --drop /data/drops/$(date -d yesterday +\\%F)

The drop is a folder laid out as :mod:`fraudkit.drop` describes (a sub-folder or a file-name
start per kind; a synthetic world's ``truth/`` set aside). Each step is a plain function over the
store, so a step can be rerun alone; rerunning the whole batch on the same drop adds nothing
(files are logged by content hash) and replaces that day's scan, list, summary and trends.

Exit status: 0 when every step ran or was skipped for a stated reason (no victim model yet),
2 on a mistake of the caller's (one line on stderr), 130 on Ctrl-C (one line saying what was
kept), 1 on anything else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from fraudkit.atomic import write_text
from fraudkit.drop import INGEST_ORDER, DropListing, check_drop, drop_files, list_drop
from fraudkit.errors import ConfigError, NotReadyError
from fraudkit.ingest import IngestSummary, ingest_paths
from fraudkit.progress import as_reporter
from fraudkit.runner import StepResult, run_steps
from fraudkit.schema import TABLES
from fraudkit.settings import Settings
from fraudkit.store import open_store, store_timezone
from fraudkit.text import join_words, noun, plural
from fraudkit.timeutil import default_as_of, in_zone
from pipelines.trends import SUMMARY_JSON, TRENDS_SVG, day_figures, draw_trends, read_history, trends_table

__all__ = ["DailyConfig", "DailyInterrupted", "DailyResult", "StepReport", "drop_files", "main", "run_daily"]

STEPS = ("ingest", "scan", "warn", "summary")
LIST_FORMATS = ("xlsx", "csv", "parquet")


@dataclass(frozen=True)
class DailyConfig:
    """One day's batch: where the drop is, where the store and outputs go, how far back to look."""

    drop: Path
    out: Path = Path("runs")
    settings: Settings = field(default_factory=Settings)
    as_of: datetime | None = None  # default: the store's now (fraudkit.timeutil.default_as_of); aware: converted
    scan_window: timedelta = timedelta(days=7)
    warn_top: int = 100
    warn_lookback: timedelta = timedelta(hours=24)
    warn_format: str = "xlsx"
    mappings: dict[str, Path] = field(default_factory=dict)  # kind -> mapping TOML
    scan_params: Any = None  # fraudkit.scan.scan.ScanParams; None: the scan's defaults
    warn_skip_called: timedelta = timedelta(days=7)
    warn_tiers: Any = None  # fraudkit.warn.listing.Tiers; None: the model's own
    ingest_settings: Any = None  # fraudkit.ingest.IngestSettings; None: ingest's defaults
    lake: Any = None  # a fraudkit.engine.spark.SparkBackend on a lake: the tables live there; None: the store
    ring_params: Any = None  # fraudkit.rings.params.RingParams; None: the defaults
    ops_url: str | None = None  # where the rings are kept; None: $FRAUDKIT_OPS_DB, else beside the store

    def __post_init__(self) -> None:
        if not self.drop.is_dir():
            what = "is not a folder" if self.drop.exists() else "does not exist"
            raise ConfigError(f"drop folder {self.drop} {what}", hint="pass the folder the day's files are in")
        unknown = sorted(set(self.mappings) - set(TABLES))
        if unknown:
            raise ConfigError(
                f"mapping for unknown {noun(len(unknown), 'kind')} {join_words(unknown, 'and')}",
                hint=f"kinds: {join_words(TABLES)}",
            )
        if self.warn_format not in LIST_FORMATS:
            raise ConfigError(f"unknown list format {self.warn_format!r}", hint="use xlsx, csv or parquet")


StepReport = StepResult
"""What one step did (the runner's :class:`fraudkit.runner.StepResult`): a sentence, figures, outputs."""


@dataclass
class DailyResult:
    as_of: datetime
    run_dir: Path
    steps: list[StepReport]
    outputs: dict[str, Path] = field(default_factory=dict)  # summary.md, summary.json, trends.svg

    def step(self, name: str) -> StepReport:
        for report in self.steps:
            if report.name == name:
                return report
        raise KeyError(name)


@dataclass
class BatchProgress:
    """Where the batch is and what it has committed so far, so an interrupted run can say what it kept."""

    say: Callable[[str], None] = lambda _message: None
    stage: str = ""
    kept: list[str] = field(default_factory=list)

    def at(self, stage: str) -> None:
        self.stage = stage
        self.say(stage)


class DailyInterrupted(KeyboardInterrupt):
    """Ctrl-C during the batch: which stage it stopped in, what was kept and what was not written."""

    def __init__(self, stage: str, kept: list[str], not_written: list[str]) -> None:
        super().__init__(stage)
        self.stage, self.kept, self.not_written = stage, kept, not_written

    def one_line(self) -> str:
        rolled_back = " (rolled back: a kind loads in one transaction)" if self.stage.startswith("ingest ") else ""
        return (
            f"interrupted at {self.stage}{rolled_back}; kept: {'; '.join(self.kept) or 'nothing'}; "
            f"not written: {', '.join(self.not_written)}; run it again (files already loaded are skipped)"
        )


def ingest_drop(
    con: duckdb.DuckDBPyConnection,
    config: DailyConfig,
    progress: BatchProgress | None = None,
    listing: DropListing | None = None,
) -> StepReport:
    """Load every file of the drop into its canonical table, reference kinds first; bad rows go to
    ``rejects``. A synthetic world's ``truth/`` is set aside and non-data files passed over, each named."""
    progress = progress or BatchProgress()
    listing = listing or check_drop(list_drop(config.drop))
    summaries: dict[str, IngestSummary] = {}
    for kind in INGEST_ORDER:
        if kind in listing.files:
            progress.at(f"ingest {kind} ({plural(len(listing.files[kind]), 'file')})")
            files, mapping = listing.files[kind], config.mappings.get(kind)
            if config.lake is None:
                summaries[kind] = ingest_paths(con, files, kind, mapping, settings=config.ingest_settings)
            else:
                from fraudkit.ingest.lake import ingest_to_lake

                summaries[kind] = ingest_to_lake(
                    con, config.lake, files, kind, mapping, settings=config.ingest_settings
                ).summary
            progress.kept.append(f"{kind} loaded ({summaries[kind].loaded:,} new rows)")
    facts: dict[str, Any] = {
        kind: {"files": len(s.files), "loaded": s.loaded, "rejected": s.rejected, "duplicates": s.duplicates}
        for kind, s in summaries.items()
    }
    loaded = sum(s.loaded for s in summaries.values())
    rejected = sum(s.rejected for s in summaries.values())
    skipped = sum(s.skipped for s in summaries.values())
    summary = f"{plural(loaded, 'row')} loaded, {rejected:,} rejected, from {plural(listing.data_files, 'file')}"
    if skipped:
        summary += f" ({skipped} already ingested)"
    notes = listing.notes()
    if notes:
        summary += "; " + "; ".join(notes)
    set_aside = {"ground truth": len(listing.ground_truth), "passed over": len(listing.passed_over)}
    return StepReport("ingest", summary=summary, facts=facts | {"set aside": set_aside})


def scan_day(
    con: duckdb.DuckDBPyConnection,
    config: DailyConfig,
    as_of: datetime,
    run_dir: Path,
    progress: BatchProgress | None = None,
) -> StepReport:
    """Scan the window before ``as_of`` for water houses; tables in the store, report and Parquet in the run folder."""
    import polars as pl

    from fraudkit.exposure import store_secret
    from fraudkit.ops.db import ops_engine, ops_url
    from fraudkit.rings.params import RingParams
    from fraudkit.rings.track import track_scan
    from fraudkit.scan.outputs import publish_scan
    from fraudkit.scan.scan import run_scan

    progress = progress or BatchProgress()
    result = run_scan(con, as_of=as_of, window=config.scan_window, params=config.scan_params, backend=config.lake)
    published = publish_scan(con, result, run_dir, top=10)
    tracked = track_scan(
        ops_engine(ops_url(config.settings.db_path, config.ops_url)),
        result,
        store_secret(con),
        config.ring_params or RingParams(),
    )
    progress.kept.append(tracked.describe())
    flagged = result.flagged
    entries = result.flow_edges.filter(
        (pl.col("flow") == "entry") & pl.col("cluster_id").is_in(flagged["cluster_id"].implode())
    )
    victims = entries["src"].n_unique()
    progress.kept.append(f"scan of {as_of:%Y-%m-%d} (tables in the store, report in {run_dir})")
    return StepReport(
        "scan",
        summary=(
            f"{flagged.height} of {result.clusters.height} clusters flagged as water houses, "
            f"{victims:,} victims paying in {float(flagged['money_in'].sum()):,.2f}"
        ),
        facts={
            "clusters": result.clusters.height,
            "flagged": flagged.height,
            "victims": victims,
            "run_id": result.run_id,
        },
        outputs={"scan report": published.report, **published.parquet},
    )


def withdraw_lists(run_dir: Path, keep: Path | None = None) -> int:
    """Remove the call-back lists of an earlier run in this day's folder (all but ``keep``), so a
    team never calls from a list that looks current but is not; returns how many went."""
    removed = 0
    for old in sorted(run_dir.glob("callbacks-*")):
        if old.suffix.lstrip(".") in LIST_FORMATS and old != keep:
            old.unlink(missing_ok=True)
            removed += 1
    return removed


def warn_day(
    con: duckdb.DuckDBPyConnection,
    config: DailyConfig,
    as_of: datetime,
    run_dir: Path,
    progress: BatchProgress | None = None,
) -> StepReport:
    """The masked call-back list from the champion victim model; skipped, saying why, when none is registered."""
    from fraudkit.model.registry import load_model
    from fraudkit.warn import warning_list, write_warning_list

    progress = progress or BatchProgress()
    try:
        model = load_model(config.settings, "victim")
        wl = warning_list(
            con,
            model,
            as_of=as_of,
            top=config.warn_top,
            lookback=config.warn_lookback,
            skip_called=config.warn_skip_called,
            tiers=config.warn_tiers,
        )
    except NotReadyError as exc:
        removed = withdraw_lists(run_dir)
        said = (
            f"; removed {plural(removed, 'earlier call-back list')} of this day, no longer current" if removed else ""
        )
        return StepReport("warn", skipped=exc.one_line() + said)
    path = write_warning_list(wl, run_dir / f"callbacks-{as_of:%Y%m%d-%H%M}.{config.warn_format}")
    withdraw_lists(run_dir, keep=path)
    progress.kept.append(f"call-back list {path}")
    tiers = wl.tier_counts()
    return StepReport(
        "warn",
        summary=(
            f"{wl.frame.height} people to call ({tiers['red']} red, {tiers['orange']} orange, "
            f"{tiers['yellow']} yellow), model version {wl.model_version}"
        ),
        facts={"listed": wl.frame.height, **tiers, "model_version": wl.model_version},
        outputs={"call-back list": path},
    )


def write_summary(result: DailyResult, out: Path | None = None) -> dict[str, Path]:
    """``summary.json`` for machines, ``trends.svg`` (every day under ``out`` so far) and ``summary.md``
    for people, in the run folder, each written atomically; the markdown last, as it names the others."""
    out = out if out is not None else result.run_dir.parent
    facts = {step.name: None if step.skipped else step.facts for step in result.steps}
    today = day_figures(result.as_of.date(), facts)
    data = {
        "as_of": result.as_of.isoformat(),
        "steps": [asdict(step) for step in result.steps],
        "trend": today.to_json(),
    }
    summary_json = write_text(result.run_dir / SUMMARY_JSON, json.dumps(data, indent=2, default=str))
    history, unreadable = read_history(out, today)
    trends = draw_trends(history, result.run_dir / TRENDS_SVG)
    lines = [f"# fraudkit daily batch, as of {result.as_of:%Y-%m-%d %H:%M}", ""]
    for step in result.steps:
        said = f"skipped: {step.skipped}" if step.skipped else step.summary
        lines.append(f"- **{step.name}** ({step.seconds:.1f} s): {said}")
        lines.extend(f"  - {label}: `{where}`" for label, where in step.outputs.items())
    heading = f"## Per-day trends ({plural(len(history), 'day')} in `{out}`)"
    lines += ["", heading, "", f"![per-day trends]({TRENDS_SVG})", ""]
    lines += trends_table(history)
    if unreadable:
        lines += ["", f"Left out of the trends, unreadable: {', '.join(f'`{p}`' for p in unreadable)}"]
    summary_md = write_text(result.run_dir / "summary.md", "\n".join(lines) + "\n")
    return {"summary": summary_md, "summary (JSON)": summary_json, "trends": trends}


def run_daily(config: DailyConfig, progress: Callable[[str], None] | None = None) -> DailyResult:
    """Ingest, scan, warn and report, in order, in one store; outputs in ``out/<as-of date>/``.

    ``progress`` hears each stage as it starts; Ctrl-C raises :class:`DailyInterrupted`, naming
    what was kept (kinds loaded, outputs written) and what was not."""
    batch = BatchProgress(say=progress or (lambda _message: None))
    reporter = as_reporter(batch.at)  # each step's name as it starts; the steps tell their parts to batch
    steps: list[StepReport] = []
    listing = check_drop(list_drop(config.drop))  # a drop it would refuse makes no store
    try:
        with open_store(config.settings.db_path, lock_wait=config.settings.lock_wait_s, create=True) as con:
            run_steps([("ingest", lambda: ingest_drop(con, config, batch, listing))], reporter, done=steps)
            from fraudkit.engine.lake_views import tables_of

            with tables_of(con, config.lake, "run the daily batch"):
                as_of = in_zone(config.as_of, store_timezone(con)) if config.as_of else default_as_of(con)
                run_dir = config.out / f"{as_of:%Y-%m-%d}"
                run_dir.mkdir(parents=True, exist_ok=True)
                chain = [
                    ("scan", lambda: scan_day(con, config, as_of, run_dir, batch)),
                    ("warn", lambda: warn_day(con, config, as_of, run_dir, batch)),
                ]
                run_steps(chain, reporter, done=steps)
        result = DailyResult(as_of=as_of, run_dir=run_dir, steps=steps)
        batch.at("summary")
        result.outputs = write_summary(result, config.out)
    except KeyboardInterrupt:
        done = {step.name for step in steps}
        stage = batch.stage or "start"
        raise DailyInterrupted(stage, batch.kept, [s for s in STEPS if s not in done]) from None
    return result


def main(argv: list[str] | None = None) -> int:
    """``python -m pipelines.daily``: the ``fraudkit daily`` command under its own name, same options
    and exit codes; returns the exit status."""
    import typer

    from fraudkit.cli import _FraudkitCommand
    from fraudkit.cli_daily import daily

    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode="rich")
    app.command(cls=_FraudkitCommand)(daily)  # --config and the settings the tree gives its options
    try:
        app(args=argv, prog_name="python -m pipelines.daily", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
