"""Canonical frames cut to the point in time, typed one way, and turned into per-entity legs.

Every producer goes through these, so "strictly before as_of" is enforced in one place:
events need ts in [T - history, T), reports reported_at < T, accounts and SIMs must
exist before T. Extra columns are ignored and optional ones may be missing.
"""

from __future__ import annotations

import polars as pl

from fraudkit.features.params import FeatureParams, TimeFrame
from fraudkit.schema import SUCCESS

TS = pl.Datetime("us")
ID = pl.Categorical()
"""Identifiers (phones, accounts, handsets, holders) as categories: four bytes a row instead of a string
of up to 19 digits, and joins, groups and distinct counts on integers. They order as their text does,
and a feature frame's key is text again (``FeatureSet.finish``). At 1M subscribers the strings were
most of the features' memory."""


def identifier_code(name: str, dtype: pl.DataType) -> pl.Expr:
    """A non-negative integer per identifier of column ``name`` (its category code, or its hash when
    the column is text), equal for equal identifiers: what ``engine.in_pieces`` cuts by."""
    return pl.col(name).to_physical() if dtype == ID else pl.col(name).hash()


def _optional(schema: pl.Schema, name: str, dtype: pl.DataType) -> pl.Expr:
    """The column when the frame has it, else a typed null, so optional contract columns may be absent."""
    return pl.col(name).cast(dtype) if name in schema else pl.lit(None, dtype).alias(name)


def successful(status: str = "status") -> pl.Expr:
    """Whether a transfer moved money (status success, or none recorded): the rule of
    :func:`fraudkit.schema.successful` on a Polars column, so both engines count the same transfers."""
    return pl.col(status).fill_null(SUCCESS) == SUCCESS


def transactions_in_history(transactions: pl.LazyFrame, tf: TimeFrame) -> pl.LazyFrame:
    """Successful transfers between two different accounts with ts in [T - history, T).

    Failed, reversed and pending transfers moved no money, so they feed no feature.
    Columns: ts, src, dst, cents (Int64), channel. Amounts are whole cents (the store keeps
    DECIMAL(18,2)) so that sums are exact and do not depend on row order or threads.
    """
    schema = transactions.collect_schema()
    status = _optional(schema, "status", pl.String())
    ts = pl.col("ts").cast(TS)
    return (
        transactions.select(
            ts.alias("ts"),
            pl.col("src_account").cast(ID).alias("src"),
            pl.col("dst_account").cast(ID).alias("dst"),
            (pl.col("amount").cast(pl.Float64) * 100).round(0).cast(pl.Int64).alias("cents"),
            _optional(schema, "channel", pl.Categorical()).alias("channel"),  # a few words, millions of rows
            status.alias("status"),
        )
        .filter(
            (pl.col("ts") >= tf.history_start)
            & (pl.col("ts") < tf.as_of)
            & successful()
            & pl.col("src").is_not_null()
            & pl.col("dst").is_not_null()
            & (pl.col("src") != pl.col("dst"))
            & pl.col("cents").is_not_null()
        )
        .drop("status")
    )


PAIR_PREVIOUS = "_pair_previous"
"""Column of calls read once for many as-of times (``with_span_history``): when the pair's previous call began."""
HANDSET_CALLERS = "_handset_callers"
"""Column of such calls: how many numbers called from the call's handset over the whole span."""


def between_two_numbers() -> pl.Expr:
    """A call the features count: both numbers known and different (a call to oneself says nothing)."""
    return pl.col("caller").is_not_null() & pl.col("callee").is_not_null() & (pl.col("caller") != pl.col("callee"))


