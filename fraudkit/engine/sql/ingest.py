"""The ingest's queries: the readers and the one checking SELECT over them, the load's bookkeeping
(``ingest_files``, ``ingest_keys``, ``ingest_log``), its rejects, and the sorting of repeated keys.

A load works through the temporary tables named here (dropped when it ends), on rows it added to a
canonical table in its transaction: those with ``rowid >= $first``. Table and column names are the
canonical ones and are quoted; every value (paths, delimiters, file ids, hashes, reasons) is a bound
parameter. Line expressions are made from integers of the file's plan (the header's line), and the
``alias`` arguments are this module's callers' own table aliases, never user text.
"""

from __future__ import annotations

from fraudkit.engine.sql import column_list, quote_ident
from fraudkit.engine.sql.ingest_checks import Params, cleaned_name, parsed_name

STAGE = "temp._fk_stage"
BROKEN = "temp._fk_broken"
GAPS = "temp._fk_gaps"
LINES = "temp._fk_lines"
REPEATS = "temp._fk_repeats"
CSV_ERRORS = "_fk_csv_errors"  # DuckDB's reject tables (temporary), one pair per file
CSV_SCANS = "_fk_csv_scans"
TEMP_TABLES = (STAGE, BROKEN, GAPS, LINES, REPEATS, f"temp.{CSV_ERRORS}", f"temp.{CSV_SCANS}")
"""Every temporary table a load may leave on the connection until it ends."""


def bare(qualified: str) -> str:
    """The bare name of a ``temp.`` table, as CREATE TEMP TABLE and ``duckdb_tables()`` name it."""
    return qualified.removeprefix("temp.")


# --- the bookkeeping tables -------------------------------------------------------------------

# One row per stored row, written for every row of every file, so it is kept narrow: the
# file is a small id (``ingest_files`` says which file and kind), the line four bytes.
KEYS_DDL = """CREATE TABLE IF NOT EXISTS ingest_keys (
    file_id UINTEGER NOT NULL, key_hash UBIGINT NOT NULL, line UINTEGER NOT NULL)"""
"""Each stored row's file and line, by the hash of its key."""
FILES_DDL = """CREATE TABLE IF NOT EXISTS ingest_files (
    file_id UINTEGER NOT NULL, kind VARCHAR NOT NULL, file_sha256 VARCHAR NOT NULL)"""
"""The files ``ingest_keys`` names, by id: their kind and content hash."""
RANGES_DDL = """CREATE TABLE IF NOT EXISTS ingest_ranges (
    file_id UINTEGER NOT NULL, key_lo VARCHAR, key_hi VARCHAR)"""
"""The least and greatest first key column of the rows each file added (NULL: it added none). A file
whose range misses a new file's holds none of its keys, so repeats are looked for in the files whose
ranges overlap only; a file with no row here (loaded before the table existed) always overlaps."""

INGEST_KEYS_COLUMNS = "SELECT column_name FROM duckdb_columns() WHERE table_name = 'ingest_keys' AND NOT internal"
"""The columns of ``ingest_keys`` (none: not made yet; ``file_sha256``: the first, wide form)."""

KEYS_TO_FILE_IDS = (
    FILES_DDL,
    """INSERT INTO ingest_files SELECT row_number() OVER (ORDER BY kind, file_sha256), kind, file_sha256
            FROM (SELECT DISTINCT kind, file_sha256 FROM ingest_keys)""",
    """CREATE TABLE _fk_keys_v2 AS SELECT CAST(f.file_id AS UINTEGER) AS file_id, k.key_hash,
                   CAST(k.line AS UINTEGER) AS line
            FROM ingest_keys k JOIN ingest_files f USING (kind, file_sha256)""",
    "DROP TABLE ingest_keys",
    KEYS_DDL,
    "INSERT INTO ingest_keys SELECT * FROM _fk_keys_v2",
    "DROP TABLE _fk_keys_v2",
)
"""The statements, in order and in one transaction, that move an ``ingest_keys`` naming files by
SHA-256 on every row (as first written) to file ids."""

SCHEMA_TABLES_PRESENT = """SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND NOT temporary
        AND database_name = current_database() AND list_contains($names, table_name)"""
"""How many of the tables ``$names`` the store has."""

KEYS_BY_FILE_ID = """SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = 'ingest_keys'
        AND database_name = current_database() AND column_name = 'file_id'"""
