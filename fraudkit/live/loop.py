"""``fraudkit watch``: the live loop over a drop folder, and the replay over the store.

Live, each tick ingests the drop's files it has not seen (same validation, rejects and
idempotence as ``fraudkit ingest``; files are told apart by name, size and modification time,
then by content hash inside ingest), then runs the tick with the horizon at now. The DuckDB
store is opened for the tick and released between ticks, so ``warn``, ``train`` and the
others can read it while the loop runs. Replay runs the same tick over records already in the
store, with ticks on a simulated clock and the horizon a delivery delay behind each.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from fraudkit.drop import INGEST_ORDER, drop_files
from fraudkit.engine.sql import live as sql
from fraudkit.ingest.validate import IngestSettings
from fraudkit.live.clock import StopFlag, simulated_ticks, store_now
from fraudkit.live.config import WatchConfig
from fraudkit.live.tick import Scorer, TickReport, run_tick
from fraudkit.schema import TABLES
from fraudkit.settings import Settings
from fraudkit.store import open_store, store_timezone

STORE_MEMORY = "1GB"
"""DuckDB's memory limit for a loop's store connection. A tick reads the look-back of a few
hundred numbers and the paid accounts' transfers, but DuckDB keeps every block it scanned in its
buffer cache up to its default limit (80% of RAM), so without a limit the loop's memory grows
with the store (1.7 GB at 1M subscribers against 1.1 GB with 600 MB, a few % slower)."""

log = logging.getLogger("fraudkit.watch")


@dataclass
class DropSource:
    """The drop folder as the live source: the files that appeared or changed since the last look."""

    drop: Path
    mappings: dict[str, Path] = field(default_factory=dict)
    seen: dict[Path, tuple[int, float]] = field(default_factory=dict)
    settings: IngestSettings | None = None
    """Ingest's checks and bounds (the configuration's ``[ingest]``), as ``fraudkit ingest`` applies them."""
    lake: Any = None
    """A Spark backend on a lake when the tables live in one: files go there (the store keeps its catalogue copy)."""

    def arrive(self, con: duckdb.DuckDBPyConnection) -> int:
        """Ingest the new files, reference kinds first; returns the rows loaded."""
        from fraudkit.ingest import ingest_paths

        found = drop_files(self.drop, allow_empty=True)
        loaded = 0
        for kind in INGEST_ORDER:
            fresh = [p for p in found.get(kind, []) if self.seen.get(p) != _stamp(p)]
            if not fresh:
                continue
            mapping = self.mappings.get(kind)
            if self.lake is None:
                loaded += ingest_paths(con, fresh, kind, mapping, settings=self.settings).loaded
            else:
                from fraudkit.ingest.lake import ingest_to_lake

                loaded += ingest_to_lake(con, self.lake, fresh, kind, mapping, settings=self.settings).summary.loaded
            self.seen.update({p: _stamp(p) for p in fresh})
        return loaded


TICK_TABLES = tuple(t for t in TABLES if t != "outcomes")
"""On a lake, the tables a tick reads from it (listed again each tick: new commits add files);
``outcomes`` stays the store's, which the tick writes and which holds what the lake does."""


def _stamp(path: Path) -> tuple[int, float]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime


def watch(
    settings: Settings,
    ops_engine: Any,
    model: Any,
    config: WatchConfig,
    source: DropSource,
    *,
    once: bool = False,
    stop: StopFlag | None = None,
    say: Callable[[str], None] = log.info,
) -> list[TickReport]:
    """Tick every ``config.every`` until stopped (or once); one log line per tick.

    ``model`` is a loaded model, or a ``Champion`` that reloads when the alias moves. Contacts
    up to ``late_within`` before the watermark are looked at again only when a file was
    ingested since the last tick (late files); otherwise only the new window is.
    """
    import time

    from fraudkit.engine.lake_views import tables_of
    from fraudkit.live.champion import Champion
    from fraudkit.live.state import ingest_mark

    champion = model if isinstance(model, Champion) else None
    scorer = Scorer.of(champion.model if champion else model, config)
    stop = stop or StopFlag()
    reports: list[TickReport] = []
    bank_dir = settings.db_path.parent / "bank-requests"
    last_mark: tuple[int, int] | None = None
    while True:
        started = time.monotonic()
        if champion is not None and champion.current()[1]:
            scorer = Scorer.of(champion.model, config)
        with open_store(settings.db_path, lock_wait=settings.lock_wait_s) as con:
            con.execute(sql.memory_limit(STORE_MEMORY))
            records = source.arrive(con)
            mark = ingest_mark(con)
            fresh = mark != last_mark
            now = store_now(store_timezone(con))
            with tables_of(con, source.lake, "watch the drop", TICK_TABLES):
                report = run_tick(
                    con,
                    ops_engine,
                    scorer,
                    config,
                    loop="live",
                    at=now,
                    horizon=now,
                    late_within=config.late_within if fresh else timedelta(0),
                    records_in=records,
                    bank_dir=bank_dir,
                    fresh=fresh,
                    lake=source.lake,
                )
            last_mark = mark
        say(report.log_line())
        reports.append(report)
        if once or stop.wait(config.every.total_seconds() - (time.monotonic() - started)) or stop.stopped:
            return reports


def replay(
    settings: Settings,
    ops_engine: Any,
    model: Any,
    config: WatchConfig,
    *,
    start: datetime,
    end: datetime,
    stop: StopFlag | None = None,
    say: Callable[[str], None] = log.info,
    bank_dir: Path | None = None,
) -> list[TickReport]:
    """The same tick over the store's records from ``start`` to ``end`` on a simulated clock:
    a record is visible from its end plus ``config.delivery_delay``; alerts get the tick's time.

    The replay keeps its own watermark (loop ``replay``), started afresh at ``start``, so it
    never moves the live loop's; alerts already in the ops store are not written again.
    """
    from fraudkit.live.state import write_watermark

    scorer = Scorer.of(model, config)
    stop = stop or StopFlag()
    reports: list[TickReport] = []
    delay = config.delivery_delay
    with open_store(settings.db_path, lock_wait=settings.lock_wait_s) as con:
        con.execute(sql.memory_limit(STORE_MEMORY))
        write_watermark(con, "replay", start - delay, start)
        for at in simulated_ticks(start, end, config.every):
            report = run_tick(
                con,
                ops_engine,
                scorer,
                config,
                loop="replay",
                at=at,
                horizon=at - delay,
                late_within=timedelta(0),
                records_in=_visible(con, at - config.every - delay, at - delay),
                bank_dir=bank_dir,
            )
            say(report.log_line())
            reports.append(report)
            if stop.stopped:
                break
    return reports


def _visible(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime) -> int:
    """Calls and transfers that became visible in [since, until): ended (or happened) in it."""
    from fraudkit.store import scalar

    calls = scalar(con, sql.VISIBLE_CALLS, [since - timedelta(days=1), until, since])
    transfers = scalar(con, sql.VISIBLE_TRANSFERS, [since, until])
    return int(calls or 0) + int(transfers or 0)
