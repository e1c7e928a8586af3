"""The drop folder: where operators' and banks' files land, by kind, for the daily batch and the live loop.

Files go to the canonical table their kind names: either a sub-folder (``calls/``,
``transactions/``, ...) or a file name starting with the kind (``calls_0931.csv``,
``transactions-2026-10-31.parquet``). Hidden files and names ending in anything but a CSV or
Parquet suffix (``calls_0931.csv.part`` while it is copied) are not data yet and are passed over.
"""

from __future__ import annotations

from pathlib import Path

from fraudkit.errors import ConfigError
from fraudkit.ingest.sources import CSV_SUFFIXES, PARQUET_SUFFIXES
from fraudkit.schema import TABLES

INGEST_ORDER = ("subscribers", "accounts", "calls", "transactions", "reports", "outcomes")
"""Reference tables first, so that a day's events meet the accounts and phones they name."""


def drop_files(drop: Path, *, allow_empty: bool = False) -> dict[str, list[Path]]:
    """Files of the drop by kind, from a sub-folder named after the kind or a file name starting with it.

    A data file that names no kind is an error rather than silently left behind; an empty drop
    is one too unless ``allow_empty`` (the live loop, between deliveries).
    """
    found: dict[str, list[Path]] = {}
    orphans: list[Path] = []
    for path in sorted(p for p in drop.rglob("*") if p.is_file()):
        if path.suffix.lower() not in CSV_SUFFIXES + PARQUET_SUFFIXES or path.name.startswith("."):
            continue
        kind = kind_of(path.relative_to(drop))
        if kind is None:
            orphans.append(path)
        else:
            found.setdefault(kind, []).append(path)
    if orphans:
        raise ConfigError(
            f"{len(orphans)} file(s) in the drop name no kind, e.g. {orphans[0]}",
            hint=f"put them in a folder named after their kind ({', '.join(INGEST_ORDER)}) or start the name with it",
        )
    if not found and not allow_empty:
        raise ConfigError(f"drop folder {drop} holds no CSV or Parquet files", hint="check the path and the transfer")
    return found


def kind_of(relative: Path) -> str | None:
    """The kind a file's place in the drop names (its first folder, else its name's start), or None."""
    parts = [p.lower() for p in relative.parts]
    if len(parts) > 1 and parts[0] in TABLES:
        return parts[0]
    name = parts[-1]
    for kind in sorted(TABLES, key=len, reverse=True):
        if name.startswith(kind) and (len(name) == len(kind) or not name[len(kind)].isalpha()):
            return kind
    return None
