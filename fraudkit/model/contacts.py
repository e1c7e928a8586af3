"""Contacts: the moments a subscriber may be being hooked, with what was known when each ended.

A victim in a telecom fraud pays a first transfer a median 45 minutes after the hooking call
ends, so a list drawn up once a day comes too late. Instead every candidate contact (a long
incoming call from a number the subscriber was not in touch with a week earlier, or from a
reported fraud number) is scored the moment it ends, from events that had ended before it.
Those who pay are those the fraudster keeps engaged, so every later answered call between the
two within ``follow_up_within`` (the number ringing again to walk them through a transfer, the
subscriber calling it back) is scored again when it ends, with what the earlier calls showed:

- the contact itself: length, hour, roaming caller, who placed it, earlier calls between the
  two and the minutes they talked;
- the caller's behaviour so far: strangers called in the past day and week, short calls,
  callbacks received, hours since it was first seen, SIM age, other SIMs on its handset,
  reports naming it;
- the callee: SIM age, bank accounts, other new callers, minutes on calls from new numbers and
  long calls from new numbers.

Pure Polars: calls, subscribers, accounts and reports in (one shard's events: every call of
the shard's callees and of the callers that reach them), one row per contact out. Rolling
counts are running totals read back with as-of joins (a sort, not a scan per contact), and
only the calls of the contacts' own numbers, pairs and handsets are read past the first step:
on a 1M-subscriber world the contacts of one day take about 4 s, load included.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from fraudkit.features.engine import collect
from fraudkit.features.prepare import TS
from fraudkit.model.catalogue import ModelFeature, model_features
from fraudkit.model.params import ContactParams

c = pl.col

CONTACT_KEYS = ("contact_id", "callee", "caller", "contact_start", "scored_at", "caller_imei")
"""Columns that identify a contact; everything else in a contact frame is a feature."""

CONTACT_FEATURES: tuple[ModelFeature, ...] = model_features("victim", "contact_features")
"""The victim model's inputs, described in the feature catalogue (``fraudkit.features.catalogue``)
in the order ``contact_features`` emits them."""
CONTACT_FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in CONTACT_FEATURES)


def known_calls(calls: pl.LazyFrame, *, start: datetime, until: datetime) -> pl.LazyFrame:
    """Calls between two numbers that began at or after ``start`` and had ended before ``until``.

    A call is known once its record is written, at its end (``known_at``). Columns: call_id,
    caller, callee, started, known_at, duration_s, is_voice, imei, roaming.
    """
    schema = calls.collect_schema()
    started = c("start_time").cast(TS)
    duration = c("duration_s").cast(pl.Int64).fill_null(0)
    kind = c("kind").cast(pl.String) if "kind" in schema else pl.lit("voice")
    imei = c("caller_imei").cast(pl.String) if "caller_imei" in schema else pl.lit(None, pl.String)
    roaming = c("roaming").cast(pl.Boolean).fill_null(False) if "roaming" in schema else pl.lit(False)
    return (
        calls.select(
            c("call_id").cast(pl.String),
            c("caller").cast(pl.String),
            c("callee").cast(pl.String),
            started.alias("started"),
            (started + pl.duration(seconds=duration)).alias("known_at"),
            duration.alias("duration_s"),
            (kind.fill_null("voice") == "voice").alias("is_voice"),
            imei.alias("imei"),
            roaming.alias("roaming"),
        )
        .filter(
            c("caller").is_not_null()
            & c("callee").is_not_null()
            & (c("caller") != c("callee"))
            & (c("started") >= start)
            & (c("known_at") < until)
        )
        .with_columns(
            pl.min_horizontal("caller", "callee").alias("_lo"),
            pl.max_horizontal("caller", "callee").alias("_hi"),
        )
    )


def _with_new_pair_flag(events: pl.LazyFrame, params: ContactParams) -> pl.LazyFrame:
    """Flag calls whose two numbers had no call either way in the ``history`` before it began."""
    ordered = events.sort("_lo", "_hi", "started", "call_id")
    # the row before in the sorted frame, when it is the same pair's (a window ``over`` the pair
    # gives the same, grouping half a million pairs first)
    same = (c("_lo") == c("_lo").shift(1)) & (c("_hi") == c("_hi").shift(1))
    previous = pl.when(same).then(c("started").shift(1))
    return ordered.with_columns(
        (previous.is_null() | ((c("started") - previous) > params.history)).alias("is_new_pair")
    )


def _running_totals(stream: pl.LazyFrame, key: str, metrics: list[str]) -> pl.LazyFrame:
    """Per key, running totals of ``metrics`` at each distinct time ``t``, sorted by ``t`` for as-of joins."""
    return (
        stream.group_by(key, "t")
        .agg([c(m).sum().cast(pl.Int64) for m in metrics])
        .sort(key, "t")
        .with_columns([c(m).cum_sum().over(key).alias(m) for m in metrics])
        .sort("t")
    )


def _totals_before(
    points: pl.LazyFrame, totals: pl.LazyFrame, key: str, at: pl.Expr, metrics: list[str], suffix: str
) -> pl.LazyFrame:
    """The running totals of events strictly before ``at`` for each contact (0 when there were none)."""
    left = points.select("contact_id", c(key), at.alias("_at")).sort("_at")
    joined = left.join_asof(
        totals,
        left_on="_at",
        right_on="t",
        by=key,
        strategy="backward",
        allow_exact_matches=False,
        check_sortedness=False,
    )
    return joined.select("contact_id", *[c(m).fill_null(0).alias(m + suffix) for m in metrics])


def _window_counts(
    points: pl.LazyFrame, totals: pl.LazyFrame, key: str, metrics: list[str], windows: dict[str, timedelta]
) -> pl.LazyFrame:
    """Counts of events in [scored_at - w, scored_at) for each named window w."""
    now = _totals_before(points, totals, key, c("scored_at"), metrics, "_now")
    out = now
    for name, span in windows.items():
        before = _totals_before(points, totals, key, c("scored_at") - span, metrics, "_before")
        out = out.join(before, on="contact_id", how="left").with_columns(
            [(c(m + "_now") - c(m + "_before")).alias(f"{m}_{name}") for m in metrics]
        )
        out = out.drop([m + "_before" for m in metrics])
    return out.drop([m + "_now" for m in metrics])


def _reported_callers(candidates: pl.LazyFrame, reports: pl.LazyFrame | None) -> pl.LazyFrame:
    """Per contact, reports filed before it ended that name its caller as the fraud number."""
    if reports is None:
        return candidates.select("contact_id", pl.lit(0, pl.Int64).alias("caller_reported"))
    named = reports.select(
        c("fraud_phone").cast(pl.String).alias("caller"), c("reported_at").cast(TS).alias("_reported_at")
    ).drop_nulls()
    hits = (
        candidates.select("contact_id", "caller", "scored_at")
        .join(named, on="caller", how="inner")
        .filter(c("_reported_at") < c("scored_at"))
        .group_by("contact_id")
        .agg(pl.len().cast(pl.Int64).alias("caller_reported"))
    )
    return (
        candidates.select("contact_id")
        .join(hits, on="contact_id", how="left")
        .with_columns(c("caller_reported").fill_null(0))
    )


def _pair_history(candidates: pl.LazyFrame, events: pl.LazyFrame, params: ContactParams) -> pl.LazyFrame:
    """Earlier calls between the two numbers of each contact, within the history before it."""
    earlier = events.select(
        "_lo", "_hi", c("caller").alias("_by"), c("started").alias("_s"), c("known_at").alias("_k"), c("duration_s")
    )
    hist = (
        candidates.select("contact_id", "callee", "_lo", "_hi", "scored_at")
        .join(earlier, on=["_lo", "_hi"], how="inner")
        .filter((c("_k") < c("scored_at")) & (c("_s") >= c("scored_at") - params.history))
        .group_by("contact_id")
        .agg(
            pl.len().cast(pl.Int64).alias("pair_prior_calls"),
            (c("_by") == c("callee")).sum().cast(pl.Int64).alias("pair_prior_calls_from_callee"),
            c("duration_s").sum().cast(pl.Int64).alias("pair_prior_seconds"),
            c("_s").min().alias("_pair_first"),
        )
    )
    return (
        candidates.select("contact_id", "scored_at")
        .join(hist, on="contact_id", how="left")
        .select(
            "contact_id",
            c("pair_prior_calls").fill_null(0),
            c("pair_prior_calls_from_callee").fill_null(0),
            c("pair_prior_seconds").fill_null(0),
            c("_pair_first"),
        )
    )


def _handset_sims(candidates: pl.LazyFrame, events: pl.LazyFrame, params: ContactParams) -> pl.LazyFrame:
    """Other numbers seen calling from the contact's handset in the history before it ended.

    Use of a handset by a number is kept per day as (first, last) known times, which answers
    "was there a call in [scored_at - history, scored_at)" exactly with one join.
    """
    use = (
        events.filter(c("imei").is_not_null())
        .group_by("imei", "caller", c("known_at").dt.truncate("1d").alias("_day"))
        .agg(c("known_at").min().alias("_first"), c("known_at").max().alias("_last"))
        .rename({"caller": "_sim", "imei": "caller_imei"})
    )
    hits = (
        candidates.filter(c("caller_imei").is_not_null())
        .select("contact_id", "caller", "caller_imei", "scored_at")
        .join(use, on="caller_imei", how="inner")
        .filter(
            (c("_sim") != c("caller"))
            & (c("_first") < c("scored_at"))
            & (c("_last") >= c("scored_at") - params.history)
        )
        .group_by("contact_id")
        .agg(c("_sim").n_unique().cast(pl.Int64).alias("caller_handset_other_sims"))
    )
    return (
        candidates.select("contact_id")
        .join(hits, on="contact_id", how="left")
        .with_columns(c("caller_handset_other_sims").fill_null(0))
    )


def _caller_first_seen(candidates: pl.LazyFrame, events: pl.LazyFrame, params: ContactParams) -> pl.LazyFrame:
    """Hours from the caller's first known call in the history to the contact's end."""
    callers = candidates.select(c("caller").alias("phone")).unique()
    legs = (
        pl.concat(
            [
                events.select(c("caller").alias("phone"), c("known_at").alias("t")),
                events.select(c("callee").alias("phone"), c("known_at").alias("t")),
            ]
        )
        .join(callers, on="phone", how="semi")  # only the callers' own legs are looked up
        .unique()
        .sort("t")
    )
    left = (
        candidates.select("contact_id", c("caller").alias("phone"), "scored_at")
        .with_columns((c("scored_at") - params.history).alias("_from"))
        .sort("_from")
    )
    first = left.join_asof(legs, left_on="_from", right_on="t", by="phone", strategy="forward", check_sortedness=False)
    hours = (c("scored_at") - c("t")).dt.total_seconds() / 3600.0
    return first.select(
        "contact_id", pl.when(c("t") < c("scored_at")).then(hours).otherwise(0.0).alias("caller_hours_active")
    )


def _sim_ages(candidates: pl.LazyFrame, subscribers: pl.LazyFrame) -> pl.LazyFrame:
    """Days from SIM activation to the contact's end, for caller and callee (-1 when unknown)."""
    subs = subscribers.select(c("phone").cast(pl.String), c("activated_at").cast(TS)).unique("phone", keep="first")
    out = candidates.select("contact_id", "caller", "callee", "scored_at")
    for side in ("caller", "callee"):
        out = out.join(subs.rename({"phone": side, "activated_at": f"_act_{side}"}), on=side, how="left")

    def age(side: str) -> pl.Expr:
        act = c(f"_act_{side}")
        days = (c("scored_at") - act).dt.total_seconds() / 86_400.0
        return pl.when(act.is_not_null() & (act < c("scored_at"))).then(days).otherwise(-1.0)

    return out.select(
        "contact_id", age("caller").alias("caller_sim_age_days"), age("callee").alias("callee_sim_age_days")
    )


