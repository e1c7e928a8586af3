"""Load one planned file into the run's open transaction: insert, reject, deduplicate, log.

The usual file is clean, so the fast path reads it once: the reader's SELECT types and
checks every row (a ``fault`` code, NULL for good rows) and good rows go straight into
the canonical table. The file's count of non-blank data lines (taken while hashing it)
then says whether every line became a good row or one of the reader's structural rejects;
if so, no row can have failed a check. Otherwise a second read stages each row's ``fault``
and raw text to find the faulty rows and their lines. If rows and rejects still fall short
of the lines (a stray quote made DuckDB's reader swallow the lines after it, or a quoted
field holds line breaks), the rows are taken back and the file is read exactly, line by
line (:mod:`fraudkit.ingest.lines`); files with line ends DuckDB's reader fails on go there
directly. A shortfall never passes: lines = rows read + lines of joined records.

Repeats of a key (earlier in the file or already stored) are duplicates when the content
is the same; with other content they are conflicts: a reject naming the earlier row's file
and line, or, with ``on_conflict = "update"`` in the mapping, an update that replaces it.
Each stored row's file and line are kept in ``ingest_keys`` (by key hash), which is also
how a small file is checked against a large store without scanning it.

Line numbers: CSV has no row-number column, so a staged row's line is recovered from
its position (``rowid``; insertion order is preserved) plus the lines that produced no
staged row before it: the reader's structural rejects and blank lines. The exact reader
writes each record's line beside it. For Parquet the "line" is the 1-based row number.

The statements themselves are in :mod:`fraudkit.engine.sql.ingest`; this module runs them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from fraudkit.engine.sql import BEGIN, COMMIT, ROLLBACK
from fraudkit.engine.sql import ingest as sql
from fraudkit.engine.sql import store as store_sql
from fraudkit.engine.sql.ingest_checks import Params
from fraudkit.errors import StoreError
from fraudkit.ingest.encoding import blank_lines
from fraudkit.ingest.lines import SplitFile, split_file
from fraudkit.ingest.mapping import Mapping
from fraudkit.ingest.plan import FilePlan, already_ingested
from fraudkit.ingest.scratch import Scratch, literal_path
from fraudkit.ingest.validate import Check, IngestSettings, column_sql
from fraudkit.resolution import Clock, Resolution, clock_of, grain_of
from fraudkit.schema import TIME_COLUMNS, Table
from fraudkit.store import run

MAX_LINE_BYTES = 8 << 20
KEYS_PER_SLICE = 4_000_000  # key hashes sorted at once when looking for repeats (32 MB)


@dataclass(frozen=True)
class LoadCounts:
    rows_read: int
    loaded: int
    rejected: int
    duplicates: int
    updates: int = 0
    lines: int = 0  # non-blank data lines; more than rows_read only where fields hold line breaks
    resolution: Resolution = "none"  # the grain every event time the file loaded is on
    day_clock: time | None = None  # with resolution "day": the time of day its times fall at


class Undo(Exception):
    """A speculative load must be rolled back by the caller (it is alone in its transaction)."""


class FingerprintMismatch(Undo):
    """The whole file is not what its first chunk suggested (another encoding, line ends);
    the load must be redone from the fingerprinted plan."""


class AlreadyIngested(Undo):
    """The hash showed the content was ingested before: the load is to be undone, the file skipped."""


class ReaderFailed(Exception):
    """DuckDB's CSV reader failed on the file, which aborts the transaction: the run is to be
    redone with this file read by the exact reader."""

    index: int = -1  # the file's position in the run, set by the caller


@dataclass(frozen=True)
class StageSql:
    query: str
    params: dict[str, Any]
    reasons: list[str]
    labels: list[str]


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The ingest's own bookkeeping tables: each stored row's file and line, by key hash.

    A store whose ``ingest_keys`` still names files by SHA-256 on every row (as first
    written) is moved to file ids, in one transaction.
    """
    columns = [r[0] for r in con.execute(sql.INGEST_KEYS_COLUMNS).fetchall()]
    if "file_sha256" in columns:
        _migrate_keys(con)
    con.execute(sql.FILES_DDL)
    con.execute(sql.KEYS_DDL)
    con.execute(sql.RANGES_DDL)


