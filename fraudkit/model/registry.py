"""MLflow: every training is a run, every run registers a version of ``fraudkit-<target>``, and the
``champion`` alias marks the version the warning lists use.

The store is the one in ``Settings.resolved_tracking_uri`` (sqlite under ``mlruns/`` by default;
MLflow 3 refuses the plain file store). Artifacts go next to the sqlite file, never to the
working directory. A run keeps, besides the model, its test rows (``eval/test_scored.parquet``)
and test victims, so a later version can be compared with it on the same test days without
the store that trained it.
"""

from __future__ import annotations

import json
import logging
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from fraudkit.errors import ConfigError, FraudkitError, NotReadyError
from fraudkit.exposure import pseudonymise_frame
from fraudkit.model.calibration import Calibration
from fraudkit.model.figures import write_pictures
from fraudkit.model.params import Target, TrainParams, check_target, flat_params
from fraudkit.model.promotion import PROMOTE_TOLERANCE, Decision, decide
from fraudkit.model.train import TrainResult, evaluate, predict
from fraudkit.settings import Settings

if TYPE_CHECKING:
    import lightgbm

CHAMPION = "champion"
META_FILE = "model_meta.json"
TEST_FILE = "eval/test_scored.parquet"
VICTIMS_FILE = "eval/test_victims.parquet"
COMPARED = (
    "auc_pr",
    "precision_at_k",
    "recall_at_k",
    "warned_share",
    "median_lead_minutes",
    "loss_stopped_share",
    "brier",
)


def model_name(target: str) -> str:
    """Registered model name of a target: ``fraudkit-victim``, ``fraudkit-fraud_number``, ``fraudkit-mule``."""
    return f"fraudkit-{check_target(target)}"


def artifact_root(settings: Settings) -> str | None:
    """Where artifacts go for a local sqlite store: beside the database; None lets a server decide."""
    uri = settings.resolved_tracking_uri
    if uri.startswith("sqlite:///"):
        return (Path(uri[len("sqlite:///") :]).parent / "artifacts").resolve().as_uri()
    if "://" not in uri:
        return (Path(uri) / "artifacts").resolve().as_uri()
    return None


def _client(settings: Settings) -> Any:
    import mlflow
    from mlflow import MlflowClient

    for noisy in ("mlflow", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    uri = settings.resolved_tracking_uri
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    if not uri.startswith("sqlite:///"):
        return MlflowClient(tracking_uri=uri, registry_uri=uri)
    with _creation_lock(Path(uri[len("sqlite:///") :])):
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)  # creates or migrates the tables
        client.search_registered_models(max_results=1)  # and the registry's, one process at a time
    return client


