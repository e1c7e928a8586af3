"""Per-phone call features as of T: the fraud-number side (outgoing) and the victim side (incoming).

One aggregation over the window's call legs, one distinct-counterparty table for the
window (computed once, read for strangers, callbacks, first-seen callers and reported
fraud numbers), a per-IMEI count of SIMs over the history, and SIM age.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from fraudkit.features.engine import collect
from fraudkit.features.params import DEFAULT_PARAMS, FeatureParams, TimeFrame
from fraudkit.features.prepare import (
    HANDSET_CALLERS,
    PAIR_PREVIOUS,
    call_legs,
    calls_in_history,
    days_between,
    hours_between,
    is_night,
    prior_pairs,
    reported_set,
    reports_before,
    subscribers_at,
    unordered_pair,
)
from fraudkit.features.spec import HISTORY, NEW_IN_WINDOW, POINT, REPORTS, WINDOW, FeatureSet, ratio

PHONE = FeatureSet(entity="phone", key="phone", producer="phone_features")
_f = PHONE.define
c = pl.col

_f("calls_out", c("_out_n"), "calls and SMS made in the window", window=WINDOW, kind="count")
_f("calls_in", c("_in_n"), "calls and SMS received in the window", window=WINDOW, kind="count")
_f("distinct_callees", c("_callees"), "distinct numbers called in the window", window=WINDOW, kind="count")
_f(
    "distinct_strangers_called",
    c("_strangers"),
    "distinct numbers called in the window with no call either way in the history before the window",
    window=NEW_IN_WINDOW,
    kind="count",
)
_f(
    "short_call_ratio",
    ratio(c("_short_n"), c("_voice_out_n")),
    "share of outgoing voice calls shorter than short_call_s (default 30 s); 0 without outgoing voice calls",
    window=WINDOW,
    kind="ratio",
)
_f(
    "one_ring_ratio",
    ratio(c("_one_ring_n"), c("_voice_out_n")),
    "share of outgoing voice calls of 0 to one_ring_max_s (default 5 s): ring-and-hang-up lures",
    window=WINDOW,
    kind="ratio",
)
_f(
    "callback_ratio",
    ratio(c("_called_back"), c("_callees")),
    "share of the numbers called in the window that called this phone back later in the window",
    window=WINDOW,
    kind="ratio",
)
_f(
    "sim_age_days",
    c("_sim_age_days"),
    "days from activated_at to T; -1 when the activation date is unknown",
    window=POINT,
    kind="duration",
    fill=-1.0,
)
_f(
    "sims_per_imei",
    c("_sims_per_imei"),
    "most distinct calling numbers seen in the history on one of the handsets (IMEI) this phone "
    "called from in the window; 0 when it made no call with a known IMEI",
    window=f"{WINDOW}; {HISTORY}",
    kind="count",
)
_f(
    "roaming_share",
    ratio(c("_roaming_n"), c("_out_n")),
    "share of outgoing calls and SMS made while roaming",
    window=WINDOW,
    kind="ratio",
)
_f(
    "night_call_share",
    ratio(c("_night_out_n"), c("_out_n")),
    "share of outgoing calls and SMS at night (night_hours, default 00:00-06:00)",
    window=WINDOW,
    kind="ratio",
)
_f(
    "distinct_new_callers",
    c("_new_callers"),
    "distinct numbers that called in the window with no call either way in the history before the window",
    window=NEW_IN_WINDOW,
    kind="count",
)
_f(
    "long_calls_from_new_numbers",
    c("_long_new_n"),
    "incoming voice calls of at least long_call_s (default 5 min) from numbers first seen in the window",
    window=NEW_IN_WINDOW,
    kind="count",
)
_f(
    "minutes_from_new_numbers",
    c("_new_seconds") / 60.0,
    "minutes of incoming voice calls from numbers first seen in the window",
    window=NEW_IN_WINDOW,
    kind="duration",
)
_f(
    "calls_from_reported_fraud_numbers",
    c("_fraud_in_n"),
    "incoming calls and SMS in the window from numbers named as fraud_phone in reports before T",
    window=f"{WINDOW}; {REPORTS}",
    kind="count",
)
_f(
    "hours_since_first_suspicious_contact",
    hours_between(c("_as_of"), c("_first_suspicious")),
    "hours from the first incoming contact in the window that was a long call from a first-seen "
    "number or any call from a reported fraud number, to T; -1 when there was none",
    window=f"{NEW_IN_WINDOW}; {REPORTS}",
    kind="duration",
    fill=-1.0,
)


def _activity(window_legs: pl.LazyFrame, params: FeatureParams) -> pl.LazyFrame:
    """Counts and shares of the phone's own calls in the window, one group-by."""
    out = c("is_out")
    voice_out = out & c("is_voice")
    duration = c("duration_s")
    return window_legs.group_by("phone").agg(
        out.sum().alias("_out_n"),
        (~out).sum().alias("_in_n"),
        voice_out.sum().alias("_voice_out_n"),
        (voice_out & (duration < params.short_call_s)).sum().alias("_short_n"),
        (voice_out & (duration <= params.one_ring_max_s)).sum().alias("_one_ring_n"),
        (out & c("roaming")).sum().alias("_roaming_n"),
        (out & is_night(c("ts"), params)).sum().alias("_night_out_n"),
    )


