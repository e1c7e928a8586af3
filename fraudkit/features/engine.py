"""How feature plans are executed: one place to choose the Polars engine."""

from __future__ import annotations

import polars as pl

ENGINE = "streaming"


def collect(plan: pl.LazyFrame) -> pl.DataFrame:
    """Run a feature plan; the engine is chosen here only, after measuring (see benchmarks)."""
    return plan.collect(engine=ENGINE)


def collect_all(plans: list[pl.LazyFrame]) -> list[pl.DataFrame]:
    """Run several plans together so that their shared inputs are scanned and prepared once."""
    return pl.collect_all(plans, engine=ENGINE)