"""1 when ``ingest_keys`` is in its current form (rows name their file by id), else 0."""

INSERTION_ORDER = "SELECT current_setting('preserve_insertion_order')"
"""Whether the session keeps rows in insertion order (line numbers rely on it)."""

KEEP_INSERTION_ORDER = "SET preserve_insertion_order = true"
DROP_INSERTION_ORDER = "SET preserve_insertion_order = false"


def logged(column: str) -> str:
    """How many ``ingest_log`` rows of kind ``$kind`` have ``$value`` in ``column`` (the content
    hash or the source path)."""
    return f"SELECT count(*) FROM ingest_log WHERE {quote_ident(column)} = $value AND kind = $kind"


LOG_FILE = "INSERT INTO ingest_log VALUES ($sha, $kind, $src, $read, $loaded, $rejected, $dups, $now)"
"""One file's line in the ingest log."""

NEXT_FILE_ID = "SELECT coalesce(max(file_id), 0) + 1 FROM ingest_files"
"""The id the next file gets."""

RECORD_FILE = "INSERT INTO ingest_files VALUES ($file, $kind, $sha)"

RECORD_RANGE = "INSERT INTO ingest_ranges VALUES ($file, $lo, $hi)"
"""The key range of the rows file ``$file`` added (see :data:`RANGES_DDL`)."""


def record_keys(table: str, keys: tuple[str, ...], line: str, join: str) -> str:
    """Note the key hash and ``line`` (see :func:`new_row_line`, alias ``t``) of every row just
    added to ``table`` under the file id ``$file``."""
    outer = ", ".join(f"t.{quote_ident(k)}" for k in keys)
    return f"""INSERT INTO ingest_keys SELECT $file, hash({outer}), {line}
        FROM (SELECT rowid AS rid, {column_list(keys)} FROM {quote_ident(table)} WHERE rowid >= $first) t
        {join}"""


def file_key_hashes(sliced: bool) -> str:
    """The key hashes of file ``$file``; ``sliced``: only those with ``hash % $slices = $part``.

    The modulus is cast to the column's type: ``UBIGINT % INTEGER`` is computed in HUGEINT, which
    made each slice of 10M keys cost about 3 s of CPU instead of 0.03 s."""
    where = " AND key_hash % CAST($slices AS UBIGINT) = CAST($part AS UBIGINT)" if sliced else ""
    return f"SELECT key_hash FROM ingest_keys WHERE file_id = $file{where}"


# --- rows of a canonical table ----------------------------------------------------------------


def next_row_id(table: str) -> str:
    """One more than the last row id of ``table`` (0 when empty)."""
    return f"SELECT coalesce(max(rowid) + 1, 0) FROM {quote_ident(table)}"


def _clock_select(column: str) -> str:
    """How times in ``column`` sit on the clock: how many, their earliest and latest time of day,
    whether they span more than one day, and how many are off a whole hour and a whole minute
    (read by :func:`fraudkit.resolution.grain_of`)."""
    ts = quote_ident(column)
    return f"""
        SELECT count({ts}) AS n,
               min(CAST({ts} AS TIME)) AS earliest,
               max(CAST({ts} AS TIME)) AS latest,
               min({ts}) < max(date_trunc('day', {ts})) AS several_days,
               count(*) FILTER (WHERE {ts} <> date_trunc('hour', {ts})) AS off_hour,
               count(*) FILTER (WHERE {ts} <> date_trunc('minute', {ts})) AS off_minute"""


def new_rows_clock(table: str, column: str) -> str:
    """Where the times in ``column`` of the rows of ``table`` at or after ``$first`` (a file's, in
    its load) sit on the clock."""
    return f"{_clock_select(column)} FROM {quote_ident(table)} WHERE rowid >= $first"


def table_clock(table: str, column: str) -> str:
    """Where the times in ``column`` of ``table`` in ``[$start, $end)`` (NULL: no bound) sit on the clock."""
    ts = quote_ident(column)
    return (
        f"{_clock_select(column)} FROM {quote_ident(table)} "
        f"WHERE ($start IS NULL OR {ts} >= $start) AND ($end IS NULL OR {ts} < $end)"
    )


def first_of_new(table: str) -> str:
    """The row id of the first row of ``table`` at or after ``$after`` (``$after`` when none)."""
    return f"SELECT coalesce(min(rowid), $after) FROM {quote_ident(table)} WHERE rowid >= $after"


