"""Per-phone money behaviour of the accounts linked to the phone: the victim early-warning side.

A victim typically takes long calls from a number never seen before, then makes a first
large transfer to a payee never paid before, far above their usual amounts. Only the
few large transfers of the window are examined in detail, so this stays cheap.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from fraudkit.features.engine import collect
from fraudkit.features.links import DEFAULT_MAX_HOLDER_LINKS, phone_account_links
from fraudkit.features.params import DEFAULT_PARAMS, FeatureParams, TimeFrame
from fraudkit.features.prepare import (
    accounts_at,
    calls_in_history,
    hours_between,
    prior_pairs,
    reported_set,
    reports_before,
    subscribers_at,
    to_cents,
    transactions_in_history,
    unordered_pair,
)
from fraudkit.features.spec import HISTORY, NEW_IN_WINDOW, POINT, REPORTS, WINDOW, FeatureSet, ratio

MONEY = FeatureSet(entity="phone", key="phone", producer="subscriber_money_features")
_f = MONEY.define
c = pl.col

_f(
    "linked_accounts",
    c("_linked_accounts"),
    "accounts known at T linked to the phone (same holder, or registered with the phone)",
    window=POINT,
    kind="count",
)
_f(
    "linked_amount_out",
    c("_out_cents") / 100,
    "money paid out in the window by the linked accounts",
    window=WINDOW,
    kind="amount",
)
_f(
    "linked_transfers_out",
    c("_out_n"),
    "transfers paid out in the window by the linked accounts",
    window=WINDOW,
    kind="count",
)
_f(
    "linked_new_payee_large_transfers",
    c("_new_large_n"),
    "transfers out in the window by linked accounts of at least large_amount (default 5,000) to new "
    "payees: held by someone else (or unknown), no transfer either way with that account in the "
    "history before the window",
    window=NEW_IN_WINDOW,
    kind="count",
)
_f(
    "first_new_payee_large_amount",
    c("_first_cents") / 100,
    "amount of the first such large transfer to a new payee; 0 when none",
    window=NEW_IN_WINDOW,
    kind="amount",
)
_f(
    "first_new_payee_large_vs_history",
    ratio(c("_first_cents"), c("_baseline_cents")),
    "that amount / the largest single transfer out of the linked accounts in the history before the "
    "window (at least baseline_floor, default 1,000, so it stays defined without history); 0 when none",
    window=f"{NEW_IN_WINDOW}; {HISTORY}",
    kind="ratio",
)
_f(
    "hours_since_first_new_payee_large",
    hours_between(c("_as_of"), c("_first_ts")),
    "hours from that first large transfer to a new payee to T; -1 when none",
    window=NEW_IN_WINDOW,
    kind="duration",
    fill=-1.0,
)
_f(
    "hours_from_new_long_call_to_transfer",
    hours_between(c("_first_ts"), c("_first_long_call")),
    "hours from the first long incoming voice call (at least long_call_s, default 5 min) in the window "
    "from a number first seen in the window, to that first large transfer to a new payee; "
    "-1 when there was no such call before the transfer",
    window=NEW_IN_WINDOW,
    kind="duration",
    fill=-1.0,
)
_f(
    "linked_transfers_to_reported_fraud_accounts",
    c("_to_fraud_n"),
    "transfers out in the window by linked accounts to accounts named as fraud_account in reports before T",
    window=f"{WINDOW}; {REPORTS}",
    kind="count",
)


def _first_new_large(
    window_out: pl.LazyFrame, txns: pl.LazyFrame, holders: pl.LazyFrame, tf: TimeFrame, params: FeatureParams
) -> pl.LazyFrame:
    """Per phone: the first large transfer to a new payee (ts, amount) and how many there were.

    A new payee is held by someone else (or unknown) and had no transfer either way with the
    paying account in the history before the window: moving money between one's own
    accounts, or paying the usual landlord, is not the pattern.
    """
    large = window_out.filter(c("cents") >= to_cents(params.large_amount)).with_columns(unordered_pair("src", "dst"))
    prior = prior_pairs(txns, "src", "dst", tf, among=large)
    order = [c("ts"), -c("cents")]
    same_holder = (c("_h1") == c("_h2")).fill_null(False)
    return (
        large.join(prior, on=["_lo", "_hi"], how="left")
        .join(holders.rename({"account_id": "src", "holder_id": "_h1"}), on="src", how="left")
        .join(holders.rename({"account_id": "dst", "holder_id": "_h2"}), on="dst", how="left")
        .filter(c("_prior").is_null() & ~same_holder)
        .group_by("phone")
        .agg(
            pl.len().alias("_new_large_n"),
            c("ts").sort_by(order).first().alias("_first_ts"),
            c("cents").sort_by(order).first().alias("_first_cents"),
        )
    )


def _baseline(first: pl.LazyFrame, links: pl.LazyFrame, txns: pl.LazyFrame, tf: TimeFrame) -> pl.LazyFrame:
    """Largest transfer out of the phone's linked accounts before the window (floored by the caller)."""
    accounts = links.join(first.select("phone"), on="phone", how="semi").rename({"account_id": "src"})
    return (
        txns.filter(c("ts") < tf.window_start)
        .join(accounts, on="src", how="inner")
        .group_by("phone")
        .agg(c("cents").max().alias("_prior_max_cents"))
    )


