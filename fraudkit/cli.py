"""The `fraudkit` command line: parses arguments, calls one library function, renders the result.

Heavy libraries are imported inside commands so that `fraudkit --help` answers at once.
Errors a user can cause (FraudkitError) become one line on stderr and exit code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from typer.core import TyperGroup

from fraudkit.errors import ConfigError, FraudkitError

console = Console()
err_console = Console(stderr=True)


class _FraudkitGroup(TyperGroup):
    """Turns FraudkitError into a one-line message instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FraudkitError as exc:
            err_console.print(f"[bold red]error:[/] {exc.one_line()}", highlight=False, markup=True, soft_wrap=True)
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=_FraudkitGroup,
    help="fraudkit: find telecom fraud in call records and transfers, break up mule rings, warn victims.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)

# Option sets shared by several commands are defined once here.
DbOption = Annotated[
    Path,
    typer.Option("--db", envvar="FRAUDKIT_DB", help="DuckDB file holding the tables."),
]
SeedOption = Annotated[int | None, typer.Option("--seed", help="Random seed; the same seed gives the same world.")]


@app.command()
def synth(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the world into.")] = Path("world"),
    subscribers: Annotated[
        int | None, typer.Option("--subscribers", "-n", min=200, help="Number of subscribers [default: 20000].")
    ] = None,
    days: Annotated[int | None, typer.Option("--days", min=2, help="Days of activity [default: 30].")] = None,
    seed: SeedOption = None,
    preset: Annotated[str, typer.Option("--preset", help="Typology mix and parameters: default or alt.")] = "default",
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML file setting any generator parameter (see docs).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
) -> None:
    """Make a synthetic world with ground truth: calls, transfers, mule rings, victims, reports.

    Example: [bold]fraudkit synth --subscribers 20000 --seed 7 --out world[/]
    """
    import dataclasses

    from fraudkit.synth import SynthConfig, generate_world, write_world
    from fraudkit.views import counts_table, stage_status

    if fmt not in ("parquet", "csv"):
        raise ConfigError(f"--format must be parquet or csv, not {fmt!r}")
    base = SynthConfig.from_toml(config) if config else SynthConfig.preset(preset)
    overrides = {k: v for k, v in {"seed": seed, "subscribers": subscribers, "days": days}.items() if v is not None}
    cfg = dataclasses.replace(base, **overrides)
    with stage_status(console, f"synthesising {cfg.subscribers:,} subscribers over {cfg.days} days") as update:
        world = generate_world(cfg, progress=update)
        update("writing files")
        write_world(world, out, fmt=fmt)
    console.print(f"world (seed {cfg.seed}) written to [bold]{out}[/]; ground truth kept apart in {out / 'truth'}")
    console.print(counts_table("tables", {k: v.height for k, v in world.tables.items()}))
    console.print(counts_table("ground truth", {k: v.height for k, v in world.truth.items()}))


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, globs or folders of CSV or Parquet.")],
    kind: Annotated[
        str,
        typer.Option("--kind", "-k", help="transactions, calls, accounts, subscribers, reports or outcomes."),
    ],
    mapping: Annotated[
        str | None,
        typer.Option(
            "--mapping", "-m", help="TOML file mapping your columns onto the canonical ones, or a shipped one: bank_cn."
        ),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="utf-8, utf-8-sig, gbk or gb18030 [default: detect].")
    ] = None,
    db: DbOption = Path("fraudkit.duckdb"),
) -> None:
    """Load CSV/Parquet files into a canonical table; bad rows go to `rejects` with a reason.

    Example: [bold]fraudkit ingest exports/*.csv --kind transactions --mapping bank_cn.toml[/]
    """
    from fraudkit.ingest import ingest_paths
    from fraudkit.schema import TABLES
    from fraudkit.store import open_store
    from fraudkit.views import ingest_table, stage_status

    if kind not in TABLES:
        raise ConfigError(f"unknown --kind {kind!r}", hint="one of " + ", ".join(TABLES))
    with open_store(db) as con, stage_status(console, f"ingesting {kind}") as update:
        summary = ingest_paths(con, paths, kind, mapping, encoding=encoding, progress=lambda event: update(str(event)))
    console.print(ingest_table(summary))
    if summary.rejected:
        console.print(f"{summary.rejected:,} rows rejected: see [bold]fraudkit rejects --kind {kind}[/]")


@app.command()
def status(db: DbOption = Path("fraudkit.duckdb")) -> None:
    """Show what the store holds: rows per table, rejects, files ingested.

    Example: [bold]fraudkit status --db demo/fraudkit.duckdb[/]
    """
    from fraudkit.store import open_store, table_counts
    from fraudkit.views import counts_table

    with open_store(db, read_only=True) as con:
        counts = table_counts(con)
    console.print(f"store [bold]{db}[/]")
    console.print(counts_table("tables", counts))


@app.command()
def rejects(
    kind: Annotated[str | None, typer.Option("--kind", "-k", help="Only rejects of this table.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many to show.")] = 20,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Show raw lines unmasked (recorded in the audit log).")
    ] = False,
    db: DbOption = Path("fraudkit.duckdb"),
) -> None:
    """List rejected input rows with file, line, column and reason (personal data masked).

    Example: [bold]fraudkit rejects --kind transactions --limit 50[/]
    """
    from fraudkit.audit import record_reveal
    from fraudkit.store import list_rejects, open_store
    from fraudkit.views import rejects_table

    with open_store(db, read_only=not reveal) as con:
        rows = list_rejects(con, kind=kind, limit=limit)
        if reveal:
            record_reveal(con, command="rejects", what="raw reject lines", rows=len(rows), details={"kind": kind})
    console.print(rejects_table(rows, reveal=reveal))


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option("--workdir", help="Folder for the world, the database and outputs.")] = Path(
        "demo"
    ),
    subscribers: Annotated[int, typer.Option("--subscribers", "-n", min=200, help="Size of the world.")] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the world.")] = 7,
) -> None:
    """Run the whole chain on a synthetic world: synth, ingest, and every later stage.

    Example: [bold]fraudkit demo --workdir demo --subscribers 20000[/]
    """
    from fraudkit.demo import run_demo
    from fraudkit.views import counts_table, paths_table, stage_status

    with stage_status(console, "demo") as update:
        result = run_demo(workdir=workdir, subscribers=subscribers, seed=seed, progress=update)
    console.print(counts_table("loaded into the store", result.table_counts))
    console.print(paths_table("outputs", result.outputs))


def main() -> None:
    """Entry point of the `fraudkit` script."""
    app(prog_name="fraudkit")
