"""The demo: the whole chain on the embedded default (a synthetic world, a DuckDB file, local MLflow).

It is what `make demo` runs, and the shortest path for a new user to see every stage work.
The chain is a list of named steps sharing one :class:`DemoRun`; a later stage (model
training, warning lists) is one more step appended to :data:`DEMO_STEPS`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from fraudkit.ingest import ingest_paths
from fraudkit.store import open_store, table_counts
from fraudkit.synth import SynthConfig, generate_world, write_world

if TYPE_CHECKING:
    from fraudkit.scan.scan import ScanResult

# Order matters only for readability of the summary; ingest does not depend on it.
DEMO_TABLES = ("subscribers", "accounts", "calls", "transactions", "reports")
SCAN_WINDOW = timedelta(days=7)
"""The demo scans the last week before the data's natural 'now', as an investigator's weekly run would."""


@dataclass
class DemoRun:
    """What the steps share: where things go, and what earlier steps made for later ones."""

    workdir: Path
    subscribers: int
    seed: int
    say: Callable[[str], None]
    world_dir: Path
    db_path: Path
    reports_dir: Path
    table_counts: dict[str, int] = field(default_factory=dict)
    as_of: datetime | None = None
    scan: ScanResult | None = None


@dataclass
class StepResult:
    """One step's outputs (files a person opens), a sentence saying what it found, and the figures behind it."""

    name: str
    outputs: dict[str, Path] = field(default_factory=dict)
    summary: str = ""
    facts: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class DemoResult:
    workdir: Path
    table_counts: dict[str, int]
    outputs: dict[str, Path] = field(default_factory=dict)
    steps: list[StepResult] = field(default_factory=list)

    def step(self, name: str) -> StepResult:
        """The result of the step called ``name`` (KeyError when the demo has no such step)."""
        for result in self.steps:
            if result.name == name:
                return result
        raise KeyError(name)


DemoStep = Callable[[DemoRun], StepResult]


def synth_step(run: DemoRun) -> StepResult:
    """Synthesise the default world with ground truth into ``workdir/world``."""
    cfg = SynthConfig.preset("default", seed=run.seed, subscribers=run.subscribers)
    world = generate_world(cfg, progress=lambda stage: run.say(f"synth {stage}"))
    run.say("writing world")
    write_world(world, run.world_dir, fmt="parquet")
    rings = world.truth["rings"].height
    return StepResult(
        "synth",
        outputs={"world (canonical tables)": run.world_dir, "ground truth": run.world_dir / "truth"},
        summary=f"world of {cfg.subscribers:,} subscribers (seed {cfg.seed}) with {rings} mule rings",
        facts={"transactions": world.tables["transactions"].height, "rings": rings},
    )


def ingest_step(run: DemoRun) -> StepResult:
    """Load the world's files into the DuckDB store; a rerun adds nothing (files are logged by hash)."""
    with open_store(run.db_path) as con:
        loaded = 0
        for kind in DEMO_TABLES:
            run.say(f"ingest {kind}")
            loaded += ingest_paths(con, [str(run.world_dir / f"{kind}.parquet")], kind).loaded
        run.table_counts = table_counts(con)
    return StepResult(
        "ingest",
        outputs={"database": run.db_path},
        summary=f"{loaded:,} new rows loaded into {run.db_path}",
        facts={"loaded": loaded},
    )


def scan_step(run: DemoRun) -> StepResult:
    """Scan the last week for water houses, save it in the store, write the Parquet files and HTML report."""
    from fraudkit.scan.outputs import publish_scan
    from fraudkit.scan.scan import run_scan
    from fraudkit.timeutil import default_as_of

    with open_store(run.db_path) as con:
        run.as_of = default_as_of(con)
        run.say(f"scan as of {run.as_of:%Y-%m-%d %H:%M}")
        result = run_scan(con, as_of=run.as_of, window=SCAN_WINDOW)
        published = publish_scan(con, result, run.reports_dir, top=10)
    run.scan = result
    files, report = published.parquet, published.report
    flagged = result.flagged
    accounts = result.members.join(flagged.select("cluster_id"), on="cluster_id").height
    money_in, cashed_out = float(flagged["money_in"].sum()), float(flagged["cash_out"].sum())
    return StepResult(
        "scan",
        outputs={
            "scan report (HTML)": report,
            **{f"scan {name} (Parquet)": path for name, path in files.items()},
        },
        summary=(
            f"scan of the {SCAN_WINDOW.days} days to {run.as_of:%Y-%m-%d %H:%M}: {flagged.height} of "
            f"{result.clusters.height} clusters flagged as water houses, {accounts:,} accounts, "
            f"{money_in:,.2f} in from victims, {cashed_out:,.2f} cashed out"
        ),
        facts={
            "clusters": result.clusters.height,
            "clusters_flagged": flagged.height,
            "accounts_flagged": accounts,
            "money_in": money_in,
            "cashed_out": cashed_out,
        },
    )


def evaluate_step(run: DemoRun) -> StepResult:
    """Hold the scan to the world's ground truth: what an investigator cannot see, the demo can."""
    from fraudkit.scan.evaluate import evaluate_scan, read_truth

    if run.scan is None:
        raise RuntimeError("the evaluate step needs the scan step before it")
    with open_store(run.db_path, read_only=True) as con:
        quality = evaluate_scan(con, run.scan, read_truth(run.world_dir / "truth"))
    return StepResult(
        "evaluate",
        summary=(
            f"against ground truth: mule precision {quality.mule_precision:.2f}, recall {quality.mule_recall:.2f}, "
            f"{quality.rings_found} of {quality.rings_active} active rings found"
        ),
        facts={
            "mule_precision": quality.mule_precision,
            "mule_recall": quality.mule_recall,
            "rings_found": quality.rings_found,
            "rings_active": quality.rings_active,
        },
    )


DEMO_STEPS: list[tuple[str, DemoStep]] = [
    ("synth", synth_step),
    ("ingest", ingest_step),
    ("scan", scan_step),
    ("evaluate", evaluate_step),
]
"""The chain in order; each step reads what earlier ones left in the DemoRun."""


def run_demo(
    *,
    workdir: Path,
    subscribers: int = 20_000,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
    steps: list[tuple[str, DemoStep]] | None = None,
) -> DemoResult:
    """Run every demo step in order in ``workdir``: the world in ``world/``, the store in
    ``fraudkit.duckdb``, reports in ``reports/``."""
    say = progress or (lambda _stage: None)
    workdir.mkdir(parents=True, exist_ok=True)
    run = DemoRun(
        workdir=workdir,
        subscribers=subscribers,
        seed=seed,
        say=say,
        world_dir=workdir / "world",
        db_path=workdir / "fraudkit.duckdb",
        reports_dir=workdir / "reports",
    )
    results: list[StepResult] = []
    for name, step in steps if steps is not None else DEMO_STEPS:
        say(name)
        started = time.perf_counter()
        result = step(run)
        result.name, result.seconds = name, time.perf_counter() - started
        results.append(result)
    outputs = {label: path for result in results for label, path in result.outputs.items()}
    return DemoResult(workdir=workdir, table_counts=run.table_counts, outputs=outputs, steps=results)
