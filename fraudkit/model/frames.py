"""The only module of ``fraudkit.model`` that reads the DuckDB store: canonical tables cut to a time range.

Everything downstream (contacts, labels, training, scoring) is a function of Polars frames.
The queries are in :mod:`fraudkit.engine.sql.model`; values are always bound, never pasted into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from fraudkit.store import frame, registered, release_cached_blocks, scalar, table_exists
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


def longest_call(con: duckdb.DuckDBPyConnection) -> timedelta:
    """The longest call's length: a call that ended at or after a time began at most this long before."""
    return timedelta(seconds=max(int(scalar(con, sql.LONGEST_CALL) or 0), 0))


def contact_numbers(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime, p: ContactParams) -> pl.Series:
    """Numbers of the contacts that ended in [since, until): the two of each long call from a new
    (or reported) number that ended then or up to ``follow_up_within`` before, with a call of theirs
    that ended in the span. A superset of the contacts' numbers, a tenth of all at 1M subscribers."""
    start = since - p.lookback
    hook_since = since - p.follow_up_within
    longest = longest_call(con)
    params = {
        "since": since,
        "until": until,
        "first": max(start, since - longest),  # calls that end in the span began since then
        "hook_since": hook_since,
        "hook_first": max(start, hook_since - longest),
        "events_from": start,
        "min_s": p.min_duration_s,
        "history_s": p.history.total_seconds(),
        "new_s": p.new_within.total_seconds(),
    }
    return frame(con, sql.HOOKED_NUMBERS, params, table="calls")["phone"].cast(pl.String)


@dataclass
class ContactInputs:
    """The store cut down to what the contacts of a span need: its numbers' calls in the look-back
    and those of the handsets they called from, their SIMs and accounts, and the reports."""

    calls: pl.DataFrame
    subscribers: pl.DataFrame
    accounts: pl.DataFrame
    reports: pl.DataFrame
    numbers: int


def contact_inputs(
    con: duckdb.DuckDBPyConnection,
    since: datetime,
    until: datetime,
    p: ContactParams,
    numbers: pl.Series | None = None,
    *,
    known_until: datetime | None = None,
    reports_known: pl.DataFrame | None = None,
) -> ContactInputs:
    """What ``contact_features`` needs for the contacts that ended in [since, until).

    A contact's features read the calls of its caller, callee, their pair and its handset in the
    look-back, the two numbers' SIMs and accounts and the reports naming the caller; every contact's
    numbers are among ``numbers`` (``contact_numbers`` unless given) and its handset is one its
    caller called from, so this subset gives every row the full read's values (tests/model/test_narrow_read.py).
    SIMs, accounts and reports are cut at ``known_until`` (default ``until``), as a longer span cut in
    pieces reads them once at its end.
    """
    at = known_until or until
    numbers = contact_numbers(con, since, until, p) if numbers is None else numbers
    window = {"start": since - p.lookback, "until": until}
    with registered(con, pl.DataFrame({"phone": numbers}, schema={"phone": pl.String}), "contact_numbers") as rel:
        calls = frame(con, sql.numbers_calls(rel), window, table="calls")
        subs = frame(con, sql.numbers_subscribers(rel), {"until": at}, table="subscribers")
        accs = frame(con, sql.numbers_accounts(rel), {"until": at}, table="accounts")
    release_cached_blocks(con)  # the blocks of the calls read stay in DuckDB otherwise (warn: 1.7 GiB at 1M)
    reps = reports(con, at) if reports_known is None else reports_known
    return ContactInputs(calls, subs, accs, reps, numbers.len())


def contacts_from_store(
    con: duckdb.DuckDBPyConnection,
    *,
    since: datetime,
    until: datetime,
    params: ContactParams | None = None,
    chunk: timedelta = timedelta(days=4),
) -> pl.DataFrame:
    """Contacts that ended in [since, until) with their features, reading only the calls they need.

    The span is cut into ``chunk``-long pieces; each reads the numbers that could be its contacts,
    then only those numbers' (and handsets') calls in its look-back (``contact_inputs``), not every
    call of it: a day at 1M subscribers reads a sixth of the store. Every contact's features are
    exact, so the pieces join up into the frame ``contacts_reading_all`` computes. Four days a
    piece: at 1M, 26 s of CPU and 2.4 GiB for four days, against 41 s and 1.7 GiB day by day
    (each piece scans the store's calls a few times, whatever its length).
    """
    p = params or ContactParams()
    reps = reports(con, until)
    parts = []
    start = since
    while start < until:
        end = min(start + chunk, until)
        inputs = contact_inputs(con, start, end, p, known_until=until, reports_known=reps)
        parts.append(
            contact_features(
                inputs.calls, inputs.subscribers, inputs.accounts, inputs.reports, since=start, until=end, params=p
            )
        )
        start = end
    if not parts:
        inputs = contact_inputs(con, since, since, p, known_until=until, reports_known=reps)
        return contact_features(
            inputs.calls, inputs.subscribers, inputs.accounts, reps, since=since, until=since, params=p
        )
    return pl.concat(parts, how="vertical")


def contacts_reading_all(
    con: duckdb.DuckDBPyConnection,
    *,
    since: datetime,
    until: datetime,
    params: ContactParams | None = None,
    chunk: timedelta = timedelta(days=7),
) -> pl.DataFrame:
    """The same contacts from every call of each ``chunk``'s look-back and every SIM and account:
    the plain reading that ``contacts_from_store`` is checked against (and the way to tell, should
    the two ever differ, which one is wrong). At 1M subscribers it holds 37 days of calls at once."""
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
