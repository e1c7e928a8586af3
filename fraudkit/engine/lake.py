"""The Parquet lake the Spark engine reads and writes: one dataset per canonical table.

Layout (hive style, readable by any Parquet tool)::

    LAKE/transactions/day=2026-10-01/part-….parquet   event tables, by day of their time column
    LAKE/accounts/part-….parquet                      the other tables, one dataset each
    LAKE/_fraudkit/                                   the commit log (Spark skips names starting with _)

An append is atomic. Spark writes the new rows into ``_fraudkit/staging/<commit>/`` and its job commit
leaves ``_SUCCESS`` there; the commit's journal (which files move where, which files it replaces, which
ingest files' rows it carries) is then written under a temporary name and renamed to
``_fraudkit/commits/<commit>.json``: that rename is the commit point. The files are then renamed into
the table's folders and the journal moves to ``_fraudkit/log/<table>/``. A crash before the commit point
leaves the previous lake (the staging folder is removed by the next write); a crash after it is finished
by the next read or write (every move is redone if not done), so a reader sees the previous rows or the
new ones, never half a file. One writer at a time: ``fraudkit ingest`` holds the catalogue store's lock.

File operations go through Hadoop's FileSystem of the session, so a lake on HDFS works as a local one
(renames are atomic on both; on S3 a rename is a copy, so the commit point is the journal, not the moves).
Timestamps are the store's naive wall-clock times, kept as Spark's TIMESTAMP_NTZ: no zone applies on the
way in or out.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import polars as pl

from fraudkit.backend import table_columns
from fraudkit.engine.spark import LAKE_HINT, quiet_pyspark, to_spark_arrow
from fraudkit.errors import ConfigError, FraudkitError
from fraudkit.schema import TABLES, TIME_COLUMNS, Table

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

DAY = "day"
"""The partition column of an event table: the day (a DATE) of its time column."""
META = "_fraudkit"
MAX_ROWS_PER_FILE = 5_000_000
"""Rows per Parquet file at most (about 100-200 MB of transfers): a busy day is several files, written in parallel."""

POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "TIMESTAMP": pl.Datetime("us"),
    "INTEGER": pl.Int32(),
    "BIGINT": pl.Int64(),
    "DOUBLE": pl.Float64(),
    "BOOLEAN": pl.Boolean(),
    "DECIMAL(18,2)": pl.Decimal(18, 2),
}
"""The store's column types as Polars reads them from DuckDB: a frame read from the lake has the same."""


def polars_schema(table: str, columns: Sequence[str] | None = None) -> dict[str, pl.DataType]:
    """Column -> Polars type of a canonical table (the columns asked, else all in schema order)."""
    spec = TABLES[table]
    return {c: POLARS_TYPES[spec.column(c).sql_type] for c in table_columns(table, columns)}


def spark_schema(table: str, *, with_day: bool = False) -> Any:
    """The Spark StructType of a canonical table (timestamps as TIMESTAMP_NTZ), plus ``day`` if asked."""
    from pyspark.sql import types as T

    types = {
        "VARCHAR": T.StringType(),
        "TIMESTAMP": T.TimestampNTZType(),
        "INTEGER": T.IntegerType(),
        "BIGINT": T.LongType(),
        "DOUBLE": T.DoubleType(),
        "BOOLEAN": T.BooleanType(),
        "DECIMAL(18,2)": T.DecimalType(18, 2),
    }
    fields = [T.StructField(c.name, types[c.sql_type], True) for c in TABLES[table].columns]
    if with_day:
        fields.append(T.StructField(DAY, T.DateType(), True))
    return T.StructType(fields)


def lake_uri(lake: Path | str) -> str:
    """The lake as a URI Hadoop and Spark take: ``hdfs://…`` and ``s3a://…`` as given, a local path absolute."""
    text = str(lake)
    if "://" in text or text.startswith("file:"):
        return text.rstrip("/")
    return f"file://{Path(text).expanduser().resolve()}"  # not as_uri(): Hadoop would not undo its %20


def span_days(start: datetime | None, end: datetime | None) -> tuple[date | None, date | None]:
    """The first and last day partitions that can hold events with ``start <= time < end``."""
    first = start.date() if start is not None else None
    last = (end - timedelta(microseconds=1)).date() if end is not None else None
    return first, last


