"""Training rows past the cap are sampled: every positive kept, the same rows for the same seed."""

from __future__ import annotations

import polars as pl
import pytest

from fraudkit.errors import ConfigError
from fraudkit.model.params import TrainParams
from fraudkit.model.train import sample_training_rows


def _rows(n: int, every: int) -> pl.DataFrame:
    return pl.DataFrame({"row": range(n), "label": [int(i % every == 0) for i in range(n)]})


def test_a_part_within_the_cap_trains_whole() -> None:
    rows = _rows(5000, 50)
    assert sample_training_rows(rows, 5000, seed=7).equals(rows)


def test_past_the_cap_every_positive_stays_and_the_draw_is_the_seeds() -> None:
    rows = _rows(20_000, 100)
    kept = sample_training_rows(rows, 2000, seed=7)
    assert kept.height == 2000
    assert kept["label"].sum() == rows["label"].sum() == 200
    assert kept["row"].is_sorted(), "rows keep their order (bagging reads it)"
    assert kept.equals(sample_training_rows(rows, 2000, seed=7))
    assert not kept.equals(sample_training_rows(rows, 2000, seed=8))


def test_a_cap_below_the_positives_keeps_the_positives_only() -> None:
    rows = _rows(10_000, 2)
    kept = sample_training_rows(rows, 1000, seed=7)
    assert kept.height == 5000 and kept["label"].min() == 1


def test_a_cap_too_small_to_train_on_is_refused() -> None:
    with pytest.raises(ConfigError, match="max_train_rows"):
        TrainParams(max_train_rows=10)
