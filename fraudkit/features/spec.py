"""Features are registered where their expression is written, so the catalogue is the code.

Each producer (``account_features``, ``phone_features``, ``subscriber_money_features``)
first aggregates raw columns (names starting with ``_``) per entity, then selects its
registered feature expressions over them in registration order, filling and casting
as the spec says. A column cannot appear without a spec, nor a spec without a column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import polars as pl

Entity = Literal["account", "phone"]
Kind = Literal["count", "amount", "ratio", "duration"]

# Where the events behind a feature come from, relative to as_of T.
WINDOW = "window [T-window, T)"
HISTORY = "history [T-history, T)"
NEW_IN_WINDOW = "window, first seen against history"
REPORTS = "reports with reported_at < T"
POINT = "state at T"


@dataclass(frozen=True)
class FeatureSpec:
    """One feature column: what it means, which events feed it, and its value when it has none.

    ``fill`` is the value used when the feature cannot be computed (no events of the
    kind, unknown opening date, ...); ``kind`` tells counts (Int64) from measures (Float64).
    """

    name: str
    entity: Entity
    meaning: str
    window: str
    fill: float = 0.0
    kind: Kind = "ratio"
    producer: str = ""

    @property
    def dtype(self) -> type[pl.DataType]:
        return pl.Int64 if self.kind == "count" else pl.Float64


@dataclass
class FeatureSet:
    """The features one producer emits, in order, with the expression computing each."""

    entity: Entity
    key: str
    producer: str
    specs: list[FeatureSpec] = field(default_factory=list)
    exprs: dict[str, pl.Expr] = field(default_factory=dict)

    def define(
        self,
        name: str,
        expr: pl.Expr,
        meaning: str,
        *,
        window: str,
        kind: Kind,
        fill: float = 0.0,
    ) -> str:
        """Register a feature computed by ``expr`` over the producer's per-entity raw aggregates."""
        if name in self.exprs:
            raise ValueError(f"feature {name!r} defined twice in {self.producer}")
        if name.startswith("_") or name == self.key:
            raise ValueError(f"feature name {name!r} clashes with raw columns or the key")
        self.specs.append(FeatureSpec(name, self.entity, meaning, window, fill, kind, self.producer))
        self.exprs[name] = expr
        return name

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.specs]

    def finish(self, raw: pl.LazyFrame) -> pl.LazyFrame:
        """Key plus every registered feature, filled and typed, sorted by key for determinism."""
        cols = [pl.col(self.key)]
        for spec in self.specs:
            expr = self.exprs[spec.name].cast(spec.dtype)
            if spec.kind != "count":
                expr = expr.fill_nan(spec.fill)
            cols.append(expr.fill_null(pl.lit(spec.fill).cast(spec.dtype)).alias(spec.name))
        return raw.select(cols).sort(self.key)

    def fill_missing(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Fill this set's columns after an outer join left some rows without them."""
        return frame.with_columns(pl.col(s.name).fill_null(pl.lit(s.fill).cast(s.dtype)) for s in self.specs)


def ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator, null (then filled) when the denominator is zero or missing."""
    return pl.when(denominator > 0).then(numerator / denominator)
