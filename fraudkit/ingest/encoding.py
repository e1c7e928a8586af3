"""Bytes before rows: fingerprint, detect the encoding, and transcode to UTF-8 when needed.

DuckDB's CSV reader only reads UTF-8 here (GBK needs an extension we cannot download),
so GBK/GB18030/UTF-16 exports are transcoded to a temporary UTF-8 file in streamed
chunks of bytes. Blank lines are found on demand: DuckDB skips them without a trace,
and the line numbers of rejected rows must still point at the right line.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fraudkit.errors import InputFileError

AUTO = "auto"
FALLBACK_ENCODING = "gb18030"  # superset of GBK/GB2312: what Chinese exports use when not UTF-8
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_BLANK_AFTER = re.compile(rb"\n(?=\r?\n)")


class LineCounter:
    """Counts newlines in a stream of UTF-8 (or ASCII-compatible) chunks and notes blank lines."""

    def __init__(self) -> None:
        self.newlines = 0
        self.blank_lines: list[int] = []
        self._tail = b"\n"  # a virtual line end before the start, so an empty line 1 counts

    def feed(self, chunk: bytes) -> None:
        data = self._tail + chunk
        if b"\n\n" in data or b"\n\r\n" in data:
            before_data = self.newlines - self._tail.count(b"\n")
            counted_to, seen = 0, 0
            for match in _BLANK_AFTER.finditer(data):
                start = match.start()
                span_end = start + (3 if data[start + 1 : start + 2] == b"\r" else 2)
                seen += data.count(b"\n", counted_to, start + 1)
                counted_to = start + 1
                if span_end > len(self._tail):  # not already reported with the previous chunk
                    self.blank_lines.append(before_data + seen + 1)
        self.newlines += chunk.count(b"\n")
        self._tail = data[-2:]


class LineTally:
    """Counts the lines of a stream of chunks at memory speed, and the blank lines at its end.

    Enough to tell after a load whether every line became a row or a reject (see
    ``fraudkit.ingest.load``); blank lines inside the file are not looked for, so a file
    with some only takes the slower, exact path.
    """

    TAIL = 256

    def __init__(self) -> None:
        self.newlines = 0
        self.size = 0
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        self.newlines += int(np.count_nonzero(np.frombuffer(chunk, dtype=np.uint8) == 10))
        self._tail = (self._tail + chunk[-self.TAIL :])[-self.TAIL :]
        self.size += len(chunk)

    def rows_if_one_per_line(self, header_line: int) -> int:
        """Records the reader yields if each line after the header holds one (or is blank).

        Blank lines are never over-counted: one missed here only makes the figure too high,
        which sends the load down the exact path.
        """
        lines = self.newlines + (1 if self._tail and not self._tail.endswith(b"\n") else 0)
        finished = self._tail.split(b"\n")[:-1]  # lines ended by a newline in the tail
        if self.size > len(self._tail):
            finished = finished[1:]  # the first may be the cut end of a longer line
        trailing_blank = 0
        for line in reversed(finished):
            if line not in (b"", b"\r"):
                break
            trailing_blank += 1
        else:
            trailing_blank = 0  # the tail is all blank lines: cannot tell where they start
        return lines - header_line - trailing_blank


@dataclass(frozen=True)
class Scan:
    """What one pass over the raw bytes tells us."""

    sha256: str
    size: int
    utf8: bool
    utf16_bom: bool
    bad_utf8_offset: int | None  # byte offset of the first invalid UTF-8 sequence
    lines: LineTally | None = None  # of the raw bytes: right for UTF-8 (what DuckDB reads as is)


class Utf8Check:
    """Validates UTF-8 over a stream of chunks, noting the offset of the first bad byte."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._size = 0
        self.valid = True
        self.bad_offset: int | None = None

    def feed(self, chunk: bytes) -> None:
        if self.valid and not (chunk.isascii() and not self._decoder.getstate()[0]):
            try:
                self._decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                self.valid, self.bad_offset = False, self._size + exc.start - len(self._decoder.getstate()[0])
        self._size += len(chunk)

    def finish(self) -> None:
        """The stream ended: a sequence cut off at the end is invalid too."""
        if self.valid:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self.valid, self.bad_offset = False, self._size


