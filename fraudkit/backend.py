"""Engine differences live here, and only here.

Locally one machine runs DuckDB and Polars; on Spark the same per-shard and
per-component functions run inside ``applyInArrow``. Stages ask the backend for the
few things that differ (reading a canonical table over a time span, appending to one,
running a named query, connected components over an edge list, running a function per
component), never for a global connection or a global in-memory graph. A capability an
engine lacks raises :class:`~fraudkit.errors.EngineCapabilityError` naming the engine.

The Spark backend lives in :mod:`fraudkit.engine.spark` and is imported only when asked
for, so ``import fraudkit`` needs neither pyspark nor Java.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import polars as pl

from fraudkit.engine.components import DEFAULT_MAX_ROUNDS, RESULT_SQL, label_components
from fraudkit.engine.duckdb import DuckDBRounds
from fraudkit.engine.sql.tables import append_rows, select_span
from fraudkit.errors import ConfigError, EngineCapabilityError
from fraudkit.schema import TABLES, TIME_COLUMNS
from fraudkit.store import frame, registered, run

if TYPE_CHECKING:
    from fraudkit.engine.shards import ShardFn, Sharding
    from fraudkit.engine.spark import SparkSettings

BackendName = Literal["duckdb", "spark"]
BACKENDS: tuple[BackendName, ...] = ("duckdb", "spark")

ComponentFn = Callable[[pl.DataFrame], pl.DataFrame]
"""A pure function of one group's rows (one component, one shard) to its result rows."""

COMPONENTS_SCHEMA = {"node": pl.Utf8, "component": pl.Utf8}


def table_columns(table: str, columns: Sequence[str] | None) -> list[str]:
    """The columns to read of a canonical table (all, in schema order, for None); a one-line error for
    a table or column the schema does not have."""
    if table not in TABLES:
        raise ConfigError(f"no canonical table {table!r}", hint="one of " + ", ".join(sorted(TABLES)))
    known = TABLES[table].column_names
    if columns is None:
        return known
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise ConfigError(f"table {table!r} has no column {unknown[0]!r}", hint="its columns: " + ", ".join(known))
    return list(columns)


def named_query(name: str) -> str:
    """The SQL text ``module.NAME`` of :mod:`fraudkit.engine.sql` (e.g. ``"scan.FLAGGED"``)."""
    module, _, constant = name.rpartition(".")
    try:
        text = getattr(importlib.import_module(f"fraudkit.engine.sql.{module}"), constant, None) if module else None
    except ModuleNotFoundError:
        text = None
    if not isinstance(text, str):
        raise ConfigError(f"no named query {name!r}", hint="name it module.NAME after fraudkit/engine/sql/<module>.py")
    return text


