"""Check a file before anything is loaded: readable, decodable, header resolvable.

``peek_file`` checks what a file's first chunk shows (type, header, columns), so
``ingest_paths`` can peek at all files first and load none if any is unusable.
``fingerprint_file`` completes the plan from a full pass (hash, line count, encoding);
``ingest_paths`` commits nothing until every file's fingerprint has passed too. The plan
records where each canonical column comes from (a file column, a default, a derived key,
or nowhere).
"""

from __future__ import annotations

import contextlib
import csv
import io
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import BinaryIO, Literal

import duckdb

from fraudkit.engine.sql import ingest as sql
from fraudkit.errors import InputFileError
from fraudkit.exposure import mask_text
from fraudkit.ingest.compressed import Compression, compression_of, open_decompressed, read_prefix
from fraudkit.ingest.encoding import (
    line_of_offset,
    newline_of,
    resolve_encoding,
    scan_decompressing,
    scan_file,
    scan_prefix,
    transcode_to_utf8,
)
from fraudkit.ingest.mapping import Mapping
from fraudkit.ingest.scratch import Scratch, literal_path
from fraudkit.ingest.sources import FileFormat, detect_format
from fraudkit.ingest.validate import IngestSettings
from fraudkit.schema import Table
from fraudkit.text import noun

# Defaults the schema promises ("CNY by default", "success unless stated"); a mapping wins.
BUILTIN_DEFAULTS: dict[str, dict[str, str]] = {"transactions": {"currency": "CNY", "status": "success"}}
DELIMITER_CANDIDATES = (",", "\t", ";", "|")
MAX_HEADER_BYTES = 1 << 20
TIMESTAMP_TYPES = ("TIMESTAMP", "DATE")
Origin = Literal["file", "default", "derived", "absent"]


@dataclass(frozen=True)
class SourceColumn:
    """Where one canonical column's values come from."""

    canonical: str
    origin: Origin
    index: int | None = None  # position among the file's columns
    header: str | None = None  # the file's name for it
    default: str | None = None
    typed_timestamp: bool = False  # a Parquet TIMESTAMP/DATE column: no parsing needed
    typed_zoned: bool = False  # a Parquet TIMESTAMP WITH TIME ZONE column: an instant, no zone applies

    @property
    def label(self) -> str:
        """The name to show in rejects: the file's header when the value came from the file."""
        return self.header if self.header is not None else self.canonical


@dataclass(frozen=True)
class FilePlan:
    """Everything needed to load one file, decided before loading any."""

    path: Path
    kind: str
    format: FileFormat
    sha256: str  # "" until fingerprinted
    read_path: str | None = None  # what DuckDB reads: None for the file itself, else a scratch copy
    compression: Compression | None = None  # "gzip": every read of the text goes to read_path
    encoding: str = "utf-8"
    newline: str = "\n"  # line end: LF (a CR before it belongs to it) or, for old Mac files, CR
    delimiter: str = ","
    skip_rows: int = 0
    header: tuple[str, ...] = ()
    columns: tuple[SourceColumn, ...] = ()
    ignored: tuple[str, ...] = ()
    # Non-blank data lines (CSV) or the file's row count (Parquet); None until counted.
    # Every one must end up a row or a reject (see load.py).
    expected_rows: int | None = None
    duckdb_reads_as_is: bool = True  # False: line ends DuckDB's reader fails on (mixed, lone CR)

    @property
    def fingerprinted(self) -> bool:
        return bool(self.sha256)

    @property
    def header_line(self) -> int:
        """1-based line of the header row (CSV); data starts on the next line."""
        return self.skip_rows + 1

    @property
    def derived_key(self) -> bool:
        return any(c.origin == "derived" for c in self.columns)


def already_ingested(con: duckdb.DuckDBPyConnection, sha256: str, kind: str) -> bool:
    """Whether this content was ingested as ``kind`` before: nothing to load."""
    return _logged(con, "file_sha256", sha256, kind)


def ingested_from(con: duckdb.DuckDBPyConnection, path: Path, kind: str) -> bool:
    """Whether a file at this path was ingested as ``kind`` before (a likely re-run)."""
    return _logged(con, "source_file", str(path.resolve()), kind)


def _logged(
    con: duckdb.DuckDBPyConnection, column: Literal["file_sha256", "source_file"], value: str, kind: str
) -> bool:
    rows = con.execute(sql.logged(column), {"value": value, "kind": kind}).fetchall()
    return bool(rows[0][0])


