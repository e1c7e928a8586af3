"""The splitting rules water houses use, checked on arbitrary amounts: no cent is lost."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fraudkit.synth.config import MIN_RING_SIZE, TYPOLOGIES
from fraudkit.synth.rand import stream
from fraudkit.synth.rings import layout, random_parts, threshold_parts

cents = st.lists(st.integers(min_value=1, max_value=10**10), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(cents, st.integers(min_value=1, max_value=8), st.integers(min_value=0, max_value=2**32))
def test_random_parts_add_up(totals: list[int], k: int, seed: int) -> None:
    total = np.array(totals, dtype=np.int64)
    parent, parts = random_parts(stream(seed, "t"), total, np.full(len(total), k))
    assert (parts >= 0).all()
    assert (np.bincount(parent, weights=parts, minlength=len(total)).astype(np.int64) == total).all()
    assert (np.bincount(parent, minlength=len(total)) == k).all()


@settings(max_examples=60, deadline=None)
@given(cents, st.sampled_from([5_000, 20_000, 50_000]), st.integers(min_value=0, max_value=2**32))
def test_threshold_parts_stay_under_the_threshold(totals: list[int], threshold_yuan: int, seed: int) -> None:
    total = np.array(totals, dtype=np.int64)
    threshold = threshold_yuan * 100
    parent, parts = threshold_parts(stream(seed, "t"), total, threshold)
    assert (parts >= 0).all()
    assert (parts < threshold).all()
    assert (np.bincount(parent, weights=parts, minlength=len(total)).astype(np.int64) == total).all()
    assert (np.diff(parent) >= 0).all()
    big = total >= threshold
    if big.any():  # large sums are cut into equal just-under-threshold pieces
        first = parts[np.searchsorted(parent, np.flatnonzero(big))]
        assert (first >= threshold * 0.9).all()


@given(st.sampled_from(TYPOLOGIES), st.integers(min_value=MIN_RING_SIZE, max_value=200))
def test_every_ring_size_has_a_layout(typology: str, n: int) -> None:
    counts, hops, depth = layout(typology, n)
    assert counts.sum() == n
    assert counts[0] >= 1 and counts[-1] >= 1, "a way in and a way out"
    assert (counts >= 0).all() and hops >= 1
    assert depth <= 4, "money leaves within the bounded number of dwell steps"
