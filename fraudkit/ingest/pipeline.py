"""``ingest_paths``: check every input file, then load them all in one transaction.

All files are peeked at (opened, header decoded and resolved) before any is loaded, and
the whole run is one transaction, committed once every file has loaded and every file's
full fingerprint (hash, encoding, line count) has passed: one file that fails stops the
run with nothing loaded. The fingerprint pass runs in a thread alongside the first load
instead of before it; only a load alone in the transaction may run ahead of its hash, so
undoing it (a copy of an ingested file, or not UTF-8 after all) undoes nothing else.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import datetime
from datetime import time as clock_time
from functools import partial
from pathlib import Path
from typing import Literal

import duckdb

from fraudkit.engine.sql import BEGIN, COMMIT, ROLLBACK
from fraudkit.engine.sql import ingest as sql
from fraudkit.errors import ConfigError
from fraudkit.ingest.fingerprint import FingerprintPass
from fraudkit.ingest.load import (
    AlreadyIngested,
    LoadCounts,
    ReaderFailed,
    Undo,
    disabled_optimizers,
    ensure_tables,
    load_file,
    restore_optimizers,
)
from fraudkit.ingest.mapping import Mapping, load_mapping
from fraudkit.ingest.plan import FilePlan, already_ingested, fingerprint_file, ingested_from, peek_file
from fraudkit.ingest.scratch import Scratch
from fraudkit.ingest.sources import expand_paths
from fraudkit.ingest.validate import IngestSettings
from fraudkit.progress import SILENT, Reporter, duration, stage
from fraudkit.resolution import Resolution
from fraudkit.schema import TABLES, TIME_COLUMNS, Table
from fraudkit.store import ensure_schema, run
from fraudkit.text import plural

SMALL_FILE_BYTES = 1 << 20  # CSV files up to this size are read line by line (see _load)
DAY_NOTE_KINDS = ("transactions", "calls")
"""Tables whose times feed hour-of-day features: a file of whole days among them gets a note."""


@dataclass(frozen=True)
class FileResult:
    """What happened to one file; ``rows_read == loaded + rejected + duplicates + updates``.

    ``lines`` counts the file's non-blank data lines; it exceeds ``rows_read`` only by the
    extra lines of quoted fields that hold line breaks.
    """

    path: Path
    kind: str
    sha256: str
    rows_read: int = 0
    loaded: int = 0
    rejected: int = 0
    duplicates: int = 0
    updates: int = 0  # rows that replaced a stored row with the same key (on_conflict = "update")
    lines: int = 0
    skipped: bool = False  # the same content was ingested as this kind before
    encoding: str = ""
    derived_key: bool = False  # key made from a hash of the row's values
    ignored_columns: tuple[str, ...] = ()
    seconds: float = 0.0
    resolution: Resolution = "none"  # the grain every event time loaded from the file is on
    day_clock: clock_time | None = None  # with resolution "day": the time of day they fall at (00:00 mostly)

    @property
    def whole_days(self) -> bool:
        """Every event time the file loaded falls at one time of day: it tells days, not hours."""
        return not self.skipped and self.loaded + self.updates > 0 and self.resolution == "day"


@dataclass
class IngestSummary:
    """Per-file results and their totals."""

    kind: str
    files: list[FileResult] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def loaded(self) -> int:
        return sum(f.loaded for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    @property
    def updates(self) -> int:
        return sum(f.updates for f in self.files)

    @property
    def skipped(self) -> int:
        """Number of files skipped as already ingested."""
        return sum(f.skipped for f in self.files)

    def notes(self) -> list[str]:
        """What the user should know about the data loaded beyond its counts: files whose times are
        whole days, so features that need the hour (night share, hour of day) cannot be had."""
        column = TIME_COLUMNS.get(self.kind)
        if column is None or self.kind not in DAY_NOTE_KINDS:
            return []
        return [
            f"note: every {column} in {f.path} falls at {_clock_words(f.day_clock)}: its times are whole days, "
            "so night share and hour-of-day features will be dropped"
            for f in self.files
            if f.whole_days
        ]

    def describe(self) -> str:
        """A short human-readable account, one line per file plus a total."""
        lines = []
        for f in self.files:
            if f.skipped:
                lines.append(f"{f.path}: skipped (already ingested as {f.kind})")
            else:
                updated = f", {f.updates} updates" if f.updates else ""
                lines.append(
                    f"{f.path}: {f.rows_read} read, {f.loaded} loaded, {f.rejected} rejected, "
                    f"{f.duplicates} duplicates{updated} ({f.encoding})"
                )
        lines += self.notes()
        lines.append(
            f"{self.kind}: {plural(len(self.files), 'file')}, {self.rows_read} read, {self.loaded} loaded, "
            f"{self.rejected} rejected, {self.duplicates} duplicates, {self.updates} updates, {self.skipped} skipped"
        )
        return "\n".join(lines)


@dataclass(frozen=True)
class ProgressEvent:
    """Sent to ``progress``: "check" while planning each file, "start"/"finish" around loading."""

    stage: Literal["check", "start", "finish"]
    index: int  # 1-based position of the file
    total: int
    path: Path
    result: FileResult | None = None

    def __str__(self) -> str:
        where = f"{self.index}/{self.total} {self.path.name}"
        if self.stage == "check":
            return f"checking {where}"
        if self.stage == "start":
            return f"loading {where}"
        if self.result is not None and self.result.skipped:
            return f"skipped {where} (already ingested)"
        if self.result is None:
            return f"loaded {where}"
        took = duration(self.result.seconds)
        return f"loaded {where}: {plural(self.result.loaded, 'row')}, {self.result.rejected:,} rejected in {took}"


ProgressFn = Callable[[ProgressEvent], None]
"""Told each file's events; a :class:`fraudkit.progress.Reporter` may be passed instead (see ingest_paths)."""


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: str | Path | Iterable[str | Path],
    kind: str,
    mapping: Mapping | str | Path | None = None,
    *,
    progress: ProgressFn | Reporter | None = None,
    encoding: str | None = None,
    settings: IngestSettings | None = None,
) -> IngestSummary:
    """Load CSV/Parquet files, globs or folders into the canonical table ``kind``.

    ``mapping`` is a :class:`Mapping` or a path to a mapping TOML file; ``encoding``
    overrides the mapping's. Raises InputFileError / ConfigError before loading anything
    if any file is unusable; all files then load in one transaction, so a failure leaves
    the store as it was. Must not be called inside an open transaction.

    ``progress`` is told each file's :class:`ProgressEvent`, or, when it is a
    :class:`fraudkit.progress.Reporter`, sees the stage ``kind`` counting the bytes of the
    files loaded (DuckDB reads a file in one query, so a file is the step it can count),
    with a stage per file when there are several.
    """
    table = TABLES.get(kind)
    if table is None:
        raise ConfigError(f"unknown kind {kind!r}", hint=f"use one of {', '.join(TABLES)}")
    if isinstance(mapping, str | Path):
        mapping = load_mapping(mapping)
    if mapping is not None:
        mapping.check_for(table)
    settings = settings or IngestSettings()
    reporter = progress if isinstance(progress, Reporter) else SILENT
    events = None if isinstance(progress, Reporter) else progress
    files = expand_paths(paths)
    if not files:
        raise ConfigError("no input files given", hint="name files, folders or globs to ingest")
    if not _schema_in_place(con):
        ensure_schema(con)
        ensure_tables(con)
    total = len(files)
    with Scratch(settings.temp_dir) as scratch:
        plans: list[FilePlan] = []
        for index, path in enumerate(files, start=1):
            _emit(events, ProgressEvent("check", index, total, path))
            plans.append(peek_file(path, table, mapping, encoding=encoding, settings=settings, con=con))
        fingerprint = partial(
            fingerprint_file, table=table, mapping=mapping, encoding=encoding, settings=settings, scratch=scratch
        )
        with FingerprintPass(plans, fingerprint) as prints, _insertion_order_kept(con), _optimizers_kept(con):
            exact: set[int] = set()
            while True:
                try:
                    return _run(con, plans, prints, table, mapping, settings, scratch, exact, events, reporter)
                except ReaderFailed as failed:
                    # DuckDB's reader failed on a file and aborted the transaction: the run
                    # starts again with that file read line by line.
                    if failed.index in exact:
                        raise
                    exact.add(failed.index)


