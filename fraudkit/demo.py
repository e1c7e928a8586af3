"""The demo: the whole chain on the embedded default (a synthetic world, a DuckDB file, local MLflow).

It is what `make demo` runs, and the shortest path for a new user to see every stage work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fraudkit.ingest import ingest_paths
from fraudkit.store import open_store, table_counts
from fraudkit.synth import SynthConfig, generate_world, write_world

# Order matters only for readability of the summary; ingest does not depend on it.
DEMO_TABLES = ("subscribers", "accounts", "calls", "transactions", "reports")


@dataclass
class DemoResult:
    workdir: Path
    table_counts: dict[str, int]
    outputs: dict[str, Path] = field(default_factory=dict)


def run_demo(
    *,
    workdir: Path,
    subscribers: int = 20_000,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Synthesise a world into ``workdir/world``, ingest it into ``workdir/fraudkit.duckdb``."""
    say = progress or (lambda _stage: None)
    workdir.mkdir(parents=True, exist_ok=True)
    world_dir = workdir / "world"
    db_path = workdir / "fraudkit.duckdb"

    cfg = SynthConfig.preset("default", seed=seed, subscribers=subscribers)
    world = generate_world(cfg, progress=lambda stage: say(f"synth {stage}"))
    say("writing world")
    written = write_world(world, world_dir, fmt="parquet")

    with open_store(db_path) as con:
        for kind in DEMO_TABLES:
            say(f"ingest {kind}")
            ingest_paths(con, [str(written[kind])], kind)
        counts = table_counts(con)

    outputs = {"world (canonical tables)": world_dir, "ground truth": world_dir / "truth", "database": db_path}
    return DemoResult(workdir=workdir, table_counts=counts, outputs=outputs)
