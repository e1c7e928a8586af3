"""Files DuckDB reads by a name that is never a pattern, and scratch copies that die with us.

DuckDB expands ``*``, ``?`` and ``[...]`` in every path it is given, so ``b[1].csv`` would read
``b1.csv``. Each input is therefore opened once by fraudkit and handed to DuckDB as
``/proc/self/fd/N`` (``/dev/fd/N`` elsewhere), which names exactly that open file.

Scratch files (a GBK export transcoded to UTF-8, the line-split copy of a broken file) hold
personal data in plain text, so they are created without a name (``O_TMPFILE``, or unlinked
right after creation where that is missing) and reached through their descriptor: no exit
path, ``kill -9`` included, leaves one behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from fraudkit.errors import InputFileError

GLOB_CHARS = frozenset("*?[]{}")


def _fd_folder() -> str | None:
    for folder in ("/proc/self/fd", "/dev/fd"):
        if os.path.isdir(folder):
            return folder
    return None


FD_FOLDER = _fd_folder()


def fd_path(fd: int) -> str:
    """A path that opens the file behind ``fd`` again, whatever its name (or none)."""
    if FD_FOLDER is None:
        raise OSError("no /proc/self/fd or /dev/fd on this system")
    return f"{FD_FOLDER}/{fd}"


@contextlib.contextmanager
def literal_path(path: Path) -> Iterator[str]:
    """``path`` as DuckDB must be given it so that it reads that file and no other."""
    if not GLOB_CHARS.intersection(str(path)):
        yield str(path)
        return
    if FD_FOLDER is None:
        raise InputFileError(path, "file names with * ? [ ] { } cannot be read here", hint="rename the file")
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise InputFileError(path, f"cannot open: {exc.strerror or exc}") from exc
    try:
        yield fd_path(fd)
    finally:
        os.close(fd)


class Scratch:
    """Nameless temporary files in ``folder`` (the system's temp folder by default)."""

    def __init__(self, folder: str | None = None) -> None:
        self.folder = folder or tempfile.gettempdir()
        self._files: list[BinaryIO] = []

    def new(self) -> tuple[BinaryIO, str]:
        """A fresh empty file open for writing and reading, and the path DuckDB reads it by."""
        fh = _nameless(self.folder)
        self._files.append(fh)
        return fh, fd_path(fh.fileno())

    def close(self) -> None:
        for fh in self._files:
            fh.close()
        self._files.clear()

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _nameless(folder: str) -> BinaryIO:
    """O_TMPFILE never gives the file a name; elsewhere the name lives for a few microseconds,
    before anything is written to it."""
    flag = getattr(os, "O_TMPFILE", 0)
    if flag:
        try:
            fd = os.open(folder, flag | os.O_RDWR, 0o600)
            return os.fdopen(fd, "w+b")
        except OSError:
            pass  # a file system without O_TMPFILE support
    fd, name = tempfile.mkstemp(prefix="fraudkit-", dir=folder)
    os.unlink(name)
    return os.fdopen(fd, "w+b")
