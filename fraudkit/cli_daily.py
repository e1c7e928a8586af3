"""`fraudkit daily`: the daily batch (ingest the drop, scan, call-back list, summary with trends).

The command only checks its options and calls :func:`pipelines.daily.run_daily`; ``python -m
pipelines.daily`` runs this very command under its own name. Its errors follow the CLI's
conventions on their own, not only through the `fraudkit` group, so both entries say the same.

``fraudkit.cli`` imports this module at its end to register the command, and this module needs
its option types: they are imported at the bottom (annotations are strings, read when Typer
builds the command), so either module may be imported first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from fraudkit.errors import ConfigError, FraudkitError


def daily(
    drop: Annotated[
        Path,
        typer.Option(
            "--drop",
            help="Folder of the day's files: a sub-folder or a file-name start per kind (calls/, "
            "transactions_0931.csv, ...); truth/ is set aside.",
        ),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Where each day's folder goes (<out>/<as-of date>/).")
    ] = None,
    as_of: AsOfOption = None,
    window: Annotated[str | None, typer.Option("--window", help="How much history before --as-of to scan.")] = None,
    top: Annotated[int | None, typer.Option("--top", min=1, max=MAX_ROWS, help="People on the call-back list.")] = None,
    lookback: Annotated[
        str | None, typer.Option("--lookback", help="Contacts that ended this long before --as-of are scored.")
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="Call-back list format: xlsx, csv or parquet.")] = None,
    mapping: Annotated[
        list[str] | None, typer.Option("--mapping", help="KIND=FILE: mapping TOML for a kind (repeatable).")
    ] = None,
    tracking_uri: TrackingOption = None,
    lock_wait: LockWaitOption = None,
    engine: EngineOption = None,
    lake: LakeOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Run the daily batch on a drop folder: ingest it, scan for water houses, write the call-back list and a summary.

    Outputs go to --out/<as-of date>/: the scan report, the masked list, summary.md and summary.json,
    and trends.svg (alerts, flagged clusters and victims of every day so far in --out).
    With no champion victim model the list is skipped, saying why; a rerun on the same drop loads nothing new.
    Stage lines go to stderr; Ctrl-C exits 130 saying what was kept.
    The scan and the list take their settings from the config's [scan] and [warn] sections.

    Example: [bold]fraudkit daily --drop demo/world --db daily.duckdb --out runs[/]
    """
    try:
        keys = COMMAND_KEYS["daily"] | OPTION_KEYS
        out, window, top, lookback, fmt, tracking_uri, lock_wait, engine, lake, db = (
            _or_tree(value, keys[name], config)
            for name, value in (
                ("out", out),
                ("window", window),
                ("top", top),
                ("lookback", lookback),
                ("fmt", fmt),
                ("tracking_uri", tracking_uri),
                ("lock_wait", lock_wait),
                ("engine", engine),
                ("lake", lake),
                ("db", db),
            )
        )
        tables = _on_lake(engine, lake, "run the daily batch")  # Spark missing: one line, nothing loaded
        _daily(drop, out, as_of, window, top, lookback, fmt, mapping or [], tracking_uri, lock_wait, db, config, tables)
    except KeyboardInterrupt as exc:
        from pipelines.daily import DailyInterrupted

        said = exc.one_line() if isinstance(exc, DailyInterrupted) else "interrupted before the batch began"
        raise _fail(said, EXIT_INTERRUPTED) from None
    except FraudkitError as exc:
        raise _fail(exc.one_line()) from None
    except OSError as exc:  # a file where a folder is expected, a missing folder, no permission
        raise _fail(_os_error_line(exc)) from None


def _daily(
    drop: Path,
    out: Path,
    as_of: str | None,
    window: str,
    top: int,
    lookback: str,
    fmt: str,
    mapping: list[str],
    tracking_uri: str | None,
    lock_wait: float | None,
    db: Path,
    config_file: Path | None = None,
    on_lake: Any = None,
) -> None:
    """Options checked in order, before the store is touched; then the batch, then its report."""
    import pipelines.daily as batch
    from fraudkit.cli import _tree
    from fraudkit.config import ingest_settings, ring_params, scan_params, settings, warn_tiers
    from fraudkit.timeutil import parse_duration, parse_time

    if fmt not in batch.LIST_FORMATS:
        raise ConfigError(f"--format must be xlsx, csv or parquet, not {fmt!r}")
    mappings: dict[str, Path] = {}
    for item in mapping:
        kind, sep, file = item.partition("=")
        if not sep:
            raise ConfigError(f"--mapping {item!r} is not KIND=FILE", hint="e.g. --mapping transactions=bank.toml")
        mappings[kind.strip()] = Path(file)
    _out_folder(out)
    tracking_uri = _tracking(tracking_uri)
    tree = _tree(config_file)
    config = batch.DailyConfig(
        drop=drop,
        out=out,
        settings=settings(tree, db_path=db, tracking_uri=tracking_uri, lock_wait_s=lock_wait),
        as_of=parse_time(as_of) if as_of else None,
        scan_window=parse_duration(window),
        warn_top=top,
        warn_lookback=parse_duration(lookback, option="--lookback"),
        warn_format=fmt,
        mappings=mappings,
        scan_params=scan_params(tree),
        ring_params=ring_params(tree),
        warn_skip_called=tree.get("warn.skip_called"),
        warn_tiers=warn_tiers(tree),
        ingest_settings=ingest_settings(tree),
        lake=on_lake,
    )
    result = batch.run_daily(config, progress=lambda stage: err_console.print(f"… {escape(stage)}", highlight=False))
    for step in result.steps:
        said = f"skipped: {step.skipped}" if step.skipped else step.summary
        console.print(f"[bold]{step.name}[/]: {escape(said)}", highlight=False, soft_wrap=True)
    for label, path in result.outputs.items():
        console.print(f"{label}: [bold]{escape(str(path))}[/]", highlight=False, soft_wrap=True)


# At the bottom, not the top: fraudkit.cli imports this module at its end (see the docstring).
from fraudkit.cli import (  # noqa: E402
    COMMAND_KEYS,
    EXIT_INTERRUPTED,
    MAX_ROWS,
    OPTION_KEYS,
    AsOfOption,
    ConfigOption,
    DbOption,
    EngineOption,
    LakeOption,
    LockWaitOption,
    TrackingOption,
    _fail,
    _on_lake,
    _or_tree,
    _os_error_line,
    _out_folder,
    _tracking,
    console,
    err_console,
)
