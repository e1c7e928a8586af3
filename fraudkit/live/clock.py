"""The loop's clocks: the wall clock in the store's zone (live) and a list of simulated ticks (replay)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def store_now(zone: str) -> datetime:
    """Now as the store keeps times: naive wall-clock time in its zone."""
    return datetime.now(ZoneInfo(zone)).replace(tzinfo=None)


class StopFlag:
    """Set by SIGINT/SIGTERM: the loop finishes the tick it is in, then ends."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal: int | None = None

    def install(self) -> StopFlag:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, _frame: object) -> None:
        self.signal = signum
        self.event.set()

    @property
    def stopped(self) -> bool:
        return self.event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when told to stop meanwhile."""
        return self.event.wait(max(seconds, 0.0))


def simulated_ticks(start: datetime, end: datetime, every: timedelta) -> Iterator[datetime]:
    """start + every, start + 2 every, ... up to and including ``end``."""
    at = start + every
    while at <= end:
        yield at
        at += every
