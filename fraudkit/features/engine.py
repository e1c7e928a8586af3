"""How feature plans are executed: one place to choose the Polars engine."""

from __future__ import annotations

import polars as pl

# The in-memory engine: measured as fast as streaming on 10M-row shards, and it runs the
# order-dependent steps (backward fill after a sort, rolling counts) on whole columns.
ENGINE = "in-memory"


def collect(plan: pl.LazyFrame) -> pl.DataFrame:
    """Run a feature plan; the engine is chosen here only, after measuring (see benchmarks)."""
    return plan.collect(engine=ENGINE)


def collect_all(plans: list[pl.LazyFrame]) -> list[pl.DataFrame]:
    """Run several plans together so that their shared inputs are scanned and prepared once."""
    return pl.collect_all(plans, engine=ENGINE)
