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
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from fraudkit.errors import StoreError
from fraudkit.ingest.encoding import blank_lines
from fraudkit.ingest.lines import SplitFile, split_file
from fraudkit.ingest.mapping import Mapping
from fraudkit.ingest.plan import FilePlan, already_ingested
from fraudkit.ingest.scratch import Scratch, literal_path
from fraudkit.ingest.validate import Check, IngestSettings, Params, column_sql
from fraudkit.schema import Table
from fraudkit.store import quote_ident, run

STAGE = "temp._fk_stage"
BROKEN = "temp._fk_broken"
GAPS = "temp._fk_gaps"
LINES = "temp._fk_lines"
REPEATS = "temp._fk_repeats"
# the faulty rows of STAGE and their positions (a query, not a copy of their text)
FAULTY = f"SELECT rowid - (SELECT min(rowid) FROM {STAGE}) AS pos, fault, raw FROM {STAGE} WHERE fault IS NOT NULL"
CSV_ERRORS = "_fk_csv_errors"  # DuckDB's reject tables (temporary), one pair per file
CSV_SCANS = "_fk_csv_scans"
TEMP_TABLES = (STAGE, BROKEN, GAPS, LINES, REPEATS, f"temp.{CSV_ERRORS}", f"temp.{CSV_SCANS}")
MAX_LINE_BYTES = 8 << 20
KEYS_PER_SLICE = 4_000_000  # key hashes sorted at once when looking for repeats (32 MB)
# One row per stored row, written for every row of every file, so it is kept narrow: the
# file is a small id (``ingest_files`` says which file and kind), the line four bytes.
KEYS_DDL = """CREATE TABLE IF NOT EXISTS ingest_keys (
    file_id UINTEGER NOT NULL, key_hash UBIGINT NOT NULL, line UINTEGER NOT NULL)"""
FILES_DDL = """CREATE TABLE IF NOT EXISTS ingest_files (
    file_id UINTEGER NOT NULL, kind VARCHAR NOT NULL, file_sha256 VARCHAR NOT NULL)"""

# DuckDB's structural error types -> what a user should read (our text, not user input).
STRUCTURAL_REASON = """CASE etype
    WHEN 'TOO MANY COLUMNS' THEN 'wrong number of columns: ' || msg
    WHEN 'MISSING COLUMNS' THEN 'wrong number of columns: ' || msg
    WHEN 'UNQUOTED VALUE' THEN 'broken quoting: ' || msg
    WHEN 'LINE SIZE OVER MAXIMUM' THEN 'line too long: ' || msg
    WHEN 'INVALID ENCODING' THEN 'invalid characters: ' || msg
    ELSE lower(etype) || ': ' || msg END"""


@dataclass(frozen=True)
class LoadCounts:
    rows_read: int
    loaded: int
    rejected: int
    duplicates: int
    updates: int = 0
    lines: int = 0  # non-blank data lines; more than rows_read only where fields hold line breaks


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
    columns = [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'ingest_keys' AND NOT internal"
        ).fetchall()
    ]
    if "file_sha256" in columns:
        _migrate_keys(con)
    con.execute(FILES_DDL)
    con.execute(KEYS_DDL)


