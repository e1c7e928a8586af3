"""The index's quality measure: rank correlation with the truth's risk."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from fraudkit.index.evaluate import index_quality, spearman
from fraudkit.index.indicators import INDICATORS
from fraudkit.index.result import IndexResult


def test_spearman_is_about_order_only() -> None:
    assert spearman(np.array([1.0, 2.0, 3.0, 4.0]), np.array([10.0, 20.0, 300.0, 4000.0])) == pytest.approx(1.0)
    assert spearman(np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0])) == pytest.approx(-1.0)
    assert np.isnan(spearman(np.array([1.0, 2.0]), np.array([1.0, 2.0]))), "too few regions to say"


def test_an_index_that_ranks_by_true_risk_scores_one() -> None:
    table = pl.DataFrame({"region": ["a", "b", "c", "d"], "index": [70.0, 55.0, 45.0, 30.0]}).with_columns(
        tier=pl.Series(["green", "green", "yellow", "red"])
    )
    truth = pl.DataFrame(
        {
            "code": ["a", "b", "c", "d", "a"],
            "month": ["2026-10"] * 4 + ["2026-09"],
            "residents": [1000, 2000, 1000, 500, 1000],
            "loss_at_risk": [100.0, 800.0, 1000.0, 5000.0, 99_999.0],
        }
    )
    result = IndexResult("2026-10", "county", table, pl.DataFrame(), INDICATORS)
    mapping = pl.DataFrame({"code": ["a", "b", "c", "d"], "region": ["a", "b", "c", "d"]})
    quality = index_quality(result, truth, mapping)
    assert quality.spearman == pytest.approx(1.0) and quality.regions == 4 and quality.red == ("d",)