@contextmanager
def _creation_lock(db: Path) -> Iterator[None]:
    """Hold an exclusive lock beside a sqlite MLflow store while it is opened: two processes that
    create a new store at once run MLflow's schema migrations over each other and one crashes."""
    import fcntl

    db.parent.mkdir(parents=True, exist_ok=True)
    with open(db.with_name(db.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _experiment_id(client: Any, settings: Settings, target: str) -> str:
    """The target's experiment, created on first use; when another process creates it at the
    same moment, its experiment is read back rather than the training lost."""
    from mlflow.exceptions import MlflowException

    name = model_name(target)
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    try:
        return client.create_experiment(name, artifact_location=artifact_root(settings))
    except MlflowException:
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


@dataclass(frozen=True)
class RegisteredModel:
    """One registered version: where it came from and what it scored on its own test days."""

    name: str
    version: str
    run_id: str
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class LoadedModel:
    """A registered booster with the facts needed to score with it (features, thresholds, target)."""

    target: Target
    version: str
    run_id: str
    booster: lightgbm.Booster
    meta: dict[str, Any]

    @property
    def features(self) -> list[str]:
        return list(self.meta["features"])

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(self.meta.get("thresholds", {}))

    @property
    def calibration(self) -> Calibration:
        """The map from the booster's margin to a probability, fitted on the model's validation days."""
        return Calibration.from_meta(self.meta)

    def score(self, frame: pl.DataFrame) -> pl.Series:
        """Probabilities of the rows of ``frame`` (which must hold the model's features): every
        scorer (warn, watch, eval watch, compare) goes through here, so all apply the same map."""
        return pl.Series("score", predict(self.booster, frame, self.features, self.calibration))


def register(
    result: TrainResult, settings: Settings, *, secret: bytes | None = None, promote_if_first: bool = True
) -> RegisteredModel:
    """Log a training as an MLflow run (params, metrics, importance, calibration, pictures, test rows,
    model) and register it as a new version of ``fraudkit-<target>``; the pictures' paths are put
    in ``result.artifacts`` for the training's report.

    The test rows and victims are stored with phones, accounts and IMEIs as keyed pseudonyms
    (``exposure.pseudonymise_frame``), by the store's ``secret`` so they join with other files
    of the store; without one, by a key of this run only (its own files still join each other,
    which is all ``compare`` needs). The first version of a target becomes champion at once
    (``promote_if_first``), so that ``fraudkit warn`` works after a first training; later ones
    wait for ``promote``.
    """
    from fraudkit.model.lgbm import lightgbm

    lgb = lightgbm()
    import mlflow
    import mlflow.lightgbm
    from mlflow.models import infer_signature

    client = _client(settings)
    name = model_name(result.target)
    experiment_id = _experiment_id(client, settings, result.target)
    # the booster takes floats: an integer column in the signature would refuse a missing value later
    example = result.test_scored.select([pl.col(f).cast(pl.Float64) for f in result.features]).head(5).to_pandas()
    probabilities = predict(result.booster, result.test_scored.head(5), result.features, result.calibration)
    signature = infer_signature(example, probabilities)
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"{result.target}-as-of-{result.meta['as_of'][:10]}"):
        params = flat_params(result.params)
        params |= {"as_of": result.meta["as_of"], "label_source": result.meta["label_source"]}
        params |= {f"split.{k}": ",".join(v[:1] + v[-1:]) for k, v in result.meta["split"].items()}
        params["features"] = str(len(result.features))
        params |= {f"calibration.{k}": str(v) for k, v in result.calibration.to_dict().items()}
        mlflow.log_params(params)
        mlflow.log_metrics({k: v for k, v in result.metrics.items() if v == v})  # NaN is not a metric
        mlflow.log_metric("train_seconds", result.seconds)
        mlflow.log_dict(result.meta, META_FILE)
        mlflow.log_text(result.importance.write_csv(), "importance.csv")
        if result.reliability is not None:
            mlflow.log_text(result.reliability.write_csv(), "reliability.csv")
        key = secret if secret is not None else secrets.token_bytes(32)
        with tempfile.TemporaryDirectory() as tmp:
            pictures = write_pictures(result, Path(tmp) / "pictures")
            mlflow.log_artifacts(str(Path(tmp) / "pictures"), "pictures")
            test_path = Path(tmp) / "test_scored.parquet"
            pseudonymise_frame(result.test_scored, key).write_parquet(test_path)
            mlflow.log_artifact(str(test_path), "eval")
            if result.test_victims is not None:
                victims_path = Path(tmp) / "test_victims.parquet"
                pseudonymise_frame(result.test_victims, key).write_parquet(victims_path)
                mlflow.log_artifact(str(victims_path), "eval")
        info = mlflow.lightgbm.log_model(
            result.booster,
            name="model",
            signature=signature,
            input_example=example,
            pip_requirements=[f"lightgbm=={lgb.__version__}"],
        )
        run_id = mlflow.active_run().info.run_id
        root = mlflow.get_artifact_uri()
    result.artifacts = {name: _local(f"{root}/pictures/{path.name}") for name, path in pictures.items()}
    version = _register(client, name, info, run_id)
    client.set_model_version_tag(name, version, "as_of", result.meta["as_of"])
    client.set_model_version_tag(name, version, "label_source", result.meta["label_source"])
    registered = RegisteredModel(name=name, version=version, run_id=run_id, metrics=dict(result.metrics))
    # cached now, as its first load would cache it: the first warn after a training needs no MLflow
    kept = json.loads(json.dumps(result.meta))  # what MLflow's copy of the meta reads back as
    _write_cache(settings, LoadedModel(check_target(result.target), version, run_id, result.booster, kept))
    if promote_if_first and _champion_version(client, name) is None:
        client.set_registered_model_alias(name, CHAMPION, version)
    return registered


def _local(uri: str) -> str:
    """A file URI as the path a person can open; any other artifact URI as it is."""
    if uri.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return unquote(urlparse(uri).path)
    return uri


def _register(client: Any, name: str, info: Any, run_id: str) -> str:
    """A new version of ``name`` for the logged model (through the client, which prints nothing)."""

    _ensure_registered_model(client, name)
    mv = client.create_model_version(name, source=info.model_uri, run_id=run_id, model_id=info.model_id)
    return str(mv.version)


def _ensure_registered_model(client: Any, name: str) -> None:
    """Create the registered model on first use; if another process creates it at the same
    moment, theirs is used rather than this training lost."""
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(name)
    except MlflowException:
        try:
            client.create_registered_model(name, description=f"fraudkit {name.removeprefix('fraudkit-')} model")
        except MlflowException:
            client.get_registered_model(name)


def _champion_version(client: Any, name: str) -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(name, CHAMPION).version)
    except MlflowException:
        return None