def _callee_accounts(candidates: pl.LazyFrame, subscribers: pl.LazyFrame, accounts: pl.LazyFrame) -> pl.LazyFrame:
    """Accounts of the callee opened before the contact: held by the SIM's holder or registered with the phone."""
    subs = subscribers.select(c("phone").cast(pl.String), c("holder_id").cast(pl.String)).drop_nulls()
    acc = accounts.select(
        c("account_id").cast(pl.String),
        c("holder_id").cast(pl.String),
        c("phone").cast(pl.String),
        c("opened_at").cast(TS),
    )
    by_holder = subs.join(acc.select("holder_id", "account_id", "opened_at"), on="holder_id").select(
        "phone", "account_id", "opened_at"
    )
    by_phone = acc.drop_nulls("phone").select("phone", "account_id", "opened_at")
    links = pl.concat([by_holder, by_phone]).unique(["phone", "account_id"]).rename({"phone": "callee"})
    hits = (
        candidates.select("contact_id", "callee", "scored_at")
        .join(links, on="callee", how="inner")
        .filter(c("opened_at").is_null() | (c("opened_at") < c("scored_at")))
        .group_by("contact_id")
        .agg(c("account_id").n_unique().cast(pl.Int64).alias("callee_accounts"))
    )
    return (
        candidates.select("contact_id")
        .join(hits, on="contact_id", how="left")
        .with_columns(c("callee_accounts").fill_null(0))
    )


