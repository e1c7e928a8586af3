"""How feature plans are executed: one place to choose the Polars engine."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

# The in-memory engine: measured as fast as streaming on 10M-row shards, and it runs the
# order-dependent steps (backward fill after a sort, rolling counts) on whole columns.
ENGINE = "in-memory"


def collect(plan: pl.LazyFrame) -> pl.DataFrame:
    """Run a feature plan; the engine is chosen here only, after measuring (see benchmarks)."""
    return plan.collect(engine=ENGINE)


def in_pieces(build: Callable[[pl.Expr], pl.LazyFrame], code: pl.Expr, pieces: int) -> pl.LazyFrame:
    """``build(piece k's rows)`` for every k below ``pieces``, stacked and run one piece after the other.

    For a step whose rows group by a key that ``code`` (a non-negative integer) keeps together, the
    pieces' rows are the whole step's, and only one piece's working set is held at a time."""
    return pl.concat([build(code % pieces == k) for k in range(pieces)], how="vertical", parallel=False)


def collect_all(plans: list[pl.LazyFrame]) -> list[pl.DataFrame]:
    """Run several plans together so that their shared inputs are scanned and prepared once."""
    return pl.collect_all(plans, engine=ENGINE)
