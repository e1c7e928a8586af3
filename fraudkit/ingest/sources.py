"""Turn the user's paths (files, globs, folders) into a list of input files with a format.

Formats are decided from the first bytes where they say something (Parquet, Excel, gzip)
and from the file name otherwise, so a mislabelled file fails with a useful message. A gzip
file is judged by the first bytes and the name of what it holds (``x.csv.gz`` holds a CSV).
"""

from __future__ import annotations

import glob
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from fraudkit.errors import InputFileError
from fraudkit.ingest.compressed import GZIP_SUFFIXES, compression_of, inner_suffix, read_prefix

FileFormat = Literal["csv", "parquet"]

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
PARQUET_MAGIC = b"PAR1"
FOREIGN_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"PK\x03\x04", "a zip archive (an .xlsx workbook?)", "save the sheet as CSV UTF-8 in Excel"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook", "save the sheet as CSV UTF-8 in Excel"),
    (b"%PDF", "a PDF document", "export the data as CSV or Parquet"),
)


def expand_paths(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """Files named by ``paths`` in order, globs and folders expanded, each file once."""
    if isinstance(paths, str | Path):
        paths = [paths]
    found: list[Path] = []
    for item in paths:
        text = str(item)
        path = Path(text)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and data_file_name(p))
            if not files:
                raise InputFileError(
                    path,
                    "folder holds no CSV or Parquet files",
                    hint="name the files or point at the folder that holds them",
                )
            found.extend(files)
        elif path.is_file():
            found.append(path)
        elif glob.has_magic(text):
            files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
            if not files:
                raise InputFileError(text, "pattern matches no files", hint="check the pattern and folder")
            found.extend(files)
        else:
            raise InputFileError(path, "no such file or folder", hint="check the path")
    unique: dict[Path, Path] = {}
    for p in found:
        unique.setdefault(p.resolve(), p)
    return list(unique.values())


def data_file_name(path: Path) -> bool:
    """Whether a file found in a folder is named like data: CSV, Parquet or a gzipped CSV
    (``x.csv.gz``); what a drop folder or a listing should take too."""
    suffix = path.suffix.lower()
    if suffix in GZIP_SUFFIXES:
        return inner_suffix(path) in CSV_SUFFIXES
    return suffix in CSV_SUFFIXES + PARQUET_SUFFIXES


def detect_format(path: Path) -> FileFormat:
    """CSV or Parquet, or an InputFileError saying what the file looks like instead."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise InputFileError(path, f"cannot open: {exc.strerror or exc}") from exc
    if compression_of(head) == "gzip":
        return _gzipped_format(path)
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    for magic, what, hint in FOREIGN_MAGIC:
        if head.startswith(magic):
            raise InputFileError(path, f"not a CSV or Parquet file: looks like {what}", hint=hint)
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        raise InputFileError(path, "not a Parquet file (no PAR1 header)", hint="is it a CSV with the wrong name?")
    if suffix in CSV_SUFFIXES or suffix == "":
        return "csv"
    raise InputFileError(path, f"unsupported file type {suffix!r}", hint="give CSV (.csv, .tsv, .txt) or Parquet files")


def _gzipped_format(path: Path) -> FileFormat:
    """A gzip file holds CSV text: Parquet compresses itself, so gzipped Parquet or a gzipped
    workbook is refused with what it holds."""
    head = read_prefix(path, 8)
    unzip = "decompress it first (gunzip)"
    if head.startswith(PARQUET_MAGIC) or inner_suffix(path) in PARQUET_SUFFIXES:
        raise InputFileError(path, "gzip-compressed Parquet is not read", hint=f"{unzip}: Parquet compresses itself")
    for magic, what, hint in FOREIGN_MAGIC:
        if head.startswith(magic):
            raise InputFileError(path, f"not a CSV file: a gzip of {what}", hint=f"{unzip}, then {hint}")
    return "csv"
