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
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO

import numpy as np

from fraudkit.errors import InputFileError
from fraudkit.ingest.compressed import decompress_to

AUTO = "auto"
ENCODING_HINT = "use auto, utf-8, gbk, gb18030, utf-16 or another text encoding (try --encoding gb18030)"
FALLBACK_ENCODING = "gb18030"  # superset of GBK/GB2312: what Chinese exports use when not UTF-8
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_BLANK_AFTER = re.compile(rb"\n(?=\r?\n)")


class LineCounter:
    """Counts line ends in a stream of UTF-8 (or ASCII-compatible) chunks and finds blank lines.

    ``newline`` is the line end: ``b"\n"`` (a CR before it belongs to the line end) or ``b"\r"``
    for old Mac files. Blank lines numbered above ``after`` are counted; their numbers are
    kept when ``keep`` is set (line numbers of rejects need them, the tally only the count).
    """

    def __init__(self, newline: bytes = b"\n", *, after: int = 0, keep: bool = True) -> None:
        self.newline = newline
        self.newlines = 0
        self.blank = 0
        self.blank_lines: list[int] = []
        self._after = after
        self._keep = keep
        self._tail = newline  # a virtual line end before the start, so an empty line 1 counts
        self._pattern = re.compile(re.escape(newline) + (rb"(?=\r?\n)" if newline == b"\n" else rb"(?=\r)"))

    def feed(self, chunk: bytes) -> None:
        nl = self.newline
        if nl == b"\n":
            ends = _positions(chunk, _LF)
            self._feed(chunk, maybe_blank=_may_hold_blank(self._tail + chunk[:2]) or _blank_after(chunk, ends))
            self.newlines += len(ends)
        else:
            self._feed(chunk, maybe_blank=True)
            self.newlines += chunk.count(nl)
        self._tail = (self._tail + chunk[-2:])[-2:]

    def _feed(self, chunk: bytes, *, maybe_blank: bool) -> None:
        """Find the blank lines that end in ``chunk``: a copy and a search, only where the
        quick test says there may be one (a clean file has none)."""
        if not maybe_blank:
            return
        data = self._tail + chunk
        nl = self.newline
        if nl + nl in data or (nl == b"\n" and b"\n\r\n" in data):
            before_data = self.newlines - self._tail.count(nl)
            counted_to, seen = 0, 0
            for match in self._pattern.finditer(data):
                start = match.start()
                span_end = start + (3 if data[start + 1 : start + 2] == b"\r" and nl == b"\n" else 2)
                seen += data.count(nl, counted_to, start + 1)
                counted_to = start + 1
                line = before_data + seen + 1
                if span_end > len(self._tail) and line > self._after:  # not reported with the previous chunk
                    self.blank += 1
                    if self._keep:
                        self.blank_lines.append(line)


_LF = 10
_CR = 13


def _positions(chunk: bytes, byte: int) -> np.ndarray:
    """Offsets of ``byte`` in ``chunk``, vectorised: ten times the speed of a bytes search,
    and numpy lets go of the GIL, so the load beside it keeps its core."""
    return np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == byte)


def _blank_after(chunk: bytes, ends: np.ndarray) -> bool:
    """Whether ``chunk`` holds LF LF or LF CR LF (an empty line), from its LF offsets."""
    if len(ends) < 2:
        return False
    gaps = np.diff(ends)
    if bool((gaps == 1).any()):
        return True
    two = ends[:-1][gaps == 2]
    return bool(len(two)) and bool((np.frombuffer(chunk, dtype=np.uint8)[two + 1] == _CR).any())


def _may_hold_blank(boundary: bytes) -> bool:
    """The same test across a chunk boundary: the last bytes before it and the first after."""
    return b"\n\n" in boundary or b"\n\r\n" in boundary


class LineTally:
    """Counts a stream's lines at memory speed: line ends, blank lines after the header, CRs.

    Enough to tell after a load whether every data line became a row or a reject (see
    ``fraudkit.ingest.load``), and whether DuckDB's reader can take the file as it is: it
    reads LF-only or CRLF-only files, but fails on a mix, on a lone CR and on CR-only files.
    """

    def __init__(self, newline: bytes = b"\n", header_line: int = 1) -> None:
        self.newline = newline
        self.header_line = header_line
        self.crs = 0
        self.crlfs = 0
        self.size = 0
        self._blank = LineCounter(newline, after=header_line, keep=False)
        self._last = b""  # what follows the last line end (cut to 2 bytes)
        self._prev = b""

    @property
    def newlines(self) -> int:
        return self._blank.newlines

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self._blank.feed(chunk)
        if b"\r" in chunk:  # one fast scan for the usual LF-only file
            self.crs += chunk.count(b"\r")
            self.crlfs += chunk.count(b"\r\n")
        self.crlfs += self._prev == b"\r" and chunk[:1] == b"\n"
        end = chunk.rfind(self.newline)
        self._last = chunk[end + 1 :][:2] if end >= 0 else (self._last + chunk)[:2]
        self._prev = chunk[-1:]
        self.size += len(chunk)

    def data_lines(self) -> int:
        """Non-blank lines after the header: each is one record, or part of a quoted one."""
        unterminated = self._last not in (b"", b"\r")
        lines = self.newlines + unterminated
        return max(0, lines - self.header_line - self._blank.blank)

    @property
    def duckdb_reads_as_is(self) -> bool:
        """LF-only or CRLF-only line ends: DuckDB's reader takes them without complaint."""
        return self.newline == b"\n" and (self.crs == 0 or self.crs == self.crlfs == self.newlines)