class Backend(ABC):
    """The handful of operations whose implementation depends on the engine."""

    name: str
    lake_root: str | None = None
    """Where the canonical tables live when not in the store: a Spark backend's Parquet lake, whose
    stages then run on Spark (None: the store's tables, read on the driver)."""

    def read(
        self,
        table: str,
        columns: Sequence[str] | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pl.DataFrame:
        """A canonical table's rows: the columns asked (all, in schema order, for None), and for an
        event table (:data:`TIME_COLUMNS`) the events with ``start <= time < end``; in no set order."""
        raise EngineCapabilityError(self.name, f"read the table {table!r}")

    def write(self, table: str, frame: pl.DataFrame) -> int:
        """Append ``frame``'s rows (columns of the canonical table, by name) to ``table``; rows written."""
        raise EngineCapabilityError(self.name, f"write the table {table!r}")

    def query(self, name: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
        """Run the named query ``module.NAME`` of :mod:`fraudkit.engine.sql` with bound ``params``."""
        raise EngineCapabilityError(self.name, f"run the named query {name!r}")

    def map_shards(
        self,
        frames: Mapping[str, Any],
        sharding: Sharding,
        fn: ShardFn,
        schema: Mapping[str, pl.DataType],
        *,
        shards: int = 1,
    ) -> pl.DataFrame:
        """``fn`` once per shard of ``frames``, each shard given the rows ``sharding`` routes to it
        (:mod:`fraudkit.engine.shards`), keeping the rows of the entities it owns; the result in no set order."""
        raise EngineCapabilityError(self.name, "map a function over shards")

    @abstractmethod
    def connected_components(self, edges: pl.DataFrame) -> pl.DataFrame:
        """Weakly connected components of an edge list (``src``, ``dst``): frame of ``node``, ``component``.

        Ids are compared as strings; the component id is the smallest node id in the component
        and rows are ordered by node, so results are deterministic and identical across engines.
        Edges with a missing end are ignored.
        """

    @abstractmethod
    def map_components(
        self,
        nodes: pl.DataFrame,
        fn: ComponentFn,
        *,
        key: str = "component",
        schema: Mapping[str, pl.DataType] | None = None,
    ) -> pl.DataFrame:
        """Apply ``fn`` to each group of rows sharing ``key`` and concatenate the results.

        ``fn`` sees a group's rows in their order in ``nodes``; the result has the groups in key
        order (nulls first) and each group's rows in the order ``fn`` returned them. ``schema`` is
        the result's columns and types; engines that must know it up front (Spark) otherwise take
        it from ``fn`` run on the first group.
        """


class DuckDBBackend(Backend):
    """One machine: DuckDB for set-at-a-time work, Polars frames in between. ``con`` is the store the
    tables are read from and written to; connected components need none (a private connection)."""

    name = "duckdb"

    def __init__(self, max_rounds: int = DEFAULT_MAX_ROUNDS, *, con: duckdb.DuckDBPyConnection | None = None) -> None:
        self.max_rounds = max_rounds
        self.con = con
        self.last_steps = 0
        """Queries (rounds and jumps) the last connected_components call ran; benchmarks report it."""

    def _store(self, capability: str) -> duckdb.DuckDBPyConnection:
        if self.con is None:
            raise EngineCapabilityError(self.name, f"{capability} without a store", hint="DuckDBBackend(con=...)")
        return self.con

    def read(
        self,
        table: str,
        columns: Sequence[str] | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pl.DataFrame:
        con = self._store(f"read the table {table!r}")
        chosen = table_columns(table, columns)
        time_column = TIME_COLUMNS.get(table)
        params = {k: v for k, v in (("start", start), ("end", end)) if v is not None and time_column}
        sql = select_span(table, chosen, time_column, start="start" in params, end="end" in params)
        return frame(con, sql, params, table=table)

    def write(self, table: str, frame: pl.DataFrame) -> int:
        con = self._store(f"write the table {table!r}")
        columns = table_columns(table, frame.columns)
        if frame.height == 0:
            return 0
        with registered(con, frame, prefix="fk_write") as source:
            run(con, append_rows(table, source, columns), table=table)
        return frame.height

    def query(self, name: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
        return frame(self._store(f"run the named query {name!r}"), named_query(name), dict(params or {}))

    def map_shards(
        self,
        frames: Mapping[str, Any],
        sharding: Sharding,
        fn: ShardFn,
        schema: Mapping[str, pl.DataType],
        *,
        shards: int = 1,
    ) -> pl.DataFrame:
        from fraudkit.engine.shards import LocalShards

        return LocalShards().map_shards(frames, sharding, fn, schema, shards=shards)

    def connected_components(self, edges: pl.DataFrame) -> pl.DataFrame:
        if edges.height == 0:
            return pl.DataFrame(schema=COMPONENTS_SCHEMA)
        con = duckdb.connect()
        try:
            con.register("cc_input", edges.select(pl.col("src").cast(pl.Utf8), pl.col("dst").cast(pl.Utf8)))
            self.last_steps = label_components(DuckDBRounds(con), self.max_rounds)
            return con.sql(RESULT_SQL).pl().cast(COMPONENTS_SCHEMA)
        finally:
            con.close()

    def map_components(
        self,
        nodes: pl.DataFrame,
        fn: ComponentFn,
        *,
        key: str = "component",
        schema: Mapping[str, pl.DataType] | None = None,
    ) -> pl.DataFrame:
        groups = nodes.sort(key, maintain_order=True).group_by(key, maintain_order=True)
        parts = [p for _, group in groups if (p := fn(group)).height]
        if not parts:
            return pl.DataFrame(schema=dict(schema)) if schema is not None else pl.DataFrame()
        result = pl.concat(parts, how="diagonal_relaxed")
        return result.select(pl.col(c).cast(t) for c, t in schema.items()) if schema is not None else result


def get_backend(name: str = "duckdb", *, spark: SparkSettings | None = None) -> Backend:
    """The backend for a name; Spark (with ``spark``, else the environment's settings) when pyspark
    and a Java runtime are there, else a clear error."""
    if name == "duckdb":
        return DuckDBBackend()
    if name == "spark":
        from fraudkit.engine.spark import SparkBackend, check_spark_available

        check_spark_available()
        return SparkBackend(spark)
    raise ConfigError(f"unknown backend {name!r}", hint="use duckdb or spark")