def take_back_new(table: str) -> str:
    """Delete the rows just added to ``table``."""
    return f"DELETE FROM {quote_ident(table)} WHERE rowid >= $first"


# --- temporary tables -------------------------------------------------------------------------

TEMP_PRESENT = "SELECT table_name FROM duckdb_tables() WHERE temporary AND list_contains($names, table_name)"
"""Which of the temporary tables ``$names`` (bare names) exist."""

TEMP_EXISTS = "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = $name"
"""1 when the temporary table ``$name`` (a bare name) exists."""


def drop_temp(name: str) -> str:
    """Drop one of :data:`TEMP_TABLES` if it exists."""
    if name not in TEMP_TABLES:
        raise ValueError(f"{name!r} is not a temporary table of the ingest")
    return f"DROP TABLE IF EXISTS {name}"


# --- the readers and the checking SELECT ------------------------------------------------------


def source_columns(count: int) -> list[str]:
    """The names the reader gives the file's columns, in order."""
    return [f"c{i}" for i in range(count)]


def exact_reader(p: Params, path: str, delimiter: str, columns: list[str], max_line_bytes: int) -> str:
    """The records the line-by-line reader wrote (:mod:`fraudkit.ingest.lines`), each with its
    ``line`` and the text of ``columns``."""
    struct = "{'line': 'BIGINT', " + ", ".join(f"'{c}': 'VARCHAR'" for c in columns) + "}"
    return (
        f"SELECT * FROM read_csv({p(path)}, header = false, auto_detect = false, "
        f"delim = {p(delimiter)}, quote = '\"', escape = '\"', new_line = '\\n', "
        f"columns = {struct}, max_line_size = {max_line_bytes})"
    )


def csv_reader(p: Params, path: str, skip_rows: int, delimiter: str, columns: list[str], max_line_bytes: int) -> str:
    """A CSV file's rows as the text of ``columns``; the lines DuckDB's reader refuses go to its
    reject tables (``temp._fk_csv_errors``)."""
    struct = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in columns) + "}"
    return (
        f"SELECT * FROM read_csv({p(path)}, header = true, auto_detect = false, "
        f"skip = {p(skip_rows)}, delim = {p(delimiter)}, quote = '\"', escape = '\"', "
        f"columns = {struct}, max_line_size = {max_line_bytes}, store_rejects = true, "
        f"rejects_table = {p(CSV_ERRORS)}, rejects_scan = {p(CSV_SCANS)})"
    )


def parquet_reader(p: Params, path: str, header: tuple[str, ...], columns: list[str]) -> str:
    """A Parquet file's columns ``header``, renamed ``columns``."""
    renamed = ", ".join(f"{quote_ident(h)} AS {c}" for h, c in zip(header, columns, strict=True))
    return f"SELECT {renamed} FROM read_parquet({p(path)})"


def as_text(column: str) -> str:
    return f"CAST({column} AS VARCHAR)"


def raw_line(p: Params, delimiter: str, fields: list[str]) -> str:
    """A row's fields joined again by ``delimiter``: the text a reject shows."""
    empty = p("")
    joined = ", ".join(f"coalesce({t}, {empty})" for t in fields)
    return f"concat_ws({p(delimiter)}, {joined})"


def derived_key(values: list[str]) -> str:
    """A key made from a hash of the row's ``values`` (for sources with no key column)."""
    parts = [as_text(v) for v in values]
    return f"'md5:' || md5(concat_ws(chr(31), {', '.join(parts)}))"


