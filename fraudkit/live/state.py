"""What a tick reads from the DuckDB store: only the bounded history of the numbers involved.

A contact's features (``fraudkit.model.contacts``) depend on the calls of its caller, its
callee, their pair and the caller's handset in the ``lookback`` before it, on the two
numbers' SIMs and accounts and on the reports naming the caller. So a tick first finds the
numbers of the calls that ended since the last one and could be contacts (long voice calls,
and answered calls between two numbers with a long call in the ``follow_up_within`` before),
then reads just those numbers' calls and the calls of the handsets they called from, and hands the subset to
the same ``contact_features`` that ``train`` and ``warn`` use. Every contact of the window has
its numbers in the subset and its features read nothing outside it, so its row is the batch
path's row (tests/live/test_state.py checks it); the cost grows with the tick's numbers and
their history, not with the store.

Calls are found by their start time with a bound on their length, ``MAX_CALL``: a call longer
than a day ends unseen by a tick.

The loop's watermark (contacts ended before it are scored) is kept in the store, table
``live_watermarks``, per loop (``live``, or ``replay``), so a restarted loop resumes.
``ingest_mark`` tells a live tick cheaply whether any file was ingested since the last one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import polars as pl

from fraudkit.engine.sql import live as sql
from fraudkit.model import frames
from fraudkit.model.contacts import contact_features
from fraudkit.model.params import ContactParams
from fraudkit.store import frame, scalar

MAX_CALL = timedelta(days=1)


def read_watermark(con: duckdb.DuckDBPyConnection, loop: str) -> datetime | None:
    """Contacts that ended before this have been scored by ``loop`` (None: it never ticked)."""
    con.execute(sql.WATERMARK_DDL)
    return scalar(con, sql.WATERMARK, [loop])


def write_watermark(con: duckdb.DuckDBPyConnection, loop: str, scored_until: datetime, ticked_at: datetime) -> None:
    con.execute(sql.WATERMARK_DDL)
    con.execute(sql.WRITE_WATERMARK, [loop, scored_until, ticked_at])


def tick_numbers(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime, p: ContactParams) -> pl.Series:
    """Numbers of the calls that ended in [since, until) and could be contacts or follow-ups."""
    hook_since = since - p.follow_up_within
    params = {
        "since": since,
        "until": until,
        "first": since - MAX_CALL,
        "hook_since": hook_since,
        "hook_first": hook_since - MAX_CALL,
        "min_s": p.min_duration_s,
    }
    return frame(con, sql.TICK_NUMBERS, params)["phone"].cast(pl.String)


TickInputs = frames.ContactInputs
"""The store cut down to what the tick's contacts need."""


def tick_inputs(
    con: duckdb.DuckDBPyConnection, since: datetime, until: datetime, p: ContactParams, numbers: pl.Series | None = None
) -> TickInputs:
    """Calls of the tick's numbers (``tick_numbers`` unless given) and of the handsets they called from
    in the look-back, and their SIMs, accounts and reports (``frames.contact_inputs``, as warn and train read)."""
    numbers = tick_numbers(con, since, until, p) if numbers is None else numbers
    return frames.contact_inputs(con, since, until, p, numbers)


def live_contacts(
    con: duckdb.DuckDBPyConnection,
    since: datetime,
    until: datetime,
    p: ContactParams,
    numbers: pl.Series | None = None,
) -> tuple[pl.DataFrame, TickInputs]:
    """The contacts that ended in [since, until), as ``contact_features`` computes them in batch."""
    inputs = tick_inputs(con, since, until, p, numbers)
    rows = contact_features(
        inputs.calls, inputs.subscribers, inputs.accounts, inputs.reports, since=since, until=until, params=p
    )
    return rows, inputs


def ingest_mark(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(files, highest file id) of ``ingest_files``: changes whenever any process ingests a file,
    the loop or ``fraudkit ingest`` by hand, so an idle tick can tell nothing new arrived."""
    from fraudkit.store import table_exists

    if not table_exists(con, "ingest_files"):
        return (0, 0)
    row = con.execute(sql.INGEST_MARK).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)
