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
from fraudkit.model.params import contact_params_from_dict
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
    """Phones (fraud_number) or accounts (mule) active on ``day``, scored as of the midnight after it."""
    if model.target == "victim":
        raise ConfigError("the victim model scores contacts: use score_contacts or warning_list")
    window = timedelta(days=float(model.meta.get("window_days", 7)))
    return score(model, entity_rows(con, model.target, day, window=window))
