"""The small model world shared by the model tests (a module of its own: test files import it
by a unique name, which ``conftest`` is not once several test folders have one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from fraudkit.synth import World

AS_OF = datetime(2026, 10, 31)


@dataclass(frozen=True)
class ModelWorld:
    world: World
    db: Path
    truth: Path
    tables: dict[str, pl.DataFrame]