def stage_query(
    reader: str,
    sources: list[str],
    cleaned: list[tuple[str, str]],
    parsed: list[tuple[str, str]],
    conditions: list[str],
    outputs: list[tuple[str, str]],
    raw: str,
    *,
    with_line: bool,
) -> str:
    """The SELECT that reads, cleans, types and checks every row in one pass.

    Its rows: each canonical column of ``outputs`` (name, value), ``fault`` (the 1-based number of
    the first of ``conditions`` the row meets, NULL for a good row) and ``raw`` (the row's text,
    for faulty rows), and ``line`` where the reader gives one (``with_line``). ``cleaned`` and
    ``parsed`` are (alias, expression) pairs, named by :func:`cleaned_name` and
    :func:`parsed_name`, each level seeing the one before.
    """
    whens = " ".join(f"WHEN {c} THEN {k}" for k, c in enumerate(conditions, start=1))
    fault = f"CASE {whens} END" if conditions else "CAST(NULL AS INTEGER)"
    values = ", ".join(f"{v} AS {quote_ident(c)}" for c, v in outputs)
    line = ", line" if with_line else ""
    first = [*(["line"] if with_line else []), *sources, *(f"{e} AS {cleaned_name(a)}" for a, e in cleaned)]
    second = ["*", *(f"{e} AS {parsed_name(a)}" for a, e in parsed)]
    return (
        f"SELECT {values}, fault, CASE WHEN fault IS NOT NULL THEN {raw} END AS raw{line} FROM ("
        f"SELECT *, {fault} AS fault FROM ("
        f"SELECT {', '.join(second)} FROM ("
        f"SELECT {', '.join(first)} FROM ({reader}))))"
    )


DISABLED_OPTIMIZERS = "SELECT current_setting('disabled_optimizers')"
"""The optimizer passes the database has turned off (a comma-separated list, '' for none)."""

SET_DISABLED_OPTIMIZERS = "SET disabled_optimizers = $names"
"""Turn off the optimizer passes ``$names`` (comma-separated): a setting of the whole database, not
of one connection, which DuckDB refuses to set locally."""

FILTER_PUSHDOWN = "filter_pushdown"
"""The pass the insert of good rows runs without: it pushed ``fault IS NULL`` below the checking
SELECT's levels, so the filter took in the parsed values' expressions (a timestamp parsed five times
a row, once per check naming it) and the projection above parsed them again. A third of a calls
file's insert (2.0 s of CPU per million rows instead of 3.1); a limit as a barrier instead lets
rows out of file order."""


def insert_good(table: str, columns: list[str], stage: str) -> str:
    """Good rows of the checking SELECT ``stage`` straight into ``table``, in file order."""
    return (
        f"INSERT INTO {quote_ident(table)} ({column_list(columns)}) "
        f"SELECT {', '.join('s.' + quote_ident(c) for c in columns)} "
        f"FROM ({stage}) s WHERE s.fault IS NULL"
    )


def stage_all(stage: str) -> str:
    """Every row of the checking SELECT ``stage`` into :data:`STAGE`."""
    return f"CREATE TEMP TABLE {bare(STAGE)} AS {stage}"


def stage_faults(stage: str) -> str:
    """Only ``fault`` and ``raw`` of every row of ``stage`` into :data:`STAGE`, in file order."""
    return f"CREATE TEMP TABLE {bare(STAGE)} AS SELECT fault, raw FROM ({stage})"


STAGED_COUNTS = f"SELECT count(*), count(fault) FROM {STAGE}"
"""Rows staged, and how many of them are faulty."""


def insert_staged(table: str, columns: list[str]) -> str:
    """The good rows of :data:`STAGE` into ``table``, in file order."""
    cols = column_list(columns)
    return f"INSERT INTO {quote_ident(table)} ({cols}) SELECT {cols} FROM {STAGE} WHERE fault IS NULL ORDER BY rowid"


# --- rejects ----------------------------------------------------------------------------------

# DuckDB's structural error types -> what a user should read (our text, not user input).
STRUCTURAL_REASON = """CASE etype
    WHEN 'TOO MANY COLUMNS' THEN 'wrong number of columns: ' || msg
    WHEN 'MISSING COLUMNS' THEN 'wrong number of columns: ' || msg
    WHEN 'UNQUOTED VALUE' THEN 'broken quoting: ' || msg
    WHEN 'LINE SIZE OVER MAXIMUM' THEN 'line too long: ' || msg
    WHEN 'INVALID ENCODING' THEN 'invalid characters: ' || msg
    ELSE lower(etype) || ': ' || msg END"""

REJECT_STAGED = f"""INSERT INTO rejects
        SELECT $kind, $src, s.line, list_extract($labels, s.fault), list_extract($reasons, s.fault),
               s.raw, $sha, $now
        FROM {STAGE} s WHERE s.fault IS NOT NULL"""
"""A reject for each faulty row of :data:`STAGE` staged with its line: the column (``$labels``)
and reason (``$reasons``) of its first failed check."""