def _counterparties(
    window_legs: pl.LazyFrame,
    calls: pl.LazyFrame,
    reports: pl.LazyFrame,
    tf: TimeFrame,
    params: FeatureParams,
    *,
    narrowed: bool = False,
) -> pl.LazyFrame:
    """Distinct numbers in contact during the window, counted once, then read many ways per phone.

    Whether a pair is new comes from the legs' ``PAIR_PREVIOUS`` when they carry it (frames read
    once for many days), else from the history before the window; ``narrowed``: the legs are a
    few phones' only, so the history's pairs are cut to theirs first.
    """
    out = c("is_out")
    inc = ~out
    long_in = inc & c("is_voice") & (c("duration_s") >= params.long_call_s)
    spanned = PAIR_PREVIOUS in window_legs.collect_schema()
    previous = c(PAIR_PREVIOUS)
    pairs = window_legs.group_by("phone", "other").agg(
        out.sum().alias("_out_n"),
        inc.sum().alias("_in_n"),
        c("ts").filter(out).min().alias("_first_out"),
        c("ts").filter(inc).max().alias("_last_in"),
        c("ts").filter(inc).min().alias("_first_in"),
        long_in.sum().alias("_long_in_n"),
        c("ts").filter(long_in).min().alias("_first_long_in"),
        c("duration_s").filter(inc & c("is_voice")).sum().alias("_in_voice_s"),
        *([previous.filter(previous < tf.window_start).max().alias("_before")] if spanned else []),
    )
    if spanned:  # the call before the pair's first of the window, when it fell in the history
        prior = pl.when(c("_before") >= tf.history_start).then(True).alias("_prior")
        pairs = pairs.with_columns(prior).drop("_before")
    else:
        pairs = pairs.with_columns(unordered_pair("phone", "other"))
        among = pairs if narrowed else None
        pairs = pairs.join(prior_pairs(calls, "caller", "callee", tf, among=among), on=["_lo", "_hi"], how="left")
    pairs = pairs.join(
        reported_set(reports, "fraud_phone", "_fraud").rename({"value": "other"}), on="other", how="left"
    )
    new = c("_prior").is_null()
    fraud = c("_fraud").fill_null(False)
    called = c("_out_n") > 0
    return pairs.group_by("phone").agg(
        called.sum().alias("_callees"),
        (called & new).sum().alias("_strangers"),
        (called & (c("_last_in") > c("_first_out")).fill_null(False)).sum().alias("_called_back"),
        ((c("_in_n") > 0) & new).sum().alias("_new_callers"),
        c("_long_in_n").filter(new).sum().alias("_long_new_n"),
        c("_in_voice_s").filter(new).sum().alias("_new_seconds"),
        c("_in_n").filter(fraud).sum().alias("_fraud_in_n"),
        pl.min_horizontal(c("_first_long_in").filter(new).min(), c("_first_in").filter(fraud).min()).alias(
            "_first_suspicious"
        ),
    )


