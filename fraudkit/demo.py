"""The demo: the whole chain on the embedded default (a synthetic world, a DuckDB file, local MLflow).

It is what `make demo` runs, and the shortest path for a new user to see every stage work:
synthesise a world, load it, scan for water houses, train the victim and fraud-number models
on the labels a real centre would have, draw up the call-back list, and hold everything to
the ground truth that only a synthetic world has. The chain is a list of named steps sharing
one :class:`DemoRun`; each step is a plain function that reports its stages through
``run.progress`` (see :mod:`fraudkit.progress`) and returns a :class:`StepResult`; the CLI
only prints them.

Everything stays in the workdir: the world in ``world/``, the store in ``fraudkit.duckdb``, the
MLflow store in ``mlruns/mlflow.db`` (artifacts beside it), reports and the call-back list in
``reports/``. ``MLFLOW_TRACKING_URI`` is deliberately not read: a demo must never write
versions into a team's real registry.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fraudkit.errors import ConfigError, NotReadyError
from fraudkit.ingest import ingest_paths
from fraudkit.progress import ProgressArg, Reporter, as_reporter, stage
from fraudkit.runner import StepResult, run_steps, skipped
from fraudkit.settings import Settings
from fraudkit.store import open_store, table_counts
from fraudkit.synth import SynthConfig, generate_world, write_world
from fraudkit.text import plural

if TYPE_CHECKING:
    import polars as pl

    from fraudkit.model.dataset import TrainingSet
    from fraudkit.model.registry import RegisteredModel
    from fraudkit.scan.scan import ScanResult
    from fraudkit.warn.listing import WarningList

# Order matters only for readability of the summary; ingest does not depend on it.
DEMO_TABLES = ("subscribers", "accounts", "calls", "transactions", "reports", "regions")
SCAN_WINDOW = timedelta(days=7)
"""The demo scans the last week before the data's natural 'now', as an investigator's weekly run would."""
DEMO_CAPACITY = 100
"""Call-backs (and number checks) the demo's team makes a day: the k of precision@k and the list's length."""
WARN_LOOKBACK = timedelta(hours=24)
"""The list scores the contacts that ended in the day before the demo's 'now'."""


@dataclass
class DemoRun:
    """What the steps share: where things go, and what earlier steps made for later ones."""

    workdir: Path
    subscribers: int
    seed: int
    progress: Reporter
    """Where the steps report their stages; each step is a stage of its own around them."""
    world_dir: Path
    db_path: Path
    reports_dir: Path
    settings: Settings
    """Store, MLflow store (under the workdir, never a default that could be the repository's) and threads."""
    synth_overrides: dict[str, Any] = field(default_factory=dict)
    capacity: int = DEMO_CAPACITY
    table_counts: dict[str, int] = field(default_factory=dict)
    as_of: datetime | None = None
    scan: ScanResult | None = None
    training: dict[str, TrainingSet] = field(default_factory=dict)
    """Per target, the training set the model learnt from (labels from reports and outcomes)."""
    registered: dict[str, RegisteredModel] = field(default_factory=dict)
    warning: WarningList | None = None

    @property
    def truth_dir(self) -> Path:
        return self.world_dir / "truth"


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

    def _facts(self, name: str) -> dict[str, float]:
        try:
            found = self.step(name)
        except KeyError:
            return {}
        return {} if found.skipped else found.facts

    def summary(self) -> list[str]:
        """What was found, in a few sentences, from the steps that ran (the paths are in ``outputs``)."""
        lines = []
        scan, scan_quality = self._facts("scan"), self._facts("evaluate")
        if scan:
            line = (
                f"{scan['clusters_flagged']:.0f} water-house clusters flagged "
                f"({scan['accounts_flagged']:,.0f} accounts, {scan['money_in']:,.2f} in from victims)"
            )
            if scan_quality:
                line += (
                    f"; {scan_quality['rings_found']:.0f} of the {scan_quality['rings_active']:.0f} rings active "
                    "in the window found"
                )
            lines.append(line)
        warned, checked = self._facts("warn"), self._facts("evaluate models")
        if warned:
            line = f"{warned['listed']:.0f} people on the call-back list ({warned['red']:.0f} red)"
            if "list_real_victims" in checked:
                line += (
                    f"; real victims among them: {checked['list_real_victims']:.0f} "
                    f"(of {checked['list_victims_reachable']:.0f} among the contacts scored)"
                )
            lines.append(line)
        models = []
        if "victim_warned_share" in checked:
            models.append(
                f"victim model: {_pct(checked['victim_warned_share'])} of the test days' victims warned before "
                "their first transfer"
            )
        if "fraud_number_auc_pr" in checked:
            models.append(f"fraud-number model: AUC-PR {_num(checked['fraud_number_auc_pr'])}")
        if models:
            lines.append("; ".join(models) + " (against ground truth)")
        store = self.outputs.get("MLflow store")
        if store is not None:
            lines.append(f"model runs: mlflow ui --backend-store-uri sqlite:///{store.as_posix()}")
        skips = [f"{s.name} skipped" for s in self.steps if s.skipped]
        if skips:
            lines.append("; ".join(skips) + " (see above)")
        return lines