@dataclass(frozen=True)
class Commit:
    """One append as its journal records it: staged file -> final file (paths under the lake root),
    files it replaces, and the ingest files (SHA-256) whose rows it carries."""

    id: str
    table: str
    rows: int
    moves: tuple[tuple[str, str], ...] = ()
    removes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def to_json(self) -> str:
        body = {
            "id": self.id,
            "table": self.table,
            "rows": self.rows,
            "moves": [list(m) for m in self.moves],
            "removes": list(self.removes),
            "sources": list(self.sources),
        }
        return json.dumps(body, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Commit:
        body = json.loads(text)
        return cls(
            id=body["id"],
            table=body["table"],
            rows=int(body["rows"]),
            moves=tuple((a, b) for a, b in body.get("moves", [])),
            removes=tuple(body.get("removes", [])),
            sources=tuple(body.get("sources", [])),
        )


class LakeFiles:
    """The few file operations the lake needs, on the Hadoop FileSystem of the lake's URI (local, HDFS, S3)."""

    def __init__(self, spark: SparkSession, root: str) -> None:
        jvm = spark.sparkContext._jvm  # type: ignore[attr-defined]
        assert jvm is not None
        self._jvm = jvm
        self._fs = jvm.org.apache.hadoop.fs.Path(root).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())  # type: ignore[attr-defined]
        self.root = root

    def _path(self, relative: str) -> Any:
        return self._jvm.org.apache.hadoop.fs.Path(f"{self.root}/{relative}" if relative else self.root)

    def uri(self, relative: str) -> str:
        return f"{self.root}/{relative}" if relative else self.root

    def exists(self, relative: str) -> bool:
        return bool(self._fs.exists(self._path(relative)))

    def list(self, relative: str) -> list[tuple[str, bool]]:
        """(name, is a folder) of the entries of a folder, hidden ones (``.``, ``_``) left out; [] if missing."""
        if not self.exists(relative):
            return []
        found = [(str(s.getPath().getName()), bool(s.isDirectory())) for s in self._fs.listStatus(self._path(relative))]
        return sorted((n, d) for n, d in found if not n.startswith((".", "_")))

    def files_under(self, relative: str) -> list[str]:
        """Every data file under a folder (paths relative to it), hidden files and folders left out."""
        out = []
        for name, is_dir in self.list(relative):
            if is_dir:
                out += [f"{name}/{f}" for f in self.files_under(f"{relative}/{name}")]
            else:
                out.append(name)
        return out

    def is_folder(self, relative: str) -> bool:
        return bool(self._fs.getFileStatus(self._path(relative)).isDirectory())

    def mkdirs(self, relative: str) -> None:
        self._fs.mkdirs(self._path(relative))

    def rename(self, source: str, target: str) -> bool:
        return bool(self._fs.rename(self._path(source), self._path(target)))

    def delete(self, relative: str) -> None:
        self._fs.delete(self._path(relative), True)

    def read_text(self, relative: str) -> str:
        stream = self._fs.open(self._path(relative))
        try:
            return bytes(self._jvm.org.apache.commons.io.IOUtils.toByteArray(stream)).decode("utf-8")
        finally:
            stream.close()

    def write_new(self, relative: str, text: str) -> None:
        """Write ``text`` to a temporary name beside ``relative``, then rename it there (it must not exist)."""
        parent, _, name = relative.rpartition("/")
        temp = f"{parent}/.{name}.{uuid.uuid4().hex[:8]}.tmp"
        stream = self._fs.create(self._path(temp), False)
        try:
            stream.write(bytearray(text.encode("utf-8")))
            stream.hflush()
        finally:
            stream.close()
        if not self.rename(temp, relative):
            self.delete(temp)
            raise FraudkitError(f"lake {self.root}: could not commit {relative} (it exists already)")