def _latest_version(client: Any, name: str) -> str | None:
    versions = client.search_model_versions(f"name = '{name}'")
    return str(max(int(v.version) for v in versions)) if versions else None


def _resolve_version(client: Any, target: str, version: str | None) -> str:
    """The version asked for, or the champion; a one-line error when there is none."""
    name = model_name(target)
    if version is not None:
        if not str(version).isdigit():
            raise ConfigError(f"--model-version must be a number, got {version!r}")
        from mlflow.exceptions import MlflowException

        try:
            client.get_model_version(name, str(version))
        except MlflowException:
            raise NotReadyError(
                f"no version {version} of {name}", hint=f"see `fraudkit models list --target {target}`"
            ) from None
        return str(version)
    champion = _champion_version(client, name)
    if champion is None:
        raise NotReadyError(
            f"no {target} model is registered as {CHAMPION}",
            hint=f"train one with `fraudkit train --target {target}` (add --promote to make it champion)",
        )
    return champion


def registry_beside_store(settings: Settings) -> str | None:
    """The URI of an MLflow registry in ``mlruns/`` beside the store (as ``fraudkit demo`` makes),
    when it is not the one in use: a champion is likelier there than in the default one."""
    found = (settings.db_path.parent / "mlruns" / "mlflow.db").resolve()
    uri = f"sqlite:///{found}"
    in_use = settings.resolved_tracking_uri
    if not found.is_file() or (
        in_use.startswith("sqlite:///") and Path(in_use[len("sqlite:///") :]).resolve() == found
    ):
        return None
    return uri


CACHE_DIR = "fraudkit-model-cache"
"""Beside a sqlite registry: each loaded version's booster and meta, by name, version and run."""


def _registry_file(settings: Settings) -> Path | None:
    uri = settings.resolved_tracking_uri
    return Path(uri[len("sqlite:///") :]) if uri.startswith("sqlite:///") else None


def _cache_folder(db: Path, name: str, version: str, run_id: str) -> Path:
    return db.parent / CACHE_DIR / name / f"{version}-{run_id}"


def _cached_model(settings: Settings, target: str, version: str | None) -> LoadedModel | None:
    """The version (or champion) from the local cache, without importing MLflow (2-5 s of a short
    command). The alias and the version's run are read from the registry's sqlite file at every
    call, so a promotion is seen at once; a version's artifacts never change, so its cached copy
    stays right. None (load through MLflow) for any other registry, an alias or version the file
    does not answer plainly, or a cache not written yet or unreadable."""
    import sqlite3
    from contextlib import closing

    from fraudkit.engine.sql import model as sql

    db = _registry_file(settings)
    if db is None or not db.is_file() or (version is not None and not str(version).isdigit()):
        return None
    name = model_name(target)
    try:
        with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as reg:
            if version is None:
                aliased = reg.execute(sql.REGISTRY_ALIAS_VERSION, [name, CHAMPION]).fetchall()
                if len(aliased) != 1:
                    return None
                version = str(aliased[0][0])
            found = reg.execute(sql.REGISTRY_VERSION_RUN, [name, int(version)]).fetchall()
    except sqlite3.Error:  # an older or newer registry schema: MLflow knows it
        return None
    if len(found) != 1 or found[0][1] != "READY":
        return None
    run_id = str(found[0][0])
    folder = _cache_folder(db, name, str(version), run_id)
    from fraudkit.model.lgbm import lightgbm

    lgb = lightgbm()

    try:
        meta = json.loads((folder / META_FILE).read_text())
        booster = lgb.Booster(model_str=(folder / "model.txt").read_text())
    except (OSError, ValueError, lgb.basic.LightGBMError):
        return None
    return LoadedModel(target=check_target(target), version=str(version), run_id=run_id, booster=booster, meta=meta)


