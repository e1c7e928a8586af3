"""Contacts read through their numbers (``frames.contacts_from_store``) equal the plain reading of
every call in the look-back (``frames.contacts_reading_all``), row for row and feature for feature."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import polars as pl
import pytest
from model_world import AS_OF, ModelWorld
from polars.testing import assert_frame_equal
from test_contacts import T0, TS, calls, scenario

from fraudkit.model import frames
from fraudkit.model.params import ContactParams


@pytest.fixture(scope="module")
def store(model_world: ModelWorld):
    con = duckdb.connect(str(model_world.db), read_only=True)
    yield con
    con.close()


def test_the_training_span_read_day_by_day_equals_the_plain_read(store: duckdb.DuckDBPyConnection) -> None:
    p = ContactParams()
    first, _ = frames.data_span(store)
    since = first.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=8)
    narrow = frames.contacts_from_store(store, since=since, until=AS_OF, params=p)
    plain = frames.contacts_reading_all(store, since=since, until=AS_OF, params=p)
    assert_frame_equal(narrow, plain)
    assert narrow.height > 1_000
    assert narrow.filter(pl.col("contact_outgoing") == 1.0).height > 0, "follow-ups called back are compared too"
    assert narrow.filter(pl.col("caller_handset_other_sims") > 0).height > 0


def test_warns_day_reads_a_fraction_of_the_calls(store: duckdb.DuckDBPyConnection) -> None:
    p = ContactParams()
    since = AS_OF - timedelta(days=1)
    inputs = frames.contact_inputs(store, since, AS_OF, p)
    everything = frames.calls_between(store, since - p.lookback, AS_OF)
    assert 0 < inputs.calls.height < everything.height * 0.6  # a tenth at 1M: fraud is boosted here
    assert_frame_equal(
        frames.contacts_from_store(store, since=since, until=AS_OF, params=p),
        frames.contacts_reading_all(store, since=since, until=AS_OF, params=p),
    )


@pytest.mark.parametrize("chunk", [timedelta(hours=5), timedelta(days=1), timedelta(days=3)])
def test_any_chunk_gives_the_same_rows(store: duckdb.DuckDBPyConnection, chunk: timedelta) -> None:
    since, until = AS_OF - timedelta(days=3, hours=7), AS_OF - timedelta(hours=2)
    assert_frame_equal(
        frames.contacts_from_store(store, since=since, until=until, chunk=chunk),
        frames.contacts_reading_all(store, since=since, until=until),
    )


def _edge_store() -> duckdb.DuckDBPyConnection:
    """The contacts scenario, plus what a narrowed read could miss: a 30-hour call from a stranger
    ending inside the span, a follow-up the day after its hook (the next chunk), a caller whose
    SIM's activation date falls after the first chunk and whose holder has an account, and a
    handset another number called from weeks earlier."""
    s = scenario()
    extra = calls(
        [
            ("L", "V", T0 - timedelta(hours=20), 30 * 3600),  # began before the span's first day
            ("G", "Y", T0 + timedelta(hours=23, minutes=50), 900, "I9"),  # the hook, late on day one
            ("Y", "G", T0 + timedelta(days=1, hours=1), 120),  # Y calls back on day two, briefly
            ("G2", "Z", T0 - timedelta(days=20), 30, "I9"),  # I9 in another SIM's hand
        ]
    ).with_columns(pl.format("x{}", pl.col("call_id")).alias("call_id"))
    subscribers = pl.concat(
        [
            s["subscribers"],
            pl.DataFrame(
                [("Y", "hY", T0 + timedelta(days=1, hours=3)), ("G", "hG", None)],
                schema={"phone": pl.String, "holder_id": pl.String, "activated_at": TS},
                orient="row",
            ),
        ]
    )
    accounts = pl.concat(
        [
            s["accounts"],
            pl.DataFrame(
                [("A3", "hY", None, T0 - timedelta(days=30), "personal")], schema=s["accounts"].schema, orient="row"
            ),
        ]
    )
    con = duckdb.connect()
    con.register("calls", pl.concat([s["calls"], extra]))
    con.register("subscribers", subscribers)
    con.register("accounts", accounts)
    con.register("reports", s["reports"])
    return con


@pytest.mark.parametrize("chunk", [timedelta(hours=6), timedelta(days=1)])
def test_edge_cases_read_through_numbers_equal_the_plain_read(chunk: timedelta) -> None:
    con = _edge_store()
    since, until = datetime.combine(T0.date(), datetime.min.time()), T0 + timedelta(days=3)
    narrow = frames.contacts_from_store(con, since=since, until=until, chunk=chunk)
    plain = frames.contacts_reading_all(con, since=since, until=until)
    assert_frame_equal(narrow, plain)
    assert {"L", "G", "F", "X"} <= set(narrow["caller"].to_list())
    back = narrow.filter(pl.col("contact_outgoing") == 1.0).row(0, named=True)
    assert back["callee"] == "Y" and back["caller_handset_other_sims"] == 1.0
    assert back["callee_accounts"] == 1.0, "Y's holder's account counts though its SIM is dated later"


def test_an_empty_span_has_the_columns_of_a_full_one(store: duckdb.DuckDBPyConnection) -> None:
    got = frames.contacts_from_store(store, since=AS_OF, until=AS_OF)
    assert got.is_empty()
    assert got.schema == frames.contacts_reading_all(store, since=AS_OF, until=AS_OF).schema


def test_the_numbers_read_hold_every_contacts_two_and_few_others(store: duckdb.DuckDBPyConnection) -> None:
    from fraudkit.live.state import tick_numbers

    p = ContactParams()
    since = AS_OF - timedelta(days=1)
    numbers = set(frames.contact_numbers(store, since, AS_OF, p).to_list())
    rows = frames.contacts_reading_all(store, since=since, until=AS_OF, params=p)
    assert set(rows["caller"].to_list()) | set(rows["callee"].to_list()) <= numbers
    assert len(numbers) < 0.8 * tick_numbers(store, since, AS_OF, p).len(), "long calls of old pairs are left out"