def _ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    return pl.when(den > 0).then(num / den).otherwise(0.0)


ROW_COLUMNS = (
    *CONTACT_KEYS,
    "contact_minutes",
    "contact_hour",
    "caller_roaming",
    "contact_outgoing",
    "_lo",
    "_hi",
)
"""What a contact row holds before its features are measured."""


def _candidates(events: pl.LazyFrame, since: datetime, p: ContactParams) -> pl.LazyFrame:
    """Long incoming voice calls that ended in [since, until), as contact rows with their own features."""
    return events.filter(c("is_voice") & (c("duration_s") >= p.min_duration_s) & (c("known_at") >= since)).select(
        c("call_id").alias("contact_id"),
        "callee",
        "caller",
        c("started").alias("contact_start"),
        c("known_at").alias("scored_at"),
        c("imei").alias("caller_imei"),
        (c("duration_s") / 60.0).alias("contact_minutes"),
        c("started").dt.hour().cast(pl.Float64).alias("contact_hour"),
        c("roaming").cast(pl.Int64).alias("caller_roaming"),
        pl.lit(0.0).alias("contact_outgoing"),
        "_lo",
        "_hi",
    )


def _follow_ups(events: pl.LazyFrame, anchors: pl.LazyFrame, since: datetime, p: ContactParams) -> pl.LazyFrame:
    """Answered calls that ended in [since, until) between the two numbers of an earlier contact
    (``anchors``), begun within ``follow_up_within`` after it ended, that are no contact of their own.

    The row is the subscriber's (the anchor's callee) with the anchor's caller as the suspect, in
    whichever direction the call went; a call back from the subscriber keeps the suspect's handset
    and roaming from the anchor, and every row keeps the anchor's start as the contact's start.
    """
    hooks = anchors.select(
        "_lo",
        "_hi",
        c("callee").alias("_sub"),
        c("caller").alias("_sus"),
        c("scored_at").alias("_hook_end"),
        c("contact_start").alias("_hook_start"),
        c("caller_imei").alias("_hook_imei"),
        c("caller_roaming").alias("_hook_roaming"),
        c("contact_id").alias("_hook_id"),
    ).sort("_hook_end", "_hook_id")
    later = (
        events.filter(c("is_voice") & (c("duration_s") > 0) & (c("known_at") >= since))
        .join(anchors.select("_lo", "_hi").unique(), on=["_lo", "_hi"], how="semi")
        .join(anchors.select(c("contact_id").alias("call_id")), on="call_id", how="anti")
        .sort("started", "call_id")
    )
    matched = later.join_asof(
        hooks, left_on="started", right_on="_hook_end", by=["_lo", "_hi"], strategy="backward", check_sortedness=False
    ).filter(c("_hook_end").is_not_null() & (c("started") - c("_hook_end") <= p.follow_up_within))
    outgoing = c("caller") == c("_sub")
    return matched.select(
        c("call_id").alias("contact_id"),
        c("_sub").alias("callee"),
        c("_sus").alias("caller"),
        c("_hook_start").alias("contact_start"),
        c("known_at").alias("scored_at"),
        pl.when(outgoing).then(c("_hook_imei")).otherwise(c("imei")).alias("caller_imei"),
        (c("duration_s") / 60.0).alias("contact_minutes"),
        c("started").dt.hour().cast(pl.Float64).alias("contact_hour"),
        pl.when(outgoing).then(c("_hook_roaming")).otherwise(c("roaming").cast(pl.Int64)).alias("caller_roaming"),
        outgoing.cast(pl.Float64).alias("contact_outgoing"),
        "_lo",
        "_hi",
    )