def _sims_per_imei(calls: pl.LazyFrame, tf: TimeFrame, phones: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """For each caller (of ``phones`` only, when given), the most SIMs seen over the history on any
    handset it used in the window. With ``HANDSET_CALLERS`` only the handsets shared over the
    span are counted; a handset with one caller over the span has one in any history."""
    with_imei = calls.filter(c("imei").is_not_null())
    used = with_imei.filter(c("ts") >= tf.window_start).select("caller", "imei")
    if phones is not None:
        used = used.join(phones.select(c("phone").alias("caller")), on="caller", how="semi")
        with_imei = with_imei.join(used.select("imei").unique(), on="imei", how="semi")
    used = used.unique()
    if HANDSET_CALLERS in calls.collect_schema():
        with_imei = with_imei.filter(c(HANDSET_CALLERS) > 1)
    sims = with_imei.group_by("imei").agg(c("caller").n_unique().alias("_sims"))
    return (
        used.join(sims, on="imei", how="left")
        .with_columns(c("_sims").fill_null(1))
        .group_by("caller")
        .agg(c("_sims").max().alias("_sims_per_imei"))
        .rename({"caller": "phone"})
    )


def phone_features(
    calls: pl.LazyFrame,
    subscribers: pl.LazyFrame,
    *,
    as_of: datetime,
    window: timedelta = timedelta(days=7),
    history: timedelta = timedelta(days=30),
    reports: pl.LazyFrame | None = None,
    params: FeatureParams = DEFAULT_PARAMS,
) -> pl.DataFrame:
    """One row per phone that made or received a call in [as_of - window, as_of), key ``phone``.

    Pure: a shard's calls (every call touching its phones) in, that shard's rows out;
    on Spark keep only the shard's own phones (sims_per_imei needs the IMEI's calls too).
    """
    return collect(
        phone_features_lazy(
            calls, subscribers, as_of=as_of, window=window, history=history, reports=reports, params=params
        )
    )


def phone_features_lazy(
    calls: pl.LazyFrame,
    subscribers: pl.LazyFrame,
    *,
    as_of: datetime,
    window: timedelta = timedelta(days=7),
    history: timedelta = timedelta(days=30),
    reports: pl.LazyFrame | None = None,
    params: FeatureParams = DEFAULT_PARAMS,
    phones: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """The plan behind :func:`phone_features`, for callers that collect several plans together.

    ``phones`` (column ``phone``): only their rows, each exactly what the whole frame has for it;
    the fraud-number model wants one day's callers, a fraction of the phones.
    """
    tf = TimeFrame(as_of, window, history)
    # each read by several branches with different projections, which the optimiser does not share
    hist = calls_in_history(calls.lazy(), tf).cache()
    window_legs = call_legs(hist.filter(c("ts") >= tf.window_start))
    if phones is not None:
        window_legs = window_legs.join(phones.select("phone"), on="phone", how="semi")
    window_legs = window_legs.cache()
    reps = reports_before(reports.lazy() if reports is not None else None, tf)
    ages = subscribers_at(subscribers.lazy(), tf).select(
        c("phone"),
        days_between(pl.lit(tf.as_of), c("activated_at")).clip(lower_bound=0.0).alias("_sim_age_days"),
    )
    raw = (
        _activity(window_legs, params)
        .join(_counterparties(window_legs, hist, reps, tf, params, narrowed=phones is not None), on="phone", how="left")
        .join(_sims_per_imei(hist, tf, phones), on="phone", how="left")
        .join(ages, on="phone", how="left")
        .with_columns(_as_of=pl.lit(tf.as_of))
    )
    return PHONE.finish(raw)
