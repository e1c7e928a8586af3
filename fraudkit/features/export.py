"""Feature files for notebooks and other tools: keys pseudonymised unless revealed.

An account number or phone is replaced by its keyed pseudonym (``fraudkit.exposure``): rows
still join across files and runs of the same store, but a file that leaves the store says
nobody's number. Full keys need the grant of ``exposure.reveal`` (audited first).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from fraudkit.atomic import write_file
from fraudkit.exposure import Reveal, pseudonymise_frame, revealed


def feature_path(out_dir: Path, entity: str, as_of: datetime) -> Path:
    """Where an entity's features as of a moment go: ``<entity>_features_<YYYYMMDDTHHMM>.parquet``."""
    return out_dir / f"{entity}_features_{as_of:%Y%m%dT%H%M}.parquet"


def write_features(
    frames: dict[str, pl.DataFrame],
    out_dir: Path,
    *,
    as_of: datetime,
    secret: bytes,
    reveal: Reveal | None = None,
) -> dict[str, Path]:
    """One Parquet file per entity in ``out_dir``, written atomically, keys pseudonymised with the
    store's ``secret`` unless revealed."""
    show = revealed(reveal)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for entity, frame in frames.items():
        written = frame if show else pseudonymise_frame(frame, secret)
        paths[entity] = write_file(feature_path(out_dir, entity, as_of), written.write_parquet)
    return paths
