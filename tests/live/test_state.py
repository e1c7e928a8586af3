"""A contact computed from the tick's bounded read equals the batch path's row for it."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import polars as pl
from conftest import LiveWorld
from polars.testing import assert_frame_equal

from fraudkit.live.state import live_contacts, read_watermark, write_watermark
from fraudkit.model import frames
from fraudkit.model.params import ContactParams


def test_incremental_contacts_equal_batch(live_world: LiveWorld) -> None:
    p = ContactParams()
    con = duckdb.connect(str(live_world.db), read_only=True)
    try:
        _, last = frames.data_span(con)
        day = last.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
        compared = 0
        for hour in (9, 14, 20):
            since = day + timedelta(hours=hour)
            until = since + timedelta(minutes=30)
            batch = frames.contacts_reading_all(con, since=since, until=until, params=p)
            live, inputs = live_contacts(con, since, until, p)
            assert_frame_equal(live, batch)
            assert inputs.calls.height < frames.calls_between(con, since - p.lookback, until).height
            compared += batch.height
        assert compared > 0
    finally:
        con.close()


def test_watermark_round_trip(tmp_path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert read_watermark(con, "live") is None
    write_watermark(con, "live", datetime(2026, 10, 1, 9), datetime(2026, 10, 1, 9, 1))
    write_watermark(con, "live", datetime(2026, 10, 1, 10), datetime(2026, 10, 1, 10, 1))
    assert read_watermark(con, "live") == datetime(2026, 10, 1, 10)
    assert pl.DataFrame(con.sql("SELECT * FROM live_watermarks").pl()).height == 1
