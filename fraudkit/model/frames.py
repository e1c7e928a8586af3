"""The only module of ``fraudkit.model`` that reads the DuckDB store: canonical tables cut to a time range.

Everything downstream (contacts, labels, training, scoring) is a function of Polars frames.
The queries are in :mod:`fraudkit.engine.sql.model`; values are always bound, never pasted into SQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import polars as pl

from fraudkit import timeutil
from fraudkit.engine.sql import features as features_sql
from fraudkit.engine.sql import model as sql
from fraudkit.engine.sql import store as store_sql
from fraudkit.errors import NotReadyError
from fraudkit.model.contacts import contact_features
from fraudkit.model.params import ContactParams
from fraudkit.store import frame, registered, scalar, table_exists
from fraudkit.timeutil import start_of_day


def calls_between(con: duckdb.DuckDBPyConnection, start: datetime, until: datetime) -> pl.DataFrame:
    """Calls that began in [start, until); callers keep only those that had also ended before ``until``."""
    return frame(
        con,
        sql.CALLS_BETWEEN,
        {"start": start, "until": until},
        table="calls",
    )


def subscribers(con: duckdb.DuckDBPyConnection, until: datetime) -> pl.DataFrame:
    """SIMs activated before ``until`` (or with no activation date)."""
    return frame(
        con,
        sql.SUBSCRIBERS_BEFORE,
        {"until": until},
        table="subscribers",
    )


def accounts(con: duckdb.DuckDBPyConnection, until: datetime) -> pl.DataFrame:
    """Accounts opened before ``until`` (or with no opening date)."""
    return frame(
        con,
        sql.ACCOUNTS_BEFORE,
        {"until": until},
        table="accounts",
    )


def reports(con: duckdb.DuckDBPyConnection, until: datetime) -> pl.DataFrame:
    """Reports filed before ``until``, amounts as DOUBLE."""
    return frame(
        con,
        features_sql.REPORTS,
        {"as_of": until},
        table="reports",
    )


def outcomes(con: duckdb.DuckDBPyConnection, until: datetime, since: datetime | None = None) -> pl.DataFrame:
    """Call-back outcomes recorded in [since, until)."""
    return frame(
        con,
        sql.OUTCOMES_BETWEEN,
        {"until": until, "since": since or datetime(1900, 1, 1)},
        table="outcomes",
    )


def first_transfer_to(con: duckdb.DuckDBPyConnection, pairs: pl.DataFrame, until: datetime) -> pl.DataFrame:
    """For (victim_account, fraud_account) pairs, the first successful transfer between them before ``until``.

    This is how a reported victim's first loss is dated when no ground truth is at hand.
    """
    if pairs.is_empty():
        return pairs.with_columns(pl.lit(None, pl.Datetime("us")).alias("first_loss_at"))
    with registered(con, pairs.select("victim_account", "fraud_account").unique(), "model_loss_pairs") as loss_pairs:
        return frame(
            con,
            sql.first_transfer_to(loss_pairs),
            {"until": until},
            table="transactions",
        )


def data_span(con: duckdb.DuckDBPyConnection) -> tuple[datetime, datetime]:
    """First and last call start in the store: the days a contact model can be trained on."""
    span = timeutil.data_span(con, "calls", "start_time")
    if span is None:
        raise NotReadyError("no calls in the store", hint="load some with `fraudkit ingest --kind calls`")
    return span


def latest_before(con: duckdb.DuckDBPyConnection, table: str, column: str, until: datetime) -> datetime | None:
    """Latest value of a time column before ``until`` (None when the table is missing or empty)."""
    if not table_exists(con, table):
        return None
    return scalar(con, store_sql.latest_before(table, column), [until])


def contacts_from_store(
    con: duckdb.DuckDBPyConnection,
    *,
    since: datetime,
    until: datetime,
    params: ContactParams | None = None,
    chunk: timedelta = timedelta(days=7),
) -> pl.DataFrame:
    """Contacts that ended in [since, until) with their features, reading only the events they need.

    Long spans are cut into ``chunk``-long pieces, each with its own look-back, so memory stays
    bounded; every contact's features are exact, so the pieces join up into the same frame.
    """
    p = params or ContactParams()
    subs, accs, reps = subscribers(con, until), accounts(con, until), reports(con, until)
    parts = []
    start = since
    while start < until:
        end = min(start + chunk, until)
        calls = calls_between(con, start - p.lookback, end)
        parts.append(contact_features(calls, subs, accs, reps, since=start, until=end, params=p))
        start = end
    if not parts:
        return contact_features(calls_between(con, since, since), subs, accs, reps, since=since, until=since, params=p)
    return pl.concat(parts, how="vertical")


def day_starts(first: datetime, last: datetime) -> list[datetime]:
    """Midnights from the day of ``first`` to the day of ``last`` inclusive."""
    day = start_of_day(first)
    out = []
    while day <= last:
        out.append(day)
        day += timedelta(days=1)
    return out
