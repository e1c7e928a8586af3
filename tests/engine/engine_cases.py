"""Marks for the cases that run on Spark: the ``spark`` marker, and one xdist group so that with
``pytest -n`` every Spark case runs on the same worker and the session starts once (the same marks
``@pytest.mark.engines`` gives a test's Spark run, tests/conftest.py)."""

from __future__ import annotations

import pytest

ON_SPARK = (pytest.mark.spark, pytest.mark.xdist_group("spark"))
