"""Scoring with a registered model: row-wise, so it runs per partition anywhere.

``score`` adds a score (a calibrated probability, ``calibration``) to any frame holding the
model's features and ranks it (``ranking``); ``score_contacts`` and
``score_day`` build those frames from the store exactly as training did, for the victim
target (contacts that ended in a time range) and the per-day targets (phones or accounts
active on a day).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import polars as pl

from fraudkit.errors import ConfigError
from fraudkit.model import frames
from fraudkit.model.dataset import entity_rows
from fraudkit.model.params import contact_params_from_dict, mule_params_from_dict
from fraudkit.model.ranking import rank
from fraudkit.model.registry import LoadedModel


def score(model: LoadedModel, rows: pl.DataFrame) -> pl.DataFrame:
    """``rows`` with a ``score`` column (the calibrated probability), highest first, ties broken
    as ``ranking`` documents for the model's target."""
    return rank(rows.with_columns(model.score(rows)), model.target)


def score_contacts(
    con: duckdb.DuckDBPyConnection, model: LoadedModel, *, since: datetime, until: datetime
) -> pl.DataFrame:
    """Every contact that ended in [since, until), with its features and the victim model's score."""
    if model.target != "victim":
        raise ConfigError(f"contacts are scored with a victim model, not {model.target!r}")
    params = contact_params_from_dict(model.meta.get("contacts"))
    return score(model, frames.contacts_from_store(con, since=since, until=until, params=params))


def score_day(con: duckdb.DuckDBPyConnection, model: LoadedModel, day: date) -> pl.DataFrame:
    """Phones active on ``day`` (fraud_number), or accounts active in the mule history before the
    midnight after it (mule), scored as of that midnight, built with the settings the model kept."""
    if model.target == "victim":
        raise ConfigError("the victim model scores contacts: use score_contacts or warning_list")
    window = timedelta(days=float(model.meta.get("window_days", 7)))
    mule = mule_params_from_dict(model.meta.get("mule"))
    return score(model, entity_rows(con, model.target, day, window=window, mule=mule))


def score_entities(con: duckdb.DuckDBPyConnection, model: LoadedModel, as_of: datetime) -> pl.DataFrame:
    """One row per entity as of ``as_of`` (the key, ``score``, ``flagged`` at the model's flag
    threshold), highest score first: ``fraudkit score``. Accounts active in the model's history
    (mule), or phones that called on the day before ``as_of`` (fraud_number)."""
    if model.target == "victim":
        raise ConfigError("the victim model scores contacts: use `fraudkit warn`")
    key = "account_id" if model.target == "mule" else "phone"
    if model.target == "mule":
        from fraudkit.model.mule import mule_rows

        window = timedelta(days=float(model.meta.get("window_days", 7)))
        rows = mule_rows(con, as_of, mule_params_from_dict(model.meta.get("mule")), scan_window=window).frame
    else:
        rows = entity_rows(con, "fraud_number", (as_of - timedelta(days=1)).date(), window=_window(model))
    scored = score(model, rows)
    threshold = flag_threshold(model)
    return scored.select(key, "score", (pl.col("score") >= threshold).alias("flagged"))


def _window(model: LoadedModel) -> timedelta:
    return timedelta(days=float(model.meta.get("window_days", 7)))


def flag_threshold(model: LoadedModel) -> float:
    """The probability from which the model flags: chosen for the best F1 on its validation rows
    (models trained before it was kept flag from the red tier)."""
    thresholds = model.thresholds
    return float(thresholds.get("flag", thresholds.get("red", 0.5)))