STAGED_LINES = f"""CREATE TEMP TABLE {bare(LINES)} AS
        SELECT $first + row_number() OVER (ORDER BY rowid) - 1 AS rid, line FROM {STAGE} WHERE fault IS NULL"""
"""The line of every good row of :data:`STAGE`, by the row id it got (from ``$first`` on)."""


REJECT_SPLIT_LINES = """INSERT INTO rejects SELECT $kind, $src, line, NULL, reason, raw, $sha, $now
        FROM read_csv($path, header = false, auto_detect = false, quote = '"', escape = '"',
                      columns = {'line': 'BIGINT', 'reason': 'VARCHAR', 'raw': 'VARCHAR'},
                      max_line_size = $max)"""
"""A reject for each line the line-by-line reader could not make a record of, from the
(line, reason, raw) file it wrote at ``$path`` (lines up to ``$max`` bytes)."""


COLLECT_STRUCTURAL = f"""CREATE TEMP TABLE {bare(BROKEN)} AS
        SELECT line,
               list_extract($headers, try_cast(substr(arg_min(column_name, column_idx), 2) AS INTEGER) + 1) AS col,
               arg_min(error_type, column_idx) AS etype,
               arg_min(error_message, column_idx) AS msg,
               trim(arg_min(csv_line, column_idx), chr(10) || chr(13)) AS csv_line
        FROM temp.{CSV_ERRORS} GROUP BY line"""
"""One row per line DuckDB's reader refused, into :data:`BROKEN`: its line, the column (of
``$headers``), the error type and message, and the line's text."""

BROKEN_COUNT = f"SELECT count(*) FROM {BROKEN}"

REJECT_BROKEN = f"""INSERT INTO rejects
            SELECT $kind, $src, line, col, {STRUCTURAL_REASON}, csv_line, $sha, $now FROM {BROKEN}"""
"""A reject for each line of :data:`BROKEN`."""

LINE_GAPS = f"""CREATE TEMP TABLE {bare(GAPS)} AS
                WITH g AS (
                    SELECT DISTINCT line FROM (
                        SELECT line FROM {BROKEN}
                        UNION ALL SELECT unnest(CAST($blanks AS BIGINT[])) AS line)
                    WHERE line > $header_line),
                n AS (SELECT line - $header_line - row_number() OVER (ORDER BY line) AS acc_before,
                             row_number() OVER (ORDER BY line) AS cum FROM g)
                SELECT acc_before, max(cum) AS cum FROM n GROUP BY acc_before"""
"""Into :data:`GAPS`: the lines after the header that gave no row (refused lines of
:data:`BROKEN`, blank lines ``$blanks``), as how many there are (``cum``) before the rows from
position ``acc_before`` on."""


def staged_line(first_line: int | None, *, gaps: bool) -> tuple[str, str]:
    """(expression, join) giving the line of the row at position ``s.pos`` of a file: a CSV file
    whose data starts on ``first_line`` (with :data:`GAPS` where ``gaps``), or Parquet (None)."""
    if first_line is None:
        return "pos + 1", ""
    if not gaps:
        return f"{int(first_line)} + pos", ""
    return f"{int(first_line)} + pos + coalesce(g.cum, 0)", f"ASOF LEFT JOIN {GAPS} g ON s.pos >= g.acc_before"


FAULTY = f"SELECT rowid - (SELECT min(rowid) FROM {STAGE}) AS pos, fault, raw FROM {STAGE} WHERE fault IS NOT NULL"
"""The faulty rows of :data:`STAGE` and their positions (a query, not a copy of their text)."""


def reject_faulty(line: str, join: str) -> str:
    """A reject for each faulty row of :data:`STAGE`, at the line :func:`staged_line` gives."""
    return f"""INSERT INTO rejects
            SELECT $kind, $src, {line}, list_extract($labels, s.fault), list_extract($reasons, s.fault),
                   s.raw, $sha, $now
            FROM ({FAULTY}) s {join}"""


GOOD_STAGED = f"""SELECT $first + row_number() OVER (ORDER BY rowid) - 1 AS rid,
                   rowid - (SELECT min(rowid) FROM {STAGE}) AS pos FROM {STAGE} WHERE fault IS NULL"""
"""The good rows of :data:`STAGE`: the row id each got (from ``$first`` on) and its position."""


