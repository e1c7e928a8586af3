"""Engine differences live here, and only here.

Locally one machine runs DuckDB and Polars; on Spark the same per-shard and
per-component functions run inside ``applyInArrow``. Stages ask the backend for the
few things that differ (connected components over an edge list, running a shard
function), never for a global connection or a global in-memory graph.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Literal

import duckdb
import polars as pl

from fraudkit.errors import ConfigError

BackendName = Literal["duckdb", "spark"]


class Backend(ABC):
    """The handful of operations whose implementation depends on the engine."""

    name: str

    @abstractmethod
    def connected_components(self, edges: pl.DataFrame) -> pl.DataFrame:
        """Weakly connected components of an edge list (``src``, ``dst``): frame of ``node``, ``component``.

        The component id is the smallest node id in the component, so results are
        deterministic and comparable across engines.
        """

    @abstractmethod
    def map_components(
        self, nodes: pl.DataFrame, fn: Callable[[pl.DataFrame], pl.DataFrame], *, key: str = "component"
    ) -> pl.DataFrame:
        """Apply ``fn`` to each group of rows sharing ``key`` and concatenate the results."""


class DuckDBBackend(Backend):
    """One machine: DuckDB for set-at-a-time work, Polars frames in between."""

    name = "duckdb"

    def __init__(self, max_iterations: int = 200) -> None:
        self.max_iterations = max_iterations

    def connected_components(self, edges: pl.DataFrame) -> pl.DataFrame:
        if edges.height == 0:
            return pl.DataFrame(schema={"node": pl.Utf8, "component": pl.Utf8})
        con = duckdb.connect()
        try:
            con.register("input_edges", edges.select(pl.col("src").cast(pl.Utf8), pl.col("dst").cast(pl.Utf8)))
            con.execute(
                "CREATE TEMP TABLE e AS SELECT src AS a, dst AS b FROM input_edges "
                "UNION SELECT dst, src FROM input_edges"
            )
            con.execute("CREATE TEMP TABLE lab AS SELECT DISTINCT a AS node, a AS label FROM e")
            for _ in range(self.max_iterations):
                # Min-label propagation from neighbours, then one step of pointer jumping.
                con.execute(
                    """
                    CREATE OR REPLACE TEMP TABLE nxt AS
                    WITH prop AS (
                        SELECT l.node, least(l.label, coalesce(min(nl.label), l.label)) AS label
                        FROM lab l LEFT JOIN e ON e.a = l.node LEFT JOIN lab nl ON nl.node = e.b
                        GROUP BY l.node, l.label
                    )
                    SELECT p.node, least(p.label, coalesce(j.label, p.label)) AS label
                    FROM prop p LEFT JOIN prop j ON j.node = p.label
                    """
                )
                changed = con.execute(
                    "SELECT count(*) FROM nxt JOIN lab USING (node) WHERE nxt.label <> lab.label"
                ).fetchall()[0][0]
                con.execute("CREATE OR REPLACE TEMP TABLE lab AS SELECT * FROM nxt")
                if changed == 0:
                    break
            else:  # pragma: no cover - only for pathological chains longer than 2**max_iterations
                raise RuntimeError("connected components did not converge")
            return con.sql("SELECT node, label AS component FROM lab ORDER BY node").pl()
        finally:
            con.close()

    def map_components(
        self, nodes: pl.DataFrame, fn: Callable[[pl.DataFrame], pl.DataFrame], *, key: str = "component"
    ) -> pl.DataFrame:
        parts = [fn(group) for _, group in nodes.sort(key).group_by(key, maintain_order=True)]
        parts = [p for p in parts if p.height]
        return pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()


def get_backend(name: str = "duckdb") -> Backend:
    """The backend for a name; a backend that is planned but not installed is a clear error."""
    if name == "duckdb":
        return DuckDBBackend()
    if name == "spark":
        raise ConfigError(
            "backend 'spark' is planned but not available in this installation",
            hint="use --backend duckdb (the default)",
        )
    raise ConfigError(f"unknown backend {name!r}", hint="use duckdb")