def with_span_history(calls: pl.LazyFrame) -> pl.DataFrame:
    """Calls over a span with two columns that answer every as-of time's history questions at once.

    ``PAIR_PREVIOUS``: the start of the pair's call before this one (either direction; the calls
    sorted by start). A pair had a call in [T - history, T - window) exactly when, among its calls
    of the window, one has its previous call in that span, so no look-back has to be joined per T.
    ``HANDSET_CALLERS``: distinct callers of the call's IMEI over the span; a handset with one
    caller has one on every day, so only the few shared handsets are counted per T. Only the
    calls ``calls_in_history`` keeps are kept.
    """
    lo, hi = unordered_pair("caller", "callee")
    ts = pl.col("start_time").cast(TS)
    # in time order (stable, so ties keep one order): a shift within each pair is its previous call
    rows = calls.filter(between_two_numbers()).sort(ts, maintain_order=True).with_columns(lo, hi)
    with_imei = pl.col("caller_imei").is_not_null()
    return (
        rows.with_columns(
            ts.shift(1).over(["_lo", "_hi"]).alias(PAIR_PREVIOUS),
            pl.when(with_imei).then(pl.col("caller").n_unique().over("caller_imei")).alias(HANDSET_CALLERS),
        )
        .drop("_lo", "_hi")
        .collect()
    )


def calls_in_history(calls: pl.LazyFrame, tf: TimeFrame) -> pl.LazyFrame:
    """Calls between two different numbers that started in [T - history, T).

    Columns: ts, caller, callee, duration_s (Int64, 0 when missing), is_voice, roaming
    (False when missing), imei; and the span columns of ``with_span_history`` when the calls have them.
    """
    schema = calls.collect_schema()
    span = [pl.col(name) for name in (PAIR_PREVIOUS, HANDSET_CALLERS) if name in schema]
    return calls.select(
        pl.col("start_time").cast(TS).alias("ts"),
        pl.col("caller").cast(ID),
        pl.col("callee").cast(ID),
        pl.col("duration_s").cast(pl.Int64).fill_null(0),
        (_optional(schema, "kind", pl.String()).fill_null("voice") == "voice").alias("is_voice"),
        _optional(schema, "roaming", pl.Boolean()).fill_null(False).alias("roaming"),
        _optional(schema, "caller_imei", ID).alias("imei"),
        *span,
    ).filter((pl.col("ts") >= tf.history_start) & (pl.col("ts") < tf.as_of) & between_two_numbers())


def accounts_at(accounts: pl.LazyFrame, tf: TimeFrame) -> pl.LazyFrame:
    """Accounts known at T (opened before T, or opening date unknown): account_id, holder_id, phone, opened_at."""
    schema = accounts.collect_schema()
    opened = _optional(schema, "opened_at", TS)
    return accounts.select(
        pl.col("account_id").cast(ID),
        _optional(schema, "holder_id", ID).alias("holder_id"),
        _optional(schema, "phone", ID).alias("phone"),
        opened.alias("opened_at"),
    ).filter(pl.col("opened_at").is_null() | (pl.col("opened_at") < tf.as_of))


def subscribers_at(subscribers: pl.LazyFrame, tf: TimeFrame) -> pl.LazyFrame:
    """SIMs known at T (activated before T, or date unknown): phone, holder_id, activated_at."""
    schema = subscribers.collect_schema()
    return subscribers.select(
        pl.col("phone").cast(ID),
        _optional(schema, "holder_id", ID).alias("holder_id"),
        _optional(schema, "activated_at", TS).alias("activated_at"),
    ).filter(pl.col("activated_at").is_null() | (pl.col("activated_at") < tf.as_of))


def reports_before(reports: pl.LazyFrame | None, tf: TimeFrame) -> pl.LazyFrame:
    """Reports filed strictly before T; an empty frame when there are none."""
    cols = {
        "reported_at": TS,
        "victim_phone": ID,
        "victim_account": ID,
        "fraud_phone": ID,
        "fraud_account": ID,
    }
    if reports is None:
        return pl.LazyFrame(schema=cols)
    schema = reports.collect_schema()
    return reports.select(
        [pl.col("reported_at").cast(TS)]
        + [_optional(schema, name, dtype).alias(name) for name, dtype in cols.items() if name != "reported_at"]
    ).filter(pl.col("reported_at") < tf.as_of)


