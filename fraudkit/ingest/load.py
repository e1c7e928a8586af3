"""Load one planned file in one transaction: insert, reject, deduplicate, log.

The usual file is clean, so the fast path reads it once: the reader's SELECT types and
checks every row (a ``fault`` code, NULL for good rows) and good rows go straight into
the canonical table. The file's line count (taken while hashing it) then says whether
every non-blank line became a good row or one of the reader's structural rejects; if so,
no row can have failed a check. Otherwise a second read, on a separate connection,
stages just each row's ``fault`` and raw text to find the faulty rows and their lines.
Duplicates (a key earlier in the file or already stored) are then deleted from the rows
this transaction added. ``rows_read == loaded + rejected + duplicates``.

Line numbers: CSV has no row-number column, so a staged row's line is recovered from
its position (``rowid``; insertion order is preserved) plus the lines that produced no
staged row before it: the reader's structural rejects and blank lines. Limitation: a
quoted field holding line breaks counts as one line, so lines after it are short by the
number of breaks (DuckDB numbers its own rejects the same way). For Parquet the "line"
is the 1-based row number.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import duckdb

from fraudkit.errors import StoreError
from fraudkit.ingest.encoding import blank_lines
from fraudkit.ingest.mapping import Mapping
from fraudkit.ingest.plan import FilePlan, already_ingested
from fraudkit.ingest.validate import Check, IngestSettings, Params, column_sql
from fraudkit.schema import Table
from fraudkit.store import quote_ident

STAGE = "temp._fk_stage"
BROKEN = "temp._fk_broken"
GAPS = "temp._fk_gaps"
DUPES = "temp._fk_dupes"
FAULTY = "temp._fk_faulty"
CSV_ERRORS = "_fk_csv_errors"  # DuckDB's reject tables (temporary), one pair per file
CSV_SCANS = "_fk_csv_scans"
TEMP_TABLES = (STAGE, BROKEN, GAPS, DUPES, FAULTY, f"temp.{CSV_ERRORS}", f"temp.{CSV_SCANS}")
MAX_LINE_BYTES = 8 << 20

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


class FingerprintMismatch(Exception):
    """The whole file is not what its first chunk suggested (another encoding); the
    speculative load was rolled back and must be redone from the fingerprinted plan."""


@dataclass(frozen=True)
class StageSql:
    query: str
    params: dict[str, Any]
    reasons: list[str]
    labels: list[str]


def load_file(
    con: duckdb.DuckDBPyConnection,
    plan: FilePlan,
    table: Table,
    mapping: Mapping | None,
    settings: IngestSettings,
    now: datetime,
    *,
    fingerprint: Callable[[], FilePlan] | None = None,
    before_commit: Callable[[], None] | None = None,
) -> LoadCounts | None:
    """Load ``plan`` atomically; None when the same content was ingested (or meanwhile).

    A plan that is not yet fingerprinted is loaded speculatively: ``fingerprint`` is
    called after the insert (the hash runs meanwhile), and the load is rolled back if the
    content was ingested before, or raises :class:`FingerprintMismatch` if the file is
    not what the plan assumed. ``before_commit`` may veto the commit by raising.
    """
    try:
        _drop_temps(con, table)
        stage = stage_sql(plan, table, mapping, settings, now)
        _exec(con, "BEGIN TRANSACTION", table=table.name)
        try:
            if plan.fingerprinted and already_ingested(con, plan.sha256, table.name):
                _exec(con, "ROLLBACK", table=table.name)
                return None
            first_new = _one(
                con, f"SELECT coalesce(max(rowid) + 1, 0) FROM {quote_ident(table.name)}", table=table.name
            )[0]
            inserted = _insert_good(con, table, stage)
            broken = _collect_structural(con, plan, table)
            if not plan.fingerprinted:
                if fingerprint is None:
                    raise ValueError(f"{plan.path}: a plan without a fingerprint needs a fingerprint function")
                full = fingerprint()
                if already_ingested(con, full.sha256, table.name):
                    _exec(con, "ROLLBACK", table=table.name)
                    return None
                if replace(full, sha256="", expected_rows=None) != replace(plan, expected_rows=None):
                    raise FingerprintMismatch(str(plan.path))
                plan = full
            common = {"kind": table.name, "src": str(plan.path.resolve()), "sha": plan.sha256, "now": now}
            faulty = 0
            if plan.expected_rows is None or inserted + broken != plan.expected_rows:
                faulty = _stage_faulty(con, plan, table, stage, inserted)
            _insert_rejects(con, plan, table, broken, faulty, common, stage, settings)
            duplicates = _delete_duplicates(con, table, first_new, inserted)
            counts = LoadCounts(inserted + faulty + broken, inserted - duplicates, faulty + broken, duplicates)
            _exec(
                con,
                "INSERT INTO ingest_log VALUES ($sha, $kind, $src, $read, $loaded, $rejected, $dups, $now)",
                {
                    **common,
                    "read": counts.rows_read,
                    "loaded": counts.loaded,
                    "rejected": counts.rejected,
                    "dups": counts.duplicates,
                },
                table="ingest_log",
            )
            if before_commit is not None:
                before_commit()
            _exec(con, "COMMIT", table=table.name)
            return counts
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # the transaction may already have ended
                con.execute("ROLLBACK")
            raise
    finally:
        _drop_temps(con, table)


def stage_sql(
    plan: FilePlan, table: Table, mapping: Mapping | None, settings: IngestSettings, now: datetime
) -> StageSql:
    """The SELECT that reads, cleans, types and checks every row in one pass."""
    p = Params()
    n_src = len(plan.header)
    src = [f"c{i}" for i in range(n_src)]
    if plan.format == "csv":
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
        f"SELECT {outputs}, fault, CASE WHEN fault IS NOT NULL THEN {raw_line} END AS raw FROM ("
        f"SELECT *, {fault_sql} AS fault FROM ("
        f"SELECT {', '.join(['*', *parsed])} FROM ("
        f"SELECT {', '.join([*src, *cleaned])} FROM ({reader}))))"
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

    Runs on a cursor (its own connection, outside this transaction) because rows staged
    inside a transaction get transaction-local rowids, and rowid is the row's position.
    Only ``fault`` and ``raw`` are kept, mostly NULL, so this costs a read, not a copy.
    """
    cursor = con.cursor()
    try:
        _exec(cursor, "SET preserve_insertion_order = true", table=table.name)
        _exec(
            cursor,
            f"CREATE TEMP TABLE {_name(STAGE)} AS SELECT fault, raw FROM ({stage.query})",
            stage.params,
            table=table.name,
        )
        staged = _one(cursor, f"SELECT count(*) FROM {STAGE}", table=table.name)[0]
        faulty_rows = cursor.sql(
            f"SELECT rowid AS pos, fault, raw FROM {STAGE} WHERE fault IS NOT NULL"
        ).to_arrow_table()
    except duckdb.Error as exc:
        raise StoreError(str(exc).splitlines()[0], table=table.name) from exc
    finally:
        cursor.close()
    if staged != inserted + faulty_rows.num_rows:
        raise StoreError(
            f"{plan.path}: the file changed while loading ({staged} rows on the second read, "
            f"{inserted + faulty_rows.num_rows} on the first)",
            table=table.name,
        )
    con.register("_fk_faulty_rows", faulty_rows)
    try:
        _exec(con, f"CREATE TEMP TABLE {_name(FAULTY)} AS SELECT * FROM _fk_faulty_rows", table=table.name)
    finally:
        con.unregister("_fk_faulty_rows")
    return faulty_rows.num_rows


