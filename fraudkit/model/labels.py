"""Labels: which rows are positives, and where each label came from.

The source is explicit (``LabelParams.source``):

- ``truth``: a synthetic world's ground truth (``fraudkit synth`` writes it under truth/):
  victims with their first-loss time and loss, fraud numbers, mule accounts;
- ``reports``: confirmed cases in the ``reports`` table filed before the as-of time; a
  reported victim's first loss is dated by the first transfer from the victim's account to
  the reported fraud account, when the report names both.

Call-back outcomes override either for the victim target: ``confirmed_victim`` makes the
subscriber's contacts in the ``outcome_window`` before the call-back positives,
``false_alarm`` makes them negatives. Every row carries ``label_source``: truth, report,
outcome, or none (no evidence of fraud: a negative).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from fraudkit.errors import NotReadyError
from fraudkit.model.params import LabelParams, Target

c = pl.col
TRUTH_TABLES: dict[Target, tuple[str, ...]] = {
    "victim": ("victims", "fraud_numbers"),
    "fraud_number": ("fraud_numbers",),
    "mule": ("mules",),
}
VICTIM_COLUMNS = {"phone": pl.String, "fraud_phone": pl.String, "first_loss_at": pl.Datetime("us"), "loss": pl.Float64}


def read_truth(truth_dir: str | Path, target: Target) -> dict[str, pl.DataFrame]:
    """The ground-truth tables a target needs, from the truth/ folder of a synthetic world."""
    root = Path(truth_dir)
    frames: dict[str, pl.DataFrame] = {}
    for name in TRUTH_TABLES[target]:
        parquet, csv = root / f"{name}.parquet", root / f"{name}.csv"
        if parquet.exists():
            frames[name] = pl.read_parquet(parquet)
        elif csv.exists():
            frames[name] = pl.read_csv(csv, try_parse_dates=True)
        else:
            raise NotReadyError(
                f"no ground truth {name!r} in {root}", hint="point --truth at the truth/ folder `fraudkit synth` wrote"
            )
    return frames


def victims_from_truth(truth: dict[str, pl.DataFrame], until: datetime) -> pl.DataFrame:
    """Victims whose first loss happened before ``until``: phone, fraud_phone, first_loss_at, loss."""
    v = truth["victims"]
    return (
        v.select(
            c("phone").cast(pl.String),
            c("fraud_phone").cast(pl.String),
            c("first_loss_at").cast(pl.Datetime("us")),
            c("total_loss").cast(pl.Float64).alias("loss"),
        )
        .filter(c("first_loss_at") < until)
        .unique("phone", keep="first")
        .sort("phone")
    )


def victims_from_reports(reports: pl.DataFrame, first_losses: pl.DataFrame) -> pl.DataFrame:
    """One row per reported victim phone: the fraud number named, the dated first loss (or null), the loss.

    ``first_losses`` has victim_account, fraud_account, first_loss_at (see ``frames.first_transfer_to``).
    """
    reps = reports.filter(c("victim_phone").is_not_null())
    dated = reps.join(first_losses, on=["victim_account", "fraud_account"], how="left")
    return (
        dated.group_by(c("victim_phone").alias("phone"))
        .agg(
            c("fraud_phone").drop_nulls().first().cast(pl.String).alias("fraud_phone"),
            c("first_loss_at").min().cast(pl.Datetime("us")),
            c("reported_at").min().cast(pl.Datetime("us")).alias("reported_at"),
            c("loss_amount").sum().cast(pl.Float64).alias("loss"),
        )
        .sort("phone")
    )


def label_contacts(
    contacts: pl.DataFrame,
    victims: pl.DataFrame,
    outcomes: pl.DataFrame | None,
    params: LabelParams,
    *,
    fraud_numbers: pl.Series | None = None,
) -> pl.DataFrame:
    """``contacts`` with ``label`` (1, 0, or null = left out) and ``label_source``.

    A contact is a positive when its subscriber is a victim whose first loss came at most
    ``horizon`` after the contact ended (or at most ``horizon`` before it: still being worked
    on), and the caller is the fraud number (ground truth: any truth fraud number; reports:
    the reported one, when the report names it). A victim's other contacts are left out
    rather than called negatives. Without a dated first loss, the contacts in the
    ``report_window`` before the report count. Outcomes then override, as the module says.
    """
    v = victims.select(
        c("phone").alias("callee"),
        c("fraud_phone").alias("_fraud_phone"),
        c("first_loss_at").alias("_first_loss"),
        (c("reported_at") if "reported_at" in victims.columns else pl.lit(None, pl.Datetime("us"))).alias("_reported"),
    )
    out = contacts.join(v, on="callee", how="left")
    t = c("scored_at")
    dated = c("_first_loss").is_not_null()
    in_window = (
        pl.when(dated)
        .then((t >= c("_first_loss") - params.horizon) & (t <= c("_first_loss") + params.horizon))
        .otherwise((t >= c("_reported") - params.report_window) & (t <= c("_reported")))
    ).fill_null(False)
    if fraud_numbers is not None:
        right_caller = c("caller").is_in(fraud_numbers.cast(pl.String).implode())
    else:
        right_caller = c("_fraud_phone").is_null() | (c("caller") == c("_fraud_phone"))
    is_victim = c("_fraud_phone").is_not_null() | dated | c("_reported").is_not_null()
    source = "truth" if params.source == "truth" else "report"
    out = out.with_columns(
        pl.when(~is_victim)
        .then(pl.lit(0, pl.Int8))
        .when(in_window & right_caller)
        .then(pl.lit(1, pl.Int8))
        .otherwise(pl.lit(None, pl.Int8))
        .alias("label"),
        pl.when(~is_victim).then(pl.lit("none")).otherwise(pl.lit(source)).alias("label_source"),
    ).drop("_fraud_phone", "_first_loss", "_reported")
    if outcomes is None or outcomes.is_empty():
        return out
    return apply_outcomes(out, outcomes, params)


def apply_outcomes(contacts: pl.DataFrame, outcomes: pl.DataFrame, params: LabelParams) -> pl.DataFrame:
    """Confirmed victims and false alarms from call-backs label the contacts just before the call-back."""
    verdicts = outcomes.filter(c("result").is_in(["confirmed_victim", "false_alarm"])).select(
        c("phone").cast(pl.String).alias("callee"),
        c("contacted_at").cast(pl.Datetime("us")).alias("_contacted"),
        (c("result") == "confirmed_victim").cast(pl.Int8).alias("_verdict"),
    )
    if verdicts.is_empty():
        return contacts
    hits = (
        contacts.select("contact_id", "callee", "scored_at")
        .join(verdicts, on="callee", how="inner")
        .filter((c("scored_at") <= c("_contacted")) & (c("scored_at") >= c("_contacted") - params.outcome_window))
        .sort("_contacted")
        .group_by("contact_id")
        .agg(c("_verdict").last())  # the latest call-back's verdict wins
    )
    return (
        contacts.join(hits, on="contact_id", how="left")
        .with_columns(
            pl.when(c("_verdict").is_not_null()).then(c("_verdict")).otherwise(c("label")).alias("label"),
            pl.when(c("_verdict").is_not_null())
            .then(pl.lit("outcome"))
            .otherwise(c("label_source"))
            .alias("label_source"),
        )
        .drop("_verdict")
    )


def label_entities(frame: pl.DataFrame, key: str, positives: pl.Series, source: str) -> pl.DataFrame:
    """Per-entity labels for the per-day targets: 1 when the row's ``key`` is among ``positives``."""
    hit = c(key).is_in(positives.cast(pl.String).drop_nulls().unique().implode())
    return frame.with_columns(
        hit.cast(pl.Int8).alias("label"),
        pl.when(hit).then(pl.lit(source)).otherwise(pl.lit("none")).alias("label_source"),
    )
