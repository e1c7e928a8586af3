"""write_world: tables beside a ``truth/`` folder and a world.json describing both.

Keeping the ground truth in its own folder means ``fraudkit ingest out_dir`` never
loads the answers by accident.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import polars as pl

from fraudkit import __version__
from fraudkit.engine.sql import store as sql
from fraudkit.errors import ConfigError
from fraudkit.progress import ProgressArg, as_reporter, stage
from fraudkit.store import connect
from fraudkit.synth.world import World
from fraudkit.text import plural

Format = Literal["parquet", "csv"]
CSV_DATETIME = "%Y-%m-%d %H:%M:%S"


def _write(df: pl.DataFrame, path: Path, fmt: Format) -> None:
    if fmt == "parquet":
        df.write_parquet(path, compression="zstd", statistics=True)
    else:
        df.write_csv(path, datetime_format=CSV_DATETIME, include_header=True)


def write_world(
    world: World, out_dir: str | Path, fmt: Format | str = "parquet", *, progress: ProgressArg = None
) -> dict[str, Path]:
    """Write every table and truth table; returns name -> path (truth as ``truth/<name>``).

    ``progress`` sees the stage "write" counting rows written, a table at a time.
    """
    if fmt not in ("parquet", "csv"):
        raise ConfigError(f"unknown output format {fmt!r}", hint="use parquet or csv")
    out = Path(out_dir)
    truth_dir = out / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    files = [(name, out / f"{name}.{fmt}", df) for name, df in world.tables.items()]
    files += [(f"truth/{name}", truth_dir / f"{name}.{fmt}", df) for name, df in world.truth.items()]
    paths: dict[str, Path] = {}
    with stage(as_reporter(progress), "write", total=sum(df.height for _, _, df in files), unit="rows") as written:
        for name, path, df in files:
            paths[name] = path
            _write(df, path, fmt)  # type: ignore[arg-type]
            written.advance(df.height)
        written.note = f"{plural(len(files), 'file')} in {out}"
    meta = {
        "generator": "fraudkit.synth",
        "fraudkit_version": __version__,
        "format": fmt,
        "config": world.config.to_dict(),
        "rows": world.row_counts(),
    }
    paths["world.json"] = out / "world.json"
    paths["world.json"].write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return paths


def store_world(world: World, db: str | Path, truth_dir: str | Path | None = None) -> None:
    """Put every canonical table of ``world`` straight into the DuckDB store at ``db`` (and its truth as
    Parquet in ``truth_dir``): the fast way for tests and benchmarks, whose frames are canonical already.
    Real data, and the demo, go through ``fraudkit ingest`` with its checks."""
    con = connect(Path(db))
    try:
        for name, frame in world.tables.items():
            con.register("world_table", frame)
            try:
                con.execute(sql.insert_by_name(name, "world_table"))
            finally:
                con.unregister("world_table")
    finally:
        con.close()
    if truth_dir is not None:
        folder = Path(truth_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in world.truth.items():
            frame.write_parquet(folder / f"{name}.parquet")