def requested_encoding(encoding: str | None, mapping: Mapping | None) -> str | None:
    """The encoding asked for: the option's, else the mapping's (None or "auto": detect)."""
    return encoding or (mapping.encoding if mapping else None)


def peek_file(
    path: Path,
    table: Table,
    mapping: Mapping | None,
    *,
    encoding: str | None,
    settings: IngestSettings,
    con: duckdb.DuckDBPyConnection,
) -> FilePlan:
    """Check what can be checked without reading all of ``path``: type, header, columns.

    The encoding is judged from the first chunk; :func:`fingerprint_file` confirms it over
    the whole file (and hashes and counts it), which may run while the file loads.
    """
    fmt = detect_format(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            prefix = fh.read(settings.chunk_bytes)
    except OSError as exc:
        raise InputFileError(path, f"cannot read: {exc.strerror or exc}") from exc
    compression = compression_of(prefix)
    if compression is not None:  # the text's first chunk, not the archive's
        prefix = read_prefix(path, settings.chunk_bytes)
        size = len(prefix) + (len(prefix) == settings.chunk_bytes)  # more than the prefix: text follows
    if size == 0 or not prefix:
        raise InputFileError(path, "file is empty", hint="export the data again")
    if fmt == "parquet":
        header, types = _parquet_schema(con, path)
        columns, ignored = resolve_columns(path, table, header, types, mapping)
        return FilePlan(
            path,
            table.name,
            fmt,
            "",
            encoding="parquet",
            header=header,
            columns=columns,
            ignored=ignored,
            expected_rows=_parquet_rows(con, path),
        )
    requested = requested_encoding(encoding, mapping)
    line_of = None if compression is None else (lambda offset: prefix.count(b"\n", 0, offset) + 1)
    codec = resolve_encoding(path, scan_prefix(prefix, complete=len(prefix) == size), requested, line_of=line_of)
    return _csv_plan(path, table, mapping, codec, newline_of(prefix).decode(), compression)


def fingerprint_file(
    plan: FilePlan,
    table: Table,
    mapping: Mapping | None,
    *,
    encoding: str | None,
    settings: IngestSettings,
    scratch: Scratch,
) -> FilePlan:
    """Complete a peeked plan from one pass over the whole file: its SHA-256, its line
    count and its encoding (transcoding to a nameless UTF-8 scratch file when it is not
    UTF-8). No database use, so it can run in a thread while the file loads.

    A gzip file is decompressed to a nameless scratch file in the same pass (its hash is of the
    compressed bytes, its lines those of the text), which every later read of the text uses."""
    newline = plan.newline.encode()
    text = None  # where the file's text is, when not in the file itself
    if plan.compression == "gzip":
        out, text = scratch.new()
        scan = scan_decompressing(plan.path, out, settings.chunk_bytes, newline=newline, header_line=plan.header_line)
    else:
        scan = scan_file(plan.path, settings.chunk_bytes, newline=newline, header_line=plan.header_line)
    if plan.format == "parquet":
        return replace(plan, sha256=scan.sha256)
    requested = requested_encoding(encoding, mapping)
    line_of = None if text is None else partial(line_of_offset, Path(text))
    codec = resolve_encoding(plan.path, scan, requested, line_of=line_of)
    if codec != plan.encoding:  # the first chunk misled: decode the header again
        plan = _csv_plan(plan.path, table, mapping, codec, plan.newline, plan.compression)
    read_path, lines = text, scan.lines
    if codec != "utf-8":  # transcoding is the slow part, so it comes after the header resolves
        out, read_path = scratch.new()
        lines = transcode_to_utf8(
            plan.path,
            codec,
            out,
            settings.chunk_bytes,
            newline=newline,
            header_line=plan.header_line,
            read_from=text,
        )
    assert lines is not None
    return replace(
        plan,
        sha256=scan.sha256,
        read_path=read_path,
        expected_rows=lines.data_lines(),
        duckdb_reads_as_is=lines.duckdb_reads_as_is,
    )


def _csv_plan(
    path: Path,
    table: Table,
    mapping: Mapping | None,
    codec: str,
    newline: str,
    compression: Compression | None = None,
) -> FilePlan:
    skip_rows = mapping.skip_rows if mapping else 0
    header_line, first_line = _first_lines(path, codec, skip_rows, newline, compression)
    delimiter = (mapping.delimiter if mapping else None) or guess_delimiter(header_line)
    header = split_header(header_line, first_line, delimiter)
    columns, ignored = resolve_columns(path, table, header, ("VARCHAR",) * len(header), mapping)
    return FilePlan(
        path,
        table.name,
        "csv",
        "",
        encoding=codec,
        newline=newline,
        delimiter=delimiter,
        skip_rows=skip_rows,
        header=header,
        columns=columns,
        ignored=ignored,
        compression=compression,
    )


def guess_delimiter(header_line: str) -> str:
    """The candidate that splits the header most; a comma when none does."""
    counts = {d: header_line.count(d) for d in DELIMITER_CANDIDATES}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def resolve_columns(
    path: Path,
    table: Table,
    header: tuple[str, ...],
    types: tuple[str, ...],
    mapping: Mapping | None,
) -> tuple[tuple[SourceColumn, ...], tuple[str, ...]]:
    """Match canonical columns to the file's header; raise naming every unresolvable one."""
    names = _unique_names(header)
    exact = {}
    folded = {}
    for i, (h, name) in enumerate(zip(header, names, strict=True)):
        for key in (h, name):
            exact.setdefault(key, i)
            folded.setdefault(key.casefold(), i)
    defaults = {**BUILTIN_DEFAULTS.get(table.name, {}), **(mapping.defaults if mapping else {})}
    resolved: list[SourceColumn] = []
    not_found: list[str] = []
    missing: list[str] = []
    for column in table.columns:
        name = column.name
        candidates = mapping.columns.get(name) if mapping else None
        index = None
        for cand in candidates or (name,):
            index = exact.get(cand.strip(), folded.get(cand.strip().casefold()))
            if index is not None:
                break
        if index is not None:
            typed = column.role == "timestamp" and types[index].upper().startswith(TIMESTAMP_TYPES)
            zoned = typed and ("TIME ZONE" in types[index].upper() or types[index].upper() == "TIMESTAMPTZ")
            resolved.append(SourceColumn(name, "file", index, names[index], defaults.get(name), typed, zoned))
        elif candidates and not (mapping and name in mapping.optional):
            not_found.append(f"{' / '.join(map(repr, candidates))} (for {name})")
        elif name in defaults:
            resolved.append(SourceColumn(name, "default", default=defaults[name]))
        elif name in table.key and table.hash_key_from:
            resolved.append(SourceColumn(name, "derived"))
        elif column.required:
            missing.append(name)
        else:
            resolved.append(SourceColumn(name, "absent"))
    _refuse_shared_sources(path, resolved, mapping)
    used = {c.index for c in resolved if c.index is not None}
    unused = tuple(h for i, h in enumerate(header) if i not in used and h)
    # a headerless file's "header" is its first data row: mask it before it goes to a log
    shown = ", ".join(repr(mask_text(h)) for h in header[:15]) + (", ..." if len(header) > 15 else "")
    if not_found:
        where = mapping.source if mapping else "the mapping"
        raise InputFileError(
            path,
            f"{noun(len(not_found), 'column')} named in the mapping {noun(len(not_found), 'is', 'are')} "
            f"not in the file: {', '.join(not_found)}",
            hint=f"the file's columns are {shown}; fix [columns] in {where} "
            "(or list the column in `optional` if some files lack it)",
        )
    if missing:
        names = ", ".join(repr(m) for m in missing)
        spare = ", ".join(repr(mask_text(h)) for h in unused[:8]) or "none"
        if mapping:
            hint = f"add a [columns] entry for {names} to {mapping.source} (unused file columns: {spare})"
        else:
            example = f'{missing[0]} = "<header in your file>"'
            hint = (
                f"the file's columns are {shown}; rename the header to the canonical names "
                f"or give a mapping file with [columns] {example}"
            )
        raise InputFileError(path, f"missing required {noun(len(missing), 'column')} {names}", hint=hint)
    return tuple(resolved), unused


def _unique_names(header: tuple[str, ...]) -> tuple[str, ...]:
    """The header with repeats told apart as pandas does: the second ``Account`` is ``Account.1``
    (exports such as IBM's AML data name payer and payee accounts alike)."""
    seen: dict[str, int] = {}
    names = []
    for h in header:
        repeat = seen.get(h.casefold(), 0)
        seen[h.casefold()] = repeat + 1
        names.append(f"{h}.{repeat}" if repeat and h else h)
    return tuple(names)


def _refuse_shared_sources(path: Path, resolved: list[SourceColumn], mapping: Mapping | None) -> None:
    """Two canonical columns read from one file column is a mapping mistake (every transfer a
    self-transfer, ids that are amounts), never what an export means."""
    by_index: dict[int, list[str]] = {}
    for column in resolved:
        if column.index is not None:
            by_index.setdefault(column.index, []).append(column.canonical)
    for index, names in by_index.items():
        if len(names) > 1:
            header = next(c.header for c in resolved if c.index == index)
            where = mapping.source if mapping else "the mapping"
            raise InputFileError(
                path,
                f"columns {' and '.join(map(repr, names))} would both read the file's column {mask_text(header)!r}",
                hint=f"map each to its own column in [columns] of {where}",
            )


def _first_lines(
    path: Path, codec: str, skip_rows: int, newline: str, compression: Compression | None = None
) -> tuple[str, str | None]:
    """The header line and the first data line (if any), decoded; errors name the line."""
    wide = codec.startswith(("utf-16", "utf-32"))  # newline is not one byte: decode as text
    lines: list[str] = []
    try:
        if wide:
            with _open_bytes(path, compression) as raw_fh, io.TextIOWrapper(raw_fh, encoding=codec, newline="") as fh:
                lines = [fh.readline(MAX_HEADER_BYTES) for _ in range(skip_rows + 2)]
        else:
            with _open_bytes(path, compression) as fh:
                for raw in _raw_lines(fh, skip_rows + 2, newline.encode()):
                    lines.append(raw.decode("utf-8-sig" if codec == "utf-8" and not lines else codec))
    except UnicodeDecodeError:
        raise InputFileError(
            path,
            f"not valid {codec} text",
            line=len(lines) + 1,
            hint="try --encoding gb18030 or --encoding utf-8",
        ) from None
    lines += [""] * (skip_rows + 2 - len(lines))
    header, first = lines[skip_rows].rstrip("\r\n").lstrip("\ufeff"), lines[skip_rows + 1].rstrip("\r\n")
    if not header.strip():
        raise InputFileError(
            path,
            "no header row",
            line=skip_rows + 1,
            hint="the first line must name the columns (set skip_rows in the mapping to skip titles)",
        )
    if "\x00" in header:
        raise InputFileError(
            path, "binary data where the header should be", line=skip_rows + 1, hint="give CSV or Parquet files"
        )
    return header, first or None


def _open_bytes(path: Path, compression: Compression | None) -> contextlib.AbstractContextManager[BinaryIO]:
    """The file's text as bytes: the file itself, or what its archive holds."""
    return open_decompressed(path) if compression == "gzip" else path.open("rb")


def _raw_lines(fh: BinaryIO, count: int, newline: bytes) -> list[bytes]:
    """The first ``count`` lines (line end included), each cut at MAX_HEADER_BYTES."""
    if newline == b"\n":
        return [fh.readline(MAX_HEADER_BYTES) for _ in range(count)]
    data = fh.read(MAX_HEADER_BYTES * count)
    parts = data.split(newline)
    return [part + newline for part in parts[:count]]


def split_header(header_line: str, first_line: str | None, delimiter: str) -> tuple[str, ...]:
    """Header names, trimmed; an unnamed column is added when data rows end in a delimiter
    the header lacks ("a,b,c," under "a,b,c"), a habit of some bank systems."""
    header = tuple(h.strip() for h in next(csv.reader([_one_line(header_line)], delimiter=delimiter)))
    if first_line:
        fields = next(csv.reader([_one_line(first_line)], delimiter=delimiter), [])
        if len(fields) == len(header) + 1 and not fields[-1].strip():
            header += ("",)
    return header


def _one_line(text: str) -> str:
    """A CR inside a line is data, but Python's csv module refuses it in an unquoted field."""
    return text.replace("\r", " ")


def _parquet_rows(con: duckdb.DuckDBPyConnection, path: Path) -> int | None:
    """Row count from the Parquet footer (no data read)."""
    try:
        with literal_path(path) as name:
            rows = con.execute(sql.PARQUET_ROWS, {"path": name}).fetchall()
    except duckdb.Error:
        return None
    return None if rows[0][0] is None else int(rows[0][0])


def _parquet_schema(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        with literal_path(path) as name:
            rows = con.execute(sql.PARQUET_SCHEMA, {"path": name}).fetchall()
    except duckdb.Error as exc:
        raise InputFileError(
            path, f"unreadable Parquet file: {str(exc).splitlines()[0]}", hint="export it again"
        ) from exc
    return tuple(str(r[0]) for r in rows), tuple(str(r[1]) for r in rows)