def _write_cache(settings: Settings, model: LoadedModel) -> None:
    """Keep a loaded version for ``_cached_model``; written to a temporary folder and renamed, so a
    reader never sees half of it. A folder that cannot be written only costs the next load its time."""
    import os
    import shutil

    db = _registry_file(settings)
    if db is None:
        return
    folder = _cache_folder(db, model_name(model.target), model.version, model.run_id)
    if folder.is_dir():
        return
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".tmp-"))
        (tmp / "model.txt").write_text(model.booster.model_to_string())
        (tmp / META_FILE).write_text(json.dumps(model.meta))
        try:
            os.rename(tmp, folder)
        except OSError:  # another process wrote it first
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError:
        return


def load_model(settings: Settings, target: str, version: str | None = None) -> LoadedModel:
    """The champion of ``target`` (or the named version) with its features and thresholds; from the
    local cache of a sqlite registry when it holds the version (``_cached_model``), else through MLflow."""
    cached = _cached_model(settings, target, version)
    if cached is not None:
        return cached
    model = _load_through_mlflow(settings, target, version)
    _write_cache(settings, model)
    return model


def _load_through_mlflow(settings: Settings, target: str, version: str | None = None) -> LoadedModel:
    import mlflow.artifacts
    import mlflow.lightgbm

    client = _client(settings)
    try:
        resolved = _resolve_version(client, target, version)
    except NotReadyError as exc:
        beside = registry_beside_store(settings)
        if version is None and beside is not None:
            raise NotReadyError(str(exc), hint=f"a registry sits beside the store: --tracking-uri {beside}") from None
        raise
    mv = client.get_model_version(model_name(target), resolved)
    booster = mlflow.lightgbm.load_model(f"models:/{model_name(target)}/{resolved}")
    meta = mlflow.artifacts.load_dict(f"runs:/{mv.run_id}/{META_FILE}")
    return LoadedModel(target=check_target(target), version=resolved, run_id=mv.run_id, booster=booster, meta=meta)


@dataclass
class Comparison:
    """A candidate version against the champion on the candidate's test days, metric by metric."""

    target: str
    candidate: str
    champion: str | None
    rows: list[tuple[str, float, float | None]]
    note: str = ""
    promoted: bool = False
    decision: str = ""


def _eval_frames(client: Any, run_id: str) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    with tempfile.TemporaryDirectory() as tmp:
        test = pl.read_parquet(client.download_artifacts(run_id, TEST_FILE, tmp))
        try:
            victims = pl.read_parquet(client.download_artifacts(run_id, VICTIMS_FILE, tmp))
        except Exception:  # runs of the per-day targets keep no victims
            victims = None
    return test, victims


def compare(settings: Settings, target: str, version: str | None = None) -> Comparison:
    """Score the candidate (default: the latest version) and the champion on the candidate's test
    rows and compute the same metrics for both, each with its own capacity threshold."""
    client = _client(settings)
    name = model_name(target)
    candidate = str(version) if version is not None else _latest_version(client, name)
    if candidate is None:
        raise NotReadyError(f"no version of {name} registered", hint=f"run `fraudkit train --target {target}` first")
    cand = load_model(settings, target, candidate)
    champion_version = _champion_version(client, name)
    test, victims = _eval_frames(client, cand.run_id)
    params = _params_from_meta(cand.meta)
    test_days = [date.fromisoformat(d) for d in cand.meta["split"]["test"]]
    cand_metrics = _metrics_for(cand, test, victims, params, test_days)
    if champion_version is None or champion_version == candidate:
        rows = [(m, cand_metrics.get(m, float("nan")), None) for m in COMPARED if m in cand_metrics]
        note = "no other champion to compare with" if champion_version is None else "this version is the champion"
        return Comparison(target, candidate, champion_version, rows, note)
    champ = load_model(settings, target, champion_version)
    missing = [f for f in champ.features if f not in test.columns]
    if missing:
        raise NotReadyError(
            f"champion v{champion_version} uses features the candidate's test rows lack: {', '.join(missing)}",
            hint="promote with --force to skip the comparison",
        )
    champ_metrics = _metrics_for(champ, test, victims, params, test_days)
    rows = [
        (m, cand_metrics.get(m, float("nan")), champ_metrics.get(m, float("nan")))
        for m in COMPARED
        if m in cand_metrics
    ]
    overlap = set(champ.meta["split"]["train"] + champ.meta["split"]["val"]) & set(cand.meta["split"]["test"])
    note = (
        f"the champion trained or validated on {len(overlap)} of these test days, which flatters it"
        if overlap
        else "both scored on the candidate's test days"
    )
    return Comparison(target, candidate, champion_version, rows, note)