def good_new(table: str) -> str:
    """The rows just added to ``table``: row id and position."""
    return f"SELECT rowid AS rid, rowid - $first AS pos FROM {quote_ident(table)} WHERE rowid >= $first"


def good_lines(good: str, line: str, join: str) -> str:
    """Into :data:`LINES`: the line of each good row of ``good`` (:data:`GOOD_STAGED` or
    :func:`good_new`), where lines and row ids part ways."""
    return f"CREATE TEMP TABLE {bare(LINES)} AS SELECT s.rid, {line} AS line FROM ({good}) s {join}"


def new_row_line(alias: str, base: int, *, recorded: bool, lines_alias: str = "nl") -> tuple[str, str]:
    """(join, expression) giving the line of the new row ``alias.rid`` of a file whose first row
    is on line ``base``; ``recorded``: :data:`LINES` holds the lines that are not in step."""
    formula = f"({int(base)} + {alias}.rid - $first)"
    if not recorded:
        return "", formula
    nl = lines_alias
    return f"LEFT JOIN {LINES} {nl} ON {nl}.rid = {alias}.rid", f"coalesce({nl}.line, {formula})"


# --- repeated keys ----------------------------------------------------------------------------

# ingest_keys rows of the files of this kind loaded before this one ($kind, $file)
_EARLIER_FILES = "file_id IN (SELECT file_id FROM ingest_files WHERE kind = $kind AND file_id <> $file)"

EARLIER_KEYS = f"SELECT count(*) FROM ingest_keys WHERE {_EARLIER_FILES}"
"""How many rows of earlier files of kind ``$kind`` ``ingest_keys`` records."""

OVERLAPPING_FILES = """SELECT f.file_id FROM ingest_files f LEFT JOIN ingest_ranges r ON r.file_id = f.file_id
        WHERE f.kind = $kind AND f.file_id <> $file AND (r.file_id IS NULL OR (r.key_lo <= $hi AND r.key_hi >= $lo))
        ORDER BY f.file_id"""
"""The earlier files of kind ``$kind`` that may hold a key in ``$lo`` .. ``$hi`` (the new rows' range
of the first key column): those whose recorded range overlaps it, and those with none recorded."""

EARLIER_REPEATS = """SELECT DISTINCT k.key_hash AS kh FROM ingest_keys k
                SEMI JOIN (SELECT key_hash FROM ingest_keys WHERE file_id = $file) n ON k.key_hash = n.key_hash
                WHERE k.file_id BETWEEN $first_file AND $last_file AND list_contains($files, k.file_id)"""
"""The key hashes of file ``$file`` that the earlier files ``$files`` (ids from ``$first_file`` to
``$last_file``) had, from ``ingest_keys`` alone. Its rows lie in file order, so the bounds let zone
maps skip the row groups of other files."""


def _key_hash(keys: tuple[str, ...]) -> str:
    return f"hash({column_list(keys)})"


def earlier_repeats_scanned(table: str, keys: tuple[str, ...]) -> str:
    """The key hashes of file ``$file`` that rows stored before it have, scanning ``table`` (for a
    store whose rows ``ingest_keys`` does not all cover) in the new keys' range ``$lo`` .. ``$hi``
    of the first key column: a stored row with a new row's key lies in it."""
    hashed = _key_hash(keys)
    return f"""SELECT DISTINCT {hashed} AS kh FROM {quote_ident(table)}
                WHERE {quote_ident(keys[0])} BETWEEN $lo AND $hi AND rowid < $first
                AND {hashed} IN (SELECT key_hash FROM ingest_keys WHERE file_id = $file)"""


def new_key_range(table: str, key: str) -> str:
    """The least and greatest ``key`` among the rows just added to ``table``."""
    return f"SELECT min({quote_ident(key)}), max({quote_ident(key)}) FROM {quote_ident(table)} WHERE rowid >= $first"