def _migrate_keys(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(BEGIN)
    try:
        for statement in sql.KEYS_TO_FILE_IDS:
            con.execute(statement)
        con.execute(COMMIT)
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute(ROLLBACK)
        raise


def load_file(
    con: duckdb.DuckDBPyConnection,
    plan: FilePlan,
    table: Table,
    mapping: Mapping | None,
    settings: IngestSettings,
    now: datetime,
    scratch: Scratch,
    *,
    fingerprint: Callable[[], FilePlan] | None = None,
    exact: bool = False,
) -> LoadCounts | None:
    """Load ``plan`` inside the caller's open transaction; None when its content was ingested.

    A plan that is not yet fingerprinted is loaded speculatively: ``fingerprint`` is called
    after the insert (the hash runs meanwhile), and :class:`Undo` is raised if the content
    was ingested before or the file is not what the plan assumed. ``exact`` (or line ends
    DuckDB cannot read) sends a CSV file straight to the line-by-line reader.
    """
    try:
        _drop_temps(con, table)
        if plan.fingerprinted and already_ingested(con, plan.sha256, table.name):
            return None
        first_new = _one(con, sql.next_row_id(table.name), table=table.name)[0]
        stored_before = _one(con, store_sql.row_count(table.name), table=table.name)[0]
        counted: tuple[int, int, int, int, int] | None = None  # inserted, faulty, broken, lines, first
        if plan.format == "parquet" or not (exact or not plan.duckdb_reads_as_is):
            counted, plan = _fast(con, plan, table, mapping, settings, now, first_new, fingerprint)
        if counted is None:
            plan = _fingerprinted(con, plan, table, fingerprint)
            counted = _exact(con, plan, table, mapping, settings, now, scratch, first_new)
        inserted, faulty, broken, lines, first_new = counted
        key_range = _one_any(con, sql.new_key_range(table.name, table.key[0]), {"first": first_new}, table.name)
        file_id = _record_keys(con, plan, table, first_new, key_range)
        conflicts, duplicates, updates = _settle_repeats(
            con,
            plan,
            table,
            mapping,
            first_new,
            stored_before,
            now,
            file_id=file_id,
            added=inserted,
            key_range=key_range,
        )
        counts = LoadCounts(
            rows_read=inserted + faulty + broken,
            loaded=inserted - duplicates - conflicts - updates,
            rejected=faulty + broken + conflicts,
            duplicates=duplicates,
            updates=updates,
            lines=lines,
            **_grain_fields(_clock_of_new(con, table, first_new)),
        )
        _exec(
            con,
            sql.LOG_FILE,
            {
                **_common(plan, table, now),
                "read": counts.rows_read,
                "loaded": counts.loaded + counts.updates,
                "rejected": counts.rejected,
                "dups": counts.duplicates,
            },
            table="ingest_log",
        )
        _drop_temps(con, table)
        return counts
    except BaseException:
        with contextlib.suppress(StoreError):  # the transaction may be aborted: the caller rolls back
            _drop_temps(con, table)
        raise


def _common(plan: FilePlan, table: Table, now: datetime) -> dict[str, Any]:
    return {"kind": table.name, "src": str(plan.path.resolve()), "sha": plan.sha256, "now": now}


def _fingerprinted(
    con: duckdb.DuckDBPyConnection, plan: FilePlan, table: Table, fingerprint: Callable[[], FilePlan] | None
) -> FilePlan:
    """The plan with its fingerprint, raising :class:`Undo` if speculation went wrong."""
    if plan.fingerprinted:
        return plan
    if fingerprint is None:
        raise ValueError(f"{plan.path}: a plan without a fingerprint needs a fingerprint function")
    full = fingerprint()
    if already_ingested(con, full.sha256, table.name):
        raise AlreadyIngested(str(plan.path))
    ignore = {"sha256": "", "expected_rows": None, "duckdb_reads_as_is": True}
    if replace(full, **ignore) != replace(plan, **ignore) or not full.duckdb_reads_as_is:
        raise FingerprintMismatch(str(plan.path))
    return full


def _fast(
    con: duckdb.DuckDBPyConnection,
    plan: FilePlan,
    table: Table,
    mapping: Mapping | None,
    settings: IngestSettings,
    now: datetime,
    first_new: int,
    fingerprint: Callable[[], FilePlan] | None,
) -> tuple[tuple[int, int, int, int, int] | None, FilePlan]:
    """DuckDB's reader over the file itself; None (rows taken back) when it fell short of the lines."""
    with literal_path(plan.path) as name:
        source = replace(plan, read_path=plan.read_path or name)
        stage = stage_sql(source, table, mapping, settings, now)
        try:
            inserted = _insert_good(con, table, stage)
        except StoreError as exc:
            if plan.format == "csv":
                raise ReaderFailed(str(plan.path)) from exc
            raise
        first_new = _first_of_new(con, table, first_new)
        broken = _collect_structural(con, plan, table)
        plan = _fingerprinted(con, plan, table, fingerprint)
        source = replace(plan, read_path=plan.read_path or name)
        expected = plan.expected_rows
        faulty = 0
        if expected is None or inserted + broken != expected:
            faulty = _stage_faulty(con, source, table, stage_sql(source, table, mapping, settings, now), inserted)
        if plan.format == "csv" and inserted + faulty + broken != expected:
            _exec(con, sql.take_back_new(table.name), {"first": first_new}, table=table.name)
            _drop_temps(con, table)
            return None, plan
        _insert_rejects(con, source, table, broken, faulty, _common(plan, table, now), stage, settings, first_new)
        _exec(con, sql.drop_temp(sql.STAGE), table=table.name)  # its text is in rejects now
    return (inserted, faulty, broken, inserted + faulty + broken, first_new), plan


def _exact(
    con: duckdb.DuckDBPyConnection,
    plan: FilePlan,
    table: Table,
    mapping: Mapping | None,
    settings: IngestSettings,
    now: datetime,
    scratch: Scratch,
    first_new: int,
) -> tuple[int, int, int, int, int]:
    """The line-by-line reader: every non-blank line ends up in a record or a reject."""
    with literal_path(plan.path) as name:
        split = split_file(
            plan.read_path or name,
            delimiter=plan.delimiter,
            newline=plan.newline,
            skip_lines=plan.header_line,
            columns=len(plan.header),
            scratch=scratch,
        )
    if plan.expected_rows is not None and split.record_lines + split.rejects != plan.expected_rows:
        raise StoreError(
            f"{plan.path}: the file changed while loading ({plan.expected_rows} lines when hashed, "
            f"{split.record_lines + split.rejects} when read)",
            table=table.name,
        )
    stage = stage_sql(plan, table, mapping, settings, now, records=split)
    _exec(con, sql.stage_all(stage.query), stage.params, table=table.name)
    inserted = _one(con, sql.insert_staged(table.name, table.column_names), table=table.name)[0]
    first_new = _first_of_new(con, table, first_new)
    common = _common(plan, table, now)
    faulty = _one(
        con, sql.REJECT_STAGED, {**common, "reasons": stage.reasons, "labels": stage.labels}, table="rejects"
    )[0]
    _exec(con, sql.STAGED_LINES, {"first": first_new}, table=table.name)
    broken = (
        _one(
            con,
            sql.REJECT_SPLIT_LINES,
            {**common, "path": split.rejects_path, "max": MAX_LINE_BYTES * 2},
            table="rejects",
        )[0]
        if split.rejects
        else 0
    )
    return inserted, faulty, broken, split.record_lines + broken, first_new


def _grain_fields(clock: Clock) -> dict[str, Any]:
    grain = grain_of(clock)
    return {"resolution": grain, "day_clock": clock.earliest if grain == "day" else None}


def _clock_of_new(con: duckdb.DuckDBPyConnection, table: Table, first_new: int) -> Clock:
    """Where the event times of the rows this file added sit on the clock (none for a table
    without event times)."""
    column = TIME_COLUMNS.get(table.name)
    if column is None:
        return Clock(0, None, None, False, 0, 0)
    return clock_of(_exec(con, sql.new_rows_clock(table.name, column), {"first": first_new}, table=table.name)[0])


def _first_of_new(con: duckdb.DuckDBPyConnection, table: Table, after: int) -> int:
    """The row id of the first row just added: rows added in a transaction are numbered from
    2^55 on, not from the table's end."""
    return _one(con, sql.first_of_new(table.name), {"after": after}, table=table.name)[0]


def stage_sql(
    plan: FilePlan,
    table: Table,
    mapping: Mapping | None,
    settings: IngestSettings,
    now: datetime,
    *,
    records: SplitFile | None = None,
) -> StageSql:
    """The SELECT that reads, cleans, types and checks every row in one pass; over the exact
    reader's ``records`` it also carries each row's ``line``."""
    p = Params()
    src = sql.source_columns(len(plan.header))
    if records is not None:
        reader = sql.exact_reader(p, records.records_path, plan.delimiter, src, MAX_LINE_BYTES * 2)
        as_text = src
    elif plan.format == "csv":
        reader = sql.csv_reader(p, str(plan.read_path), plan.skip_rows, plan.delimiter, src, MAX_LINE_BYTES)
        as_text = src
    else:
        reader = sql.parquet_reader(p, str(plan.read_path), plan.header, src)
        as_text = [sql.as_text(c) for c in src]
    raw_line = sql.raw_line(p, plan.delimiter, as_text)

    cleaned: list[tuple[str, str]] = []
    parsed: list[tuple[str, str]] = []
    checks: list[tuple[Check, str]] = []
    values: list[str] = []
    for j, source in enumerate(plan.columns):
        column = table.column(source.canonical)
        raw = None
        if source.index is not None:
            raw = src[source.index] if source.typed_timestamp else as_text[source.index]
        rule = column_sql(
            column,
            f"k{j}",
            raw,
            typed_timestamp=source.typed_timestamp,
            typed_zoned=source.typed_zoned,
            default=source.default,
            mapping=mapping,
            settings=settings,
            now=now,
            p=p,
        )
        if rule.cleaned is not None:
            cleaned.append((f"k{j}", rule.cleaned))
        if rule.parsed is not None:
            parsed.append((f"k{j}", rule.parsed))
        checks += [(check, source.label) for check in rule.checks]
        values.append(rule.value)
    for j, source in enumerate(plan.columns):
        if source.origin == "derived":
            values[j] = sql.derived_key([values[plan_index(plan, c)] for c in table.hash_key_from])
    query = sql.stage_query(
        reader,
        src,
        cleaned,
        parsed,
        [c.condition for c, _ in checks],
        [(c.canonical, v) for v, c in zip(values, plan.columns, strict=True)],
        raw_line,
        with_line=records is not None,
    )
    return StageSql(query, p.values, [c.reason for c, _ in checks], [label for _, label in checks])


def plan_index(plan: FilePlan, canonical: str) -> int:
    for j, source in enumerate(plan.columns):
        if source.canonical == canonical:
            return j
    raise KeyError(canonical)


def _collect_structural(con: duckdb.DuckDBPyConnection, plan: FilePlan, table: Table) -> int:
    """One row per line DuckDB's reader refused (wrong column count, broken quotes, ...)."""
    if plan.format != "csv":
        return 0
    _exec(con, sql.COLLECT_STRUCTURAL, {"headers": list(plan.header)}, table=table.name)
    return _one(con, sql.BROKEN_COUNT, table=table.name)[0]


def _stage_faulty(con: duckdb.DuckDBPyConnection, plan: FilePlan, table: Table, stage: StageSql, inserted: int) -> int:
    """Read the file again to find rows that failed a check, keeping their positions.

    Rows staged in this transaction get row ids from 2^55 on, contiguous in file order, so a
    row's position is its row id less the first. Only ``fault`` and ``raw`` are kept, mostly
    NULL, and they stay in DuckDB; the rejects are written from this table directly (no
    second copy of their text) and it is dropped once they are: an all-bad file peaks below
    a clean one of the same size (3M rows: 667 MB against 752 MB; a copy made it 1137 MB).
    """
    _exec(con, sql.stage_faults(stage.query), stage.params, table=table.name)
    staged, faulty = _one(con, sql.STAGED_COUNTS, table=table.name)
    if staged != inserted + faulty:
        raise StoreError(
            f"{plan.path}: the file changed while loading ({staged} rows on the second read, "
            f"{inserted + faulty} on the first)",
            table=table.name,
        )
    return faulty


def _insert_rejects(
    con: duckdb.DuckDBPyConnection,
    plan: FilePlan,
    table: Table,
    broken: int,
    faulty: int,
    common: dict[str, Any],
    stage: StageSql,
    settings: IngestSettings,
    first_new: int,
) -> None:
    """Write every faulty row and every structurally broken line to ``rejects``, and note the
    line of every good row (``LINES``) where lines and row ids part ways."""
    gaps = False
    if plan.format == "csv":
        blanks: list[int] = []
        if broken or faulty:  # a clean file needs no line numbers: skip the pass over it
            found = blank_lines(Path(plan.read_path or plan.path), settings.chunk_bytes)
            blanks = [b for b in found if b > plan.header_line]
        if broken or blanks:
            _exec(con, sql.LINE_GAPS, {"blanks": blanks, "header_line": plan.header_line}, table=table.name)
            gaps = True
    line, join = sql.staged_line(plan.header_line + 1 if plan.format == "csv" else None, gaps=gaps)
    if faulty:
        _exec(
            con,
            sql.reject_faulty(line, join),
            {**common, "reasons": stage.reasons, "labels": stage.labels},
            table="rejects",
        )
    if broken:
        _exec(con, sql.REJECT_BROKEN, common, table="rejects")
    if faulty:
        good = sql.GOOD_STAGED
    elif join:
        good = sql.good_new(table.name)
    else:
        return
    _exec(con, sql.good_lines(good, line, join), {"first": first_new}, table=table.name)


def _line_of(con: duckdb.DuckDBPyConnection, plan: FilePlan, alias: str, *, lines_alias: str = "nl") -> tuple[str, str]:
    """(join, expression) giving the line of the new row ``alias.rid`` of this file."""
    base = 1 if plan.format == "parquet" else plan.header_line + 1
    recorded = con.execute(sql.TEMP_EXISTS, {"name": sql.bare(sql.LINES)}).fetchall()[0][0]
    return sql.new_row_line(alias, base, recorded=bool(recorded), lines_alias=lines_alias)


def _settle_repeats(
    con: duckdb.DuckDBPyConnection,
    plan: FilePlan,
    table: Table,
    mapping: Mapping | None,
    first_new: int,
    stored_before: int,
    now: datetime,
    *,
    file_id: int,
    added: int,
    key_range: tuple[Any, ...],
) -> tuple[int, int, int]:
    """Sort the rows just added whose key came before (in the file or the store) into
    duplicates (same content), conflicts (rejects) or updates; returns their counts.

    Rows added by this transaction are those with ``rowid >= first``, in file order, and
    their key hashes are already in ``ingest_keys`` (file ``file_id``), so candidates are
    found without hashing the keys again: hashes seen twice in the file, and hashes of
    earlier files of this kind, which ``ingest_keys`` gives without scanning the table (when
    it covers every stored row; a store loaded before it existed is scanned). Only earlier
    files whose key range (``key_range``, the new rows' least and greatest first key column)
    overlaps this one's are looked in: a day's file of new ids meets no stored row at all.
    Keys themselves then decide, rows are compared whole, and the bookkeeping of rows that
    go goes with them.
    """
    lo, hi = key_range
    new = {"first": first_new}
    mine = {"file": file_id, "kind": table.name}
    ranged = {**new, **mine, "lo": lo, "hi": hi}
    hashes = _repeated_in_file(con, file_id, added, table) if added > 1 else set()
    sources: list[tuple[str, dict[str, Any]]] = []
    if stored_before and added:
        recorded = _one(con, sql.EARLIER_KEYS, mine, table=table.name)[0]
        if recorded == stored_before:
            files = [
                f
                for (f,) in _exec(
                    con, sql.OVERLAPPING_FILES, _used(ranged, sql.OVERLAPPING_FILES), table="ingest_files"
                )
            ]
            if files:
                bounds = {"files": files, "first_file": files[0], "last_file": files[-1]}
                sources.append((sql.EARLIER_REPEATS, {**mine, **bounds}))
        else:
            sources.append((sql.earlier_repeats_scanned(table.name, table.key), ranged))
    for source, params in sources:
        hashes.update(int(h) for (h,) in _exec(con, source, _used(params, source), table=table.name))
    if not hashes:
        return 0, 0, 0
    update = mapping is not None and mapping.on_conflict == "update"
    _exec(
        con,
        sql.repeats(table.name, table.key, table.column_names, update=update),
        {**new, "update": update, "hashes": sorted(hashes), "lo": lo, "hi": hi},
        table=table.name,
    )
    line_join, line = _line_of(con, plan, "r")
    first_join, first_line = _line_of(con, plan, "f", lines_alias="fl")
    common = _common(plan, table, now)
    has_conflicts = _one(con, sql.CONFLICT_COUNT, table=table.name)[0]
    if has_conflicts:
        _exec(
            con,
            sql.reject_conflicts(table.column_names, line, line_join, first_line, first_join),
            {**common, "first": first_new, "key_label": table.key[0], "file": file_id},
            table="rejects",
        )
    conflicts, duplicates, updates = _one(con, sql.VERDICT_COUNTS, new, table=table.name)
    _exec(con, sql.forget_gone_keys(line, line_join, update=update), {**new, "file": file_id}, table="ingest_keys")
    if update:
        _exec(con, sql.FORGET_REPLACED_KEYS, {**new, **mine}, table="ingest_keys")
    _exec(con, sql.delete_gone(table.name, update=update), table=table.name)
    return conflicts, duplicates, updates


def _repeated_in_file(con: duckdb.DuckDBPyConnection, file_id: int, added: int, table: Table) -> set[int]:
    """Key hashes that occur more than once among the file's rows.

    Sorted in numpy rather than grouped in DuckDB: a hash aggregate over millions of distinct
    keys costs about 0.3 s of both cores per 2M rows, a sort of the 8-byte hashes a fifth of
    that on one. Large files go in slices of the hash space, so memory stays bounded.
    """
    slices = max(1, -(-added // KEYS_PER_SLICE))
    found: set[int] = set()
    for part in range(slices):
        params = {"file": file_id, **({"slices": slices, "part": part} if slices > 1 else {})}
        hashes = _numpy(con, sql.file_key_hashes(slices > 1), params, table)
        hashes.sort()
        found.update(int(h) for h in np.unique(hashes[1:][hashes[1:] == hashes[:-1]]))
    return found


def _numpy(con: duckdb.DuckDBPyConnection, query: str, params: dict[str, Any], table: str) -> np.ndarray:
    """The one column of a query's result as a numpy array."""
    result = run(con, query, params, table=table).fetchnumpy()
    return np.asarray(next(iter(result.values())))


RANGED_KEYS = frozenset({"call_id", "txn_id", "report_id", "code"})
"""Keys whose range a file records: ids of records, not of people. A range of phones or account
numbers would keep two real ones in a bookkeeping table; those files record none, so every later
file of their kind looks in them (as in files loaded before ranges were kept)."""


def _record_keys(
    con: duckdb.DuckDBPyConnection, plan: FilePlan, table: Table, first_new: int, key_range: tuple[Any, ...]
) -> int:
    """Note each new row's key hash and line under a new file id (returned): the earlier row
    a later conflict names, and what repeats are looked for in; and the rows' key range, which
    says which files a later one need look in."""
    file_id = _one(con, sql.NEXT_FILE_ID, table="ingest_files")[0]
    _exec(con, sql.RECORD_FILE, {"file": file_id, "kind": table.name, "sha": plan.sha256}, table="ingest_files")
    lo, hi = key_range
    if table.key[0] in RANGED_KEYS:
        _exec(con, sql.RECORD_RANGE, {"file": file_id, "lo": lo, "hi": hi}, table="ingest_ranges")
    join, line = _line_of(con, plan, "t")
    _exec(
        con,
        sql.record_keys(table.name, table.key, line, join),
        {"file": file_id, "first": first_new},
        table="ingest_keys",
    )
    return file_id


def _insert_good(con: duckdb.DuckDBPyConnection, table: Table, stage: StageSql) -> int:
    """Good rows straight from the reader into the canonical table, in file order."""
    query = sql.insert_good(table.name, table.column_names, stage.query)
    with _without_optimizer(con, sql.FILTER_PUSHDOWN, table.name):
        return int(_exec(con, query, stage.params, table=table.name)[0][0])


def disabled_optimizers(con: duckdb.DuckDBPyConnection) -> str:
    """The database's list of turned-off optimizer passes, to restore with :func:`restore_optimizers`."""
    return str(con.execute(sql.DISABLED_OPTIMIZERS).fetchall()[0][0] or "")


def restore_optimizers(con: duckdb.DuckDBPyConnection, names: str) -> None:
    """Set the list back to ``names`` if a load left it otherwise (one whose transaction aborted
    could not restore it itself: an aborted transaction refuses every statement)."""
    if disabled_optimizers(con) != names:
        con.execute(sql.SET_DISABLED_OPTIMIZERS, {"names": names})


@contextlib.contextmanager
def _without_optimizer(con: duckdb.DuckDBPyConnection, name: str, table: str) -> Iterator[None]:
    """Run the block with DuckDB's optimizer pass ``name`` turned off, then restore the setting.

    The setting is the database's, so another connection to the same database in this process
    plans without the pass meanwhile: the same results, perhaps slower. When the block fails and
    aborts the transaction, the setting cannot be restored here; the caller restores it after its
    rollback (:func:`restore_optimizers`)."""
    before = disabled_optimizers(con)
    names = [n.strip() for n in before.split(",") if n.strip()]
    if name in names:
        yield
        return
    _exec(con, sql.SET_DISABLED_OPTIMIZERS, {"names": ",".join([*names, name])}, table=table)
    try:
        yield
    except BaseException:
        with contextlib.suppress(duckdb.Error, StoreError):
            _exec(con, sql.SET_DISABLED_OPTIMIZERS, {"names": before}, table=table)
        raise
    _exec(con, sql.SET_DISABLED_OPTIMIZERS, {"names": before}, table=table)


def _used(params: dict[str, Any], query: str) -> dict[str, Any]:
    """The parameters ``query`` names: DuckDB refuses unused ones."""
    return {k: v for k, v in params.items() if re.search(rf"\${k}\b", query)}


def _one_any(con: duckdb.DuckDBPyConnection, query: str, params: dict[str, Any], table: str) -> tuple[Any, ...]:
    return tuple(_exec(con, query, params, table=table)[0])


def _drop_temps(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Drop the temporary tables of a load that exist: one look-up, not a DROP for each name."""
    present = {
        name
        for (name,) in _exec(con, sql.TEMP_PRESENT, {"names": [sql.bare(t) for t in sql.TEMP_TABLES]}, table=table.name)
    }
    for name in sql.TEMP_TABLES:
        if sql.bare(name) in present:
            _exec(con, sql.drop_temp(name), table=table.name)


def _one(
    con: duckdb.DuckDBPyConnection, query: str, params: dict[str, Any] | None = None, *, table: str
) -> tuple[int, ...]:
    return tuple(int(v) for v in _exec(con, query, params, table=table)[0])


def _exec(
    con: duckdb.DuckDBPyConnection,
    query: str,
    params: dict[str, Any] | None = None,
    *,
    table: str,
) -> list[tuple[Any, ...]]:
    """Run a statement (:func:`fraudkit.store.run`: engine errors name the logical table and keep the
    query) and drain its result (DuckDB 2.0 holds the connection until then)."""
    return run(con, query, params or {}, table=table).fetchall()
