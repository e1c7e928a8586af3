"""``fraudkit score``'s file: one row per entity with its score and flag, masked unless revealed.

The key (an account number or a phone) is masked by the one rule of ``fraudkit.exposure``
(6222***********1234) unless the export holds a grant of ``exposure.reveal``, which audits it.
Written atomically, as .parquet, .csv or .xlsx, the formats of the other lists.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from fraudkit.atomic import write_file
from fraudkit.exposure import Reveal, mask_frame, revealed
from fraudkit.warn.export import check_output


def write_scores(scores: pl.DataFrame, out: Path, *, reveal: Reveal | None = None) -> Path:
    """Write ``scores`` (key, ``score``, ``flagged``) to ``out``, atomically; keys masked unless revealed."""
    check_output(out)
    frame = scores if revealed(reveal) else mask_frame(scores)
    suffix = out.suffix.lower()
    if suffix == ".csv":
        return write_file(out, frame.write_csv)
    if suffix == ".parquet":
        return write_file(out, frame.write_parquet)
    return write_file(out, lambda temp: frame.write_excel(temp, worksheet="scores", autofit=True))