def repeats(table: str, keys: tuple[str, ...], columns: list[str], *, update: bool) -> str:
    """Into :data:`REPEATS`: every row, new or stored, whose key hash is one of ``$hashes``, with
    its verdict: the key's ``first`` row, a ``duplicate`` (the same content as the first row, or
    with ``update`` as the one before it), an ``update`` (when ``$update``) or a ``conflict``.

    Stored rows are read in the new keys' range ``$lo`` .. ``$hi`` of the first key column, so zone
    maps skip most row groups."""
    target = quote_ident(table)
    key_list = column_list(keys)
    hashed = _key_hash(keys)
    content = "struct_pack(" + ", ".join(f"{quote_ident(c)} := {quote_ident(c)}" for c in columns) + ")"
    window = f"PARTITION BY {key_list} ORDER BY rid"
    return f"""CREATE TEMP TABLE {bare(REPEATS)} AS
        SELECT *, CASE
            WHEN n = 1 THEN 'first'
            WHEN content IS NOT DISTINCT FROM {"prev" if update else "first_content"} THEN 'duplicate'
            WHEN $update THEN 'update' ELSE 'conflict' END AS verdict
        FROM (
            SELECT rid, {key_list}, content, kh,
                   row_number() OVER ({window}) AS n,
                   lag(content) OVER ({window}) AS prev,
                   first_value(content) OVER ({window}) AS first_content,
                   first_value(rid) OVER ({window}) AS first_rid,
                   max(rid) OVER (PARTITION BY {key_list}) AS last_rid
            FROM (
                SELECT * FROM (SELECT rowid AS rid, {key_list}, {content} AS content, {hashed} AS kh
                               FROM {target} WHERE rowid >= $first)
                UNION ALL  -- stored rows: the new keys' range first, so zone maps skip most row groups
                SELECT * FROM (SELECT rowid AS rid, {key_list}, {content} AS content, {hashed} AS kh
                               FROM {target} WHERE {quote_ident(keys[0])} BETWEEN $lo AND $hi AND rowid < $first)
            ) WHERE kh IN (SELECT unnest(CAST($hashes AS UBIGINT[]))))"""


CONFLICT_COUNT = f"SELECT count(*) FROM {REPEATS} WHERE verdict = 'conflict'"

VERDICT_COUNTS = f"""SELECT count(*) FILTER (verdict = 'conflict'), count(*) FILTER (verdict = 'duplicate'),
                   count(*) FILTER (verdict = 'update') FROM {REPEATS} WHERE rid >= $first"""
"""Conflicts, duplicates and updates among the rows just added."""


def reject_conflicts(columns: list[str], line: str, line_join: str, first_line: str, first_join: str) -> str:
    """A reject for each conflicting row of :data:`REPEATS`, naming the file and line of the row
    it conflicts with: in this file (``first_line``, alias ``f``), or an earlier one as
    ``ingest_keys`` records it. ``line`` is the row's own line (alias ``r``); see :func:`new_row_line`."""
    raw = "concat_ws(',', " + ", ".join(f"CAST(r.content.{quote_ident(c)} AS VARCHAR)" for c in columns) + ")"
    return f"""INSERT INTO rejects
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
                GROUP BY k.key_hash) prior ON prior.key_hash = r.kh"""


def _gone(update: bool) -> str:
    """The rows of :data:`REPEATS` that do not stay: all but the first of a key, or with
    ``update`` all but the last."""
    return "n > 1" if not update else "rid <> last_rid"


def forget_gone_keys(line: str, line_join: str, *, update: bool) -> str:
    """Drop the ``ingest_keys`` rows of file ``$file`` for its rows that do not stay."""
    return f"""DELETE FROM ingest_keys WHERE file_id = $file AND line IN (
            SELECT {line} FROM (SELECT rid FROM {REPEATS} WHERE {_gone(update)} AND rid >= $first) r {line_join})"""


FORGET_REPLACED_KEYS = f"""DELETE FROM ingest_keys WHERE {_EARLIER_FILES} AND key_hash IN (
                SELECT kh FROM {REPEATS} WHERE rid < $first AND rid <> last_rid)"""
"""Drop the ``ingest_keys`` rows of earlier files for stored rows an update replaces."""


def delete_gone(table: str, *, update: bool) -> str:
    """Delete from ``table`` its rows of :data:`REPEATS` that do not stay."""
    return f"DELETE FROM {quote_ident(table)} WHERE rowid IN (SELECT rid FROM {REPEATS} WHERE {_gone(update)})"


# --- the files themselves ---------------------------------------------------------------------

PARQUET_ROWS = "SELECT sum(num_rows) FROM parquet_file_metadata($path)"
"""A Parquet file's row count, from its footer (no data read)."""

PARQUET_SCHEMA = "DESCRIBE SELECT * FROM read_parquet($path)"
"""A Parquet file's columns: name and type first."""
