"""All hand-built scenarios in one small world, for tests about every producer at once."""

from __future__ import annotations

import polars as pl
import test_account_features
import test_money_features
import test_phone_features
from feature_builders import accounts, calls, reports, subscribers, txns

_EMPTY = {
    "transactions": txns,
    "calls": calls,
    "accounts": accounts,
    "subscribers": subscribers,
    "reports": reports,
}


def world() -> dict[str, pl.LazyFrame]:
    """Every table, each the union of what the scenarios of the three test modules hold."""
    parts: dict[str, list[pl.LazyFrame]] = {name: [empty()] for name, empty in _EMPTY.items()}
    for module in (test_account_features, test_phone_features, test_money_features):
        for scenario in module.SCENARIOS.values():
            for name, frame in scenario().items():
                parts[name].append(frame)
    return {name: pl.concat(frames) for name, frames in parts.items()}
