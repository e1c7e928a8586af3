"""Find full personal identifiers (phones, account numbers, IMEIs, holder ids) in what a run wrote.

The known identifiers come from the world itself; every file under a folder (Parquet, XLSX,
DuckDB and sqlite stores, text of any kind) and every captured log is read as text and its
tokens are checked against them. Digits split by spaces or dashes (``6222 6028 1190``,
``+86 191-6079-2209``) are joined before the check, so a formatted number is found too.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import openpyxl
import polars as pl

IDENTIFIER_COLUMNS = {
    "accounts": ("account_id", "holder_id", "phone"),
    "subscribers": ("phone", "holder_id"),
    "calls": ("caller", "callee", "caller_imei"),
    "transactions": ("src_account", "dst_account"),
    "reports": ("victim_phone", "victim_account", "fraud_phone", "fraud_account"),
}
CANONICAL = (*IDENTIFIER_COLUMNS, "outcomes", "rejects")
_WORD = re.compile(r"[A-Za-z0-9]+")
_DIGIT_GROUPS = re.compile(r"\d+(?:[ \-]\d+)+")


@dataclass(frozen=True)
class Leak:
    where: str
    identifier: str


def known_identifiers(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every phone, account, IMEI and holder id the store's canonical tables hold."""
    found: set[str] = set()
    for table, columns in IDENTIFIER_COLUMNS.items():
        for column in columns:
            rows = con.execute(f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL').fetchall()
            found.update(str(r[0]) for r in rows if len(str(r[0])) >= 5)
    return found


def tokens(text: str) -> Iterator[str]:
    """Word-like tokens, with digit groups split by spaces or dashes also joined up (and +86 dropped)."""
    yield from _WORD.findall(text)
    for match in _DIGIT_GROUPS.finditer(text):
        joined = re.sub(r"[ \-]", "", match.group(0))
        yield joined
        if joined.startswith("86"):
            yield joined[2:]


def leaks_in_text(text: str, known: set[str], where: str) -> list[Leak]:
    return [Leak(where, t) for t in set(tokens(text)) if t in known]


def _frame_text(frame: pl.DataFrame) -> str:
    if frame.is_empty():
        return ""
    return "\n".join(
        "\n".join(str(v) for v in frame.get_column(c).cast(pl.String, strict=False).drop_nulls().to_list())
        for c in frame.columns
    )


def file_text(path: Path) -> Iterator[tuple[str, str]]:
    """(where, text) pieces of one file, read the way a person or a program would open it."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        yield str(path), _frame_text(pl.read_parquet(path))
    elif suffix == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        for sheet in book.worksheets:
            cells = (str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
            yield f"{path}[{sheet.title}]", "\n".join(cells)
        book.close()
    elif suffix == ".db" and path.read_bytes()[:16].startswith(b"SQLite format 3"):
        con = sqlite3.connect(path)
        try:
            for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                rows = con.execute(f'SELECT * FROM "{table}"').fetchall()
                yield f"{path}:{table}", "\n".join(" ".join(map(str, r)) for r in rows)
        finally:
            con.close()
    elif suffix == ".duckdb":
        return  # a store: read table by table with store_leaks
    else:
        yield str(path), path.read_bytes().decode("utf-8", errors="replace")


def folder_leaks(folder: Path, known: set[str], *, skip: Iterable[Path] = ()) -> list[Leak]:
    """Leaks in every file below ``folder`` except those under ``skip`` (the input world, say)."""
    skipped = [p.resolve() for p in skip]
    leaks: list[Leak] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if any(path.resolve().is_relative_to(s) for s in skipped):
            continue
        for where, text in file_text(path):
            leaks += leaks_in_text(text, known, where)
    return leaks


def store_leaks(con: duckdb.DuckDBPyConnection, known: set[str], where: str) -> list[Leak]:
    """Leaks in every table of a store other than the canonical ones (which hold the data itself)."""
    leaks: list[Leak] = []
    names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    for name in names:
        if name in CANONICAL:
            continue
        frame = con.sql(f'SELECT * FROM "{name}"').pl()
        leaks += leaks_in_text(_frame_text(frame), known, f"{where}:{name}")
    return leaks