def _migrate_keys(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(FILES_DDL)
        con.execute(
            """INSERT INTO ingest_files SELECT row_number() OVER (ORDER BY kind, file_sha256), kind, file_sha256
            FROM (SELECT DISTINCT kind, file_sha256 FROM ingest_keys)"""
        )
        con.execute(
            """CREATE TABLE _fk_keys_v2 AS SELECT CAST(f.file_id AS UINTEGER) AS file_id, k.key_hash,
                   CAST(k.line AS UINTEGER) AS line
            FROM ingest_keys k JOIN ingest_files f USING (kind, file_sha256)"""
        )
        con.execute("DROP TABLE ingest_keys")
        con.execute(KEYS_DDL)
        con.execute("INSERT INTO ingest_keys SELECT * FROM _fk_keys_v2")
        con.execute("DROP TABLE _fk_keys_v2")
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
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
        first_new = _one(con, f"SELECT coalesce(max(rowid) + 1, 0) FROM {quote_ident(table.name)}", table=table.name)[0]
        stored_before = _one(con, f"SELECT count(*) FROM {quote_ident(table.name)}", table=table.name)[0]
        counted: tuple[int, int, int, int, int] | None = None  # inserted, faulty, broken, lines, first
        if plan.format == "parquet" or not (exact or not plan.duckdb_reads_as_is):
            counted, plan = _fast(con, plan, table, mapping, settings, now, first_new, fingerprint)
        if counted is None:
            plan = _fingerprinted(con, plan, table, fingerprint)
            counted = _exact(con, plan, table, mapping, settings, now, scratch, first_new)
        inserted, faulty, broken, lines, first_new = counted
        file_id = _record_keys(con, plan, table, first_new)
        conflicts, duplicates, updates = _settle_repeats(
            con, plan, table, mapping, first_new, stored_before, now, file_id=file_id, added=inserted
        )
        counts = LoadCounts(
            rows_read=inserted + faulty + broken,
            loaded=inserted - duplicates - conflicts - updates,
            rejected=faulty + broken + conflicts,
            duplicates=duplicates,
            updates=updates,
            lines=lines,
        )
        _exec(
            con,
            "INSERT INTO ingest_log VALUES ($sha, $kind, $src, $read, $loaded, $rejected, $dups, $now)",
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
            _exec(
                con,
                f"DELETE FROM {quote_ident(table.name)} WHERE rowid >= $first",
                {"first": first_new},
                table=table.name,
            )
            _drop_temps(con, table)
            return None, plan
        _insert_rejects(con, source, table, broken, faulty, _common(plan, table, now), stage, settings, first_new)
        _exec(con, f"DROP TABLE IF EXISTS {STAGE}", table=table.name)  # its text is in rejects now
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
    _exec(con, f"CREATE TEMP TABLE {_name(STAGE)} AS {stage.query}", stage.params, table=table.name)
    columns = ", ".join(quote_ident(c) for c in table.column_names)
    inserted = _one(
        con,
        f"INSERT INTO {quote_ident(table.name)} ({columns}) SELECT {columns} FROM {STAGE} "
        "WHERE fault IS NULL ORDER BY rowid",
        table=table.name,
    )[0]
    first_new = _first_of_new(con, table, first_new)
    common = _common(plan, table, now)
    faulty = _one(
        con,
        f"""INSERT INTO rejects
        SELECT $kind, $src, s.line, list_extract($labels, s.fault), list_extract($reasons, s.fault),
               s.raw, $sha, $now
        FROM {STAGE} s WHERE s.fault IS NOT NULL""",
        {**common, "reasons": stage.reasons, "labels": stage.labels},
        table="rejects",
    )[0]
    _exec(
        con,
        f"""CREATE TEMP TABLE {_name(LINES)} AS
        SELECT $first + row_number() OVER (ORDER BY rowid) - 1 AS rid, line FROM {STAGE} WHERE fault IS NULL""",
        {"first": first_new},
        table=table.name,
    )
    broken = (
        _one(
            con,
            """INSERT INTO rejects SELECT $kind, $src, line, NULL, reason, raw, $sha, $now
        FROM read_csv($path, header = false, auto_detect = false, quote = '"', escape = '"',
                      columns = {'line': 'BIGINT', 'reason': 'VARCHAR', 'raw': 'VARCHAR'},
                      max_line_size = $max)""",
            {**common, "path": split.rejects_path, "max": MAX_LINE_BYTES * 2},
            table="rejects",
        )[0]
        if split.rejects
        else 0
    )
    return inserted, faulty, broken, split.record_lines + broken, first_new


def _first_of_new(con: duckdb.DuckDBPyConnection, table: Table, after: int) -> int:
    """The row id of the first row just added: rows added in a transaction are numbered from
    2^55 on, not from the table's end."""
    return _one(
        con,
        f"SELECT coalesce(min(rowid), $after) FROM {quote_ident(table.name)} WHERE rowid >= $after",
        {"after": after},
        table=table.name,
    )[0]


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
    n_src = len(plan.header)
    src = [f"c{i}" for i in range(n_src)]
    line = ""
    if records is not None:
        struct = "{'line': 'BIGINT', " + ", ".join(f"'{c}': 'VARCHAR'" for c in src) + "}"
        reader = (
            f"SELECT * FROM read_csv({p(records.records_path)}, header = false, auto_detect = false, "
            f"delim = {p(plan.delimiter)}, quote = '\"', escape = '\"', new_line = '\\n', "
            f"columns = {struct}, max_line_size = {MAX_LINE_BYTES * 2})"
        )
        as_text = src
        line = ", line"
    elif plan.format == "csv":
        struct = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in src) + "}"
        reader = (
            f"SELECT * FROM read_csv({p(str(plan.read_path))}, header = true, auto_detect = false, "
            f"skip = {p(plan.skip_rows)}, delim = {p(plan.delimiter)}, quote = '\"', escape = '\"', "
            f"columns = {struct}, max_line_size = {MAX_LINE_BYTES}, store_rejects = true, "
            f"rejects_table = {p(CSV_ERRORS)}, rejects_scan = {p(CSV_SCANS)})"
        )
        as_text = src
    else:
        renamed = ", ".join(f"{quote_ident(h)} AS {c}" for h, c in zip(plan.header, src, strict=True))
        reader = f"SELECT {renamed} FROM read_parquet({p(str(plan.read_path))})"
        as_text = [f"CAST({c} AS VARCHAR)" for c in src]
    empty = p("")
    fields = ", ".join(f"coalesce({t}, {empty})" for t in as_text)
    raw_line = f"concat_ws({p(plan.delimiter)}, {fields})"

    cleaned: list[str] = []
    parsed: list[str] = []
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
            default=source.default,
            mapping=mapping,
            settings=settings,
            now=now,
            p=p,
        )
        if rule.cleaned is not None:
            cleaned.append(f"{rule.cleaned} AS r_k{j}")
        if rule.parsed is not None:
            parsed.append(f"{rule.parsed} AS n_k{j}")
        checks += [(check, source.label) for check in rule.checks]
        values.append(rule.value)
    for j, source in enumerate(plan.columns):
        if source.origin == "derived":
            parts = [f"CAST({values[plan_index(plan, c)]} AS VARCHAR)" for c in table.hash_key_from]
            values[j] = f"'md5:' || md5(concat_ws(chr(31), {', '.join(parts)}))"
    fault = " ".join(f"WHEN {c.condition} THEN {k}" for k, (c, _) in enumerate(checks, start=1))
    fault_sql = f"CASE {fault} END" if checks else "CAST(NULL AS INTEGER)"
    outputs = ", ".join(f"{v} AS {quote_ident(c.canonical)}" for v, c in zip(values, plan.columns, strict=True))
    query = (
        f"SELECT {outputs}, fault, CASE WHEN fault IS NOT NULL THEN {raw_line} END AS raw{line} FROM ("
        f"SELECT *, {fault_sql} AS fault FROM ("
        f"SELECT {', '.join(['*', *parsed])} FROM ("
        f"SELECT {', '.join([*(['line'] if line else []), *src, *cleaned])} FROM ({reader}))))"
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
    _exec(
        con,
        f"""CREATE TEMP TABLE {_name(BROKEN)} AS
        SELECT line,
               list_extract($headers, try_cast(substr(arg_min(column_name, column_idx), 2) AS INTEGER) + 1) AS col,
               arg_min(error_type, column_idx) AS etype,
               arg_min(error_message, column_idx) AS msg,
               trim(arg_min(csv_line, column_idx), chr(10) || chr(13)) AS csv_line
        FROM temp.{CSV_ERRORS} GROUP BY line""",
        {"headers": list(plan.header)},
        table=table.name,
    )
    return _one(con, f"SELECT count(*) FROM {BROKEN}", table=table.name)[0]


def _stage_faulty(con: duckdb.DuckDBPyConnection, plan: FilePlan, table: Table, stage: StageSql, inserted: int) -> int:
    """Read the file again to find rows that failed a check, keeping their positions.

    Rows staged in this transaction get row ids from 2^55 on, contiguous in file order, so a
    row's position is its row id less the first. Only ``fault`` and ``raw`` are kept, mostly
    NULL, and they stay in DuckDB; the rejects are written from this table directly (no
    second copy of their text) and it is dropped once they are: an all-bad file peaks below
    a clean one of the same size (3M rows: 667 MB against 752 MB; a copy made it 1137 MB).
    """
    _exec(
        con,
        f"CREATE TEMP TABLE {_name(STAGE)} AS SELECT fault, raw FROM ({stage.query})",
        stage.params,
        table=table.name,
    )
    staged, faulty = _one(con, f"SELECT count(*), count(fault) FROM {STAGE}", table=table.name)
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
    line = "pos + 1"
    join = ""
    if plan.format == "csv":
        line = f"{plan.header_line + 1} + pos"
        blanks: list[int] = []
        if broken or faulty:  # a clean file needs no line numbers: skip the pass over it
            found = blank_lines(Path(plan.read_path or plan.path), settings.chunk_bytes)
            blanks = [b for b in found if b > plan.header_line]
        if broken or blanks:
            _exec(
                con,
                f"""CREATE TEMP TABLE {_name(GAPS)} AS
                WITH g AS (
                    SELECT DISTINCT line FROM (
                        SELECT line FROM {BROKEN}
                        UNION ALL SELECT unnest(CAST($blanks AS BIGINT[])) AS line)
                    WHERE line > $header_line),
                n AS (SELECT line - $header_line - row_number() OVER (ORDER BY line) AS acc_before,
                             row_number() OVER (ORDER BY line) AS cum FROM g)
                SELECT acc_before, max(cum) AS cum FROM n GROUP BY acc_before""",
                {"blanks": blanks, "header_line": plan.header_line},
                table=table.name,
            )
            line += " + coalesce(g.cum, 0)"
            join = f"ASOF LEFT JOIN {GAPS} g ON s.pos >= g.acc_before"
    if faulty:
        _exec(
            con,
            f"""INSERT INTO rejects
            SELECT $kind, $src, {line}, list_extract($labels, s.fault), list_extract($reasons, s.fault),
                   s.raw, $sha, $now
            FROM ({FAULTY}) s {join}""",
            {**common, "reasons": stage.reasons, "labels": stage.labels},
            table="rejects",
        )
    if broken:
        _exec(
            con,
            f"""INSERT INTO rejects
            SELECT $kind, $src, line, col, {STRUCTURAL_REASON}, csv_line, $sha, $now FROM {BROKEN}""",
            common,
            table="rejects",
        )
    if faulty:
        good = f"""SELECT $first + row_number() OVER (ORDER BY rowid) - 1 AS rid,
                   rowid - (SELECT min(rowid) FROM {STAGE}) AS pos FROM {STAGE} WHERE fault IS NULL"""
    elif join:
        good = f"SELECT rowid AS rid, rowid - $first AS pos FROM {quote_ident(table.name)} WHERE rowid >= $first"
    else:
        return
    _exec(
        con,
        f"CREATE TEMP TABLE {_name(LINES)} AS SELECT s.rid, {line} AS line FROM ({good}) s {join}",
        {"first": first_new},
        table=table.name,
    )


def _line_of(con: duckdb.DuckDBPyConnection, plan: FilePlan, alias: str, *, lines_alias: str = "nl") -> tuple[str, str]:
    """(join, expression) giving the line of the new row ``alias.rid`` of this file."""
    base = 1 if plan.format == "parquet" else plan.header_line + 1
    formula = f"({base} + {alias}.rid - $first)"
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = $name", {"name": _name(LINES)}
    ).fetchall()[0][0]
    if not exists:
        return "", formula
    nl = lines_alias
    return f"LEFT JOIN {LINES} {nl} ON {nl}.rid = {alias}.rid", f"coalesce({nl}.line, {formula})"


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
) -> tuple[int, int, int]:
    """Sort the rows just added whose key came before (in the file or the store) into
    duplicates (same content), conflicts (rejects) or updates; returns their counts.

    Rows added by this transaction are those with ``rowid >= first``, in file order, and
    their key hashes are already in ``ingest_keys`` (file ``file_id``), so candidates are
    found without hashing the keys again: hashes seen twice in the file, and hashes of
    earlier files of this kind, which ``ingest_keys`` gives without scanning the table (when
    it covers every stored row; a store loaded before it existed is scanned). Keys
    themselves then decide, rows are compared whole, and the bookkeeping of rows that go
    goes with them.
    """
    target = quote_ident(table.name)
    keys = [quote_ident(k) for k in table.key]
    hashed = f"hash({', '.join(keys)})"
    new = {"first": first_new}
    mine = {"file": file_id, "kind": table.name}
    hashes = _repeated_in_file(con, file_id, added, table) if added > 1 else set()
    sources = []
    if stored_before:
        recorded = _one(con, f"SELECT count(*) FROM ingest_keys WHERE {_EARLIER_FILES}", mine, table=table.name)[0]
        if recorded == stored_before:
            sources.append(
                f"""SELECT DISTINCT k.key_hash AS kh FROM ingest_keys k
                SEMI JOIN (SELECT key_hash FROM ingest_keys WHERE file_id = $file) n ON k.key_hash = n.key_hash
                WHERE {_EARLIER_FILES.replace("file_id", "k.file_id")}"""
            )
        else:
            sources.append(
                f"""SELECT DISTINCT {hashed} AS kh FROM {target} WHERE rowid < $first
                AND {hashed} IN (SELECT key_hash FROM ingest_keys WHERE file_id = $file)"""
            )
    for source in sources:
        hashes.update(int(h) for (h,) in _exec(con, source, _used({**new, **mine}, source), table=table.name))
    if not hashes:
        return 0, 0, 0
    update = mapping is not None and mapping.on_conflict == "update"
    content = "struct_pack(" + ", ".join(f"{quote_ident(c)} := {quote_ident(c)}" for c in table.column_names) + ")"
    lo, hi = _one_any(
        con, f"SELECT min({keys[0]}), max({keys[0]}) FROM {target} WHERE rowid >= $first", new, table.name
    )
    window = f"PARTITION BY {', '.join(keys)} ORDER BY rid"
    _exec(
        con,
        f"""CREATE TEMP TABLE {_name(REPEATS)} AS
        SELECT *, CASE
            WHEN n = 1 THEN 'first'
            WHEN content IS NOT DISTINCT FROM {"prev" if update else "first_content"} THEN 'duplicate'
            WHEN $update THEN 'update' ELSE 'conflict' END AS verdict
        FROM (
            SELECT rid, {", ".join(keys)}, content, kh,
                   row_number() OVER ({window}) AS n,
                   lag(content) OVER ({window}) AS prev,
                   first_value(content) OVER ({window}) AS first_content,
                   first_value(rid) OVER ({window}) AS first_rid,
                   max(rid) OVER (PARTITION BY {", ".join(keys)}) AS last_rid
            FROM (
                SELECT * FROM (SELECT rowid AS rid, {", ".join(keys)}, {content} AS content, {hashed} AS kh
                               FROM {target} WHERE rowid >= $first)
                UNION ALL  -- stored rows: the new keys' range first, so zone maps skip most row groups
                SELECT * FROM (SELECT rowid AS rid, {", ".join(keys)}, {content} AS content, {hashed} AS kh
                               FROM {target} WHERE {keys[0]} BETWEEN $lo AND $hi AND rowid < $first)
            ) WHERE kh IN (SELECT unnest(CAST($hashes AS UBIGINT[]))))""",
        {**new, "update": update, "hashes": sorted(hashes), "lo": lo, "hi": hi},
        table=table.name,
    )
    line_join, line = _line_of(con, plan, "r")
    first_join, first_line = _line_of(con, plan, "f", lines_alias="fl")
    raw = (
        "concat_ws(',', " + ", ".join(f"CAST(r.content.{quote_ident(c)} AS VARCHAR)" for c in table.column_names) + ")"
    )
    common = _common(plan, table, now)
    has_conflicts = _one(con, f"SELECT count(*) FROM {REPEATS} WHERE verdict = 'conflict'", table=table.name)[0]
    if has_conflicts:
        _exec(
            con,
            f"""INSERT INTO rejects
            SELECT $kind, $src, {line}, $key_label,
                   'conflicts with the row loaded from ' || CASE WHEN r.first_rid >= $first
                       THEN $src || ':' || {first_line}
                       ELSE coalesce(prior.source_file || ':' || prior.line, 'an earlier file (line not recorded)') END,
                   {raw}, $sha, $now
            FROM (SELECT * FROM {REPEATS} WHERE verdict = 'conflict') r
            JOIN (SELECT rid FROM {REPEATS}) f ON f.rid = r.first_rid
            {line_join}
            {first_join}
            LEFT JOIN (
                SELECT k.key_hash, arg_max(l.source_file, k.line) AS source_file, max(k.line) AS line
                FROM ingest_keys k JOIN ingest_files i ON i.file_id = k.file_id
                JOIN ingest_log l ON l.file_sha256 = i.file_sha256 AND l.kind = i.kind
                WHERE i.kind = $kind AND k.file_id <> $file
                  AND k.key_hash IN (SELECT kh FROM {REPEATS} WHERE verdict = 'conflict')
                GROUP BY k.key_hash) prior ON prior.key_hash = r.kh""",
            {**common, "first": first_new, "key_label": table.key[0], "file": file_id},
            table="rejects",
        )
    conflicts, duplicates, updates = _one(
        con,
        f"""SELECT count(*) FILTER (verdict = 'conflict'), count(*) FILTER (verdict = 'duplicate'),
                   count(*) FILTER (verdict = 'update') FROM {REPEATS} WHERE rid >= $first""",
        new,
        table=table.name,
    )
    gone = "n > 1" if not update else "rid <> last_rid"
    _exec(
        con,
        f"""DELETE FROM ingest_keys WHERE file_id = $file AND line IN (
            SELECT {line} FROM (SELECT rid FROM {REPEATS} WHERE {gone} AND rid >= $first) r {line_join})""",
        {**new, "file": file_id},
        table="ingest_keys",
    )
    if update:
        _exec(
            con,
            f"""DELETE FROM ingest_keys WHERE {_EARLIER_FILES} AND key_hash IN (
                SELECT kh FROM {REPEATS} WHERE rid < $first AND rid <> last_rid)""",
            {**new, **mine},
            table="ingest_keys",
        )
    _exec(con, f"DELETE FROM {target} WHERE rowid IN (SELECT rid FROM {REPEATS} WHERE {gone})", table=table.name)
    return conflicts, duplicates, updates