def _run(
    con: duckdb.DuckDBPyConnection,
    plans: list[FilePlan],
    prints: FingerprintPass,
    table: Table,
    mapping: Mapping | None,
    settings: IngestSettings,
    scratch: Scratch,
    exact: set[int],
    progress: ProgressFn | None,
    reporter: Reporter,
) -> IngestSummary:
    """Every file in one transaction, committed after every fingerprint has passed."""
    summary = IngestSummary(table.name)
    total = len(plans)
    now = datetime.now()
    sizes = [_file_bytes(plan) for plan in plans]
    _sql(con, BEGIN, table)
    try:
        with stage(reporter, table.name, total=sum(sizes), unit="bytes") as loading:
            holds_rows = False  # whether the transaction holds any file's rows yet
            for index, peeked in enumerate(plans, start=1):
                _emit(progress, ProgressEvent("start", index, total, peeked.path))
                started = time.perf_counter()
                load = partial(
                    load_file, con, table=table, mapping=mapping, settings=settings, now=now, scratch=scratch
                )
                with stage(reporter, peeked.path.name) if total > 1 else nullcontext() as one:
                    try:
                        counts = _load(con, peeked, index - 1, prints, table, load, holds_rows, index - 1 in exact)
                    except ReaderFailed as exc:
                        exc.index = index - 1
                        loading.note = f"DuckDB's reader failed on {peeked.path.name}"
                        raise
                    holds_rows = holds_rows or counts is not None
                    plan = prints.result(index - 1)
                    result = FileResult(
                        path=plan.path,
                        kind=table.name,
                        sha256=plan.sha256,
                        skipped=counts is None,
                        encoding=plan.encoding if counts is not None else "",
                        derived_key=plan.derived_key,
                        ignored_columns=plan.ignored,
                        seconds=time.perf_counter() - started,
                        **(asdict(counts) if counts is not None else {}),
                    )
                    if one is not None:
                        one.note = _file_note(result)
                summary.files.append(result)
                loading.advance(sizes[index - 1])
                _emit(progress, ProgressEvent("finish", index, total, plan.path, result))
            loading.note = _summary_note(summary)
            prints.wait_all()
            _sql(con, COMMIT, table)
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # the transaction may already have ended
            con.execute(ROLLBACK)
        raise
    return summary


