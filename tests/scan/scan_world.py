"""A small synthetic world in a DuckDB file, with its ground truth beside it, for the CLI tests.

Built straight from the generator's frames (no CSV round trip), so the CLI tests can run
commands against a real store without paying for `fraudkit demo`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fraudkit import synth
from fraudkit.synth import SynthConfig, World, generate_world

CLI_WORLD_AS_OF = datetime(2026, 10, 31)
"""Midnight after the default world's 30 days: what the commands take as 'now' by default."""


@dataclass(frozen=True)
class StoredWorld:
    world: World
    db: Path
    truth: Path


def store_world(root: Path, *, preset: str = "default", seed: int = 5, subscribers: int = 3000) -> StoredWorld:
    """A world with every canonical table loaded into ``root/fraudkit.duckdb``, its truth as Parquet."""
    world = generate_world(SynthConfig.preset(preset, seed=seed, subscribers=subscribers))
    db = root / "fraudkit.duckdb"
    truth = root / "truth"
    synth.store_world(world, db, truth)
    return StoredWorld(world=world, db=db, truth=truth)
