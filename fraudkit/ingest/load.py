"""Load one planned file in one transaction: stage, reject, deduplicate, insert, log.

One pass of the reader fills a temporary staging table with the typed canonical columns
and a ``fault`` code (the first failing check, NULL for good rows), so the file is parsed
and validated once. Good rows go to the canonical table minus duplicates (same key
earlier in the file or already stored); faulty rows and the reader's structural errors
go to ``rejects`` with their line. ``rows_read == loaded + rejected + duplicates``.

Line numbers: CSV has no row-number column, so a staged row's line is recovered from
its position (``rowid``; insertion order is preserved) plus the lines that produced no
staged row before it: the reader's structural rejects and blank lines. Limitation: a
quoted field holding line breaks counts as one line, so lines after it are short by the
number of breaks (DuckDB numbers its own rejects the same way). For Parquet the "line"
is the 1-based row number.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
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
CSV_ERRORS = "_fk_csv_errors"  # DuckDB's reject tables (temporary), one pair per file
CSV_SCANS = "_fk_csv_scans"
TEMP_TABLES = (STAGE, BROKEN, GAPS, DUPES, f"temp.{CSV_ERRORS}", f"temp.{CSV_SCANS}")
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
) -> LoadCounts | None:
    """Load ``plan`` atomically; None when the same content was ingested meanwhile.

    The staging tables are temporary and built before the transaction: rows staged
    inside one get transaction-local rowids, and rowid is how lines are recovered.
    """
    try:
        _drop_temps(con, table)
        stage = stage_sql(plan, table, mapping, settings, now)
        _exec(con, f"CREATE TEMP TABLE {_name(STAGE)} AS {stage.query}", stage.params, table=table.name)
        broken = _collect_structural(con, plan, table)
        staged, faulty = _one(con, f"SELECT count(*), count(fault) FROM {STAGE}", table=table.name)
        _exec(con, "BEGIN TRANSACTION", table=table.name)
        try:
            if already_ingested(con, plan.sha256, table.name):
                _exec(con, "ROLLBACK", table=table.name)
                return None
            common = {"kind": table.name, "src": str(plan.path.resolve()), "sha": plan.sha256, "now": now}
            _insert_rejects(con, plan, table, stage, broken, faulty, common, settings)
            duplicates = _find_duplicates(con, table, staged - faulty)
            loaded = _insert_good(con, table, duplicates > 0)
            counts = LoadCounts(staged + broken, loaded, faulty + broken, duplicates)
            if counts.loaded + counts.duplicates != staged - faulty:
                raise StoreError(f"{plan.path}: row counts do not add up: {counts}", table=table.name)
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


def _insert_rejects(
    con: duckdb.DuckDBPyConnection,
    plan: FilePlan,
    table: Table,
    stage: StageSql,
    broken: int,
    faulty: int,
    common: dict[str, Any],
    settings: IngestSettings,
) -> None:
    """Write every faulty staged row and every structurally broken line to ``rejects``."""
    params = {**common, "reasons": stage.reasons, "labels": stage.labels}
    line = "s.rowid + 1"
    join = ""
    if plan.format == "csv" and faulty:
        line = f"{plan.header_line + 1} + s.rowid"
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
            join = f"ASOF LEFT JOIN {GAPS} g ON s.rowid >= g.acc_before"
    _exec(
        con,
        f"""INSERT INTO rejects
        SELECT $kind, $src, {line}, list_extract($labels, s.fault), list_extract($reasons, s.fault),
               s.raw, $sha, $now
        FROM {STAGE} s {join} WHERE s.fault IS NOT NULL""",
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


def _find_duplicates(con: duckdb.DuckDBPyConnection, table: Table, good: int) -> int:
    """Mark good rows whose key came earlier in the file or is already stored.

    A distinct count settles the usual case (no repeats in the file) at half the cost of
    grouping with row positions, which only files with repeats pay for.
    """
    keys = [quote_ident(k) for k in table.key]
    if len(keys) == 1:
        distinct_sql = f"SELECT count(DISTINCT {keys[0]}) FROM {STAGE} WHERE fault IS NULL"
    else:
        distinct_sql = f"SELECT count(*) FROM (SELECT DISTINCT {', '.join(keys)} FROM {STAGE} WHERE fault IS NULL)"
    repeats = good - _one(con, distinct_sql, table=table.name)[0]
    parts = []
    if repeats:
        on = " AND ".join(f"s.{k} = d.{k}" for k in keys)
        parts.append(
            f"""SELECT s.rowid AS rid FROM {STAGE} s JOIN (
                SELECT {", ".join(keys)}, min(rowid) AS keep FROM {STAGE}
                WHERE fault IS NULL GROUP BY ALL HAVING count(*) > 1) d
            ON {on} AND s.rowid <> d.keep WHERE s.fault IS NULL"""
        )
    target = quote_ident(table.name)
    if _one(con, f"SELECT count(*) FROM (SELECT 1 FROM {target} LIMIT 1)", table=table.name)[0]:
        on_t = " AND ".join(f"s.{k} = t.{k}" for k in keys)
        parts.append(f"SELECT s.rowid AS rid FROM {STAGE} s SEMI JOIN {target} t ON {on_t} WHERE s.fault IS NULL")
    if not parts:
        return 0
    _exec(con, f"CREATE TEMP TABLE {_name(DUPES)} AS {' UNION '.join(parts)}", table=table.name)
    return _one(con, f"SELECT count(*) FROM {DUPES}", table=table.name)[0]


def _insert_good(con: duckdb.DuckDBPyConnection, table: Table, has_duplicates: bool) -> int:
    columns = ", ".join(quote_ident(c) for c in table.column_names)
    anti = f"ANTI JOIN {DUPES} d ON s.rowid = d.rid" if has_duplicates else ""
    query = (
        f"INSERT INTO {quote_ident(table.name)} ({columns}) "
        f"SELECT {', '.join('s.' + quote_ident(c) for c in table.column_names)} "
        f"FROM {STAGE} s {anti} WHERE s.fault IS NULL"
    )
    return int(_exec(con, query, table=table.name)[0][0])


def _drop_temps(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    for name in TEMP_TABLES:
        _exec(con, f"DROP TABLE IF EXISTS {name}", table=table.name)


def _name(qualified: str) -> str:
    """The bare name of a ``temp.`` table, as CREATE TEMP TABLE wants it."""
    return qualified.removeprefix("temp.")


def _one(con: duckdb.DuckDBPyConnection, query: str, *, table: str) -> tuple[int, ...]:
    return tuple(int(v) for v in _exec(con, query, table=table)[0])


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