DemoStep = Callable[[DemoRun], StepResult]


def _pct(value: float) -> str:
    return "-" if value != value else f"{value:.0%}"


def _num(value: float, digits: int = 3) -> str:
    return "-" if value != value else f"{value:.{digits}f}"


def _demo_as_of(run: DemoRun) -> datetime:
    """The demo's 'now': set by the scan (midnight after the latest transfer), or read from the store."""
    if run.as_of is None:
        from fraudkit.timeutil import default_as_of

        with open_store(run.db_path, read_only=True) as con:
            run.as_of = default_as_of(con)
    return run.as_of


def synth_step(run: DemoRun) -> StepResult:
    """Synthesise the default world with ground truth into ``workdir/world``.

    A workdir whose store was loaded from another world (other seed, size or generator
    settings, e.g. after an upgrade) is refused: ingest would add the new world's files to
    the old one's rows, and every later figure would describe a mixture.
    """
    cfg = SynthConfig.preset("default", seed=run.seed, subscribers=run.subscribers, **run.synth_overrides)
    _check_same_world(run, cfg)
    world = generate_world(cfg, progress=run.progress)
    write_world(world, run.world_dir, fmt="parquet", progress=run.progress)
    rings = world.truth["rings"].height
    return StepResult(
        "synth",
        outputs={"world (canonical tables)": run.world_dir, "ground truth": run.truth_dir},
        summary=(
            f"world of {cfg.subscribers:,} subscribers (seed {cfg.seed}) with {rings} mule rings and "
            f"{world.truth['victims'].height:,} victims"
        ),
        facts={"transactions": world.tables["transactions"].height, "rings": rings},
    )


def _check_same_world(run: DemoRun, cfg: SynthConfig) -> None:
    meta = run.world_dir / "world.json"
    if not (run.db_path.exists() and meta.exists()):
        return
    before = json.loads(meta.read_text(encoding="utf-8")).get("config")
    if before != json.loads(json.dumps(cfg.to_dict())):
        raise ConfigError(
            f"{run.workdir} holds a demo of another world (other seed, size or generator settings)",
            hint=f"add --fresh to start {run.workdir} again, or use another --workdir",
        )


def ingest_step(run: DemoRun) -> StepResult:
    """Load the world's files into the DuckDB store; a rerun adds nothing (files are logged by hash)."""
    with open_store(run.db_path, create=True) as con:
        loaded = 0
        for kind in DEMO_TABLES:
            loaded += ingest_paths(con, [str(run.world_dir / f"{kind}.parquet")], kind, progress=run.progress).loaded
        run.table_counts = table_counts(con)
    return StepResult(
        "ingest",
        outputs={"database": run.db_path},
        summary=f"{loaded:,} new rows loaded into {run.db_path}",
        facts={"loaded": loaded},
    )