def _insert_rejects(
    con: duckdb.DuckDBPyConnection,
    plan: FilePlan,
    table: Table,
    broken: int,
    faulty: int,
    common: dict[str, Any],
    stage: StageSql,
    settings: IngestSettings,
) -> None:
    """Write every faulty row and every structurally broken line to ``rejects``."""
    if faulty:
        params = {**common, "reasons": stage.reasons, "labels": stage.labels}
        line = "s.pos + 1"
        join = ""
        if plan.format == "csv":
            line = f"{plan.header_line + 1} + s.pos"
            blanks = [b for b in blank_lines(plan.read_path, settings.chunk_bytes) if b > plan.header_line]
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
        _exec(
            con,
            f"""INSERT INTO rejects
            SELECT $kind, $src, {line}, list_extract($labels, s.fault), list_extract($reasons, s.fault),
                   s.raw, $sha, $now
            FROM {FAULTY} s {join}""",
            params,
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


def _delete_duplicates(con: duckdb.DuckDBPyConnection, table: Table, first_new: int, inserted: int) -> int:
    """Delete the rows just added whose key came earlier in the file or was already stored.

    Rows added by this transaction are those with ``rowid >= first_new``, in file order.
    Distinct key hashes settle the usual case (no repeats in the file) cheaply; equal
    hashes are only a hint, so repeats are then confirmed on the keys themselves.
    """
    target = quote_ident(table.name)
    keys = [quote_ident(k) for k in table.key]
    new = {"first": first_new}
    distinct = _one(
        con,
        f"SELECT count(DISTINCT hash({', '.join(keys)})) FROM {target} WHERE rowid >= $first",
        new,
        table=table.name,
    )[0]
    parts = []
    if distinct < inserted:
        on = " AND ".join(f"s.{k} = d.{k}" for k in keys)
        parts.append(
            f"""SELECT s.rowid AS rid FROM {target} s JOIN (
                SELECT {", ".join(keys)}, min(rowid) AS keep FROM {target}
                WHERE rowid >= $first GROUP BY ALL HAVING count(*) > 1) d
            ON {on} AND s.rowid <> d.keep WHERE s.rowid >= $first"""
        )
    if _one(con, f"SELECT count(*) FROM (SELECT 1 FROM {target} WHERE rowid < $first LIMIT 1)", new, table=table.name)[
        0
    ]:
        on_t = " AND ".join(f"s.{k} = t.{k}" for k in keys)
        parts.append(
            f"""SELECT s.rowid AS rid FROM {target} s
            SEMI JOIN (SELECT {", ".join(keys)} FROM {target} WHERE rowid < $first) t ON {on_t}
            WHERE s.rowid >= $first"""
        )
    if not parts:
        return 0
    _exec(con, f"CREATE TEMP TABLE {_name(DUPES)} AS {' UNION '.join(parts)}", new, table=table.name)
    deleted = _one(con, f"DELETE FROM {target} WHERE rowid IN (SELECT rid FROM {DUPES})", table=table.name)[0]
    return deleted


def _insert_good(con: duckdb.DuckDBPyConnection, table: Table, stage: StageSql) -> int:
    """Good rows straight from the reader into the canonical table, in file order."""
    columns = ", ".join(quote_ident(c) for c in table.column_names)
    query = (
        f"INSERT INTO {quote_ident(table.name)} ({columns}) "
        f"SELECT {', '.join('s.' + quote_ident(c) for c in table.column_names)} "
        f"FROM ({stage.query}) s WHERE s.fault IS NULL"
    )
    return int(_exec(con, query, stage.params, table=table.name)[0][0])


def _drop_temps(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    for name in TEMP_TABLES:
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
    """Run a statement and drain its result (DuckDB 2.0 holds the connection until then),
    wrapping engine errors with the logical table and the query."""
    try:
        return con.execute(query, params or {}).fetchall()
    except duckdb.Error as exc:
        raise StoreError(str(exc).splitlines()[0], table=table, query=query) from exc