def scan_file(path: Path, chunk_bytes: int) -> Scan:
    """Hash the file, check it is UTF-8 and count its lines in one streamed pass (about 1.5 GB/s)."""
    digest = hashlib.sha256()
    lines = LineTally()
    utf8 = Utf8Check()
    size, first = 0, b""
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(chunk_bytes):
                if not first:
                    first = chunk[:4]
                digest.update(chunk)
                lines.feed(chunk)
                utf8.feed(chunk)
                size += len(chunk)
        utf8.finish()
    except OSError as exc:
        raise InputFileError(path, f"cannot read: {exc.strerror or exc}") from exc
    return Scan(
        sha256=digest.hexdigest(),
        size=size,
        utf8=utf8.valid,
        utf16_bom=first.startswith(UTF16_BOMS),
        bad_utf8_offset=utf8.bad_offset,
        lines=lines,
    )


def scan_prefix(prefix: bytes, *, complete: bool) -> Scan:
    """What the first bytes of a file suggest (no hash, no line count); ``complete`` when
    they are the whole file, so a multi-byte character cut at the end is an error."""
    utf8 = Utf8Check()
    utf8.feed(prefix)
    if complete:
        utf8.finish()
    return Scan(
        sha256="",
        size=len(prefix),
        utf8=utf8.valid,
        utf16_bom=prefix.startswith(UTF16_BOMS),
        bad_utf8_offset=utf8.bad_offset,
    )


def line_of_offset(path: Path, offset: int, chunk_bytes: int = 8 << 20) -> int:
    """1-based line holding byte ``offset``: only needed for an error message."""
    newlines, done = 0, 0
    with path.open("rb") as fh:
        while done < offset and (chunk := fh.read(min(chunk_bytes, offset - done))):
            newlines += chunk.count(b"\n")
            done += len(chunk)
    return newlines + 1


def blank_lines(path: Path, chunk_bytes: int) -> tuple[int, ...]:
    """Lines of a UTF-8 file that are empty: DuckDB skips them, so line numbers need them."""
    counter = LineCounter()
    with path.open("rb") as fh:
        while chunk := fh.read(chunk_bytes):
            counter.feed(chunk)
    return tuple(counter.blank_lines)


def resolve_encoding(path: Path, scan: Scan, requested: str | None) -> str:
    """The codec to read ``path`` with; "utf-8" means DuckDB reads the file as it is."""
    if requested is None or requested.lower() == AUTO:
        if scan.utf16_bom:
            return "utf-16"
        return "utf-8" if scan.utf8 else FALLBACK_ENCODING
    try:
        name = codecs.lookup(requested).name
    except LookupError:
        raise InputFileError(
            path, f"unknown encoding {requested!r}", hint="try --encoding gb18030 or --encoding utf-8"
        ) from None
    if name in ("utf-8", "utf-8-sig"):
        if not scan.utf8:
            line = None if scan.bad_utf8_offset is None else line_of_offset(path, scan.bad_utf8_offset)
            raise InputFileError(
                path,
                "not valid UTF-8 text",
                line=line,
                hint="try --encoding gb18030 (or set encoding in the mapping)",
            )
        return "utf-8"
    return name


def transcode_to_utf8(path: Path, encoding: str, dest: Path, chunk_bytes: int) -> LineTally:
    """Write ``path`` decoded from ``encoding`` to ``dest`` as UTF-8, chunk by chunk;
    returns the line tally of what was written (what DuckDB will read)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    newlines = 0
    written = LineTally()
    try:
        with path.open("rb") as src, dest.open("wb") as out:
            final = False
            while not final:
                raw = src.read(chunk_bytes)
                final = not raw
                try:
                    text = decoder.decode(raw, final=final)
                except UnicodeDecodeError as exc:
                    line = None
                    if not encoding.startswith("utf-16"):  # ASCII-compatible: count raw newlines
                        line = newlines + raw.count(b"\n", 0, max(exc.start, 0)) + 1
                    raise InputFileError(
                        path, f"not valid {encoding} text", line=line, hint=_encoding_hint(encoding)
                    ) from None
                newlines += raw.count(b"\n")
                encoded = text.encode("utf-8")
                if encoded:
                    written.feed(encoded)
                    out.write(encoded)
    except OSError as exc:
        raise InputFileError(path, f"cannot transcode to UTF-8: {exc.strerror or exc}") from exc
    return written


def _encoding_hint(encoding: str) -> str:
    if encoding == "gbk":
        return "try --encoding gb18030 (a superset of GBK)"
    if encoding == FALLBACK_ENCODING:
        return "the file is neither UTF-8 nor GB18030: try --encoding utf-16 or --encoding big5"
    return "try --encoding utf-8 or --encoding gb18030"