def scan_step(run: DemoRun) -> StepResult:
    """Scan the last week for water houses, save it in the store, write the Parquet files and HTML report."""
    from fraudkit.exposure import store_secret
    from fraudkit.ops.db import ops_engine, ops_url
    from fraudkit.rings.params import RingParams
    from fraudkit.rings.track import track_scan
    from fraudkit.scan.outputs import publish_scan
    from fraudkit.scan.scan import run_scan
    from fraudkit.timeutil import default_as_of

    with open_store(run.db_path) as con:
        run.as_of = default_as_of(con)
        with stage(run.progress, f"clusters in the {SCAN_WINDOW.days} days to {run.as_of:%Y-%m-%d %H:%M}") as found:
            result = run_scan(con, as_of=run.as_of, window=SCAN_WINDOW)
            found.note = f"{result.flagged.height} of {result.clusters.height} flagged"
        with stage(run.progress, "report and Parquet files"):
            published = publish_scan(con, result, run.reports_dir, top=10)
        with stage(run.progress, "rings kept across scans") as kept:
            tracked = track_scan(ops_engine(ops_url(run.db_path)), result, store_secret(con), RingParams())
            kept.note = tracked.describe().removeprefix("rings: ")
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
        quality = evaluate_scan(con, run.scan, read_truth(run.truth_dir))
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


def train_target(run: DemoRun, target: str) -> StepResult:
    """Train ``target`` on the labels a real centre has, register the version, and decide on promotion.

    Labels come from the reports in the store and any call-back outcomes (``fraudkit ingest
    --kind outcomes``), never from the ground truth: the demo shows what a team would get, and
    the truth is kept for the evaluation step. The store is read as of the demo's 'now', the
    split is by whole days (train on earlier days, stop early on the next, test on the last),
    and LightGBM uses the threads in ``run.settings``.
    """
    from fraudkit.exposure import store_secret_at
    from fraudkit.model.dataset import build_training_set
    from fraudkit.model.params import TrainParams, check_target
    from fraudkit.model.registry import register
    from fraudkit.model.train import train_model

    name = f"train {target}"
    params = TrainParams(target=check_target(target), capacity=run.capacity)
    as_of = _demo_as_of(run)
    try:
        with open_store(run.db_path, read_only=True) as con:
            training_set = build_training_set(con, params.target, as_of=as_of, params=params, progress=run.progress)
        with stage(run.progress, "LightGBM") as learnt:
            result = train_model(training_set, params, run.settings)
            learnt.note = plural(int(result.metrics["train_rows"]), "training row")
    except NotReadyError as exc:
        return skipped(name, exc.one_line())
    with stage(run.progress, "MLflow") as logged:
        registered = register(result, run.settings, secret=store_secret_at(run.db_path))
        run.training[target], run.registered[target] = training_set, registered
        decision, promoted = promote_if_not_worse(run.settings, target, registered.version)
        logged.note = f"version {registered.version}" + (", champion" if promoted else "")
    m = result.metrics
    figures = f"test days: AUC-PR {_num(m['auc_pr'])}, precision@{run.capacity} {_num(m['precision_at_k'])}"
    if target == "victim":
        figures += f", warned before first transfer {_pct(m.get('warned_share', math.nan))}"
    return StepResult(
        name,
        outputs={"MLflow store": _store_path(run.settings)},
        summary=(
            f"{registered.name} version {registered.version}, labels from {training_set.label_source} "
            f"({int(m['train_positives'])} positives in {int(m['train_rows']):,} training rows); {figures}; {decision}"
        ),
        facts={
            "version": float(registered.version),
            "promoted": float(promoted),
            **{k: float(v) for k, v in m.items()},
        },
    )


def _store_path(settings: Settings) -> Path:
    uri = settings.resolved_tracking_uri
    return Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else Path(uri)


