"""The exact reader for files DuckDB's CSV reader cannot be trusted with, line by line.

DuckDB lets a quoted field run over line ends, so one stray ``"`` swallows every later line
into a single bad record, and it fails outright on mixed or CR-only line ends. This reader
splits the file into lines itself (LF, with a CR before it dropped; CR for files with no LF),
so a bad line costs that line only. A quoted field may still hold line breaks: a line whose
quote is not closed is joined with the next ones while that gives a well-formed record with
the header's number of fields (at most ``MAX_JOINED`` lines); otherwise it is a reject alone.

Output goes to two nameless scratch files that DuckDB then reads as clean CSV: the records,
each prefixed with the line it starts on, and the structural rejects (line, reason, raw).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fraudkit.ingest.scratch import Scratch

MAX_JOINED = 50
_CR_STANDIN = "\ue000"  # Python's csv refuses a bare CR in an unquoted field; data keeps it


@dataclass(frozen=True)
class SplitFile:
    records_path: str  # CSV: line, then the file's fields
    rejects_path: str  # CSV: line, reason, raw
    records: int
    record_lines: int  # lines the records span (more than ``records`` when fields hold breaks)
    rejects: int


def split_file(
    source: Path | str, *, delimiter: str, newline: str, skip_lines: int, columns: int, scratch: Scratch
) -> SplitFile:
    """Split the UTF-8 file ``source`` after its first ``skip_lines`` lines (titles, header)."""
    records_fh, records_path = scratch.new()
    rejects_fh, rejects_path = scratch.new()
    # the writers are not closed: that would close the scratch files DuckDB reads next
    rec_out = codecs.getwriter("utf-8")(records_fh)
    rej_out = codecs.getwriter("utf-8")(rejects_fh)
    records = csv.writer(rec_out, delimiter=delimiter, lineterminator="\n")
    # csv quotes a field for its line end only, but DuckDB needs a CR quoted too
    quoted = csv.writer(rec_out, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_ALL)
    rejects = csv.writer(rej_out, lineterminator="\n")
    tally = {"records": 0, "lines": 0, "rejects": 0}

    def settle(pending: list[tuple[int, str]], *, at_end: bool) -> list[tuple[int, str]]:
        """Write out what ``pending`` holds; return the lines still undecided."""
        while pending:
            fields, used = _record(pending, delimiter, columns, at_end=at_end)
            if fields is None and used == 0:
                break  # an open quote that a later line may close: read on
            if fields is not None:
                (quoted if any("\r" in f for f in fields) else records).writerow([pending[0][0], *fields])
                tally["records"] += 1
                tally["lines"] += used
            else:
                first, text = pending[0]
                rejects.writerow([first, _reason(text, delimiter, columns), text])
                tally["rejects"] += 1
                used = 1
            pending = pending[used:]
        return pending

    pending: list[tuple[int, str]] = []
    for number, text in _numbered_lines(source, newline, skip_lines):
        if not pending and '"' not in text and "\r" not in text and text.count(delimiter) == columns - 1:
            records.writerow([number, *text.split(delimiter)])  # the usual line: no parsing
            tally["records"] += 1
            tally["lines"] += 1
            continue
        pending = settle([*pending, (number, text)], at_end=False)
    settle(pending, at_end=True)  # the file ended inside an open quote
    rec_out.flush()
    rej_out.flush()
    return SplitFile(records_path, rejects_path, tally["records"], tally["lines"], tally["rejects"])


def _record(
    pending: list[tuple[int, str]], delimiter: str, columns: int, *, at_end: bool = False
) -> tuple[list[str] | None, int]:
    """Fields of the record starting at ``pending[0]`` and the lines it used, or (None, 1) for
    a bad first line, or (None, 0) when more lines are needed to decide."""
    first = _fields(pending[0][1], delimiter)
    if first is not None:
        return (first, 1) if len(first) == columns else (None, 1)
    if not _opens_quote(pending[0][1], delimiter):
        return None, 1
    for end in range(2, len(pending) + 1):
        joined = "\n".join(text for _, text in pending[:end])
        fields = _fields(joined, delimiter)
        if fields is not None:
            return (fields, end) if len(fields) == columns else (None, 1)
        if not _opens_quote(joined, delimiter):
            return None, 1
    if at_end or len(pending) >= MAX_JOINED:
        return None, 1
    return None, 0


def _fields(text: str, delimiter: str) -> list[str] | None:
    """The fields of one record, or None when its quoting is broken."""
    if '"' not in text:
        return text.split(delimiter)
    try:
        rows = list(csv.reader([text.replace("\r", _CR_STANDIN)], delimiter=delimiter, strict=True))
    except csv.Error:
        return None
    if len(rows) != 1:
        return None
    return [f.replace(_CR_STANDIN, "\r") for f in rows[0]]


def _opens_quote(text: str, delimiter: str) -> bool:
    """Whether the text ends inside a quoted field (so a later line might close it)."""
    try:
        list(csv.reader([text.replace("\r", _CR_STANDIN)], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        return "unexpected end of data" in str(exc) or "EOF" in str(exc)
    return False


def _reason(text: str, delimiter: str, columns: int) -> str:
    fields = _fields(text, delimiter)
    if fields is None:
        return "broken quoting: a quote is not closed on its line (or text follows a closing quote)"
    return f"wrong number of columns: expected {columns}, found {len(fields)}"


def _numbered_lines(source: Path | str, newline: str, skip_lines: int) -> Iterator[tuple[int, str]]:
    """(line number, text) of every non-blank line after the first ``skip_lines``."""
    for number, text in enumerate(_lines(source, newline), start=1):
        if number > skip_lines and text:
            yield number, text


def _lines(source: Path | str, newline: str, chunk_chars: int = 1 << 20) -> Iterator[str]:
    """Lines of a UTF-8 file (BOM dropped) without their line ends, streamed."""
    tail = ""
    with open(source, encoding="utf-8-sig", newline="") as fh:
        while chunk := fh.read(chunk_chars):
            parts = (tail + chunk).split(newline)
            tail = parts.pop()
            for part in parts:
                yield part[:-1] if newline == "\n" and part.endswith("\r") else part
    if tail:
        yield tail[:-1] if newline == "\n" and tail.endswith("\r") else tail