def _clock_words(clock: clock_time | None) -> str:
    """ "midnight", or the time of day a file's days start at in the store's zone ("08:00")."""
    if clock is None or clock == clock_time():
        return "midnight"
    return f"{clock:%H:%M} (one time of day)"


def _file_bytes(plan: FilePlan) -> int:
    try:
        return plan.path.stat().st_size
    except OSError:
        return 0  # the load names the error


def _file_note(result: FileResult) -> str:
    """'1,000 rows loaded, 3 rejected' for the progress line that ends a file."""
    if result.skipped:
        return "already ingested, skipped"
    return _counts_note(result.loaded, result.rejected, result.duplicates, result.updates)


def _summary_note(summary: IngestSummary) -> str:
    """The run's figures for the progress line that ends it (the file's, when it was one file)."""
    if len(summary.files) == 1:
        return _file_note(summary.files[0])
    note = _counts_note(summary.loaded, summary.rejected, summary.duplicates, summary.updates)
    skipped = f", {summary.skipped} already ingested" if summary.skipped else ""
    return f"{plural(len(summary.files), 'file')}, {note}{skipped}"


def _counts_note(loaded: int, rejected: int, duplicates: int, updates: int) -> str:
    figures = [f"{plural(loaded, 'row')} loaded", f"{rejected:,} rejected"]
    figures += [plural(duplicates, "duplicate")] if duplicates else []
    figures += [plural(updates, "update")] if updates else []
    return ", ".join(figures)


