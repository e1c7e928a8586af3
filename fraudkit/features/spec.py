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

Entity = Literal["account", "phone", "contact"]
"""What a row is: an account or a phone as of T, or a contact (a call scored the moment it ended)."""
Kind = Literal["count", "amount", "ratio", "duration", "flag", "hour", "score"]
ModelName = Literal["victim", "fraud_number", "mule"]
"""The models that train on catalogue features (the targets of ``fraudkit.model.params.TARGETS``)."""

# Where the events behind a feature come from, relative to as_of T.
WINDOW = "window [T-window, T)"
HISTORY = "history [T-history, T)"
NEW_IN_WINDOW = "window, first seen against history"
REPORTS = "reports with reported_at < T"
POINT = "state at T"
SCAN = "scan of window [T-window, T)"

# The same for a contact, relative to S, the moment its call ended (``ContactParams``: recent 24 h,
# week 7 days, history 30 days by default).
THE_CALL = "the call itself"
PAST_DAY = "past day [S-recent, S)"
PAST_WEEK = "past week [S-week, S)"
NEW_IN_DAY = "past day, first seen against history"
NEW_IN_WEEK = "past week, first seen against history"
CONTACT_HISTORY = "history [S-history, S)"
CONTACT_REPORTS = "reports with reported_at < S"
AT_CONTACT = "state at S"


@dataclass(frozen=True)
class FeatureSpec:
    """One feature column: what it means, which events feed it, and its value when it has none.

    ``fill`` is the value used when the feature cannot be computed (no events of the
    kind, unknown opening date, ...); ``kind`` tells counts (Int64) from measures (Float64),
    unless ``stored_as`` says otherwise (model inputs built outside a FeatureSet are Float64).
    ``models`` are the models trained on the column; ``reason`` (a ``str.format`` template over
    ``v``) and ``missing`` are the sentences a warning team reads when it pushes a score up.
    """

    name: str
    entity: Entity
    meaning: str
    window: str
    fill: float = 0.0
    kind: Kind = "ratio"
    producer: str = ""
    models: tuple[ModelName, ...] = ()
    reason: str | None = None
    missing: str | None = None
    stored_as: type[pl.DataType] | None = None

    @property
    def dtype(self) -> type[pl.DataType]:
        if self.stored_as is not None:
            return self.stored_as
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
        cols = [pl.col(self.key).cast(pl.String)]  # identifiers are categories inside the producers
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