def newline_of(prefix: bytes) -> bytes:
    """The line end of a file from its first bytes: LF (CRLF included), or CR when there is no LF."""
    return b"\r" if b"\n" not in prefix and b"\r" in prefix else b"\n"


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


def scan_file(path: Path, chunk_bytes: int, *, newline: bytes = b"\n", header_line: int = 1) -> Scan:
    """Hash the file, check it is UTF-8 and count its lines in one streamed pass (about 1.5 GB/s)."""
    digest = hashlib.sha256()
    lines = LineTally(newline, header_line)
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


class _Head:
    """Keeps the first bytes of a stream (a BOM says UTF-16)."""

    def __init__(self) -> None:
        self.bytes = b""

    def feed(self, chunk: bytes) -> None:
        if len(self.bytes) < 4:
            self.bytes = (self.bytes + chunk)[:4]


def scan_decompressing(
    path: Path, out: BinaryIO, chunk_bytes: int, *, newline: bytes = b"\n", header_line: int = 1
) -> Scan:
    """:func:`scan_file` for a gzip file, writing its text to ``out`` in the same pass: the hash
    and size are of the compressed file (its identity), the lines and encoding of the text."""
    lines = LineTally(newline, header_line)
    utf8 = Utf8Check()
    head = _Head()
    sha256, size = decompress_to(path, out, chunk_bytes, [lines, utf8, head])
    utf8.finish()
    return Scan(
        sha256=sha256,
        size=size,
        utf8=utf8.valid,
        utf16_bom=head.bytes.startswith(UTF16_BOMS),
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


def text_codec(name: str) -> str | None:
    """Python's name for a text encoding, or None: codecs.lookup also knows transforms such
    as rot13, base64 and zlib, which do not turn bytes into text."""
    try:
        info = codecs.lookup(name)
    except (LookupError, TypeError, ValueError):
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


def resolve_encoding(
    path: Path, scan: Scan, requested: str | None, *, line_of: Callable[[int], int] | None = None
) -> str:
    """The codec to read ``path`` with; "utf-8" means DuckDB reads the file as it is. ``line_of``
    gives the line of a byte offset of the text when the text is not the file's bytes (a gzip
    file's; default: count the file's own line ends)."""
    if requested is None or requested.lower() == AUTO:
        if scan.utf16_bom:
            return "utf-16"
        return "utf-8" if scan.utf8 else FALLBACK_ENCODING
    name = text_codec(requested)
    if name is None:
        raise InputFileError(path, f"unknown encoding {requested!r}", hint=ENCODING_HINT)
    if name in ("utf-8", "utf-8-sig"):
        if not scan.utf8:
            line = None
            if scan.bad_utf8_offset is not None:
                line = (line_of or partial(line_of_offset, path))(scan.bad_utf8_offset)
            raise InputFileError(
                path,
                "not valid UTF-8 text",
                line=line,
                hint="try --encoding gb18030 (or set encoding in the mapping)",
            )
        return "utf-8"
    return name


def transcode_to_utf8(
    path: Path,
    encoding: str,
    out: BinaryIO,
    chunk_bytes: int,
    *,
    newline: bytes = b"\n",
    header_line: int = 1,
    read_from: str | None = None,
) -> LineTally:
    """Write ``path`` decoded from ``encoding`` to ``out`` as UTF-8, chunk by chunk;
    returns the line tally of what was written (what DuckDB will read). ``read_from`` is where
    the text is when it is not ``path`` itself (a decompressed copy); errors name ``path``."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    newlines = 0
    written = LineTally(newline, header_line)
    try:
        with Path(read_from or path).open("rb") as src:
            final = False
            while not final:
                raw = src.read(chunk_bytes)
                final = not raw
                try:
                    text = decoder.decode(raw, final=final)
                except UnicodeDecodeError as exc:
                    line = None
                    if not encoding.startswith("utf-16"):  # ASCII-compatible: count raw newlines
                        line = newlines + raw.count(newline, 0, max(exc.start, 0)) + 1
                    raise InputFileError(
                        path, f"not valid {encoding} text", line=line, hint=_encoding_hint(encoding)
                    ) from None
                newlines += raw.count(newline)
                encoded = text.encode("utf-8")
                if encoded:
                    written.feed(encoded)
                    out.write(encoded)
        out.flush()
    except OSError as exc:
        raise InputFileError(path, f"cannot transcode to UTF-8: {exc.strerror or exc}") from exc
    return written


def _encoding_hint(encoding: str) -> str:
    if encoding == "gbk":
        return "try --encoding gb18030 (a superset of GBK)"
    if encoding == FALLBACK_ENCODING:
        return "the file is neither UTF-8 nor GB18030: try --encoding utf-16 or --encoding big5"
    return "try --encoding utf-8 or --encoding gb18030"
