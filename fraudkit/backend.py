"""Engine differences live here, and only here.

Locally one machine runs DuckDB and Polars; on Spark the same per-shard and
per-component functions run inside ``applyInArrow``. Stages ask the backend for the
few things that differ (connected components over an edge list, running a shard
function), never for a global connection or a global in-memory graph.

The Spark backend lives in :mod:`fraudkit.engine.spark` and is imported only when asked
for, so ``import fraudkit`` needs neither pyspark nor Java.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal

import duckdb
import polars as pl

from fraudkit.engine.components import DEFAULT_MAX_ROUNDS, RESULT_SQL, label_components
from fraudkit.errors import ConfigError

if TYPE_CHECKING:
    from fraudkit.engine.spark import SparkSettings

BackendName = Literal["duckdb", "spark"]
BACKENDS: tuple[BackendName, ...] = ("duckdb", "spark")

ComponentFn = Callable[[pl.DataFrame], pl.DataFrame]
"""A pure function of one group's rows (one component, one shard) to its result rows."""

COMPONENTS_SCHEMA = {"node": pl.Utf8, "component": pl.Utf8}


class Backend(ABC):
    """The handful of operations whose implementation depends on the engine."""

    name: str

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
    """One machine: DuckDB for set-at-a-time work, Polars frames in between."""

    name = "duckdb"

    def __init__(self, max_rounds: int = DEFAULT_MAX_ROUNDS) -> None:
        self.max_rounds = max_rounds
        self.last_steps = 0
        """Queries (rounds and jumps) the last connected_components call ran; benchmarks report it."""

    def connected_components(self, edges: pl.DataFrame) -> pl.DataFrame:
        if edges.height == 0:
            return pl.DataFrame(schema=COMPONENTS_SCHEMA)
        con = duckdb.connect()
        try:
            con.register("cc_input", edges.select(pl.col("src").cast(pl.Utf8), pl.col("dst").cast(pl.Utf8)))
            self.last_steps = label_components(_DuckDBRounds(con), self.max_rounds)
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


class _DuckDBRounds:
    """The shared rounds on one private DuckDB connection: each relation a temp table."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def materialize(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def count(self, sql: str) -> int:
        return int(self.con.execute(sql).fetchall()[0][0])  # fetchall: DuckDB 2 keeps a half-read result open

    def rename(self, source: str, target: str) -> None:
        self.con.execute(f"DROP TABLE {target}")
        self.con.execute(f"ALTER TABLE {source} RENAME TO {target}")


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