def promote_if_not_worse(settings: Settings, target: str, version: str) -> tuple[str, bool]:
    """Move ``champion`` to ``version`` when the promotion rule (:mod:`fraudkit.model.promotion`,
    the one ``fraudkit models promote`` applies) says it is not worse than the champion.

    Why the demo promotes at all: a rerun of the demo trains again and registers a new
    version. On an unchanged world the booster is deterministic, the two versions tie, and
    the newest takes the alias, so the champion is always the run that matches the store as
    it is now. When the world or the code changed, a version that does worse than the
    champion on the same days stays registered but does not serve the call-back list.
    When the champion cannot score the new test rows at all (the feature set changed),
    comparing is meaningless and the new version is promoted without it.

    Returns a sentence saying what happened, and whether ``version`` is champion now.
    """
    from fraudkit.model.registry import PromotionRefused, promote

    try:
        comparison = promote(settings, target, version)
    except PromotionRefused as refused:
        return refused.decision.summary, False
    except NotReadyError:
        promote(settings, target, version, force=True)
        return "promoted to champion without comparison (the champion's features changed)", True
    return comparison.decision, True


def train_victim_step(run: DemoRun) -> StepResult:
    """The victim model: each long call from a new number, scored the moment it ends."""
    return train_target(run, "victim")


def train_fraud_number_step(run: DemoRun) -> StepResult:
    """The fraud-number model: each phone that called on a day, scored as of the midnight after."""
    return train_target(run, "fraud_number")


def warn_step(run: DemoRun) -> StepResult:
    """The call-back list as of the demo's 'now', from the champion victim model: masked XLSX in ``reports/``."""
    from fraudkit.model.registry import load_model
    from fraudkit.warn import warning_list, write_warning_list

    as_of = _demo_as_of(run)
    try:
        model = load_model(run.settings, "victim")
        with (
            stage(run.progress, f"contacts scored by fraudkit-victim v{model.version}") as scored,
            open_store(run.db_path, read_only=True) as con,
        ):
            wl = warning_list(con, model, as_of=as_of, top=run.capacity, lookback=WARN_LOOKBACK)
            scored.note = f"{plural(wl.contacts_scored, 'contact')}, {wl.frame.height} listed"
    except NotReadyError as exc:
        return skipped("warn", exc.one_line())
    run.reports_dir.mkdir(parents=True, exist_ok=True)
    path = write_warning_list(wl, run.reports_dir / f"callbacks-{as_of:%Y%m%d-%H%M}.xlsx")
    run.warning = wl
    tiers = wl.tier_counts()
    return StepResult(
        "warn",
        outputs={"call-back list (XLSX, masked)": path},
        summary=(
            f"call-back list as of {as_of:%Y-%m-%d %H:%M}: {wl.frame.height} people ({tiers['red']} red, "
            f"{tiers['orange']} orange, {tiers['yellow']} yellow) from {wl.contacts_scored:,} contacts "
            f"of the last {WARN_LOOKBACK.total_seconds() / 3600:.0f} h, model version {wl.model_version}"
        ),
        facts={"listed": wl.frame.height, **tiers, "contacts_scored": wl.contacts_scored},
    )