def _with_pair_features(
    rows: pl.LazyFrame, pair_events: pl.LazyFrame, reports: pl.LazyFrame | None, p: ContactParams
) -> pl.LazyFrame:
    return rows.join(_pair_history(rows, pair_events, p), on="contact_id", how="left").join(
        _reported_callers(rows, reports), on="contact_id", how="left"
    )


def _fresh(events: pl.LazyFrame, reports: pl.LazyFrame | None, since: datetime, p: ContactParams) -> pl.LazyFrame:
    """The contacts that ended in [since, until): long incoming calls whose numbers were first in
    touch within ``new_within`` or whose caller was reported, and the later calls that follow one
    of those (one that ended up to ``follow_up_within`` before ``since`` included)."""
    candidates = _candidates(events, since - p.follow_up_within, p)
    pair_events = collect(events.join(candidates.select("_lo", "_hi").unique(), on=["_lo", "_hi"], how="semi")).lazy()
    long_calls = collect(
        _with_pair_features(candidates, pair_events, reports, p).filter(
            c("_pair_first").is_null()
            | (c("_pair_first") >= c("scored_at") - p.new_within)
            | (c("caller_reported") > 0)
        )
    ).lazy()
    later = _with_pair_features(_follow_ups(events, long_calls, since, p), pair_events, reports, p)
    columns = [*ROW_COLUMNS, "pair_prior_calls", "pair_prior_calls_from_callee", "pair_prior_seconds"]
    columns += ["_pair_first", "caller_reported"]
    return (
        pl.concat([long_calls.filter(c("scored_at") >= since).select(columns), later.select(columns)])
        .with_columns(
            pl.when(c("_pair_first").is_null())
            .then(0.0)
            .otherwise((c("scored_at") - c("_pair_first")).dt.total_seconds() / 3600.0)
            .alias("pair_hours_known")
        )
        .drop("_pair_first", "_lo", "_hi")
    )