def _params_from_meta(meta: dict[str, Any]) -> TrainParams:
    from datetime import timedelta

    from fraudkit.model.params import LabelParams

    horizon_h = float(meta.get("horizon_hours", 24))
    return TrainParams(
        target=meta["target"], capacity=int(meta["capacity"]), labels=LabelParams(horizon=timedelta(hours=horizon_h))
    )


def _metrics_for(
    model: LoadedModel, test: pl.DataFrame, victims: pl.DataFrame | None, params: TrainParams, test_days: list[date]
) -> dict[str, float]:
    scored = test.drop("score", strict=False).with_columns(model.score(test))
    metrics, _, _ = evaluate(scored, params, test_days=test_days, victims=victims, thresholds=model.thresholds)
    return metrics


def promote(
    settings: Settings,
    target: str,
    version: str | None = None,
    *,
    force: bool = False,
    tolerance: float = PROMOTE_TOLERANCE,
) -> Comparison:
    """Compare ``version`` (default: latest) with the champion and move the ``champion`` alias to it
    when the promotion rule (:func:`fraudkit.model.promotion.decide`) says it is not worse.

    A worse version is refused with :class:`PromotionRefused` (the alias stays), naming the gates it
    lost on. ``force`` skips the comparison and the rule (e.g. when the feature set changed and the
    champion cannot score the candidate's test rows).
    """
    client = _client(settings)
    name = model_name(target)
    if force:
        candidate = str(version) if version is not None else _latest_version(client, name)
        if candidate is None:
            raise NotReadyError(f"no version of {name} registered")
        _resolve_version(client, target, candidate)
        result = Comparison(target, candidate, _champion_version(client, name), [], "comparison skipped (--force)")
    else:
        result = compare(settings, target, version)
        decision = decide(result, tolerance)
        result.decision = decision.summary
        if not decision.promote:
            raise PromotionRefused(result, decision)
    client.set_registered_model_alias(name, CHAMPION, result.candidate)
    result.promoted = True
    return result


class PromotionRefused(FraudkitError):
    """The comparison says the candidate is worse than the champion: the alias did not move."""

    def __init__(self, comparison: Comparison, decision: Decision) -> None:
        name = model_name(comparison.target)
        super().__init__(
            f"{name} version {comparison.candidate} {decision.summary}; "
            f"{name}@champion stays version {comparison.champion}",
            hint=f"read `fraudkit models list --target {comparison.target}`, or promote anyway with --force",
        )
        self.comparison = comparison
        self.decision = decision


def list_versions(settings: Settings, target: str) -> list[dict[str, Any]]:
    """Registered versions of a target, newest first, with the champion marked and key test metrics."""
    client = _client(settings)
    name = model_name(target)
    champion = _champion_version(client, name)
    out = []
    for mv in sorted(client.search_model_versions(f"name = '{name}'"), key=lambda v: -int(v.version)):
        run = client.get_run(mv.run_id)
        out.append(
            {
                "version": str(mv.version),
                "champion": str(mv.version) == champion,
                "as_of": run.data.params.get("as_of", ""),
                "label_source": run.data.params.get("label_source", ""),
                "created": mv.creation_timestamp,
                **{k: run.data.metrics.get(k) for k in COMPARED},
            }
        )
    return out


def meta_json(meta: dict[str, Any]) -> str:
    """The model's metadata as indented JSON (for notebooks and debugging)."""
    return json.dumps(meta, indent=2, ensure_ascii=False)