def evaluate_models_step(run: DemoRun) -> StepResult:
    """Hold the call-back list and the champions to the ground truth the models never saw.

    - the list: a listed person is a real victim when the truth holds them as a victim and
      the suspect number on their row as a fraud number; the count of those who had not yet
      made their first transfer when the list was drawn up shows what a once-a-day list misses;
    - the victim champion, on the test days relabelled from the truth: AUC-PR, precision@k,
      and the capacity replay's share of victims warned before their first transfer, median
      lead time and loss stopped (``fraudkit.model.train.evaluate``, the model's own thresholds);
    - the fraud-number champion, on its test days relabelled from the truth: AUC-PR.
    """
    from fraudkit.model.dataset import build_training_set
    from fraudkit.model.labels import label_entities, read_truth
    from fraudkit.model.params import TrainParams

    facts: dict[str, float] = {}
    said: list[str] = []
    if run.warning is not None:
        with stage(run.progress, "call-back list"):
            truth = read_truth(run.truth_dir, "victim")
            facts |= list_against_truth(run.warning, truth, _listed_from(run, run.warning))
        said.append(
            f"real victims on the list: {facts['list_real_victims']:.0f} of {facts['listed']:.0f} (the contacts "
            f"scored held {facts['list_victims_reachable']:.0f}; by the list's time "
            f"{facts['list_real_victims'] - facts['list_not_yet_paid']:.0f} of those listed had already made their "
            "first transfer)"
        )
    if "victim" in run.training:
        with stage(run.progress, "victim model"):
            params = TrainParams(target="victim", capacity=run.capacity)
            with open_store(run.db_path, read_only=True) as con:
                truth_set = build_training_set(
                    con, "victim", as_of=_demo_as_of(run), params=params, truth=run.truth_dir, progress=run.progress
                )
            m = champion_metrics(run, truth_set)
        facts |= {f"victim_{k}": v for k, v in m.items()}
        said.append(
            f"victim model on {len(truth_set.split.test)} test days: AUC-PR {_num(m['auc_pr'])}, "
            f"precision@{run.capacity} {_num(m['precision_at_k'])}, {_pct(m.get('warned_share', math.nan))} "
            f"of {m.get('victims', 0):.0f} victims warned before their first transfer (median lead "
            f"{_num(m.get('median_lead_minutes', math.nan), 0)} min, {_pct(m.get('loss_stopped_share', math.nan))} "
            "of the loss stopped)"
        )
    if "fraud_number" in run.training:
        with stage(run.progress, "fraud-number model"):
            numbers = read_truth(run.truth_dir, "fraud_number")["fraud_numbers"]["phone"]
            reported = run.training["fraud_number"]
            relabelled = replace(
                reported,
                frame=label_entities(reported.frame.drop("label", "label_source"), "phone", numbers, "truth"),
                label_source="truth",
            )
            m = champion_metrics(run, relabelled)
        facts |= {f"fraud_number_{k}": v for k, v in m.items()}
        said.append(
            f"fraud-number model on {len(relabelled.split.test)} test days: AUC-PR {_num(m['auc_pr'])}, "
            f"precision@{run.capacity} {_num(m['precision_at_k'])}"
        )
    if not said:
        return skipped("evaluate models", "no list and no model to evaluate")
    return StepResult("evaluate models", summary="against ground truth: " + "; ".join(said), facts=facts)


def champion_metrics(run: DemoRun, truth_set: TrainingSet) -> dict[str, float]:
    """The champion of the set's target, loaded back from the registry, scored on ``truth_set`` and judged
    on its test days with the champion's own thresholds (as ``fraudkit models promote`` compares versions)."""
    from fraudkit.model.params import TrainParams
    from fraudkit.model.registry import load_model
    from fraudkit.model.train import evaluate

    model = load_model(run.settings, truth_set.target)
    scored = truth_set.frame.drop("score", strict=False).with_columns(model.score(truth_set.frame))
    metrics, _, _ = evaluate(
        scored,
        TrainParams(target=truth_set.target, capacity=run.capacity),
        test_days=list(truth_set.split.test),
        victims=truth_set.victims,
        thresholds=model.thresholds,
    )
    return {**metrics, "champion_version": float(model.version)}


def _listed_from(run: DemoRun, wl: WarningList) -> pl.DataFrame:
    """The contacts the list was drawn from, found again as warning_list found them (same model settings)."""
    from fraudkit.model import frames
    from fraudkit.model.params import contact_params_from_dict
    from fraudkit.model.registry import load_model

    model = load_model(run.settings, "victim", wl.model_version)
    with open_store(run.db_path, read_only=True) as con:
        return frames.contacts_from_store(
            con,
            since=wl.as_of - WARN_LOOKBACK,
            until=wl.as_of,
            params=contact_params_from_dict(model.meta.get("contacts")),
        )


