"""Outputs that survive a crash: every file is written to a temporary name in its own folder,
flushed to disk and renamed onto its final name, so a reader sees the old file or the new one,
never half of one. On any failure the temporary file is removed and the old file is untouched;
a full disk or a refused write is a one-line FraudkitError, not a traceback.
"""

from __future__ import annotations

import errno
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fraudkit.errors import FraudkitError

TEMP_SUFFIX = ".fraudkit-tmp"


def temp_name(final: Path) -> Path:
    """A hidden name beside ``final`` (same folder, so the rename is atomic), unique per writer."""
    return final.with_name(f".{final.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}{TEMP_SUFFIX}")


@contextmanager
def atomic_path(final: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``final``, on failure it is removed."""
    final = Path(final)
    if not final.parent.is_dir():
        raise FraudkitError(f"folder {final.parent} does not exist", hint="create it first")
    temp = temp_name(final)
    try:
        yield temp
        _fsync(temp)
        os.replace(temp, final)
        _fsync_dir(final.parent)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        reason = _os_reason(exc)
        if reason is None:
            raise
        raise FraudkitError(f"{reason} writing {final}; nothing was written there") from exc


def write_file(final: str | Path, write: Callable[[Path], object]) -> Path:
    """Write ``final`` through ``write(temp_path)`` (e.g. ``frame.write_parquet``), atomically."""
    with atomic_path(final) as temp:
        write(temp)
    return Path(final)


def write_text(final: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return write_file(final, lambda temp: temp.write_text(text, encoding="utf-8"))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (not possible on every platform or file system)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _os_reason(exc: BaseException) -> str | None:
    """What went wrong with the file system, from an OSError anywhere in the chain or from a
    library that reports one only in its message (Polars, xlsxwriter); None for anything else."""
    seen: BaseException | None = exc
    while seen is not None:
        text = str(seen)
        full = isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT)
        if full or "No space left on device" in text or "os error 28" in text:
            return "disk full"
        if isinstance(seen, OSError):
            return seen.strerror or text or type(seen).__name__
        seen = seen.__cause__ or seen.__context__
    return None
