"""``ingest --engine spark --lake DIR``: the files are checked and loaded exactly as on DuckDB, then the
rows they added go to the Parquet lake.

The DuckDB store (``--db``) is the catalogue: it keeps rejects, the ingest log, the audit and the keys
that make a re-ingest add nothing, and the rows themselves, against which the next file's duplicates
and conflicts are found. The lake records which ingest files (by SHA-256) each of its commits carries,
so the rows to append are those of the catalogue's files the lake does not hold yet: the files this run
loaded, and any an interrupted earlier run loaded into the store but not into the lake (or that were
ingested before the lake existed). Re-ingesting a file therefore adds nothing to the lake either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from fraudkit.engine.spark import SparkBackend
from fraudkit.engine.sql import lake as sql
from fraudkit.errors import ConfigError, FraudkitError
from fraudkit.ingest.mapping import Mapping, load_mapping
from fraudkit.ingest.pipeline import IngestSummary, ProgressFn, ingest_paths
from fraudkit.ingest.validate import IngestSettings
from fraudkit.progress import Reporter
from fraudkit.schema import TABLES
from fraudkit.store import frame, table_exists


@dataclass(frozen=True)
class LakeIngest:
    """What an ingest into the lake did: the store's summary, and what the lake received."""

    summary: IngestSummary
    lake_rows: int
    """Rows appended to the lake's table (updates included)."""
    lake_files: int
    """Ingest files whose rows reached the lake in this run (more than this run's new files when an
    earlier run's rows were still missing from it)."""


def ingest_to_lake(
    con: duckdb.DuckDBPyConnection,
    backend: SparkBackend,
    paths: str | Path | Iterable[str | Path],
    kind: str,
    mapping: Mapping | str | Path | None = None,
    *,
    progress: ProgressFn | Reporter | None = None,
    encoding: str | None = None,
    settings: IngestSettings | None = None,
) -> LakeIngest:
    """Load the files into the catalogue store ``con`` (:func:`fraudkit.ingest.pipeline.ingest_paths`:
    the same checks, rejects and log), then append the rows they added to ``backend``'s lake.

    The lake is opened (and Spark started) before anything is loaded, so a missing lake or Spark is a
    one-line error with the store untouched."""
    if kind not in TABLES:
        raise ConfigError(f"unknown kind {kind!r}", hint=f"use one of {', '.join(TABLES)}")
    backend.lake(f"ingest {kind}")  # refuse before loading: no lake named, or it is a file
    if isinstance(mapping, str | Path):
        mapping = load_mapping(mapping)
    summary = ingest_paths(con, paths, kind, mapping, progress=progress, encoding=encoding, settings=settings)
    replace = summary.updates > 0 or (mapping is not None and mapping.on_conflict == "update")
    try:
        rows, files = sync_lake(con, backend, kind, replace=replace)
    except KeyboardInterrupt:
        raise LakeBehind(kind) from None
    except FraudkitError as error:
        raise FraudkitError(f"{BEHIND.format(kind=kind)}: {error}", hint=error.hint or AGAIN) from error
    except Exception as error:  # Spark's own (a full disk, a lost executor): the state is known, say it
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise FraudkitError(f"{BEHIND.format(kind=kind)}: {reason}", hint=AGAIN) from error
    return LakeIngest(summary=summary, lake_rows=rows, lake_files=files)


BEHIND = "the store holds the new {kind} rows, the lake does not yet"
AGAIN = "run the same ingest again: it adds to the lake what the store holds and the lake lacks"


class LakeBehind(KeyboardInterrupt):
    """Interrupted after the store committed and before the lake did: the next ingest of the kind
    catches the lake up (the files are in the catalogue, so they are skipped there)."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"{BEHIND.format(kind=kind)}; {AGAIN}")
        self.kind = kind


def sync_lake(
    con: duckdb.DuckDBPyConnection, backend: SparkBackend, kind: str, *, replace: bool = False
) -> tuple[int, int]:
    """Append to the lake the rows of every ingest file of ``kind`` the catalogue has and the lake does not;
    returns (rows, files). ``replace``: rows whose key the lake holds replace the held ones (an update)."""
    table = TABLES[kind]
    if not table_exists(con, "ingest_files"):
        return 0, 0
    lake = backend.lake(f"ingest {kind}")
    held = lake.sources(kind)
    known = frame(con, sql.INGEST_FILES, {"kind": kind}, table="ingest_files")
    missing = known.filter(~pl.col("file_sha256").is_in(sorted(held)))
    if missing.height == 0:
        return 0, 0
    ids = [int(i) for i in missing["file_id"]]
    rows = frame(con, sql.rows_of_files(table), {"kind": kind, "files": ids}, table=kind)
    ambiguous = rows.filter(pl.col(sql.AMBIGUOUS))
    rows = rows.drop(sql.AMBIGUOUS)
    if ambiguous.height and not replace:  # a key hash an older file recorded too: kept only if its key is new
        held_keys = lake.present(kind, ambiguous.select(table.key))
        rows = rows.join(held_keys, on=list(table.key), how="anti")
    written = backend.write(kind, rows, sources=list(missing["file_sha256"]), replace=replace)
    return written, missing.height