def _load(
    con: duckdb.DuckDBPyConnection,
    peeked: FilePlan,
    index: int,
    prints: FingerprintPass,
    table: Table,
    load: Callable[..., LoadCounts | None],
    holds_rows: bool,
    exact: bool,
) -> LoadCounts | None:
    """Load one file, speculatively (hashing alongside) when it is alone in the transaction,
    its fingerprint is not in hand, it needs no transcoding or decompressing and its path was not ingested
    before (a re-run is usually a skip). A small CSV file whose fingerprint is in hand goes
    to the line-by-line reader, which plans the checking query once where DuckDB's reader
    plans it again for a file with faulty rows (and a third time after a shortfall):
    planning, not reading, is what a 20-line file costs."""
    exact = exact or (prints.ready(index) and _small_csv(peeked))
    speculate = (
        not holds_rows
        and not exact
        and not prints.ready(index)
        and peeked.encoding in ("utf-8", "parquet")
        and peeked.compression is None  # the text is read from the copy the fingerprint makes
        and not ingested_from(con, peeked.path, table.name)
    )
    if speculate:
        try:
            return load(peeked, fingerprint=partial(prints.result, index))
        except (Undo, ReaderFailed) as undo:
            _sql(con, ROLLBACK, table)  # nothing else is in the transaction
            _sql(con, BEGIN, table)
            if isinstance(undo, AlreadyIngested):
                return None
            exact = exact or isinstance(undo, ReaderFailed)
    plan = prints.result(index)
    if already_ingested(con, plan.sha256, table.name):
        return None
    exact = exact or (plan.compression is not None and _small_csv(plan))  # judged by its text, now decompressed
    return load(plan, exact=exact)


def _schema_in_place(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether every table ingest writes exists in its current form: one query, where creating
    them "if not exists" costs a statement each (a tenth of a small file's ingest)."""
    names = [*TABLES, "rejects", "ingest_log", "ingest_files", "ingest_keys", "ingest_ranges"]
    tables = con.execute(sql.SCHEMA_TABLES_PRESENT, {"names": names}).fetchall()[0][0]
    narrow_keys = con.execute(sql.KEYS_BY_FILE_ID).fetchall()[0][0]
    found = (tables, narrow_keys)
    return found == (len(names), 1)


def _small_csv(plan: FilePlan) -> bool:
    """Whether the CSV text is small (a compressed file's once decompressed; before that: no)."""
    if plan.format != "csv" or (plan.compression is not None and plan.read_path is None):
        return False
    text = Path(plan.read_path) if plan.compression is not None and plan.read_path else plan.path
    try:
        return text.stat().st_size <= SMALL_FILE_BYTES
    except OSError:
        return False  # the load names the error


def _sql(con: duckdb.DuckDBPyConnection, statement: str, table: Table) -> None:
    """A transaction statement, drained; an engine error (a COMMIT that fails) names the table being
    loaded, as every other statement of a load does (:func:`fraudkit.store.run`)."""
    run(con, statement, table=table.name).fetchall()


def _emit(progress: ProgressFn | None, event: ProgressEvent) -> None:
    if progress is not None:
        progress(event)


@contextmanager
def _optimizers_kept(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """A load turns an optimizer pass off around its insert; after a failed run (its transaction
    aborted, so the load could not turn it back on) the database's setting is restored here."""
    before = disabled_optimizers(con)
    try:
        yield
    finally:
        restore_optimizers(con, before)


@contextmanager
def _insertion_order_kept(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Line numbers rely on staged rows keeping file order; restore the user's setting after."""
    before = con.execute(sql.INSERTION_ORDER).fetchall()[0][0]
    if not before:
        con.execute(sql.KEEP_INSERTION_ORDER)
    try:
        yield
    finally:
        if not before:
            con.execute(sql.DROP_INSERTION_ORDER)