# ingest_keys rows of the files of this kind loaded before this one ($kind, $file)
_EARLIER_FILES = "file_id IN (SELECT file_id FROM ingest_files WHERE kind = $kind AND file_id <> $file)"


def _repeated_in_file(con: duckdb.DuckDBPyConnection, file_id: int, added: int, table: Table) -> set[int]:
    """Key hashes that occur more than once among the file's rows.

    Sorted in numpy rather than grouped in DuckDB: a hash aggregate over millions of distinct
    keys costs about 0.3 s of both cores per 2M rows, a sort of the 8-byte hashes a fifth of
    that on one. Large files go in slices of the hash space, so memory stays bounded.
    """
    slices = max(1, -(-added // KEYS_PER_SLICE))
    found: set[int] = set()
    for part in range(slices):
        where = " AND key_hash % $slices = $part" if slices > 1 else ""
        params = {"file": file_id, **({"slices": slices, "part": part} if slices > 1 else {})}
        hashes = _numpy(con, f"SELECT key_hash FROM ingest_keys WHERE file_id = $file{where}", params, table)
        hashes.sort()
        found.update(int(h) for h in np.unique(hashes[1:][hashes[1:] == hashes[:-1]]))
    return found


def _numpy(con: duckdb.DuckDBPyConnection, query: str, params: dict[str, Any], table: str) -> np.ndarray:
    """The one column of a query's result as a numpy array."""
    result = run(con, query, params, table=table).fetchnumpy()
    return np.asarray(next(iter(result.values())))


def _record_keys(con: duckdb.DuckDBPyConnection, plan: FilePlan, table: Table, first_new: int) -> int:
    """Note each new row's key hash and line under a new file id (returned): the earlier row
    a later conflict names, and what repeats are looked for in."""
    file_id = _one(con, "SELECT coalesce(max(file_id), 0) + 1 FROM ingest_files", table="ingest_files")[0]
    _exec(
        con,
        "INSERT INTO ingest_files VALUES ($file, $kind, $sha)",
        {"file": file_id, "kind": table.name, "sha": plan.sha256},
        table="ingest_files",
    )
    keys = ", ".join(f"t.{quote_ident(k)}" for k in table.key)
    join, line = _line_of(con, plan, "t")
    _exec(
        con,
        f"""INSERT INTO ingest_keys SELECT $file, hash({keys}), {line}
        FROM (SELECT rowid AS rid, {keys.replace("t.", "")} FROM {quote_ident(table.name)} WHERE rowid >= $first) t
        {join}""",
        {"file": file_id, "first": first_new},
        table="ingest_keys",
    )
    return file_id


def _insert_good(con: duckdb.DuckDBPyConnection, table: Table, stage: StageSql) -> int:
    """Good rows straight from the reader into the canonical table, in file order."""
    columns = ", ".join(quote_ident(c) for c in table.column_names)
    query = (
        f"INSERT INTO {quote_ident(table.name)} ({columns}) "
        f"SELECT {', '.join('s.' + quote_ident(c) for c in table.column_names)} "
        f"FROM ({stage.query}) s WHERE s.fault IS NULL"
    )
    return int(_exec(con, query, stage.params, table=table.name)[0][0])


def _used(params: dict[str, Any], query: str) -> dict[str, Any]:
    """The parameters ``query`` names: DuckDB refuses unused ones."""
    return {k: v for k, v in params.items() if re.search(rf"\${k}\b", query)}


def _one_any(con: duckdb.DuckDBPyConnection, query: str, params: dict[str, Any], table: str) -> tuple[Any, ...]:
    return tuple(_exec(con, query, params, table=table)[0])


def _drop_temps(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Drop the temporary tables of a load that exist: one look-up, not a DROP for each name."""
    present = {
        name
        for (name,) in _exec(
            con,
            "SELECT table_name FROM duckdb_tables() WHERE temporary AND list_contains($names, table_name)",
            {"names": [_name(t) for t in TEMP_TABLES]},
            table=table.name,
        )
    }
    for name in TEMP_TABLES:
        if _name(name) in present:
            _exec(con, f"DROP TABLE IF EXISTS {name}", table=table.name)


def _name(qualified: str) -> str:
    """The bare name of a ``temp.`` table, as CREATE TEMP TABLE wants it."""
    return qualified.removeprefix("temp.")


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
