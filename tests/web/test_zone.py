"""The queue's countdown is read in the store's zone: a server running in UTC over a store kept in
Asia/Shanghai counts down right, and the page carries the deadline as an instant (epoch ms) so
the script never reads a time in the browser's zone."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from ops_backends import alert_row, seed_alerts
from sqlalchemy.engine import Engine

from fraudkit.ops.operators import create_operator
from fraudkit.store import connect
from fraudkit.web.app import create_app
from fraudkit.web.serve import store_zone
from fraudkit.web.settings import WebSettings

STORE_ZONE = "Asia/Shanghai"


@pytest.fixture
def server_in_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's local zone set to UTC, eight hours off the store's."""
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("FRAUDKIT_TIMEZONE", raising=False)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_countdown_uses_the_stores_zone_not_the_servers(engine: Engine, ops_url: str, server_in_utc: None) -> None:
    store_now = datetime.now(ZoneInfo(STORE_ZONE)).replace(tzinfo=None, microsecond=0)
    contact_end = store_now - timedelta(minutes=14, seconds=30)  # pays at about now + 30.5 min
    seed_alerts(engine, [alert_row(1, store_now, contact_end=contact_end)])
    create_operator(engine, "ana", "password-a")
    web = TestClient(create_app(WebSettings(ops_url=ops_url, timezone=STORE_ZONE, pay_minutes=45)))
    web.post("/login", data={"operator": "ana", "password": "password-a"})
    before_ms = time.time() * 1000
    page = web.get("/").text
    cell = re.search(r'data-deadline="(\d+)"[^>]*>([^<]+)<', page)
    assert cell is not None
    deadline = (contact_end + timedelta(minutes=45)).replace(tzinfo=ZoneInfo(STORE_ZONE))
    assert int(cell.group(1)) == round(deadline.timestamp() * 1000)
    assert cell.group(2) == "30 min left"
    served = int(re.search(r'<html[^>]* data-now="(\d+)"', page).group(1))  # type: ignore[union-attr]
    assert before_ms - 1000 <= served <= time.time() * 1000 + 1000  # the server's clock, as an instant
    assert "times: Asia/Shanghai" in page


def test_serve_reads_the_zone_the_store_records(tmp_path: Path, server_in_utc: None) -> None:
    db = tmp_path / "f.duckdb"
    assert store_zone(db) is None  # no store there: serve falls back and says so
    connect(db, timezone=STORE_ZONE).close()
    assert store_zone(db) == STORE_ZONE
