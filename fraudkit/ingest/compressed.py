"""gzip-compressed exports (``transactions.csv.gz``), read as the CSV they hold.

The CSV path reads a file's text several times (the header, DuckDB's reader, the line count,
the exact line-by-line reader), so a compressed file is decompressed once, in the fingerprint
pass, into a nameless scratch file (:mod:`fraudkit.ingest.scratch`) that every later read uses:
memory stays at one chunk, and the disk holds the decompressed text only while the run lasts.
The same pass hashes the compressed bytes, so a file's identity for re-ingest is the SHA-256 of
the file as given (what ``sha256sum`` says of it), and counts the decompressed lines, so line
numbers in rejects are those of the text inside.

A truncated or corrupt archive is an :class:`~fraudkit.errors.InputFileError` naming the file:
gzip's own checks (CRC and length of every member) run to the last byte before anything commits.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, Literal, Protocol

from fraudkit.errors import InputFileError

Compression = Literal["gzip"]
GZIP_MAGIC = b"\x1f\x8b"
GZIP_SUFFIXES = (".gz", ".gzip")
CORRUPT_HINT = "the archive is incomplete or damaged: download or compress it again (gzip -t FILE checks it)"


class Sink(Protocol):
    """Anything told each chunk of text as it is decompressed (a line tally, a UTF-8 check)."""

    def feed(self, chunk: bytes) -> None: ...


def compression_of(head: bytes) -> Compression | None:
    """The compression a file's first bytes show, or None for a plain file."""
    return "gzip" if head.startswith(GZIP_MAGIC) else None


def inner_suffix(path: Path) -> str:
    """The suffix of the file inside: ``.csv`` for ``x.csv.gz`` ("" when the name has none)."""
    if path.suffix.lower() in GZIP_SUFFIXES:
        return Path(path.stem).suffix.lower()
    return path.suffix.lower()


@contextlib.contextmanager
def gzip_errors(path: Path) -> Iterator[None]:
    """Turn what gzip and zlib raise on a bad archive into one error naming the file."""
    try:
        yield
    except EOFError:
        raise InputFileError(path, "truncated gzip file (it ends before its last block)", hint=CORRUPT_HINT) from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise InputFileError(path, f"corrupt gzip file: {exc}", hint=CORRUPT_HINT) from None
    except OSError as exc:
        raise InputFileError(path, f"cannot read: {exc.strerror or exc}") from None


@contextlib.contextmanager
def open_decompressed(path: Path) -> Iterator[BinaryIO]:
    """The decompressed bytes of ``path`` as a binary stream; errors name ``path``."""
    with gzip_errors(path), gzip.open(path, "rb") as fh:
        yield fh  # type: ignore[misc]


def read_prefix(path: Path, size: int) -> bytes:
    """The first ``size`` decompressed bytes (fewer: the whole text)."""
    with open_decompressed(path) as fh:
        return fh.read(size)


class _HashingReader(io.RawIOBase):
    """A raw stream that hashes every byte read through it: gzip reads the file, we see it pass."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.digest.update(data)
        self.size += n
        return n

    def drain(self, chunk_bytes: int) -> None:
        """Hash what gzip left unread (nothing, usually): the identity covers the whole file."""
        while data := self._raw.read(chunk_bytes):
            self.digest.update(data)
            self.size += len(data)


def decompress_to(path: Path, out: BinaryIO, chunk_bytes: int, sinks: Sequence[Sink]) -> tuple[str, int]:
    """Write the text of ``path`` to ``out`` chunk by chunk, telling each chunk to every one of
    ``sinks``; returns the SHA-256 and size of the compressed file."""
    with gzip_errors(path), path.open("rb") as raw:
        hashing = _HashingReader(raw)
        with gzip.GzipFile(fileobj=io.BufferedReader(hashing, chunk_bytes), mode="rb") as text:
            while chunk := text.read(chunk_bytes):
                for sink in sinks:
                    sink.feed(chunk)
                out.write(chunk)
        hashing.drain(chunk_bytes)
    out.flush()
    return hashing.digest.hexdigest(), hashing.size
