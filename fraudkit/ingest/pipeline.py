"""``ingest_paths``: check every input file, then load each in its own transaction.

All files are peeked at (opened, header decoded and resolved) before any is loaded, and
nothing commits until every file's full fingerprint (hash, encoding, line count) has
passed, so one unreadable file stops the run with nothing half-loaded. The fingerprint
pass runs in a thread alongside the first load instead of before it.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Literal

import duckdb

from fraudkit.errors import ConfigError
from fraudkit.ingest.fingerprint import FingerprintPass
from fraudkit.ingest.load import FingerprintMismatch, LoadCounts, load_file
from fraudkit.ingest.mapping import Mapping, load_mapping
from fraudkit.ingest.plan import FilePlan, already_ingested, fingerprint_file, ingested_from, peek_file
from fraudkit.ingest.sources import expand_paths
from fraudkit.ingest.validate import IngestSettings
from fraudkit.schema import TABLES, Table
from fraudkit.store import ensure_schema


@dataclass(frozen=True)
class FileResult:
    """What happened to one file; ``rows_read == loaded + rejected + duplicates``."""

    path: Path
    kind: str
    sha256: str
    rows_read: int = 0
    loaded: int = 0
    rejected: int = 0
    duplicates: int = 0
    skipped: bool = False  # the same content was ingested as this kind before
    encoding: str = ""
    derived_key: bool = False  # key made from a hash of the row's values
    ignored_columns: tuple[str, ...] = ()
    seconds: float = 0.0


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
    def skipped(self) -> int:
        """Number of files skipped as already ingested."""
        return sum(f.skipped for f in self.files)

    def describe(self) -> str:
        """A short human-readable account, one line per file plus a total."""
        lines = []
        for f in self.files:
            if f.skipped:
                lines.append(f"{f.path}: skipped (already ingested as {f.kind})")
            else:
                lines.append(
                    f"{f.path}: {f.rows_read} read, {f.loaded} loaded, {f.rejected} rejected, "
                    f"{f.duplicates} duplicates ({f.encoding})"
                )
        lines.append(
            f"{self.kind}: {len(self.files)} file(s), {self.rows_read} read, {self.loaded} loaded, "
            f"{self.rejected} rejected, {self.duplicates} duplicates, {self.skipped} skipped"
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
        loaded = self.result.loaded if self.result else 0
        rejected = self.result.rejected if self.result else 0
        return f"loaded {where}: {loaded:,} rows, {rejected:,} rejected"


ProgressFn = Callable[[ProgressEvent], None]


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: str | Path | Iterable[str | Path],
    kind: str,
    mapping: Mapping | str | Path | None = None,
    *,
    progress: ProgressFn | None = None,
    encoding: str | None = None,
    settings: IngestSettings | None = None,
) -> IngestSummary:
    """Load CSV/Parquet files, globs or folders into the canonical table ``kind``.

    ``mapping`` is a :class:`Mapping` or a path to a mapping TOML file; ``encoding``
    overrides the mapping's. Raises InputFileError / ConfigError before loading anything
    if any file is unusable; each file then loads in its own transaction. Must not be
    called inside an open transaction.
    """
    table = TABLES.get(kind)
    if table is None:
        raise ConfigError(f"unknown kind {kind!r}", hint=f"use one of {', '.join(TABLES)}")
    if isinstance(mapping, str | Path):
        mapping = load_mapping(mapping)
    if mapping is not None:
        mapping.check_for(table)
    settings = settings or IngestSettings()
    files = expand_paths(paths)
    if not files:
        raise ConfigError("no input files given", hint="name files, folders or globs to ingest")
    ensure_schema(con)
    summary = IngestSummary(kind)
    total = len(files)
    with tempfile.TemporaryDirectory(prefix="fraudkit-ingest-", dir=settings.temp_dir) as tmp:
        plans: list[FilePlan] = []
        for index, path in enumerate(files, start=1):
            _emit(progress, ProgressEvent("check", index, total, path))
            plans.append(peek_file(path, table, mapping, encoding=encoding, settings=settings, con=con))
        fingerprint = partial(
            fingerprint_file, table=table, mapping=mapping, encoding=encoding, settings=settings, workdir=Path(tmp)
        )
        now = datetime.now()
        with FingerprintPass(plans, fingerprint) as prints, _insertion_order_kept(con):
            committed = False
            for index, peeked in enumerate(plans, start=1):
                _emit(progress, ProgressEvent("start", index, total, peeked.path))
                started = time.perf_counter()
                # Nothing commits until every file's fingerprint has passed, as if all
                # files had been fully checked first.
                gate = None if committed else prints.wait_all
                counts = _load(con, peeked, index - 1, prints, table, mapping, settings, now, gate)
                committed = committed or counts is not None
                plan = prints.result(index - 1)
                result = FileResult(
                    path=plan.path,
                    kind=kind,
                    sha256=plan.sha256,
                    skipped=counts is None,
                    encoding=plan.encoding if counts is not None else "",
                    derived_key=plan.derived_key,
                    ignored_columns=plan.ignored,
                    seconds=time.perf_counter() - started,
                    **(asdict(counts) if counts is not None else {}),
                )
                summary.files.append(result)
                _emit(progress, ProgressEvent("finish", index, total, plan.path, result))
    return summary


def _load(
    con: duckdb.DuckDBPyConnection,
    peeked: FilePlan,
    index: int,
    prints: FingerprintPass,
    table: Table,
    mapping: Mapping | None,
    settings: IngestSettings,
    now: datetime,
    before_commit: Callable[[], None] | None,
) -> LoadCounts | None:
    """Load one file, speculatively (hashing alongside) unless its fingerprint is in hand,
    it needs transcoding, or its path was ingested before (a re-run is usually a skip)."""
    speculate = (
        not prints.ready(index)
        and peeked.encoding in ("utf-8", "parquet")
        and not ingested_from(con, peeked.path, table.name)
    )
    if speculate:
        try:
            return load_file(
                con,
                peeked,
                table,
                mapping,
                settings,
                now,
                fingerprint=partial(prints.result, index),
                before_commit=before_commit,
            )
        except FingerprintMismatch:
            pass  # rolled back: load again from the full plan
    plan = prints.result(index)
    if already_ingested(con, plan.sha256, table.name):
        return None
    return load_file(con, plan, table, mapping, settings, now, before_commit=before_commit)


def _emit(progress: ProgressFn | None, event: ProgressEvent) -> None:
    if progress is not None:
        progress(event)


@contextmanager
def _insertion_order_kept(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Line numbers rely on staged rows keeping file order; restore the user's setting after."""
    before = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    if not before:
        con.execute("SET preserve_insertion_order = true")
    try:
        yield
    finally:
        if not before:
            con.execute("SET preserve_insertion_order = false")