def _nearby(events: pl.LazyFrame, fresh: pl.DataFrame, since: datetime, p: ContactParams) -> pl.LazyFrame:
    """Calls of the contacts' callers and callees in the ``week`` before the first contact, flagged
    new-pair or not. A pair's flag depends on that pair's calls only, so flagging just these pairs
    gives the same flags as flagging every call, at a fraction of the cost."""
    phones = pl.concat([fresh["caller"], fresh["callee"]]).unique()
    recent = events.filter(
        (c("known_at") >= since - p.week) & (c("caller").is_in(phones.implode()) | c("callee").is_in(phones.implode()))
    )
    pairs = recent.select("_lo", "_hi").unique()
    flagged = _with_new_pair_flag(events.join(pairs, on=["_lo", "_hi"], how="semi"), p)
    return flagged.filter(c("known_at") >= since - p.week).with_columns(
        (c("is_voice") & (c("duration_s") < p.short_call_s)).alias("_short"),
        (c("is_voice") & (c("duration_s") >= p.long_call_s) & c("is_new_pair")).alias("_long_new"),
    )


def _caller_counts(fresh: pl.LazyFrame, nearby: pl.LazyFrame, p: ContactParams) -> pl.LazyFrame:
    """The caller's own calls in the past day and week, and the calls it received in the week."""
    callers = fresh.select("caller").unique()
    out_stream = nearby.join(callers, on="caller", how="semi").select(
        "caller",
        c("known_at").alias("t"),
        pl.lit(1).alias("calls"),
        c("is_voice").alias("voice"),
        c("_short").alias("short"),
        c("is_new_pair").alias("strangers"),
        c("_long_new").alias("long_strangers"),
        c("roaming").alias("roamed"),
    )
    out_metrics = ["calls", "voice", "short", "strangers", "long_strangers", "roamed"]
    caller_out = _window_counts(
        fresh,
        _running_totals(out_stream, "caller", out_metrics),
        "caller",
        out_metrics,
        {"24h": p.recent, "7d": p.week},
    )
    in_stream = nearby.join(callers.rename({"caller": "callee"}), on="callee", how="semi").select(
        c("callee").alias("caller"), c("known_at").alias("t"), pl.lit(1).alias("received")
    )
    caller_in = _window_counts(
        fresh, _running_totals(in_stream, "caller", ["received"]), "caller", ["received"], {"7d": p.week}
    )
    return caller_out.join(caller_in, on="contact_id", how="left")


def _callee_counts(fresh: pl.LazyFrame, nearby: pl.LazyFrame, p: ContactParams) -> pl.LazyFrame:
    """The callee's calls both ways in the past week, and those from numbers new to them."""
    callees = fresh.select(c("callee").alias("phone")).unique()
    legs = pl.concat(
        [
            nearby.select(
                c("callee").alias("phone"),
                "known_at",
                "duration_s",
                "is_new_pair",
                "_long_new",
                pl.lit(True).alias("_in"),
            ),
            nearby.select(
                c("caller").alias("phone"),
                "known_at",
                "duration_s",
                "is_new_pair",
                "_long_new",
                pl.lit(False).alias("_in"),
            ),
        ]
    ).join(callees, on="phone", how="semi")
    stream = legs.select(
        c("phone").alias("callee"),
        c("known_at").alias("t"),
        pl.lit(1).alias("all_calls"),
        (c("_in") & c("is_new_pair")).alias("new_in"),
        (c("_in") & c("_long_new")).alias("long_new_in"),
        pl.when(c("_in") & c("is_new_pair")).then(c("duration_s")).otherwise(0).alias("new_in_seconds"),
    )
    metrics = ["all_calls", "new_in", "long_new_in", "new_in_seconds"]
    return _window_counts(
        fresh, _running_totals(stream, "callee", metrics), "callee", metrics, {"24h": p.recent, "7d": p.week}
    )


