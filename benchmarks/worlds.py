"""What the benchmarks share: a generated world cached in a work folder, and this process's costs.

A 1M-subscriber world takes about half a minute to generate and as long to load, so a
benchmark rerun with the same ``--workdir`` reuses it (delete ``world.json`` to regenerate).
A cached world is reused only for the same subscribers, seed and days (``world.json`` records
them; a marker without days is the generator's default 30-day world).
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import sys
import time
from pathlib import Path
from typing import Any

DEFAULT_DAYS = 30
"""The synthetic generator's default length (``SynthConfig.days``), which worlds cached before
``days`` was recorded have."""


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**3 if sys.platform == "darwin" else peak / 1024**2


def cpu_seconds() -> float:
    """User + system seconds of this process, its native threads included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cached_world(
    workdir: Path, subscribers: int, seed: int, db_name: str = "fraudkit.duckdb", days: int = DEFAULT_DAYS
) -> dict[str, Any]:
    """Generate the default world of ``days`` days into ``workdir/db_name`` (truth in ``workdir/truth``)
    unless the folder already holds this one; returns its marker: sizes and how long generating and
    loading took."""
    marker_path = workdir / "world.json"
    db = workdir / db_name
    if marker_path.exists() and db.exists():
        marker = json.loads(marker_path.read_text())
        same = (marker.get("subscribers"), marker.get("seed"), marker.get("days", DEFAULT_DAYS))
        if same == (subscribers, seed, days):
            print(f"reusing the world in {workdir} (delete world.json to regenerate)")
            return marker
    # generated in a child process: Linux keeps a process's peak memory across fork and exec, so a
    # world built here would inflate the peak of every measuring process started after it
    context = multiprocessing.get_context("spawn")
    child = context.Process(target=_generate, args=(workdir, subscribers, seed, db_name, days))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"generating the world failed (exit code {child.exitcode})")
    return json.loads(marker_path.read_text())


def _generate(workdir: Path, subscribers: int, seed: int, db_name: str, days: int) -> None:
    from fraudkit.synth import SynthConfig, generate_world, store_world

    marker_path = workdir / "world.json"
    db = workdir / db_name
    workdir.mkdir(parents=True, exist_ok=True)
    for path in (db, db.with_name(db.name + ".wal"), marker_path):
        path.unlink(missing_ok=True)
    t0 = time.perf_counter()
    world = generate_world(SynthConfig.preset("default", seed=seed, subscribers=subscribers, days=days))
    generated = time.perf_counter() - t0
    t1 = time.perf_counter()
    store_world(world, db, workdir / "truth")
    marker = {
        "subscribers": subscribers,
        "seed": seed,
        "days": days,
        "calls": world.tables["calls"].height,
        "transactions": world.tables["transactions"].height,
        "rings": world.truth["rings"].height,
        "generate_s": round(generated, 1),
        "load_s": round(time.perf_counter() - t1, 1),
    }
    marker_path.write_text(json.dumps(marker))