def _first_new_long_call(
    first: pl.LazyFrame, calls: pl.LazyFrame, tf: TimeFrame, params: FeatureParams
) -> pl.LazyFrame:
    """Per phone: the first long incoming call in the window from a first-seen number, before the transfer."""
    long_in = (
        calls.filter((c("ts") >= tf.window_start) & c("is_voice") & (c("duration_s") >= params.long_call_s))
        .join(first.select(c("phone").alias("callee"), c("_first_ts")), on="callee", how="inner")
        .filter(c("ts") <= c("_first_ts"))
        .with_columns(unordered_pair("caller", "callee"))
    )
    prior = prior_pairs(calls, "caller", "callee", tf, among=long_in)
    return (
        long_in.join(prior, on=["_lo", "_hi"], how="left")
        .filter(c("_prior").is_null())
        .group_by("callee")
        .agg(c("ts").min().alias("_first_long_call"))
        .rename({"callee": "phone"})
    )


def subscriber_money_features(
    transactions: pl.LazyFrame,
    accounts: pl.LazyFrame,
    subscribers: pl.LazyFrame,
    calls: pl.LazyFrame,
    *,
    as_of: datetime,
    window: timedelta = timedelta(days=7),
    history: timedelta = timedelta(days=30),
    reports: pl.LazyFrame | None = None,
    params: FeatureParams = DEFAULT_PARAMS,
    max_holder_links: int = DEFAULT_MAX_HOLDER_LINKS,
) -> pl.DataFrame:
    """One row per phone whose linked accounts paid out in [as_of - window, as_of), key ``phone``."""
    return collect(
        subscriber_money_features_lazy(
            transactions,
            accounts,
            subscribers,
            calls,
            as_of=as_of,
            window=window,
            history=history,
            reports=reports,
            params=params,
            max_holder_links=max_holder_links,
        )
    )


def subscriber_money_features_lazy(
    transactions: pl.LazyFrame,
    accounts: pl.LazyFrame,
    subscribers: pl.LazyFrame,
    calls: pl.LazyFrame,
    *,
    as_of: datetime,
    window: timedelta = timedelta(days=7),
    history: timedelta = timedelta(days=30),
    reports: pl.LazyFrame | None = None,
    params: FeatureParams = DEFAULT_PARAMS,
    max_holder_links: int = DEFAULT_MAX_HOLDER_LINKS,
    phones: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """The plan behind :func:`subscriber_money_features`; ``phones`` (column ``phone``) keeps only their rows."""
    tf = TimeFrame(as_of, window, history)
    # read by several branches with different projections, which the optimiser does not share
    txns = transactions_in_history(transactions.lazy(), tf).cache()
    hist_calls = calls_in_history(calls.lazy(), tf)
    reps = reports_before(reports.lazy() if reports is not None else None, tf)
    known = accounts_at(accounts.lazy(), tf)
    links = (
        phone_account_links(
            known, subscribers_at(subscribers.lazy(), tf), max_holder_links=max_holder_links, phones=phones
        )
        .select("phone", "account_id")
        .cache()
    )
    # One row per (transfer, phone linked to its paying account).
    window_out = (
        txns.filter(c("ts") >= tf.window_start).join(links.rename({"account_id": "src"}), on="src", how="inner").cache()
    )
    fraud = reported_set(reps, "fraud_account", "_fraud").rename({"value": "dst"})
    activity = (
        window_out.join(fraud, on="dst", how="left")
        .group_by("phone")
        .agg(
            c("cents").sum().alias("_out_cents"),
            pl.len().alias("_out_n"),
            c("_fraud").fill_null(False).sum().alias("_to_fraud_n"),
        )
    )
    first = _first_new_large(window_out, txns, known.select("account_id", "holder_id"), tf, params).cache()
    raw = (
        activity.join(links.group_by("phone").agg(pl.len().alias("_linked_accounts")), on="phone", how="left")
        .join(first, on="phone", how="left")
        .join(_baseline(first, links, txns, tf), on="phone", how="left")
        .join(_first_new_long_call(first, hist_calls, tf, params), on="phone", how="left")
        .with_columns(
            pl.max_horizontal(c("_prior_max_cents"), pl.lit(to_cents(params.baseline_floor))).alias("_baseline_cents"),
            pl.lit(tf.as_of).alias("_as_of"),
        )
    )
    return MONEY.finish(raw)
