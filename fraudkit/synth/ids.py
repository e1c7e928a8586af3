"""The identifiers users see: phone numbers, card numbers, IMEIs, holder ids.

Numbers are drawn at random (unique, valid-looking: mobile prefixes, bank BINs with a
Luhn check digit, IMEI type codes with a Luhn digit) so nothing about an entity can be
read from its identifier.
"""

from __future__ import annotations

import numpy as np

from fraudkit.synth.rand import Rng
from fraudkit.synth.registry import BANK_BINS

MOBILE_PREFIXES = np.array(
    [
        130,
        131,
        132,
        133,
        134,
        135,
        136,
        137,
        138,
        139,
        150,
        151,
        152,
        153,
        155,
        156,
        157,
        158,
        159,
        166,
        170,
        171,
        173,
        175,
        176,
        177,
        178,
        180,
        181,
        182,
        183,
        184,
        185,
        186,
        187,
        188,
        189,
        191,
        193,
        195,
        196,
        197,
        198,
        199,
    ],
    dtype=np.int64,
)
IMEI_TACS = np.array(
    [
        35332011,
        35391110,
        86891104,
        86769204,
        35823910,
        86450904,
        35407115,
        86104805,
        35698711,
        86612303,
        35209416,
        86978306,
    ],
    dtype=np.int64,
)


def unique_ints(rng: Rng, n: int, high: int) -> np.ndarray:
    """``n`` distinct integers in [0, high), in random order."""
    if n > high:
        raise ValueError(f"cannot draw {n} distinct values below {high}")
    out = np.zeros(0, dtype=np.int64)
    while len(out) < n:
        draw = rng.integers(0, high, size=int((n - len(out)) * 1.05) + 16, dtype=np.int64)
        merged = np.concatenate([out, draw])
        _, first = np.unique(merged, return_index=True)
        out = merged[np.sort(first)]
    return out[:n]


def luhn_digit(body: np.ndarray, n_digits: int) -> np.ndarray:
    """Check digit to append to each ``n_digits``-digit number (Luhn, as cards and IMEIs)."""
    total = np.zeros(len(body), dtype=np.int64)
    rest = body.copy()
    for i in range(n_digits):  # over digit positions, not rows
        d = rest % 10
        rest //= 10
        if i % 2 == 0:
            d = d * 2
            d = np.where(d > 9, d - 9, d)
        total += d
    return (10 - total % 10) % 10


def phone_numbers(rng: Rng, n: int) -> np.ndarray:
    """Distinct 11-digit mobile numbers as integers (e.g. 13812345678)."""
    v = unique_ints(rng, n, len(MOBILE_PREFIXES) * 100_000_000)
    return MOBILE_PREFIXES[v // 100_000_000] * 100_000_000 + v % 100_000_000


def account_numbers(rng: Rng, bank: np.ndarray) -> np.ndarray:
    """Distinct 19-digit card numbers: the bank's 6-digit BIN, 12 digits, a Luhn digit."""
    out = np.zeros(len(bank), dtype=np.int64)
    for b, bin_ in enumerate(BANK_BINS):  # over the handful of banks
        rows = np.flatnonzero(bank == b)
        body = bin_ * 10**12 + unique_ints(rng, len(rows), 10**12)
        out[rows] = body * 10 + luhn_digit(body, 18)
    return out


def imeis(rng: Rng, n: int) -> np.ndarray:
    """Distinct 15-digit IMEIs: a handset type code, a serial and a Luhn digit."""
    serial = unique_ints(rng, n, 10**6 * len(IMEI_TACS))
    body = IMEI_TACS[serial // 10**6] * 10**6 + serial % 10**6
    return body * 10 + luhn_digit(body, 14)


def mistype(rng: Rng, numbers: np.ndarray, n_digits: int, keep_leading: int) -> np.ndarray:
    """Change one digit (not among the first ``keep_leading``) of each number."""
    pos = rng.integers(0, n_digits - keep_leading, size=len(numbers))  # from the right
    scale = 10 ** pos.astype(np.int64)
    old = numbers // scale % 10
    new = (old + rng.integers(1, 10, size=len(numbers))) % 10
    return numbers + (new - old) * scale
