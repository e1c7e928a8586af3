"""Training sets: feature rows with labels, a day for each row, and the temporal split.

- ``victim``: one row per contact (see ``contacts``), on the day it ended; labels mature
  ``horizon`` after it, so the last ``horizon`` before the as-of time is left out.
- ``fraud_number``: one row per phone that made a call on a day, with the phone features as
  of the midnight after it (``features.build_features``).
- ``mule``: one row per account active in the history window as of T (``fraudkit.model.mule``):
  flow, graph and water-house cluster features, ring-grouped folds and a temporal split.

Every feature of a row uses events before the row's scoring time only; labels may come
from later (that is what a label is), but only from what was on record before the as-of time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from fraudkit import timeutil
from fraudkit.engine.sql import model as sql
from fraudkit.errors import ConfigError, NotReadyError
from fraudkit.features.catalogue import model_inputs
from fraudkit.features.frames import FEATURE_HISTORY
from fraudkit.model import frames
from fraudkit.model.catalogue import ModelFeature, model_features
from fraudkit.model.contacts import CONTACT_FEATURE_NAMES, CONTACT_KEYS
from fraudkit.model.labels import (
    label_contacts,
    label_entities,
    read_truth,
    victims_from_reports,
    victims_from_truth,
)
from fraudkit.model.metrics import only_labelled
from fraudkit.model.params import LabelSource, MuleParams, Target, TrainParams, check_target
from fraudkit.model.split import DaySplit, split_days
from fraudkit.progress import ProgressArg, Reporter, as_reporter, stage
from fraudkit.store import store_timezone
from fraudkit.text import plural
from fraudkit.timeutil import start_of_day, to_zone

c = pl.col

CLUSTER_FEATURES: tuple[ModelFeature, ...] = model_features("mule", "cluster_features")
"""The mule model's cluster inputs, as the feature catalogue defines them."""
ENTITY_KEYS: dict[Target, tuple[str, ...]] = {
    "victim": CONTACT_KEYS,
    "fraud_number": ("phone", "as_of"),
    "mule": ("account_id", "as_of"),
}


@dataclass
class TrainingSet:
    """Rows (keys, features, ``label``, ``label_source``, ``day``, ``split``), and what made them."""

    target: Target
    frame: pl.DataFrame
    features: list[str]
    keys: list[str]
    split: DaySplit
    as_of: datetime
    label_source: LabelSource
    victims: pl.DataFrame | None = None
    """Victim target: every victim whose first loss fell in the split's days (phone, first_loss_at, loss)."""
    dropped: dict[str, str] = field(default_factory=dict)
    """Mule target: catalogue inputs the data cannot carry, each with the reason it was left out."""
    notes: list[str] = field(default_factory=list)
    """What the build found worth saying (rows, resolution, dropped features)."""

    def part(self, name: str, *, labelled: bool = True) -> pl.DataFrame:
        """Rows of one part of the split ('train', 'val', 'test'), only labelled ones by default."""
        rows = split_part(self.frame, name)
        return only_labelled(rows) if labelled else rows

    def summary(self) -> dict[str, int]:
        """Rows and positives per labelled part, for the log and the console (counted, not copied out:
        the fraud-number frame at 1M is 5.3M rows)."""
        out: dict[str, int] = {}
        for name in ("train", "val", "test"):
            mine = (c("split") == name) & c("label").is_not_null()
            counted = self.frame.select(mine.sum().alias("rows"), c("label").filter(mine).sum().alias("positives"))
            out[f"{name}_rows"] = int(counted["rows"][0] or 0)
            out[f"{name}_positives"] = int(counted["positives"][0] or 0)
        return out