def contact_features(
    calls: pl.LazyFrame | pl.DataFrame,
    subscribers: pl.LazyFrame | pl.DataFrame,
    accounts: pl.LazyFrame | pl.DataFrame,
    reports: pl.LazyFrame | pl.DataFrame | None = None,
    *,
    since: datetime,
    until: datetime,
    params: ContactParams | None = None,
) -> pl.DataFrame:
    """One row per contact that ended in [since, until), with its features as of that moment.

    Columns: ``CONTACT_KEYS`` then ``CONTACT_FEATURE_NAMES`` (Float64). Events are needed from
    ``since - params.lookback``; earlier ones change nothing, and neither does anything that
    had not ended before a contact's ``scored_at`` (see tests/model/test_contacts.py).

    Three steps, each collected: the calls known at ``until``; the contacts among them (few: the
    long calls from new numbers, collected once, then the later calls that follow them); then
    the features, reading only the calls of the contacts' own numbers and handsets.
    """
    p = params or ContactParams()
    events = collect(known_calls(calls.lazy(), start=since - p.lookback, until=until)).lazy()
    fresh = collect(_fresh(events, reports.lazy() if reports is not None else None, since, p))
    fresh_plan = fresh.lazy()
    nearby = collect(_nearby(events, fresh, since, p)).lazy()
    callers = fresh["caller"].unique().implode()
    own = events.filter(c("caller").is_in(callers) | c("callee").is_in(callers))
    handsets = events.filter(c("imei").is_in(fresh["caller_imei"].drop_nulls().unique().implode()))
    feats = (
        fresh_plan.join(_caller_counts(fresh_plan, nearby, p), on="contact_id", how="left")
        .join(_callee_counts(fresh_plan, nearby, p), on="contact_id", how="left")
        .join(_caller_first_seen(fresh_plan, own, p), on="contact_id", how="left")
        .join(_handset_sims(fresh_plan, handsets, p), on="contact_id", how="left")
        .join(_sim_ages(fresh_plan, subscribers.lazy()), on="contact_id", how="left")
        .join(_callee_accounts(fresh_plan, subscribers.lazy(), accounts.lazy()), on="contact_id", how="left")
    )
    selected = [
        *[c(k) for k in CONTACT_KEYS],
        c("contact_minutes"),
        c("contact_hour"),
        c("caller_roaming").cast(pl.Float64),
        c("contact_outgoing"),
        c("pair_prior_calls").cast(pl.Float64),
        c("pair_prior_calls_from_callee").cast(pl.Float64),
        (c("pair_prior_seconds") / 60.0).alias("pair_prior_minutes"),
        c("pair_hours_known"),
        c("caller_sim_age_days"),
        c("caller_reported").cast(pl.Float64),
        c("calls_24h").cast(pl.Float64).alias("caller_calls_24h"),
        c("strangers_24h").cast(pl.Float64).alias("caller_strangers_24h"),
        c("strangers_7d").cast(pl.Float64).alias("caller_strangers_7d"),
        _ratio(c("short_24h"), c("voice_24h")).alias("caller_short_call_ratio_24h"),
        c("long_strangers_24h").cast(pl.Float64).alias("caller_long_calls_to_strangers_24h"),
        _ratio(c("roamed_24h"), c("calls_24h")).alias("caller_roaming_share_24h"),
        _ratio(c("received_7d"), c("calls_7d")).alias("caller_callbacks_per_call_7d"),
        c("caller_hours_active"),
        c("caller_handset_other_sims").cast(pl.Float64),
        c("callee_sim_age_days"),
        c("callee_accounts").cast(pl.Float64),
        c("all_calls_7d").cast(pl.Float64).alias("callee_calls_7d"),
        c("new_in_24h").cast(pl.Float64).alias("callee_new_callers_24h"),
        (c("new_in_seconds_24h") / 60.0).alias("callee_new_minutes_24h"),
        c("long_new_in_7d").cast(pl.Float64).alias("callee_long_new_calls_7d"),
    ]
    return collect(feats.select(selected).sort("scored_at", "contact_id"))