class Lake:
    """The Parquet lake at ``root`` on a Spark session: read a canonical table over a span, append to one."""

    def __init__(self, spark: SparkSession, root: Path | str) -> None:
        self.spark = spark
        self.root = lake_uri(root)
        self.files = LakeFiles(spark, self.root)
        if self.files.exists("") and not self.files.is_folder(""):
            raise ConfigError(f"lake {root} is a file, not a folder", hint=LAKE_HINT)

    # --- reading ----------------------------------------------------------------------------------

    def days(self, table: str) -> list[date]:
        """The day partitions an event table has, in order."""
        found = []
        for name, is_dir in self.files.list(table):
            if is_dir and name.startswith(f"{DAY}="):
                try:
                    found.append(date.fromisoformat(name.removeprefix(f"{DAY}=")))
                except ValueError:
                    continue  # not one of ours: left alone
        return found

    def frame(
        self,
        table: str,
        columns: Sequence[str] | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> DataFrame | None:
        """The rows of ``table`` as a Spark DataFrame (None when the lake holds none): only the day
        partitions the span can touch are read (pruned by path, before Spark lists a file), then the
        exact ``start <= time < end`` filter; only ``columns`` are read from the files."""
        from pyspark.sql import functions as F

        chosen = table_columns(table, columns)
        self.recover()
        time_column = TIME_COLUMNS.get(table)
        if time_column is None:
            if not self.files.files_under(table):
                return None
            data = self.spark.read.schema(spark_schema(table)).parquet(self.files.uri(table))
            return data.select(*chosen)
        first, last = span_days(start, end)
        days = [d for d in self.days(table) if (first is None or d >= first) and (last is None or d <= last)]
        if not days:
            return None
        paths = [self.files.uri(f"{table}/{DAY}={d.isoformat()}") for d in days]
        reader = self.spark.read.option("basePath", self.files.uri(table)).schema(spark_schema(table, with_day=True))
        data = reader.parquet(*paths)
        if start is not None:
            data = data.where(F.col(time_column) >= _ntz(start))
        if end is not None:
            data = data.where(F.col(time_column) < _ntz(end))
        return data.select(*chosen)

    def read(
        self,
        table: str,
        columns: Sequence[str] | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pl.DataFrame:
        """:meth:`frame` as a Polars frame with the store's types (rows in no set order)."""
        schema = polars_schema(table, columns)
        data = self.frame(table, columns, start=start, end=end)
        if data is None:
            return pl.DataFrame(schema=schema)
        with quiet_pyspark():
            result = pl.from_arrow(data.toArrow())
        assert isinstance(result, pl.DataFrame)
        return result.cast(schema) if result.height else pl.DataFrame(schema=schema)

    def sources(self, table: str) -> set[str]:
        """The ingest files (SHA-256) whose rows the lake's ``table`` holds."""
        self.recover()
        held: set[str] = set()
        for name, is_dir in self.files.list(f"{META}/log/{table}"):
            if not is_dir and name.endswith(".json"):
                held.update(Commit.from_json(self.files.read_text(f"{META}/log/{table}/{name}")).sources)
        return held

    def present(self, table: str, keys: pl.DataFrame) -> pl.DataFrame:
        """The rows of ``keys`` (the table's key columns) whose key the lake's ``table`` already holds."""
        key = list(TABLES[table].key)
        data = self.frame(table, key)
        if data is None or keys.height == 0:
            return keys.head(0)
        with quiet_pyspark():
            asked = self.spark.createDataFrame(to_spark_arrow(keys.select(key)), schema=_key_schema(table))
            found = pl.from_arrow(asked.join(data, on=key, how="left_semi").toArrow())
        assert isinstance(found, pl.DataFrame)
        return found.cast(dict(keys.select(key).schema))

    # --- writing ----------------------------------------------------------------------------------

    def append(self, table: str, frame: pl.DataFrame, *, sources: Iterable[str] = (), replace: bool = False) -> int:
        """Append ``frame``'s rows (columns of ``table`` by name; missing ones null) in one atomic commit;
        returns the rows written. ``sources``: the ingest files the rows come from, recorded with them.
        ``replace``: rows already in the lake with a key of ``frame`` are replaced (their files rewritten
        in the same commit), as ``on_conflict = "update"`` replaces them in the store."""
        spec = TABLES[table]
        chosen = table_columns(table, frame.columns)
        held = tuple(sorted(set(sources)))
        if frame.height == 0 and not held:
            return 0
        self.recover()
        self._clear_staging()
        schema = polars_schema(table)
        rows = frame.select(
            pl.col(c).cast(t) if c in chosen else pl.lit(None, dtype=t).alias(c) for c, t in schema.items()
        )
        commit_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"
        staging = f"{META}/staging/{commit_id}"
        removes: tuple[str, ...] = ()
        if rows.height:
            data = self._spark_rows(table, rows)
            if replace:
                data, removes = self._with_replaced(spec, data)
            self._write(table, data, f"{staging}/{table}", rows.height)
        moves = tuple((f"{staging}/{table}/{f}", f"{table}/{f}") for f in self.files.files_under(f"{staging}/{table}"))
        commit = Commit(commit_id, table, rows.height, moves, removes, held)
        self.files.write_new(f"{META}/commits/{commit_id}.json", commit.to_json())  # the commit point
        self._apply(commit)
        return rows.height

    def _spark_rows(self, table: str, rows: pl.DataFrame) -> DataFrame:
        from pyspark.sql import functions as F

        with quiet_pyspark():
            data = self.spark.createDataFrame(to_spark_arrow(rows), schema=spark_schema(table))
        time_column = TIME_COLUMNS.get(table)
        return data.withColumn(DAY, F.to_date(F.col(time_column))) if time_column else data

    def _with_replaced(self, spec: Table, data: DataFrame) -> tuple[DataFrame, tuple[str, ...]]:
        """``data`` plus the rows to keep of the lake files that hold one of its keys; those files go."""
        from pyspark.sql import functions as F

        key = list(spec.key)
        held = self.frame(spec.name)
        if held is None:
            return data, ()
        keys = data.select(*key).distinct()
        time_column = TIME_COLUMNS.get(spec.name)
        held = held.withColumn("__file", F.input_file_name())
        hit = [r[0] for r in held.join(keys, on=key, how="left_semi").select("__file").distinct().collect()]
        if not hit:
            return data, ()
        base = self.files.root.rstrip("/") + "/"
        relative = tuple(sorted(_relative(f, base) for f in hit))
        kept = held.where(F.col("__file").isin(hit)).join(keys, on=key, how="left_anti").drop("__file")
        if time_column:
            kept = kept.withColumn(DAY, F.to_date(F.col(time_column)))
        # read the replaced files now: they are deleted when the commit is applied
        kept = kept.localCheckpoint(eager=True)
        return data.unionByName(kept), relative

    def _write(self, table: str, data: DataFrame, staging: str, rows: int) -> None:
        from pyspark.sql import functions as F

        tasks = max(1, -(-rows // MAX_ROWS_PER_FILE))
        if TIME_COLUMNS.get(table):  # a day's rows in as few files as their count needs, written in parallel
            spread = F.pmod(F.xxhash64(*TABLES[table].key), F.lit(tasks))
            data = data.repartition(tasks, F.col(DAY), spread)
        else:
            data = data.repartition(tasks)
        writer = data.write.mode("errorifexists").option("maxRecordsPerFile", MAX_ROWS_PER_FILE)
        if TIME_COLUMNS.get(table):
            writer = writer.partitionBy(DAY)
        with quiet_pyspark():
            writer.parquet(self.files.uri(staging))
        if not self.files.exists(f"{staging}/_SUCCESS"):
            raise FraudkitError(f"lake {self.root}: Spark's write of {table} did not finish (no _SUCCESS)")

    # --- committing and recovering ----------------------------------------------------------------

    def _apply(self, commit: Commit) -> None:
        """Do a committed journal's moves and removals (each one skipped if done), then log it."""
        for source, target in commit.moves:
            if self.files.exists(source) and not self.files.exists(target):
                self.files.mkdirs(target.rpartition("/")[0])
                if not self.files.rename(source, target):
                    raise FraudkitError(f"lake {self.root}: could not move {source} to {target}")
        for gone in commit.removes:
            if self.files.exists(gone):
                self.files.delete(gone)
        self.files.mkdirs(f"{META}/log/{commit.table}")
        pending = f"{META}/commits/{commit.id}.json"
        logged = f"{META}/log/{commit.table}/{commit.id}.json"
        if self.files.exists(pending) and not self.files.exists(logged) and not self.files.rename(pending, logged):
            raise FraudkitError(f"lake {self.root}: could not log commit {commit.id}")
        if self.files.exists(pending):  # logged by a concurrent recovery
            self.files.delete(pending)
        self.files.delete(f"{META}/staging/{commit.id}")

    def recover(self) -> int:
        """Finish the commits a crash interrupted after their commit point; returns how many."""
        pending = [n for n, is_dir in self.files.list(f"{META}/commits") if not is_dir and n.endswith(".json")]
        for name in pending:
            self._apply(Commit.from_json(self.files.read_text(f"{META}/commits/{name}")))
        return len(pending)

    def _clear_staging(self) -> None:
        """Remove what writes that crashed before their commit point left (one writer at a time)."""
        for name, _ in self.files.list(f"{META}/staging"):
            if not self.files.exists(f"{META}/commits/{name}.json"):
                self.files.delete(f"{META}/staging/{name}")


def _ntz(moment: datetime) -> Any:
    """A Spark TIMESTAMP_NTZ literal of a naive datetime: no zone is applied, as in the store."""
    from pyspark.sql import functions as F

    if moment.tzinfo is not None:
        raise ValueError(f"lake spans are naive store times, not {moment.isoformat()}")
    return F.lit(moment.isoformat(sep=" ")).cast("timestamp_ntz")


def _key_schema(table: str) -> Any:
    from pyspark.sql import types as T

    full = spark_schema(table)
    return T.StructType([full[k] for k in TABLES[table].key])


def _relative(uri: str, base: str) -> str:
    """A file's path under the lake root, from the URI Spark names it by (``file:///x`` or ``file:/x``,
    spaces as ``%20``)."""
    uri, base = unquote(uri), unquote(base)
    for prefix in (base, base.replace("file:///", "file:/", 1), base.replace("file:/", "file:///", 1)):
        if uri.startswith(prefix):
            return uri[len(prefix) :]
    raise FraudkitError(f"lake file {uri} is not under the lake {base}")