def split_part(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """The rows whose ``split`` is ``name``: a zero-copy slice when they lie together, as the days'
    parts do in a frame ordered by day; a filtered copy otherwise."""
    at = frame.select((c("split") == name).fill_null(False).arg_true().alias("at"))["at"]
    if at.len() == 0:
        return frame.clear()
    first, last = int(at[0]), int(at[-1])
    if last - first + 1 == at.len():
        return frame.slice(first, at.len())
    return frame.filter(c("split") == name)


def usable_days(first_event: datetime, as_of: datetime, params: TrainParams) -> list[date]:
    """Whole days after the burn-in whose labels have matured by ``as_of``."""
    start = start_of_day(first_event) + params.split.burn_in
    maturity = params.labels.horizon if params.target == "victim" else timedelta(0)
    end = start_of_day(as_of - maturity)
    return [d.date() for d in frames.day_starts(start, end - timedelta(days=1))] if end > start else []


def _mule_set(
    con: duckdb.DuckDBPyConnection,
    p: TrainParams,
    *,
    as_of: datetime | None,
    truth: str | Path | dict[str, pl.DataFrame] | None,
    labels: str | Path | pl.DataFrame | None,
    reporter: Reporter,
) -> TrainingSet:
    """One row per account active in the history as of T, labelled, in ring-grouped folds (``mule``)."""
    from fraudkit.model.external import read_labels, truth_labels
    from fraudkit.model.mule import fold_split, mule_rows, usable_features, with_labels

    span = timeutil.data_span(con, "transactions", "ts")
    if span is None:
        raise NotReadyError("no transfers in the store", hint="load some with `fraudkit ingest --kind transactions`")
    when = to_zone(as_of, store_timezone(con)) if as_of else start_of_day(span[1]) + timedelta(days=1)
    with stage(reporter, f"account rows as of {when:%Y-%m-%d %H:%M}") as built:
        rows = mule_rows(con, when, p.mule, scan_window=p.window)
        built.note = plural(rows.frame.height, "account")
    case_notes: list[str] = []
    if labels is not None:
        known, source = (labels if isinstance(labels, pl.DataFrame) else read_labels(labels)), "labels"
    elif truth is not None:
        known, source = truth_labels(_truth_frames(truth, "mule")["mules"]), "truth"  # type: ignore[index]
    else:
        named = frames.reports(con, when)["fraud_account"].drop_nulls().cast(pl.String).unique()
        known, source = pl.DataFrame({"account_id": named, "group": named}), "report"
        known, case_notes = _with_case_verdicts(con, known, rows.frame["account_id"])
    features, dropped = usable_features(rows)
    labelled = fold_split(with_labels(rows.frame, known, p.mule, source), 0, p.mule.folds)
    day = (when - timedelta(days=1)).date()
    labelled = labelled.with_columns(pl.lit(day).alias("day"))
    notes = [*rows.notes, f"time resolution of the transfers: {rows.resolution}"]
    notes += case_notes
    notes += [f"left out {name}: {why}" for name, why in dropped.items()]
    return TrainingSet(
        target="mule",
        frame=labelled,
        features=features,
        keys=list(ENTITY_KEYS["mule"]),
        split=DaySplit((day,), (day,), (day,)),
        as_of=when,
        label_source="truth" if source == "truth" else ("labels" if source == "labels" else "reports"),
        dropped=dropped,
        notes=notes,
    )


def _with_case_verdicts(
    con: duckdb.DuckDBPyConnection, known: pl.DataFrame, accounts: pl.Series
) -> tuple[pl.DataFrame, list[str]]:
    """Report-named positives joined by the members of rings investigators confirmed (``fraudkit
    case``), when the store's operational store holds verdicts; a note says what they added."""
    from fraudkit.cases.labels import store_verdicts, with_verdicts

    verdicts = store_verdicts(con)
    added = with_verdicts(known, accounts, verdicts, con) if verdicts is not None else None
    return (known, []) if added is None else (added.known, [added.note])


def _truth_frames(truth: str | Path | dict[str, pl.DataFrame] | None, target: Target) -> dict[str, pl.DataFrame] | None:
    if truth is None or isinstance(truth, dict):
        return truth
    return read_truth(truth, target)


def build_training_set(
    con: duckdb.DuckDBPyConnection,
    target: Target,
    *,
    as_of: datetime | None = None,
    params: TrainParams | None = None,
    truth: str | Path | dict[str, pl.DataFrame] | None = None,
    labels: str | Path | pl.DataFrame | None = None,
    progress: ProgressArg = None,
) -> TrainingSet:
    """Feature rows with labels for ``target`` from everything in the store before ``as_of``.

    ``truth`` (a truth/ folder or its frames) switches the label source to ground truth;
    without it, labels come from reports (and call-back outcomes, for victims). ``labels`` (mule
    target: a labels file of known bad accounts, or its frame, ``external.read_labels``) takes
    precedence over both. ``progress``
    sees the stages: for fraud numbers and mules, "features" counting the days built, one
    at a time; for victims, "contacts" (one query over all the days) and "labels".
    """
    check_target(target)
    p = params or TrainParams(target=target)
    if p.target != target:
        raise ValueError(f"params are for {p.target!r}, not {target!r}")
    if labels is not None and target != "mule":
        raise ConfigError(f"a labels file of accounts labels the mule target, not {target!r}", hint="--target mule")
    if target == "mule":
        return _mule_set(con, p, as_of=as_of, truth=truth, labels=labels, reporter=as_reporter(progress))
    truth_frames = _truth_frames(truth, target)
    if truth_frames is None and p.labels.source == "truth":
        raise ConfigError("labels from ground truth need the truth/ folder", hint="pass --truth DIR")
    source: LabelSource = "truth" if truth_frames is not None else "reports"
    p = replace(p, labels=replace(p.labels, source=source))
    reporter = as_reporter(progress)
    first, last = frames.data_span(con)
    when = to_zone(as_of, store_timezone(con)) if as_of else start_of_day(last) + timedelta(days=1)
    days = usable_days(first, when, p)
    split = split_days(days, p.split)
    if target == "victim":
        return _victim_set(con, p, split, when, truth_frames, reporter)
    return _entity_set(con, p, split, when, truth_frames, reporter)


def _victim_set(
    con: duckdb.DuckDBPyConnection,
    p: TrainParams,
    split: DaySplit,
    as_of: datetime,
    truth: dict[str, pl.DataFrame] | None,
    reporter: Reporter,
) -> TrainingSet:
    since = start_of_day(split.train[0])
    until = start_of_day(split.test[-1]) + timedelta(days=1)
    with stage(reporter, f"contacts {since:%Y-%m-%d}..{until:%Y-%m-%d}") as found:
        contacts = frames.contacts_from_store(con, since=since, until=until, params=p.contacts)
        found.note = f"{plural(contacts.height, 'contact')} over {plural(len(split.all_days), 'day')}"
    if contacts.is_empty():
        raise NotReadyError("no contacts (long calls from new numbers) in the training days", hint="load calls first")
    with stage(reporter, "labels") as labelling:
        labelled, victims = _victim_labels(con, p, contacts, as_of, truth)
        labelling.note = plural(int(labelled["label"].sum() or 0), "positive")
    labelled = _with_split(
        labelled.with_columns(c("scored_at").dt.date().alias("day")), split, ["scored_at", "contact_id"]
    )
    in_days = c("first_loss_at").is_not_null() & (c("first_loss_at") >= since) & (c("first_loss_at") < until)
    victims_in = victims.filter(in_days).select("phone", "first_loss_at", "loss")
    return TrainingSet(
        target="victim",
        frame=labelled,
        features=list(CONTACT_FEATURE_NAMES),
        keys=list(CONTACT_KEYS),
        split=split,
        as_of=as_of,
        label_source=p.labels.source,
        victims=victims_in,
    )


def _victim_labels(
    con: duckdb.DuckDBPyConnection,
    p: TrainParams,
    contacts: pl.DataFrame,
    as_of: datetime,
    truth: dict[str, pl.DataFrame] | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The contacts labelled (from the truth, or from reports and outcomes), and the victims behind the labels."""
    if truth is not None:
        victims = victims_from_truth(truth, as_of)
        fraud_numbers = truth["fraud_numbers"]["phone"]
    else:
        reps = frames.reports(con, as_of)
        pairs = reps.filter(c("victim_account").is_not_null() & c("fraud_account").is_not_null())
        victims = victims_from_reports(reps, frames.first_transfer_to(con, pairs, as_of))
        fraud_numbers = None
    outcomes = frames.outcomes(con, as_of)
    labelled = label_contacts(contacts, victims, outcomes, p.labels, fraud_numbers=fraud_numbers)
    if fraud_numbers is not None:  # ground truth also says which contacts were scam calls at all
        labelled = labelled.with_columns(
            c("caller").is_in(fraud_numbers.cast(pl.String).implode()).cast(pl.Int8).alias("scam_contact")
        )
    return labelled, victims


def _with_split(frame: pl.DataFrame, split: DaySplit, order: list[str]) -> pl.DataFrame:
    """Rows of the split's days with their part, in a fixed order (bagging depends on row order)."""
    mapping = pl.DataFrame(
        {
            "day": [d for name in ("train", "val", "test") for d in getattr(split, name)],
            "split": [name for name in ("train", "val", "test") for _ in getattr(split, name)],
        },
        schema={"day": pl.Date, "split": pl.String},
    )
    return frame.join(mapping, on="day", how="inner").sort(["day", *order])


def _active(con: duckdb.DuckDBPyConnection, target: Target, start: datetime, end: datetime) -> pl.Series:
    """Phones that made a call in [start, end)."""
    q = sql.ACTIVE_CALLERS
    return con.sql(q, params={"s": start, "e": end}).pl()["key"].cast(pl.String)


def entity_rows(
    con: duckdb.DuckDBPyConnection,
    target: Target,
    day: date,
    *,
    window: timedelta,
    mule: MuleParams | None = None,
    loaded: Mapping[str, pl.LazyFrame] | None = None,
) -> pl.DataFrame:
    """Feature rows of the phones active on ``day`` (fraud_number), or of the accounts active in the
    mule history before the midnight after it (mule, ``mule.mule_rows``), as of that midnight.

    Used both to train and to score, so the two can never drift apart. ``loaded`` (fraud_number):
    the store's frames over a span holding this day's look-back (``phone_frames``), read once
    for many days instead of once a day.
    """
    from fraudkit.features.frames import build_features, features_from_frames
    from fraudkit.model.mule import mule_rows

    start = start_of_day(day)
    as_of = start + timedelta(days=1)
    if target == "mule":
        rows = mule_rows(con, as_of, mule or MuleParams(), scan_window=window).frame
        return rows.with_columns(pl.lit(day).alias("day"))
    active = _active(con, target, start, as_of)
    # only the day's callers are built: their rows are the whole frame's, for a fraction of the work
    if loaded is None:
        built = build_features(con, as_of=as_of, window=window, entities=("phone",), phones=active)
    else:
        built = features_from_frames(loaded, as_of=as_of, window=window, entities=("phone",), phones=active)
    return built["phone"].with_columns(pl.lit(as_of).alias("as_of"), pl.lit(day).alias("day"))


def phone_frames(con: duckdb.DuckDBPyConnection, days: Sequence[date], window: timedelta) -> dict[str, pl.LazyFrame]:
    """The store's frames for the fraud-number rows of all ``days``: every day's look-back in one read,
    the calls with what answers each day's history questions (``prepare.with_span_history``)."""
    from fraudkit.features.frames import load_frames
    from fraudkit.features.prepare import with_span_history

    first, last = start_of_day(min(days)) + timedelta(days=1), start_of_day(max(days)) + timedelta(days=1)
    frames = load_frames(con, as_of=last, window=window, history=last - first + FEATURE_HISTORY)
    return frames | {"calls": with_span_history(frames["calls"]).lazy()}


def cluster_features(con: duckdb.DuckDBPyConnection, as_of: datetime, window: timedelta) -> pl.DataFrame:
    """Per account in a scanned cluster: membership, the cluster's score and size, the account's role."""
    from fraudkit.scan.scan import run_scan

    result = run_scan(con, as_of=as_of, window=window)
    members = result.members.select("cluster_id", c("account").alias("account_id"), "role")
    clusters = result.clusters.select(
        "cluster_id",
        c("flagged").cast(pl.Float64).alias("cluster_flagged"),
        c("score").cast(pl.Float64).alias("cluster_score"),
        c("size").cast(pl.Float64).alias("cluster_size"),
        c("victims").cast(pl.Float64).alias("cluster_victims"),
    )
    return (
        members.join(clusters, on="cluster_id", how="left")
        .with_columns(
            pl.lit(1.0).alias("in_cluster"),
            (c("role") == "collector").cast(pl.Float64).alias("role_collector"),
            (c("role") == "cashout").cast(pl.Float64).alias("role_cashout"),
        )
        .sort("cluster_score", descending=True)
        .unique("account_id", keep="first")
        .select("account_id", *[f.name for f in CLUSTER_FEATURES])
    )


def _entity_set(
    con: duckdb.DuckDBPyConnection,
    p: TrainParams,
    split: DaySplit,
    as_of: datetime,
    truth: dict[str, pl.DataFrame] | None,
    reporter: Reporter,
) -> TrainingSet:
    target = p.target
    key = "phone" if target == "fraud_number" else "account_id"
    if truth is not None:
        positives = truth["fraud_numbers"]["phone"] if target == "fraud_number" else truth["mules"]["account_id"]
        source = "truth"
    else:
        reps = frames.reports(con, as_of)
        positives = reps["fraud_phone"] if target == "fraud_number" else reps["fraud_account"]
        source = "report"
    part_of = {d: name for name in ("train", "val", "test") for d in getattr(split, name)}
    parts = []
    with stage(reporter, "features", total=len(split.all_days), unit="days") as built:
        loaded = phone_frames(con, split.all_days, p.window) if target == "fraud_number" and split.all_days else None
        # day by day, labelled and in order (the days ascend, each day's rows by key): the whole
        # frame is never joined or sorted again, which at 1M doubled 5.3M rows twice over
        for day in split.all_days:
            rows = label_entities(entity_rows(con, target, day, window=p.window, loaded=loaded), key, positives, source)
            parts.append(rows.with_columns(pl.lit(part_of[day]).alias("split")).sort(key))
            built.advance()
        labelled = pl.concat(parts, how="vertical_relaxed")
        parts.clear()
        built.note = plural(labelled.height, "row")
    keys = list(ENTITY_KEYS[target])
    features = [spec.name for spec in model_inputs(target)]  # the catalogue's list, in training order
    return TrainingSet(
        target=target,
        frame=labelled,
        features=features,
        keys=keys,
        split=split,
        as_of=as_of,
        label_source=p.labels.source,
    )
