"""`fraudkit alerts` and the work queue agree on who is called next: urgent first, then red calls,
the call queue, bank, the SMS list; by score, and on a tie the alert waiting longest."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from ops_backends import alert_row, seed_alerts
from sqlalchemy.engine import Engine

from fraudkit.live.alerts import alerts_frame, queue
from fraudkit.ops.queue import open_alerts

NOW = datetime(2026, 10, 30, 10, 0)


def test_the_alerts_view_and_the_queue_call_in_the_same_order(engine: Engine) -> None:
    ago = lambda minutes: NOW - timedelta(minutes=minutes)  # noqa: E731
    seed_alerts(
        engine,
        [
            alert_row(0, NOW, score=0.5, created_at=ago(10)),
            alert_row(1, NOW, score=0.5, created_at=ago(20)),  # same score, waiting longer
            alert_row(2, NOW, score=0.9, channel="bank"),
            alert_row(3, NOW, score=0.4, channel="call_now", tier="red"),
            alert_row(4, NOW, score=0.99, channel="sms", tier="yellow"),
            alert_row(5, NOW, score=0.1, channel="bank", urgent=True, urgent_reason="paid a reported account"),
        ],
    )
    expected = ["A00005", "A00003", "A00001", "A00000", "A00002", "A00004"]
    served = [row["alert_id"] for row in open_alerts(engine)]
    listed = queue(alerts_frame(engine)).filter(pl.col("status") == "new")["alert_id"].to_list()
    assert served == expected
    assert listed == expected
