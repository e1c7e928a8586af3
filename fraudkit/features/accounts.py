"""Per-account money features as of T: the mule ("water house") side of the trail.

Three aggregations feed them: activity over the window's legs (sorted by account and
time, which also gives dwell and bursts), one distinct-counterparty table for the
window (the expensive step, done once and reused for fan-in/out, strangers, new payees
and reported counterparties), and point-in-time lookups (age, reports).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from fraudkit.features.engine import collect, in_pieces
from fraudkit.features.params import DEFAULT_PARAMS, FeatureParams, TimeFrame
from fraudkit.features.prepare import (
    accounts_at,
    days_between,
    identifier_code,
    is_night,
    prior_pairs,
    reported_set,
    reports_before,
    to_cents,
    transactions_in_history,
    transfer_legs,
    unordered_pair,
)
from fraudkit.features.spec import NEW_IN_WINDOW, POINT, REPORTS, WINDOW, FeatureSet, ratio

MICROS_PER_MINUTE = 60_000_000
ACCOUNT = FeatureSet(entity="account", key="account_id", producer="account_features")
_f = ACCOUNT.define
c = pl.col

_f("amount_in", c("_in_cents") / 100, "money received in the window", window=WINDOW, kind="amount")
_f("amount_out", c("_out_cents") / 100, "money paid out in the window", window=WINDOW, kind="amount")
_f("transfers_in", c("_in_n"), "transfers received in the window", window=WINDOW, kind="count")
_f("transfers_out", c("_out_n"), "transfers paid out in the window", window=WINDOW, kind="count")
_f(
    "pass_through_ratio",
    ratio(c("_out_cents"), c("_in_cents")),
    "money out / money in within the window; mules forward nearly all (about 1); 0 when nothing came in",
    window=WINDOW,
    kind="ratio",
)
_f(
    "median_dwell_minutes",
    c("_median_dwell_us") / MICROS_PER_MINUTE,
    "median minutes from a transfer in to the account's next transfer out, over transfers in "
    "that were followed by one before T; -1 when none was",
    window=WINDOW,
    kind="duration",
    fill=-1.0,
)
_f(
    "min_dwell_minutes",
    c("_min_dwell_us") / MICROS_PER_MINUTE,
    "shortest minutes from a transfer in to the next transfer out; -1 when no transfer in was followed by one",
    window=WINDOW,
    kind="duration",
    fill=-1.0,
)
_f(
    "fast_forward_share",
    ratio(c("_fast_in_cents"), c("_in_cents")),
    "share of the inflow amount whose next transfer out followed within forward_within (default 2 h); "
    "0 when nothing came in",
    window=WINDOW,
    kind="ratio",
)
_f("fan_in", c("_fan_in"), "distinct senders in the window", window=WINDOW, kind="count")
_f("fan_out", c("_fan_out"), "distinct receivers in the window", window=WINDOW, kind="count")
_f(
    "unrelated_senders",
    c("_unrelated_senders"),
    "distinct senders in the window held by someone else (or unknown) and with no transfer "
    "either way in the history before the window",
    window=NEW_IN_WINDOW,
    kind="count",
)
_f(
    "unrelated_receivers",
    c("_unrelated_receivers"),
    "distinct receivers in the window held by someone else (or unknown) and with no transfer "
    "either way in the history before the window",
    window=NEW_IN_WINDOW,
    kind="count",
)
_f(
    "account_age_days",
    c("_age_days"),
    "days from opened_at to T; -1 when the opening date is unknown",
    window=POINT,
    kind="duration",
    fill=-1.0,
)
_f(
    "new_payee_large_transfers",
    c("_new_large_n"),
    "transfers out in the window of at least large_amount (default 5,000) to new payees: held by "
    "someone else (or unknown) and with no transfer either way in the history before the window",
    window=NEW_IN_WINDOW,
    kind="count",
)
_f(
    "max_new_payee_amount",
    c("_new_max_cents") / 100,
    "largest single transfer out in the window to a new payee (as above, any amount); 0 when none",
    window=NEW_IN_WINDOW,
    kind="amount",
)
_f(
    "round_amount_share",
    ratio(c("_round_n"), c("_n")),
    "share of transfers in and out in the window whose amount is a multiple of round_unit (default 1,000)",
    window=WINDOW,
    kind="ratio",
)
_f(
    "just_under_threshold_share",
    ratio(c("_under_n"), c("_n")),
    "share of transfers in and out in the window just under a reporting threshold "
    "(within under_band, default 2%, below one of thresholds, e.g. 49,000-49,999.99)",
    window=WINDOW,
    kind="ratio",
)
_f(
    "cash_out_share",
    ratio(c("_cash_out_cents"), c("_out_cents")),
    "share of the outflow amount through cash-out channels (default atm, third_party); 0 when nothing went out",
    window=WINDOW,
    kind="ratio",
)
_f(
    "inflow_from_reported_victims",
    c("_victim_inflow_cents") / 100,
    "money received in the window from accounts named as victim_account in reports before T (one hop)",
    window=f"{WINDOW}; {REPORTS}",
    kind="amount",
)
_f(
    "reported_fraud_counterparties",
    c("_fraud_counterparties"),
    "distinct counterparties in the window named as fraud_account in reports before T",
    window=f"{WINDOW}; {REPORTS}",
    kind="count",
)
_f(
    "reports_naming_account",
    c("_reports_naming"),
    "reports before T naming this account as fraud_account",
    window=REPORTS,
    kind="count",
)
_f(
    "night_share",
    ratio(c("_night_n"), c("_n")),
    "share of transfers in and out in the window at night (night_hours, default 00:00-06:00)",
    window=WINDOW,
    kind="ratio",
)
_f(
    "max_transfers_per_hour",
    c("_burst"),
    "most transfers in and out within any burst_period (default 1 h) of the window",
    window=WINDOW,
    kind="count",
)


def _is_round(cents: pl.Expr, unit: float) -> pl.Expr:
    return (cents % to_cents(unit)) == 0


def _is_just_under(cents: pl.Expr, params: FeatureParams) -> pl.Expr:
    hit = pl.lit(False)
    for t in params.thresholds:
        hit = hit | ((cents >= to_cents(t * (1.0 - params.under_band))) & (cents < to_cents(t)))
    return hit


def _activity(window_legs: pl.LazyFrame, params: FeatureParams) -> pl.LazyFrame:
    """Sums, shares, dwell times and bursts per account from the window's legs, in one sort and one pass.

    Legs are sorted by account, time, in-before-out, so each incoming leg's next outgoing
    leg of the same account is a backward fill away: no per-row loops, no as-of join.
    Dwell stays in integer microseconds until the end so results do not depend on threads.
    """
    is_out = c("is_out")
    cents = c("cents")
    ordered = window_legs.sort("account", "ts", "is_out")
    next_out_ts = pl.when(is_out).then(c("ts")).backward_fill()
    next_out_account = pl.when(is_out).then(c("account")).backward_fill()
    dwell = (
        pl.when(~is_out & (next_out_account == c("account")))
        .then((next_out_ts - c("ts")).dt.total_microseconds())
        .alias("_dwell_us")
    )
    burst = pl.lit(1, pl.Int32).alias("_one")
    ordered = ordered.with_columns(dwell, burst).with_columns(
        c("_one").rolling_sum_by("ts", params.burst_period).over("account").alias("_in_burst")
    )
    fast_us = params.forward_within // timedelta(microseconds=1)
    cash_out = is_out & c("channel").is_in(list(params.cash_out_channels))
    return ordered.group_by("account").agg(
        cents.filter(~is_out).sum().alias("_in_cents"),
        cents.filter(is_out).sum().alias("_out_cents"),
        (~is_out).sum().alias("_in_n"),
        is_out.sum().alias("_out_n"),
        pl.len().alias("_n"),
        c("_dwell_us").median().alias("_median_dwell_us"),
        c("_dwell_us").min().alias("_min_dwell_us"),
        cents.filter(c("_dwell_us") <= fast_us).sum().alias("_fast_in_cents"),
        _is_round(cents, params.round_unit).sum().alias("_round_n"),
        _is_just_under(cents, params).sum().alias("_under_n"),
        cents.filter(cash_out).sum().alias("_cash_out_cents"),
        is_night(c("ts"), params).sum().alias("_night_n"),
        c("_in_burst").max().alias("_burst"),
    )


COUNTERPARTY_PIECES = 4
"""The accounts' counterparty tables are made this many pieces at a time (by account): every pair
belongs to one account, so the pieces' rows are the whole table's; at 1M subscribers over 30 days the
table of 15M pairs and its joins took 2.6 GiB at once."""


def _counterparties(
    window_legs: pl.LazyFrame,
    txns: pl.LazyFrame,
    accounts: pl.LazyFrame,
    reports: pl.LazyFrame,
    tf: TimeFrame,
    params: FeatureParams,
) -> pl.LazyFrame:
    """Distinct counterparties of the window, counted once, then read many ways per account, in
    ``COUNTERPARTY_PIECES`` pieces by account run one after the other."""
    prior = prior_pairs(txns, "src", "dst", tf)
    return in_pieces(
        lambda piece: _counterparties_of(window_legs.filter(piece), prior, accounts, reports, params),
        identifier_code("account", window_legs.collect_schema()["account"]),
        COUNTERPARTY_PIECES,
    )


def _counterparties_of(
    window_legs: pl.LazyFrame, prior: pl.LazyFrame, accounts: pl.LazyFrame, reports: pl.LazyFrame, params: FeatureParams
) -> pl.LazyFrame:
    """``_counterparties`` for the legs of some accounts (all of each one's legs)."""
    is_out = c("is_out")
    pairs = window_legs.group_by("account", "counterparty").agg(
        (~is_out).any().alias("_sent_to_us"),
        is_out.any().alias("_paid_by_us"),
        c("cents").filter(~is_out).sum().alias("_in_cents"),
        c("cents").filter(is_out).max().alias("_out_max_cents"),
        (is_out & (c("cents") >= to_cents(params.large_amount))).sum().alias("_out_large_n"),
    )
    holders = accounts.select(c("account_id"), c("holder_id"))
    pairs = (
        pairs.with_columns(unordered_pair("account", "counterparty"))
        .join(prior, on=["_lo", "_hi"], how="left")
        .join(holders.rename({"account_id": "account", "holder_id": "_h1"}), on="account", how="left")
        .join(holders.rename({"account_id": "counterparty", "holder_id": "_h2"}), on="counterparty", how="left")
        .join(
            reported_set(reports, "victim_account", "_victim").rename({"value": "counterparty"}),
            on="counterparty",
            how="left",
        )
        .join(
            reported_set(reports, "fraud_account", "_fraud").rename({"value": "counterparty"}),
            on="counterparty",
            how="left",
        )
    )
    new = c("_prior").is_null()
    same_holder = c("_h1").is_not_null() & (c("_h1") == c("_h2")).fill_null(False)
    unrelated = new & ~same_holder
    return pairs.group_by("account").agg(
        c("_sent_to_us").sum().alias("_fan_in"),
        c("_paid_by_us").sum().alias("_fan_out"),
        (c("_sent_to_us") & unrelated).sum().alias("_unrelated_senders"),
        (c("_paid_by_us") & unrelated).sum().alias("_unrelated_receivers"),
        c("_out_large_n").filter(unrelated).sum().alias("_new_large_n"),
        c("_out_max_cents").filter(unrelated).max().alias("_new_max_cents"),
        c("_in_cents").filter(c("_victim").fill_null(False)).sum().alias("_victim_inflow_cents"),
        c("_fraud").fill_null(False).sum().alias("_fraud_counterparties"),
    )


def account_features(
    transactions: pl.LazyFrame,
    accounts: pl.LazyFrame,
    *,
    as_of: datetime,
    window: timedelta = timedelta(days=7),
    history: timedelta = timedelta(days=30),
    reports: pl.LazyFrame | None = None,
    params: FeatureParams = DEFAULT_PARAMS,
) -> pl.DataFrame:
    """One row per account with a successful transfer in [as_of - window, as_of), key ``account_id``.

    Pure: a shard's transactions (every transfer touching its accounts) in, that shard's
    rows out; on Spark, keep only the rows whose account belongs to the shard.
    """
    return collect(
        account_features_lazy(
            transactions, accounts, as_of=as_of, window=window, history=history, reports=reports, params=params
        )
    )


def account_features_lazy(
    transactions: pl.LazyFrame,
    accounts: pl.LazyFrame,
    *,
    as_of: datetime,
    window: timedelta = timedelta(days=7),
    history: timedelta = timedelta(days=30),
    reports: pl.LazyFrame | None = None,
    params: FeatureParams = DEFAULT_PARAMS,
) -> pl.LazyFrame:
    """The plan behind :func:`account_features`, for callers that collect several plans together."""
    tf = TimeFrame(as_of, window, history)
    txns = transactions_in_history(transactions.lazy(), tf)
    window_legs = transfer_legs(txns.filter(c("ts") >= tf.window_start))
    known = accounts_at(accounts.lazy(), tf)
    reps = reports_before(reports.lazy() if reports is not None else None, tf)
    ages = known.select(
        c("account_id").alias("account"),
        days_between(pl.lit(tf.as_of), c("opened_at")).clip(lower_bound=0.0).alias("_age_days"),
    )
    naming = (
        reps.select(c("fraud_account").alias("account"))
        .drop_nulls()
        .group_by("account")
        .agg(pl.len().alias("_reports_naming"))
    )
    raw = (
        _activity(window_legs, params)
        .join(_counterparties(window_legs, txns, known, reps, tf, params), on="account", how="left")
        .join(ages, on="account", how="left")
        .join(naming, on="account", how="left")
        .rename({"account": "account_id"})
    )
    return ACCOUNT.finish(raw)