def list_against_truth(wl: WarningList, truth: Mapping[str, pl.DataFrame], contacts: pl.DataFrame) -> dict[str, float]:
    """How many people on the list the ground truth holds as victims of the number on their row.

    ``list_victims_reachable``: the victims among the ``contacts`` scored for the list (callee a
    victim, caller a fraud number): no list of any length could hold more real victims.
    ``list_not_yet_paid``: of the real victims listed, those whose first transfer came at or
    after the list's as-of time, i.e. a call-back from this list could still have come first.
    """
    import polars as pl

    victims = truth["victims"].select(pl.col("phone").cast(pl.String), pl.col("first_loss_at"))
    numbers = truth["fraud_numbers"]["phone"].cast(pl.String).implode()
    real = wl.frame.join(victims, on="phone", how="inner").filter(pl.col("suspect_number").is_in(numbers))
    not_yet = real.filter(pl.col("first_loss_at").is_null() | (pl.col("first_loss_at") >= wl.as_of))
    reachable = contacts.filter(pl.col("caller").is_in(numbers) & pl.col("callee").is_in(victims["phone"].implode()))[
        "callee"
    ].n_unique()
    return {
        "listed": float(wl.frame.height),
        "list_real_victims": float(real.height),
        "list_precision": real.height / wl.frame.height if wl.frame.height else math.nan,
        "list_victims_reachable": float(reachable),
        "list_not_yet_paid": float(not_yet.height),
    }


DEMO_STEPS: list[tuple[str, DemoStep]] = [
    ("synth", synth_step),
    ("ingest", ingest_step),
    ("scan", scan_step),
    ("evaluate", evaluate_step),
    ("train victim", train_victim_step),
    ("train fraud_number", train_fraud_number_step),
    ("warn", warn_step),
    ("evaluate models", evaluate_models_step),
]
"""The chain in order; each step reads what earlier ones left in the DemoRun."""


DEMO_OUTPUTS = ("world", "fraudkit.duckdb", "fraudkit.duckdb.wal", "mlruns", "reports")
"""What a demo writes into its workdir; ``clear_demo`` deletes these and nothing else."""


def clear_demo(workdir: Path) -> None:
    """Delete an earlier demo's outputs from ``workdir``, leaving anything else there alone."""
    for name in DEMO_OUTPUTS:
        path = workdir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()


def run_demo(
    *,
    workdir: Path,
    subscribers: int = 20_000,
    seed: int = 7,
    progress: ProgressArg = None,
    steps: list[tuple[str, DemoStep]] | None = None,
    synth_overrides: Mapping[str, Any] | None = None,
    threads: int | None = None,
    capacity: int = DEMO_CAPACITY,
    fresh: bool = False,
) -> DemoResult:
    """Run every demo step in order in ``workdir``: the world in ``world/``, the store in
    ``fraudkit.duckdb``, the MLflow store in ``mlruns/``, reports and the call-back list in ``reports/``.

    ``synth_overrides`` sets any other field of :class:`fraudkit.synth.SynthConfig` (a small
    world needs ``fraud_operations_per_100k`` raised to hold victims to learn from);
    ``threads`` caps LightGBM's threads (default: all cores); ``fresh`` first deletes what an
    earlier demo left in ``workdir`` (see :func:`clear_demo`). ``progress`` (a
    :class:`fraudkit.progress.Reporter`, or a callable told each stage's name) sees each step as
    a stage, with the step's own stages inside it, each reported as it starts and ends.
    """
    reporter = as_reporter(progress)
    if fresh:
        clear_demo(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    run = DemoRun(
        workdir=workdir,
        subscribers=subscribers,
        seed=seed,
        progress=reporter,
        world_dir=workdir / "world",
        db_path=workdir / "fraudkit.duckdb",
        reports_dir=workdir / "reports",
        settings=Settings(db_path=workdir / "fraudkit.duckdb", mlruns_dir=workdir / "mlruns", threads=threads),
        synth_overrides=dict(synth_overrides or {}),
        capacity=capacity,
    )
    chain = steps if steps is not None else DEMO_STEPS
    results = run_steps([(name, partial(step, run)) for name, step in chain], reporter)
    outputs = {label: path for result in results for label, path in result.outputs.items()}
    return DemoResult(workdir=workdir, table_counts=run.table_counts, outputs=outputs, steps=results)