def reported_set(reports: pl.LazyFrame, column: str, flag: str) -> pl.LazyFrame:
    """Distinct non-null values of one report column, with a True flag column for left joins."""
    return reports.select(pl.col(column).alias("value")).drop_nulls().unique().with_columns(pl.lit(True).alias(flag))


def transfer_legs(txns: pl.LazyFrame) -> pl.LazyFrame:
    """Each transfer seen from both ends: account, counterparty, is_out, ts, cents, channel."""
    common = [pl.col("ts"), pl.col("cents"), pl.col("channel")]
    out = txns.select(
        pl.col("src").alias("account"), pl.col("dst").alias("counterparty"), pl.lit(True).alias("is_out"), *common
    )
    inc = txns.select(
        pl.col("dst").alias("account"), pl.col("src").alias("counterparty"), pl.lit(False).alias("is_out"), *common
    )
    return pl.concat([out, inc], how="vertical")


def call_legs(calls: pl.LazyFrame) -> pl.LazyFrame:
    """Each call seen from both ends: phone, other, is_out, ts, duration_s, is_voice, roaming.

    ``roaming`` is the phone's own roaming, known on outgoing legs only (False on incoming).
    ``PAIR_PREVIOUS`` comes along when the calls have it.
    """
    common = [pl.col("ts"), pl.col("duration_s"), pl.col("is_voice")]
    common += [pl.col(PAIR_PREVIOUS)] if PAIR_PREVIOUS in calls.collect_schema() else []
    out = calls.select(
        pl.col("caller").alias("phone"),
        pl.col("callee").alias("other"),
        pl.lit(True).alias("is_out"),
        *common,
        pl.col("roaming"),
    )
    inc = calls.select(
        pl.col("callee").alias("phone"),
        pl.col("caller").alias("other"),
        pl.lit(False).alias("is_out"),
        *common,
        pl.lit(False).alias("roaming"),
    )
    return pl.concat([out, inc], how="vertical")


def unordered_pair(a: str, b: str) -> list[pl.Expr]:
    """The pair {a, b} as (lo, hi) so that contact in either direction matches."""
    return [
        pl.min_horizontal(pl.col(a), pl.col(b)).alias("_lo"),
        pl.max_horizontal(pl.col(a), pl.col(b)).alias("_hi"),
    ]


def prior_pairs(
    events: pl.LazyFrame, a: str, b: str, tf: TimeFrame, *, among: pl.LazyFrame | None = None
) -> pl.LazyFrame:
    """Unordered pairs in contact in [T - history, T - window): they are not new in the window.

    ``among`` (columns _lo, _hi) restricts the answer to candidate pairs first, which is
    cheaper when the candidates are few. Columns _lo, _hi, _prior (True).
    """
    before = events.filter(pl.col("ts") < tf.window_start)
    if among is not None:
        wanted = among.select("_lo", "_hi").unique()
        # an event of a wanted pair has one of its ends at ``a``: cut to those before pairing every row
        ends = pl.concat([wanted.select(pl.col("_lo").alias(a)), wanted.select(pl.col("_hi").alias(a))]).unique()
        before = before.join(ends, on=a, how="semi").select(unordered_pair(a, b))
        before = before.join(wanted, on=["_lo", "_hi"], how="semi")
    else:
        before = before.select(unordered_pair(a, b))
    return before.unique().with_columns(pl.lit(True).alias("_prior"))


def to_cents(amount: float) -> int:
    """A money threshold in whole cents, to compare with the ``cents`` column exactly."""
    return round(amount * 100)


def is_night(ts: pl.Expr, params: FeatureParams) -> pl.Expr:
    """Local hour in the night span; the span may wrap midnight (e.g. 22 to 6)."""
    start, end = params.night_hours
    hour = ts.dt.hour()
    if start <= end:
        return (hour >= start) & (hour < end)
    return (hour >= start) | (hour < end)


def hours_between(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    return (later - earlier).dt.total_microseconds() / 3_600_000_000.0


def days_between(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    return (later - earlier).dt.total_microseconds() / 86_400_000_000.0
