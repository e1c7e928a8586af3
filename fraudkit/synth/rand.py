"""Seeded random streams and the few distributions the world is drawn from.

Each component gets its own generator derived from (seed, component name), so adding
draws to one stage never shifts the numbers another stage sees.
"""

from __future__ import annotations

import zlib

import numpy as np

Rng = np.random.Generator


def stream(seed: int, name: str) -> Rng:
    """The generator of one component: PCG64 seeded by the seed and a hash of the name."""
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(key,))))


def scaled(per_unit: float, units: float, minimum: int = 0) -> int:
    """A count proportional to the size of the world, never below ``minimum``."""
    return max(minimum, round(per_unit * units))


def int_range(rng: Rng, bounds: tuple[int, int], size: int) -> np.ndarray:
    """Integers uniform in the inclusive range ``bounds``."""
    return rng.integers(bounds[0], bounds[1] + 1, size=size)


def uniform(rng: Rng, bounds: tuple[float, float], size: int) -> np.ndarray:
    """Floats uniform in ``bounds``."""
    return rng.uniform(bounds[0], bounds[1], size=size)


def log_uniform(rng: Rng, bounds: tuple[float, float], size: int) -> np.ndarray:
    """Floats whose logarithm is uniform: as many minutes-scale as hours-scale values."""
    lo, hi = float(bounds[0]), float(bounds[1])
    if lo <= 0:
        lo = min(hi, 1e-3) if hi > 0 else 1e-3
    return np.exp(rng.uniform(np.log(lo), np.log(max(hi, lo)), size=size))


def lognormal(
    rng: Rng,
    median: float,
    sigma: float,
    size: int,
    lo: float | None = None,
    hi: float | None = None,
) -> np.ndarray:
    """Heavy-tailed positive values around ``median``, optionally clipped."""
    out = median * np.exp(sigma * rng.standard_normal(size))
    if lo is not None or hi is not None:
        out = np.clip(out, lo, hi)
    return out


def pick_in(rng: Rng, start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """One uniform member of each block ``[start, start + count)`` (count >= 1)."""
    return start + np.floor(rng.random(len(start)) * count).astype(np.int64)


def categorical(rng: Rng, probabilities: np.ndarray, size: int) -> np.ndarray:
    """Indices drawn with the given probabilities (vectorised inverse-CDF)."""
    cdf = np.cumsum(probabilities, dtype=np.float64)
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(cdf) - 1)


def zipf_weights(n: int, exponent: float, rng: Rng | None = None) -> np.ndarray:
    """Popularity weights 1/rank^exponent, shuffled so rank is not the index order."""
    weights = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** exponent
    if rng is not None:
        weights = weights[rng.permutation(n)]
    return weights / weights.sum()


def yuan_to_cents(amount: np.ndarray) -> np.ndarray:
    """Money is held as integer cents so sums are exact along a ring."""
    return np.round(np.asarray(amount, dtype=np.float64) * 100).astype(np.int64)


def humanise_cents(rng: Rng, cents: np.ndarray, round_share: float) -> np.ndarray:
    """Make a share of amounts round (to 100 or 1000 yuan) as people pay in round sums."""
    cents = np.asarray(cents, dtype=np.int64)
    u = rng.random(len(cents))
    to_thousand = (u < round_share * 0.5) & (cents >= 300_000)
    to_hundred = (u < round_share) & ~to_thousand & (cents >= 20_000)
    out = cents.copy()
    out[to_thousand] = np.maximum(100_000, np.round(cents[to_thousand] / 100_000) * 100_000)
    out[to_hundred] = np.maximum(10_000, np.round(cents[to_hundred] / 10_000) * 10_000)
    return out


def group_offsets(parent: np.ndarray) -> np.ndarray:
    """Position of each row within its run of equal ``parent`` values (parent sorted)."""
    n = len(parent)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, parent[1:] != parent[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    return np.arange(n, dtype=np.int64) - run_start
