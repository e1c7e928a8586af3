"""The `fraudkit` command line: parses arguments, calls one library function, renders the result.

Heavy libraries are imported inside commands so that `fraudkit --help` answers at once.
Errors a user can cause (FraudkitError) become one line on stderr and exit code 2.
"""

from __future__ import annotations

import errno
import re
import sys
from collections.abc import Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape
from typer._click import Context, Parameter
from typer._click import exceptions as click_errors
from typer.core import TyperCommand, TyperGroup

from fraudkit import __version__
from fraudkit.errors import ConfigError, FraudkitError, NotReadyError
from fraudkit.schema import TABLES
from fraudkit.text import did_you_mean, join_words, noun, plural
from fraudkit.views import RAW_LINE_SHOWN

console = Console()
err_console = Console(stderr=True)


EXIT_MISTAKE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C
INTERRUPT_NOTES = {
    "ingest": "nothing was loaded: the run is one transaction and was rolled back",
}
"""What an interrupted command kept and rolled back, where that is known for certain."""


def _fail(text: str, code: int = EXIT_MISTAKE) -> typer.Exit:
    """Print one line on stderr (user and file text escaped, so brackets are shown, not parsed)."""
    err_console.print(f"[bold red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _os_error_line(exc: OSError) -> str:
    """'cannot write README.md/x.parquet: Not a directory': the path and the system's reason."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    return f"cannot use {where}: {reason}" if where else reason


# click's wording, read back to say it in fraudkit's (tests/test_cli_help.py fails if it changes)
_CHOICE_REFUSED = re.compile(r"^(?:Value error, )?(?P<typed>'.*') is not one of ", re.DOTALL)
_EXTRA_ARGUMENTS = re.compile(r"^Got unexpected extra arguments?(?:\(s\))? \((?P<typed>.*)\)$", re.DOTALL)


def _option_names(params: Sequence[Parameter]) -> list[str]:
    return [name for p in params for name in (*p.opts, *p.secondary_opts) if name.startswith("-")]


def _usage_line(exc: click_errors.UsageError) -> str:
    """A usage mistake as one line: what was wrong, the nearest known name, where help is.

    Unknown options and commands, and a value outside a closed set (--kind, --target, --format),
    say what was typed and the closest name; anything else keeps click's wording, on one line."""
    ctx = exc.ctx
    where = ctx.command_path if ctx is not None else "fraudkit"
    see = f"`{where} --help` lists its options"
    if isinstance(exc, click_errors.NoSuchOption) and ctx is not None:
        known = _option_names(ctx.command.get_params(ctx))
        text = f"unknown option {exc.option_name} for {where}{did_you_mean(exc.option_name, known)}"
    elif isinstance(exc, click_errors.BadParameter) and not isinstance(exc, click_errors.MissingParameter):
        param = exc.param
        choices = [str(c) for c in getattr(getattr(param, "type_descriptor", None), "choices", None) or ()]
        refused = _CHOICE_REFUSED.match(exc.message)
        if param is not None and choices and refused:
            typed, option = refused.group("typed"), max(param.opts, key=len)
            text = f"unknown {option} {typed}{did_you_mean(typed[1:-1], choices)}"
            see = f"one of {join_words(choices)}" if len(choices) > 2 else join_words(choices)
        else:
            text = exc.format_message().replace("Value error, ", "")
            see = f"see `{where} --help`"
    elif isinstance(exc, click_errors.MissingParameter) and exc.param is not None:
        kind, name = exc.param.param_type_name, max(exc.param.opts, key=len)
        text = f"{where} needs {kind} {name if kind == 'option' else exc.param.metavar or name.upper()}"
    elif extra := _EXTRA_ARGUMENTS.match(exc.message):
        typed = extra.group("typed").split(" ")
        text = f"unexpected {noun(len(typed), 'argument')} for {where}: {' '.join(typed)}"
        see = f"see `{where} --help`"
    elif getattr(exc, "unknown_command", False):
        text = exc.message
        see = f"`{where} --help` lists the commands"
    else:
        text = exc.format_message()
        see = f"see `{where} --help`"
    return ConfigError(text, hint=see).one_line()


CHOICES_IN_TYPE_COLUMN = 24
"""Longest 'a|b|c' shown as an option's type; a longer closed set is listed in its help instead."""


def _conventional(params: list[Parameter]) -> list[Parameter]:
    """Help as well-loved CLIs write it, set once per parameter: a flag takes no value, so no type
    is shown (Typer's rich help printed `<bool>`); a closed set too long for the type column
    (--kind) is named `<kind>` and its choices listed in the help; an argument named by its
    metavar (PATH) shows no Python type such as `<list[str]>`, and a repeatable option its item's."""
    for param in params:
        if getattr(param, "_conventional", False):
            continue
        param._conventional = True  # type: ignore[attr-defined]
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
        choices = [str(c) for c in getattr(getattr(param, "type_descriptor", None), "choices", None) or ()]
        if choices and param.metavar is None and len("|".join(choices)) > CHOICES_IN_TYPE_COLUMN:
            param.metavar = f"<{param.name}>"
            listed = f"One of {join_words(choices)}."
            param.help = f"{param.help} {listed}" if getattr(param, "help", None) else listed  # type: ignore[attr-defined]
        descriptor = getattr(param, "type_descriptor", None)
        if param.param_type_name == "option" and param.metavar is None and getattr(descriptor, "is_list", False):
            param.metavar = f"<{param.bare_type().removeprefix('list[').removesuffix(']')}>"  # a repeatable option
        if param.param_type_name == "argument" and param.metavar:
            param.display_type_rich = lambda ctx: None  # type: ignore[method-assign]
    return params


OPTION_KEYS: dict[str, str] = {
    "db": "store.db",
    "tracking_uri": "store.tracking_uri",
    "lock_wait": "store.lock_wait",
    "timezone": "store.timezone",
    "threads": "store.threads",
}
"""Options every command that has them takes from the configuration tree when not typed."""
LAKE_KEYS = {"engine": "engine.name", "lake": "engine.lake"}
"""Where a command's tables live: every command that reads them takes ``--engine`` and ``--lake``."""
COMMAND_KEYS: dict[str, dict[str, str]] = {
    "status": LAKE_KEYS,
    "watch": LAKE_KEYS,
    "ingest": LAKE_KEYS,
    "scan": {"window": "scan.window", "top": "scan.top", **LAKE_KEYS},
    "eval_scan": {"window": "scan.window", **LAKE_KEYS},
    "trace": {**LAKE_KEYS, "hops": "trace.hops", "within": "trace.within"},
    "features": {"window": "features.window", "history": "features.history", **LAKE_KEYS},
    "train": {**LAKE_KEYS, "target": "train.target", "capacity": "warn.capacity"},
    "warn": {**LAKE_KEYS, "top": "warn.capacity", "lookback": "warn.lookback", "skip_called": "warn.skip_called"},
    "daily": {
        **LAKE_KEYS,
        "window": "scan.window",
        "top": "warn.capacity",
        "lookback": "warn.lookback",
        "fmt": "daily.format",
        "out": "daily.out",
    },
}
"""Per command (by function name): option -> key of the tree whose value it has when not typed.
Such an option's default is declared once, in the tree (its help shows it)."""
LEGACY_CONFIG = {"synth": "synth", "watch": "watch", "eval_watch": "watch"}
"""Commands whose --config once took a file of their own settings (a synth TOML, a watch.toml)."""

_TREE: ContextVar[Any] = ContextVar("fraudkit_config_tree", default=None)


def _tree(config: Path | None = None) -> Any:
    """The running command's configuration tree (defaults, file, environment, typed options);
    for a command registered on another app (``python -m pipelines.daily``, a test's), the tree
    of ``config`` (its --config) and the environment."""
    tree = _TREE.get()
    if tree is None:
        from fraudkit.config import load

        tree = load(config)
    return tree


def _or_tree(value: Any, dotted: str, config: Path | None = None) -> Any:
    """``value`` when typed, else the tree's, as the option takes it (what the command class does
    for its own commands)."""
    from fraudkit.config import BY_NAME

    return value if value is not None else _option_value(BY_NAME[dotted], _tree(config).get(dotted))


def _option_value(key: Any, value: Any) -> Any:
    """A tree value as the option's parameter takes it (durations as typed: 7d, 48h)."""
    from fraudkit.config import duration_text

    return duration_text(value) if key.kind == "duration" and value is not None else value


class _FraudkitCommand(TyperCommand):
    """Every fraudkit command: help written by :func:`_conventional`; options not typed take
    their value from the configuration tree (``--config FILE``, $FRAUDKIT_CONFIG or
    ./fraudkit.toml, then the environment), which the command reads with :func:`_tree`."""

    def keys(self) -> dict[str, str]:
        name = getattr(self.callback, "__name__", "")
        return OPTION_KEYS | COMMAND_KEYS.get(name, {})

    def get_params(self, ctx: Context) -> list[Parameter]:
        params = _conventional(super().get_params(ctx))
        keys = self.keys()
        for param in params:
            if param.name in keys and not getattr(param, "_default_shown", False):
                param._default_shown = True  # type: ignore[attr-defined]
                param.help = f"{param.help or ''} {_default_help(keys[param.name])}".strip()  # type: ignore[attr-defined]
        return params

    def invoke(self, ctx: Context) -> Any:
        try:
            tree = self._load_tree(ctx)
        except FraudkitError as exc:  # also under `python -m pipelines.daily`, outside the group
            raise _fail(exc.one_line()) from None
        from fraudkit.store import DUCKDB_MEMORY, check_memory_size

        try:
            memory = check_memory_size(str(tree.get("store.duckdb_memory")))
        except FraudkitError as exc:
            raise _fail(exc.one_line()) from None
        token, memory_token = _TREE.set(tree), DUCKDB_MEMORY.set(memory)
        try:
            return super().invoke(ctx)
        finally:
            DUCKDB_MEMORY.reset(memory_token)
            _TREE.reset(token)

    def _load_tree(self, ctx: Context) -> Any:
        """The tree with the typed options over it; untyped options filled in from it."""
        from typer._click.core import ParameterSource

        from fraudkit.config import BY_NAME, load

        legacy = LEGACY_CONFIG.get(getattr(self.callback, "__name__", ""))
        tree = load(ctx.params.get("config"), legacy=legacy)
        keys = {name: dotted for name, dotted in self.keys().items() if name in ctx.params}
        by_param = {p.name: p for p in self.params}
        typed = {
            dotted: (ctx.params[name], max(by_param[name].opts, key=len))
            for name, dotted in keys.items()
            if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE and ctx.params[name] is not None
        }
        tree = tree.with_options(typed)
        for name, dotted in keys.items():
            if ctx.params[name] is None:
                ctx.params[name] = _option_value(BY_NAME[dotted], tree.get(dotted))
        return tree


def _default_help(dotted: str) -> str:
    """'\\[default: 7d; [scan] window in the config]': the built-in default, and the key that sets it."""
    from fraudkit.config import BY_NAME, defaults, toml_value

    key = BY_NAME[dotted]
    value = defaults().get(dotted)
    if dotted == "store.timezone":
        shown = "this machine's"
    elif value is None:
        shown = "unset"
    else:
        shown = toml_value(key, value).strip('"')
        shown = f"{value:g}" if isinstance(value, float) else shown
    return f"\\[default: {escape(shown)}; config {escape(f'[{key.section}] {key.name}')}]."


class _FraudkitGroup(TyperGroup):
    """Turns a user's mistake (FraudkitError, a path the system refuses, an MLflow store refused,
    a usage error) into one line and exit 2, and Ctrl-C into one line and exit 130, instead of a
    traceback or click's boxed usage error."""

    def get_params(self, ctx: Context) -> list[Parameter]:
        return _conventional(super().get_params(ctx))

    def resolve_command(self, ctx: Context, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except click_errors.UsageError:
            typed = args[0] if args else ""
            if not typed or typed.startswith("-") or typed in self.commands:
                raise
            refused = click_errors.UsageError(f"unknown command {typed!r}{did_you_mean(typed, self.commands)}", ctx=ctx)
            refused.unknown_command = True  # type: ignore[attr-defined]
            raise refused from None

    def make_context(self, info_name: str | None, args: list[str], parent: Context | None = None, **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click_errors.NoArgsIsHelpError:
            raise
        except click_errors.UsageError as exc:  # the group's own options: `fraudkit --versoin`
            raise _fail(_usage_line(exc)) from None

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except click_errors.NoArgsIsHelpError:
            raise
        except click_errors.UsageError as exc:  # a sub-command's options, an unknown command
            raise _fail(_usage_line(exc)) from None
        except FraudkitError as exc:
            raise _fail(exc.one_line()) from None
        except OSError as exc:  # a file where a folder is expected, a missing folder, no permission
            if exc.errno == errno.EPIPE:  # `fraudkit scan -h | head`: the reader left, nothing to say
                raise
            raise _fail(_os_error_line(exc)) from None
        except KeyboardInterrupt:
            note = INTERRUPT_NOTES.get(ctx.invoked_subcommand or "")
            raise _fail("interrupted" + (f"; {note}" if note else ""), EXIT_INTERRUPTED) from None
        except Exception as exc:
            mlflow_errors = sys.modules.get("mlflow.exceptions")
            if mlflow_errors is not None and isinstance(exc, mlflow_errors.MlflowException):
                first = str(exc.message).split(". ")[0]
                raise _fail(f"MLflow refused the tracking store: {first}") from None
            raise


class _FraudkitTyper(typer.Typer):
    """The one place fraudkit's CLI conventions are set, for the app and each command group:
    rich help, -h as well as --help, help when called bare, one-line errors (the group class),
    no type shown on flags (the command class), no shell-completion options."""

    def __init__(self, **settings: Any) -> None:
        settings.setdefault("cls", _FraudkitGroup)
        settings.setdefault("no_args_is_help", True)
        settings.setdefault("rich_markup_mode", "rich")
        settings.setdefault("context_settings", {"help_option_names": HELP_OPTIONS})
        super().__init__(pretty_exceptions_enable=False, add_completion=False, **settings)

    def command(self, name: str | None = None, **settings: Any) -> Any:
        settings.setdefault("cls", _FraudkitCommand)
        return super().command(name, **settings)


HELP_OPTIONS = ["-h", "--help"]


def _out_folder(path: Path, option: str = "--out") -> Path:
    """Refuse, before any work, an output folder that names a file (or lies under one)."""
    for at in (path, *path.parents):
        if at.exists():
            if not at.is_dir():
                where = f"{option} {path}" if at == path else f"{option} {path}: {at}"
                raise ConfigError(f"{where} is a file, not a folder", hint=f"give a folder, e.g. {option} reports")
            return path
    return path


def _out_file(path: Path, option: str = "--out") -> Path:
    """Refuse, before any work, an output file whose folder does not exist or that is a folder."""
    if path.is_dir():
        raise ConfigError(f"{option} {path} is a folder, not a file", hint=f"name a file, e.g. {option} {path}/out.csv")
    if not path.parent.is_dir():
        raise ConfigError(f"{option} {path}: folder {path.parent} does not exist", hint="create it first")
    return path


def _tracking(uri: str | None) -> str | None:
    """Refuse a plain folder as the MLflow store: MLflow 3 no longer opens folder stores."""
    if not uri or ("://" in uri and not uri.startswith("file:")):
        return uri
    folder = Path(uri.removeprefix("file://").removeprefix("file:"))
    database = folder / "mlflow.db"
    hint = f"--tracking-uri sqlite:///{database}" + (" (it is there)" if database.is_file() else "")
    raise ConfigError(
        f"--tracking-uri {uri} is a plain folder, not an MLflow database", hint=f"give a database: {hint}"
    )


app = _FraudkitTyper(
    name="fraudkit",
    help="fraudkit: find telecom fraud in call records and transfers, break up mule rings, warn victims.",
)


def _print_version(asked: bool) -> None:
    if asked:
        console.print(f"fraudkit {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print fraudkit's version and exit."),
    ] = False,
) -> None:
    """fraudkit: find telecom fraud in call records and transfers, break up mule rings, warn victims."""


# Closed sets are choices, so help lists them and a typo is refused with the nearest one.
TableKind = Literal[tuple(TABLES)]  # type: ignore[valid-type]  # the canonical tables
EngineName = Literal["duckdb", "spark"]
EngineOption = Annotated[
    EngineName | None,
    typer.Option(
        "--engine",
        help="duckdb, or spark (local[2] or \\[engine] master): with a --lake the tables live there, without "
        "one they stay in the store (and scan runs its graph steps on Spark).",
    ),
]
LakeOption = Annotated[
    str | None,
    typer.Option(
        "--lake",
        metavar="DIR",
        help="With --engine spark: the Parquet lake holding the tables (a folder, hdfs://… or s3a://…); "
        "the --db store keeps rejects, the ingest log, the audit and the outputs.",
    ),
]
TargetName = Literal["victim", "fraud_number", "mule"]  # fraudkit.model.params.TARGETS (too heavy to import here)
SynthFormat = Literal["parquet", "csv"]  # fraudkit.synth.writer's formats
SynthPreset = Literal["default", "alt", "transfers"]  # fraudkit.synth.config.PRESETS
CallbackListFormat = Literal["xlsx", "csv", "parquet"]  # the files fraudkit.warn.export writes

DetectorOption = Annotated[
    list[str] | None,
    typer.Option(
        "--detector",
        help="fast (money forwarded within hours, over --window), dense (rings by the shape of their money "
        "over --span, however slow), auto (fast, and dense on daily data); repeat for more than one.",
    ),
]
SpanOption = Annotated[
    str | None, typer.Option("--span", help="History the dense detector reads before --as-of (e.g. 120d).")
]

# Option sets shared by several commands are defined once here.
DbOption = Annotated[
    Path | None,
    typer.Option("--db", envvar="FRAUDKIT_DB", help="DuckDB file holding the tables."),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Settings file (TOML) \\[default: $FRAUDKIT_CONFIG, else ./fraudkit.toml if present]; "
        "see `fraudkit config show`.",
    ),
]
SeedOption = Annotated[
    int | None, typer.Option("--seed", min=0, help="Random seed; the same seed gives the same world.")
]
# Upper bounds of numeric options, so that an absurd value is a one-line error, not a traceback.
MAX_ROWS = 100_000  # --top, --limit, --capacity: more than a team reads or calls in a day
MAX_SUBSCRIBERS = 50_000_000  # what the generator accepts
MAX_DAYS = 366
MAX_THREADS = 1024
LockWaitOption = Annotated[
    float | None,
    typer.Option(
        "--lock-wait",
        min=0,
        max=3600,
        envvar="FRAUDKIT_LOCK_WAIT",
        help="Seconds to wait for a store another command holds.",
    ),
]


def _need_store(db: Path) -> None:
    """Refuse a --db that names no store before anything else runs (a model load, an MLflow
    folder): a command that reads the store never makes one (see :func:`fraudkit.store.open_store`)."""
    from fraudkit.store import require_store

    require_store(db)


def _on_lake(engine: str | None, lake: str | None, command: str) -> Any:
    """The Spark backend on the lake when the command's tables live in one (``--engine spark`` with a
    ``--lake``, or the configuration's), else None: the store holds them. Refused before any work: a
    typed --lake on DuckDB, Spark missing, a lake that is a file. ``[engine] lake`` in a file is only
    read by the Spark engine."""
    if lake is None:
        return None
    if engine != "spark":
        if _tree().setting("engine.lake").source.startswith("option"):
            raise ConfigError("--lake is where the spark engine keeps the tables", hint="add --engine spark")
        return None
    from fraudkit.config import backend

    on_lake = backend(_tree(), engine, lake=lake)
    on_lake.lake(command)  # starts Spark and looks at the lake
    return on_lake


def _tables(con: Any, on_lake: Any, command: str) -> Any:
    """:func:`fraudkit.engine.lake_views.tables_of`, imported when a command runs (not at CLI start-up)."""
    from fraudkit.engine.lake_views import tables_of

    return tables_of(con, on_lake, command)


def _ops_store_url(db: Path, ops_db: str | None, *, what: str = "", may_create: bool = False) -> str:
    """The operational store's URL, refused before any work when it is the default SQLite file
    beside --db and a wrong --db would leave a new empty store there. A command that reads or works
    the queue (alerts, serve, operators list/disable, eval watch) needs the file to exist; one that
    may start it (operators add) needs the DuckDB store at --db to exist."""
    from fraudkit.ops.db import default_ops_url, ops_url

    url = ops_url(db, ops_db)
    if url != default_ops_url(db):
        return url
    path = Path(url.removeprefix("sqlite:///"))
    if path.exists():
        return url
    if may_create:
        _need_store(db)  # "no database at ...": the same refusal as every reader's
        return url
    raise NotReadyError(
        f"no operational store at {path} beside --db {db}{what}",
        hint="point --db at the deployment's store (e.g. --db demo/fraudkit.duckdb, or FRAUDKIT_DB) "
        "or --ops-db at its operational store; `fraudkit watch` or `fraudkit operators add` makes one",
    )


def _reading_ops_engine(db: Path, ops_db: str | None, *, what: str = "") -> Any:
    """The operational store of a command that only reads it (alerts, operators list/disable,
    eval watch); see :func:`_ops_store_url`."""
    from fraudkit.ops.db import ops_engine

    return ops_engine(_ops_store_url(db, ops_db, what=what))


@app.command()
def synth(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the world into.")] = Path("world"),
    subscribers: Annotated[
        int | None,
        typer.Option(
            "--subscribers", "-n", min=200, max=MAX_SUBSCRIBERS, help="Number of subscribers \\[default: 20000]."
        ),
    ] = None,
    days: Annotated[
        int | None,
        typer.Option(
            "--days", min=2, max=MAX_DAYS, help="Days of activity \\[default: the preset's: 30, transfers 120]."
        ),
    ] = None,
    seed: SeedOption = None,
    preset: Annotated[
        SynthPreset,
        typer.Option(
            "--preset",
            help="Typology mix and parameters: default and alt are telecom fraud (calls, fast water houses); "
            "transfers: bank transfers only, daily timestamps, laundering over weeks (docs/synth-transfers.md).",
        ),
    ] = "default",
    config: ConfigOption = None,
    fmt: Annotated[SynthFormat, typer.Option("--format", help="File format of the tables.")] = "parquet",
) -> None:
    """Make a synthetic world with ground truth: calls, transfers, mule rings, victims, reports.

    Example: [bold]fraudkit synth --subscribers 20000 --seed 7 --out world[/]
    """
    import dataclasses

    from fraudkit.config import synth_config
    from fraudkit.synth import generate_world, write_world
    from fraudkit.views import counts_table, stage_status

    _out_folder(out)
    base = synth_config(_tree(), preset)
    overrides = {k: v for k, v in {"seed": seed, "subscribers": subscribers, "days": days}.items() if v is not None}
    cfg = dataclasses.replace(base, **overrides)
    what = f"synthesising {plural(cfg.subscribers, 'subscriber')} over {plural(cfg.days, 'day')}"
    with stage_status(console, what) as update:
        world = generate_world(cfg, progress=update)
        update("writing files")
        write_world(world, out, fmt=fmt)
    console.print(
        f"world (seed {cfg.seed}) written to [bold]{escape(str(out))}[/]; "
        f"ground truth kept apart in {escape(str(out / 'truth'))}"
    )
    console.print(counts_table("tables", {k: v.height for k, v in world.tables.items()}))
    console.print(counts_table("ground truth", {k: v.height for k, v in world.truth.items()}))


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(metavar="PATH", help="Files, globs or folders of CSV or Parquet.")],
    kind: Annotated[TableKind, typer.Option("--kind", "-k", help="Canonical table the files hold.")],
    mapping: Annotated[
        str | None,
        typer.Option(
            "--mapping", "-m", help="TOML file mapping your columns onto the canonical ones, or a shipped one: bank_cn."
        ),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="utf-8, utf-8-sig, gbk or gb18030 \\[default: detect].")
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            envvar="FRAUDKIT_TIMEZONE",
            help="Zone a new store keeps its times in, e.g. Asia/Shanghai \\[default: this machine's]; "
            "times with an offset are converted to it.",
        ),
    ] = None,
    lock_wait: LockWaitOption = None,
    engine: EngineOption = None,
    lake: LakeOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Load CSV/Parquet files into a canonical table; bad rows go to `rejects` with a reason.

    With --engine spark --lake DIR the rows loaded are then appended to the lake (by day for events).

    Example: [bold]fraudkit ingest exports/*.csv --kind transactions --mapping bank_cn.toml[/]
    """
    from fraudkit.config import ingest_settings
    from fraudkit.ingest import ingest_paths
    from fraudkit.store import open_store
    from fraudkit.views import ingest_table, stage_status

    on_lake = _on_lake(engine, lake, f"ingest {kind}")  # before the store is opened or made
    settings = ingest_settings(_tree())
    with (
        open_store(db, timezone=timezone, lock_wait=lock_wait, create=True) as con,
        stage_status(console, f"ingesting {kind}") as update,
    ):
        if on_lake is None:
            summary = ingest_paths(con, paths, kind, mapping, encoding=encoding, progress=update, settings=settings)
        else:
            from fraudkit.ingest.lake import LakeBehind, ingest_to_lake

            try:
                done = ingest_to_lake(
                    con, on_lake, paths, kind, mapping, encoding=encoding, progress=update, settings=settings
                )
            except LakeBehind as behind:
                raise _fail(f"interrupted; {behind}", EXIT_INTERRUPTED) from None
            summary = done.summary
    console.print(ingest_table(summary))
    for note in summary.notes():  # e.g. times that are whole days: no hour-of-day features
        console.print(escape(note))
    if on_lake is not None:
        loaded_now = sum(not f.skipped for f in summary.files)
        behind = (
            f" (with {plural(done.lake_files - loaded_now, 'file')} it lacked)" if done.lake_files > loaded_now else ""
        )
        console.print(f"{plural(done.lake_rows, 'row')} added to the lake's {kind} in {escape(str(lake))}{behind}")
    if summary.rejected:
        console.print(f"{plural(summary.rejected, 'row')} rejected: see [bold]fraudkit rejects --kind {kind}[/]")


@app.command()
def status(
    lock_wait: LockWaitOption = None,
    engine: EngineOption = None,
    lake: LakeOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Show what the store holds: rows per table, rejects, files ingested.

    Example: [bold]fraudkit status --db demo/fraudkit.duckdb[/]
    """
    from fraudkit.store import open_store, store_timezone, table_counts
    from fraudkit.views import counts_table

    _need_store(db)
    on_lake = _on_lake(engine, lake, "count the tables")
    with open_store(db, read_only=True, lock_wait=lock_wait) as con, _tables(con, on_lake, "count the tables"):
        counts = table_counts(con)
        zone = store_timezone(con)
    console.print(f"store [bold]{escape(str(db))}[/] (times in {escape(zone)})")
    if on_lake is not None:
        console.print(f"canonical tables from the lake [bold]{escape(str(on_lake.lake_root))}[/]")
    console.print(counts_table("tables", counts))


@app.command()
def rejects(
    kind: Annotated[TableKind | None, typer.Option("--kind", "-k", help="Only rejects of this table.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=MAX_ROWS, help="How many to show.")] = 20,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Show raw lines unmasked (recorded in the audit log).")
    ] = False,
    full_lines: Annotated[
        bool, typer.Option("--full-lines", help=f"Show raw lines whole, not cut at {RAW_LINE_SHOWN} characters.")
    ] = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """List rejected input rows with file, line, column and reason (personal data masked).

    Example: [bold]fraudkit rejects --kind transactions --limit 50[/]
    """
    from fraudkit.exposure import reveal_if
    from fraudkit.store import list_rejects, open_store
    from fraudkit.views import rejects_table

    _need_store(db)
    with open_store(db, read_only=not reveal) as con:
        audit = {"rows": len(list_rejects(con, kind=kind, limit=limit)), "details": {"kind": kind}}
        with reveal_if(con, reveal, command="rejects", what="raw reject lines", **audit) as grant:
            rows = list_rejects(con, kind=kind, limit=limit, reveal=grant)
            console.print(rejects_table(rows, reveal=grant, full_lines=full_lines))


# Rich reads "[default: ...]" as a markup tag and drops it: brackets in help text are escaped.
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Point in time (YYYY-MM-DD\\[THH:MM]) \\[default: midnight after the data]."),
]
RevealOption = Annotated[
    bool, typer.Option("--reveal", help="Show account numbers and phones unmasked (recorded in the audit log).")
]


def _scan_choice(detector: list[str] | None, span: str | None) -> tuple[Any, tuple[str, ...] | None, Any]:
    """The configuration's scan parameters, and the detectors and dense span typed on the command line
    (None: the configuration's); an unknown detector is a one-line mistake naming the choices."""
    from fraudkit.config import scan_params
    from fraudkit.scan.scan import DETECTORS
    from fraudkit.timeutil import parse_duration

    asked = None
    if detector:
        asked = tuple(d.strip() for item in detector for d in item.split(",") if d.strip())
        unknown = [d for d in asked if d not in DETECTORS]
        if unknown or not asked:
            raise ConfigError(
                f"--detector {unknown[0] if unknown else ''!r} is not a detector",
                hint=f"choose from {', '.join(DETECTORS)}",
            )
    return scan_params(_tree()), asked, parse_duration(span, option="--span") if span else None


@app.command()
def scan(
    as_of: AsOfOption = None,
    window: Annotated[str | None, typer.Option("--window", help="How much history before --as-of to scan.")] = None,
    top: Annotated[
        int | None, typer.Option("--top", min=1, max=MAX_ROWS, help="Clusters to show and to draw in the report.")
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the Parquet files and HTML report.")] = Path(
        "reports"
    ),
    detector: DetectorOption = None,
    span_option: SpanOption = None,
    reveal: RevealOption = False,
    engine: EngineOption = None,
    lake: LakeOption = None,
    db: DbOption = None,
    ops_db: OpsDbOption = None,
    config: ConfigOption = None,
) -> None:
    """Find water-house (mule ring) clusters: fast pass-through money flows, ranked with evidence.

    Flagged clusters are matched to the rings earlier scans found (`fraudkit rings`), kept in the
    operational store beside --db.

    Example: [bold]fraudkit scan --as-of 2026-10-31 --window 7d --out reports[/]

    Slow rings on daily data: [bold]fraudkit scan --detector dense --span 120d[/]
    """
    from fraudkit.config import backend, ring_params
    from fraudkit.exposure import reveal_if, store_secret
    from fraudkit.ops.db import ops_engine
    from fraudkit.rings.track import track_scan
    from fraudkit.scan.outputs import detectors_note, evidence_note, publish_scan, thresholds_note
    from fraudkit.scan.scan import run_scan
    from fraudkit.store import open_store
    from fraudkit.timeutil import format_duration, parse_duration, store_as_of
    from fraudkit.views import clusters_table, stage_status

    span = parse_duration(window)
    params, asked, dense_span = _scan_choice(detector, span_option)
    _out_folder(out)
    _need_store(db)
    on_lake = _on_lake(engine, lake, "scan")
    graph_engine = on_lake or backend(_tree(), engine)  # Spark missing: one line, before the store is opened
    with open_store(db) as con, _tables(con, on_lake, "scan"):
        with stage_status(console, "scanning") as update:
            when = store_as_of(con, as_of, window=span)
            update(f"as of {when:%Y-%m-%d %H:%M}, window {format_duration(span)}")
            result = run_scan(
                con, as_of=when, window=span, params=params, backend=graph_engine, detectors=asked, span=dense_span
            )
        what = "cluster report and Parquet files, unmasked"
        audit = {"rows": result.clusters.height, "details": {"out": str(out), "run_id": result.run_id}}
        with reveal_if(con, reveal, command="scan", what=what, **audit) as grant:
            report = publish_scan(con, result, out, top=top, reveal=grant).report
            console.print(clusters_table(result, top=top, reveal=grant))
        tracked = track_scan(
            ops_engine(_ops_store_url(db, ops_db, may_create=True)), result, store_secret(con), ring_params(_tree())
        )
    console.print(
        f"{result.flagged.height} of {plural(result.clusters.height, 'cluster')} flagged. "
        f"Report: [bold]{escape(str(report))}[/]; tables: scan_clusters, scan_members, scan_flows; "
        f"Parquet in {escape(str(out))}"
    )
    for note in (detectors_note(result), evidence_note(result), thresholds_note(result), tracked.describe()):
        if note:
            console.print(f"[dim]{escape(note)}[/]")


@app.command()
def trace(
    account: Annotated[str | None, typer.Option("--account", help="Victim account to follow.")] = None,
    report: Annotated[str | None, typer.Option("--report", help="Report id whose victim payment to follow.")] = None,
    hops: Annotated[int | None, typer.Option("--hops", min=1, max=20, help="How many hops to follow.")] = None,
    within: Annotated[
        str | None, typer.Option("--within", help="How long money may rest in an account per hop.")
    ] = None,
    since: AsOfOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the flows to .csv, .parquet or .html as well.")
    ] = None,
    reveal: RevealOption = False,
    engine: EngineOption = None,
    lake: LakeOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Follow a victim's money forward through time-respecting hops to where it was cashed out.

    Example: [bold]fraudkit trace --report R00000001 --hops 8 --out trace.html[/]
    """
    from fraudkit.exposure import reveal_if
    from fraudkit.scan.trace import check_trace_output, trace_account, trace_report, trace_tree, write_trace
    from fraudkit.store import open_store
    from fraudkit.timeutil import parse_duration, store_as_of

    if (account is None) == (report is None):
        raise ConfigError("give exactly one of --account or --report")
    if out is not None:
        check_trace_output(_out_file(out))
    span = parse_duration(within, option="--within")
    _need_store(db)
    on_lake = _on_lake(engine, lake, "trace money")
    with open_store(db, read_only=not reveal) as con, _tables(con, on_lake, "trace money"):
        if account is not None:
            since_at = store_as_of(con, since, forward=True) if since else None
            result = trace_account(con, account, hops=hops, within=span, since=since_at)
        else:
            result = trace_report(con, str(report), hops=hops, within=span)
        audit = {"rows": result.flows.height, "details": {"out": str(out)}}
        with reveal_if(con, reveal, command="trace", what="money trace", **audit) as grant:
            console.print(trace_tree(result, reveal=grant))
            if out is not None:
                write_trace(result, out, reveal=grant)
    console.print(
        f"traced {result.total_out:,.2f} out of the origin; cashed out {result.cashed_out:,.2f}, "
        f"still held {result.held:,.2f}, beyond the hop limit {result.at_hop_limit:,.2f}"
    )
    if out is not None:
        console.print(f"written to [bold]{escape(str(out))}[/]")


@app.command()
def features(
    list_only: Annotated[bool, typer.Option("--list", help="Print the feature catalogue and exit.")] = False,
    model: Annotated[
        TargetName | None, typer.Option("--model", help="With --list: only the inputs of one model, in training order.")
    ] = None,
    as_of: AsOfOption = None,
    window: Annotated[str | None, typer.Option("--window", help="Window of activity the features describe.")] = None,
    history: Annotated[str | None, typer.Option("--history", help="Look-back for 'first seen' and baselines.")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the feature Parquet files.")] = Path("features"),
    reveal: Annotated[
        bool,
        typer.Option("--reveal", help="Write full accounts and phones, not pseudonyms (recorded in the audit log)."),
    ] = False,
    engine: EngineOption = None,
    lake: LakeOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Compute per-account and per-phone features as of a point in time, or list them.

    Accounts and phones are written as keyed pseudonyms (p:…) that join across files of this store.

    Example: [bold]fraudkit features --as-of 2026-10-24 --window 7d --out features[/]
    """
    from fraudkit.features.catalogue import catalogue_for
    from fraudkit.views import feature_catalogue_table, stage_status

    if list_only:
        console.print(feature_catalogue_table(catalogue_for(model)))
        return
    if model is not None:
        raise ConfigError("--model only chooses what --list prints", hint="add --list")
    from fraudkit.config import feature_params
    from fraudkit.exposure import reveal_if, store_secret_at
    from fraudkit.features import build_features
    from fraudkit.features.export import write_features
    from fraudkit.store import open_store
    from fraudkit.timeutil import parse_duration, store_as_of

    span, look_back = parse_duration(window), parse_duration(history, option="--history")
    _out_folder(out)
    _need_store(db)
    on_lake = _on_lake(engine, lake, "compute features")
    secret = store_secret_at(db)
    with open_store(db, read_only=not reveal) as con, _tables(con, on_lake, "compute features"):
        with stage_status(console, "computing features") as update:
            when = store_as_of(con, as_of, window=span)
            update(f"as of {when:%Y-%m-%d %H:%M}")
            if on_lake is None:
                frames = build_features(con, as_of=when, window=span, history=look_back, params=feature_params(_tree()))
            else:  # per shard on Spark, from the lake: the same producers, the same rows
                from fraudkit.engine.spark_features import lake_features

                update(f"as of {when:%Y-%m-%d %H:%M}, per shard on Spark")
                frames = lake_features(
                    on_lake, as_of=when, window=span, history=look_back, params=feature_params(_tree())
                )
        what = "feature files with account numbers and phones"
        audit = {"rows": sum(f.height for f in frames.values()), "details": {"out": str(out)}}
        with reveal_if(con, reveal, command="features", what=what, **audit) as grant:
            paths = write_features(frames, out, as_of=when, secret=secret, reveal=grant)
    for entity, frame in frames.items():
        console.print(
            f"{entity}: {plural(frame.height, 'row')} x {plural(frame.width - 1, 'feature')} "
            f"-> [bold]{escape(str(paths[entity]))}[/]"
        )
    console.print("keys in full (recorded in audit_log)" if reveal else "keys as pseudonyms (p:…, join in this store)")


TrackingOption = Annotated[
    str | None,
    typer.Option(
        "--tracking-uri", envvar="MLFLOW_TRACKING_URI", help="MLflow store (default: sqlite:///mlruns/mlflow.db)."
    ),
]
TargetOption = Annotated[TargetName, typer.Option("--target", "-t", help="What the model scores.")]
LabelsOption = Annotated[
    Path | None,
    typer.Option(
        "--labels",
        help="Known bad accounts: a CSV or Parquet file with column account_id (or account), "
        "optionally group (a case or alert id).",
    ),
]


def _read_labels(path: Path | None) -> Any:
    """The labels file read and checked before any work (``model.external.read_labels``), or None."""
    if path is None:
        return None
    from fraudkit.model.external import read_labels

    return read_labels(path)


@app.command()
def train(
    target: Annotated[TargetName | None, typer.Option("--target", "-t", help="What the model scores.")] = None,
    as_of: AsOfOption = None,
    truth: Annotated[
        Path | None,
        typer.Option("--truth", help="A synthetic world's truth/ folder: labels from ground truth, not reports."),
    ] = None,
    labels: LabelsOption = None,
    capacity: Annotated[
        int | None,
        typer.Option(
            "--capacity", min=1, max=MAX_ROWS, help="Call-backs (or checks) a team makes a day: k of precision@k."
        ),
    ] = None,
    promote: Annotated[
        bool, typer.Option("--promote", help="Compare with the champion on the same test days, then make it champion.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="With --promote: make it champion even if the comparison says it is worse.")
    ] = False,
    threads: Annotated[
        int | None, typer.Option("--threads", min=1, max=MAX_THREADS, help="CPU threads for LightGBM (default: all).")
    ] = None,
    tracking_uri: TrackingOption = None,
    lock_wait: LockWaitOption = None,
    engine: EngineOption = None,
    lake: LakeOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Train a LightGBM model on earlier days, test it on later ones, log the run to MLflow and register it.

    Labels come from reports and call-back outcomes, from ground truth with --truth, or (mule) from
    a file of known bad accounts with --labels. The mule model has one row per account over its
    history, ring-grouped folds and a temporal split; features the data cannot carry are left out.
    The store is read first and released before LightGBM starts, so other commands can use it.
    The first version of a target becomes champion; later ones with --promote or `fraudkit models promote`.

    Example: [bold]fraudkit train --target victim --truth demo/world/truth --capacity 100 --promote[/]
    """
    import dataclasses

    from fraudkit.config import settings as settings_from
    from fraudkit.config import train_params
    from fraudkit.exposure import read_store_secret
    from fraudkit.model.dataset import build_training_set
    from fraudkit.model.params import check_target
    from fraudkit.model.registry import promote as promote_version
    from fraudkit.model.registry import register
    from fraudkit.model.train import train_model
    from fraudkit.model.views import comparison_table, training_table
    from fraudkit.store import open_store
    from fraudkit.timeutil import store_as_of
    from fraudkit.views import stage_status

    name = check_target(target)
    if truth is not None and not truth.is_dir():
        raise ConfigError(f"--truth {truth} is not a folder", hint="point it at the truth/ folder of `fraudkit synth`")
    if labels is not None and name != "mule":
        raise ConfigError("--labels lists bad accounts: it labels the mule target", hint="add --target mule")
    known = _read_labels(labels)
    tracking_uri = _tracking(tracking_uri)  # before the store, as options are checked first
    _need_store(db)
    tree = _tree()
    settings = settings_from(tree, db_path=db, tracking_uri=tracking_uri, threads=threads, lock_wait_s=lock_wait)
    params = dataclasses.replace(train_params(tree), target=name, capacity=capacity)
    with stage_status(console, f"training {name}") as update:
        on_lake = _on_lake(engine, lake, "train a model")
        with open_store(db, read_only=True, lock_wait=lock_wait) as con, _tables(con, on_lake, "train a model"):
            when = store_as_of(con, as_of) if as_of else None
            training_set = build_training_set(
                con, name, as_of=when, params=params, truth=truth, labels=known, progress=update
            )
            secret = read_store_secret(con)
        update("LightGBM")
        result = train_model(training_set, params, settings)
        update("logging to MLflow")
        registered = register(result, settings, secret=secret)
    for note in training_set.notes:
        console.print(f"note: {escape(note)}")
    console.print(training_table(result))
    console.print(
        f"registered [bold]{registered.name}[/] version {registered.version} (run {registered.run_id}) "
        f"in {escape(settings.resolved_tracking_uri)}; trained in {result.seconds:.1f} s"
    )
    if promote:
        comparison = promote_version(settings, name, registered.version, force=force)
        console.print(comparison_table(comparison))
        console.print(f"[bold]{registered.name}@champion[/] is now version {comparison.candidate}")


models_app = _FraudkitTyper(help="Registered model versions: list them, promote one to champion.")
app.add_typer(models_app, name="models")


@models_app.command("list")
def models_list(
    target: TargetOption = "victim", tracking_uri: TrackingOption = None, config: ConfigOption = None
) -> None:
    """List the registered versions of a target's model, newest first, with the champion marked.

    Example: [bold]fraudkit models list --target victim[/]
    """
    from fraudkit.model.params import check_target
    from fraudkit.model.registry import list_versions
    from fraudkit.model.views import versions_table
    from fraudkit.settings import Settings

    name = check_target(target)
    versions = list_versions(Settings.from_env(tracking_uri=_tracking(tracking_uri)), name)
    if not versions:
        console.print(f"no fraudkit-{name} versions yet: train one with `fraudkit train --target {name}`")
        return
    console.print(versions_table(name, versions))


@models_app.command("promote")
def models_promote(
    target: TargetOption = "victim",
    version: Annotated[str | None, typer.Option("--version", help="Version to promote (default: the latest).")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Skip the comparison (e.g. when the feature set changed).")
    ] = False,
    tracking_uri: TrackingOption = None,
    config: ConfigOption = None,
) -> None:
    """Compare a version with the champion on that version's test days, then make it champion.

    Example: [bold]fraudkit models promote --target victim --version 3[/]
    """
    from fraudkit.model.params import check_target
    from fraudkit.model.registry import promote as promote_version
    from fraudkit.model.views import comparison_table
    from fraudkit.settings import Settings

    name = check_target(target)
    comparison = promote_version(Settings.from_env(tracking_uri=_tracking(tracking_uri)), name, version, force=force)
    console.print(comparison_table(comparison))
    console.print(f"[bold]fraudkit-{name}@champion[/] is now version {comparison.candidate}")


@app.command()
def warn(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the list: .xlsx, .csv or .parquet.")],
    as_of: AsOfOption = None,
    top: Annotated[int | None, typer.Option("--top", min=1, max=MAX_ROWS, help="How many people to list.")] = None,
    model_version: Annotated[
        str | None, typer.Option("--model-version", help="Registered version to score with (default: champion).")
    ] = None,
    lookback: Annotated[
        str | None, typer.Option("--lookback", help="Contacts that ended this long before --as-of.")
    ] = None,
    skip_called: Annotated[
        str | None,
        typer.Option("--skip-called", help="Leave out people called back this recently (unless unreachable)."),
    ] = None,
    tiers: Annotated[
        str | None,
        typer.Option(
            "--tiers",
            help="Probabilities where red and orange begin, e.g. 0.5,0.2 or 50%,20% "
            "\\[default: the model's own; config \\[warn] tiers].",
        ),
    ] = None,
    reveal: RevealOption = False,
    tracking_uri: TrackingOption = None,
    engine: EngineOption = None,
    lake: LakeOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Write the call-back list: people likely being defrauded now, most urgent first, with reasons.

    Every long call from a new number in the --lookback is scored as it ended.
    Each person is listed once: score, tier, three reasons, suspect number, account paid (if any), contact time.

    Example: [bold]fraudkit warn --as-of 2026-10-28T12:00 --top 100 --out callbacks.xlsx[/]
    """
    from datetime import timedelta

    from fraudkit.config import settings as settings_from
    from fraudkit.config import warn_tiers
    from fraudkit.exposure import reveal_if
    from fraudkit.model.registry import load_model
    from fraudkit.store import open_store
    from fraudkit.timeutil import format_duration, parse_duration, store_as_of
    from fraudkit.views import stage_status
    from fraudkit.warn.export import check_output, write_warning_list
    from fraudkit.warn.listing import Tiers, warning_list
    from fraudkit.warn.views import warning_table

    check_output(out)
    span = parse_duration(lookback, option="--lookback")
    skip = parse_duration(skip_called, option="--skip-called")
    chosen_tiers = Tiers.parse(tiers) if tiers else warn_tiers(_tree())
    tracking_uri = _tracking(tracking_uri)  # before the store, as options are checked first
    _need_store(db)
    settings = settings_from(_tree(), db_path=db, tracking_uri=tracking_uri)
    model = load_model(settings, "victim", model_version)
    on_lake = _on_lake(engine, lake, "write the call-back list")
    with open_store(db, read_only=not reveal) as con, _tables(con, on_lake, "write the call-back list"):
        with stage_status(console, "scoring contacts") as update:
            when = store_as_of(con, as_of, "calls", "start_time", window=span, slack=timedelta(days=1))
            update(f"as of {when:%Y-%m-%d %H:%M}")
            wl = warning_list(con, model, as_of=when, top=top, lookback=span, skip_called=skip, tiers=chosen_tiers)
        what = "call-back list with phones and accounts"
        audit = {"rows": wl.frame.height, "details": {"out": str(out), "model_version": wl.model_version}}
        with reveal_if(con, reveal, command="warn", what=what, **audit) as grant:
            write_warning_list(wl, out, reveal=grant)
            console.print(warning_table(wl, reveal=grant))
    console.print(
        f"{plural(wl.frame.height, 'person')} listed from {plural(wl.contacts_scored, 'contact')} of "
        f"{plural(wl.subscribers_scored, 'subscriber')} ({wl.left_out_called} left out: called back in the last "
        f"{format_duration(skip)}); "
        f"written to [bold]{escape(str(out))}[/]" + (" (unmasked; recorded in audit_log)" if reveal else " (masked)")
    )


ScoreTarget = Literal["mule", "fraud_number"]  # the targets scored one row per entity as of a time


@app.command()
def score(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the scores: .parquet, .csv or .xlsx.")],
    target: Annotated[
        ScoreTarget, typer.Option("--target", "-t", help="Accounts (mule) or phones (fraud_number).")
    ] = "mule",
    as_of: AsOfOption = None,
    model_version: Annotated[
        str | None, typer.Option("--model-version", help="Registered version to score with (default: champion).")
    ] = None,
    reveal: RevealOption = False,
    tracking_uri: TrackingOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Score every account (mule: active in the model's history) or phone (fraud_number: called on the
    day before) as of a point in time with the champion model: key, score, flagged.

    Flagged means at or above the threshold the model chose for the best F1 on its validation rows.
    Keys are masked unless --reveal. The rows are built as the model's training built them.

    Example: [bold]fraudkit score --target mule --as-of 2026-10-31 --out accounts.parquet[/]
    """
    from fraudkit.config import settings as settings_from
    from fraudkit.exposure import reveal_if
    from fraudkit.model.export import write_scores
    from fraudkit.model.registry import load_model
    from fraudkit.model.scoring import flag_threshold, score_entities
    from fraudkit.store import open_store
    from fraudkit.text import format_probability
    from fraudkit.timeutil import store_as_of
    from fraudkit.views import stage_status
    from fraudkit.warn.export import check_output

    check_output(out)
    tracking_uri = _tracking(tracking_uri)  # before the store, as options are checked first
    _need_store(db)
    settings = settings_from(_tree(), db_path=db, tracking_uri=tracking_uri)
    model = load_model(settings, target, model_version)
    table, column = ("transactions", "ts") if target == "mule" else ("calls", "start_time")
    entity = "account" if target == "mule" else "phone"
    with open_store(db, read_only=not reveal) as con:
        with stage_status(console, f"scoring {entity}s") as update:
            when = store_as_of(con, as_of, table, column)
            update(f"as of {when:%Y-%m-%d %H:%M}")
            scores = score_entities(con, model, when)
        what = f"{target} scores with {'account numbers' if target == 'mule' else 'phones'}"
        audit = {"rows": scores.height, "details": {"out": str(out), "model_version": model.version}}
        with reveal_if(con, reveal, command="score", what=what, **audit) as grant:
            write_scores(scores, out, reveal=grant)
    flagged = int(scores["flagged"].sum() or 0)
    console.print(
        f"{plural(scores.height, entity)} scored as of {when:%Y-%m-%d %H:%M} with fraudkit-{target} "
        f"v{model.version}; {flagged:,} flagged from {format_probability(flag_threshold(model))}; "
        f"written to [bold]{escape(str(out))}[/]" + (" (unmasked; recorded in audit_log)" if reveal else " (masked)")
    )


eval_app = _FraudkitTyper(help="Measure quality against a synthetic world's ground truth or a labels file.")
app.add_typer(eval_app, name="eval")


@eval_app.command("scan")
def eval_scan(
    truth: Annotated[Path | None, typer.Option("--truth", help="The truth/ folder `fraudkit synth` wrote.")] = None,
    labels: LabelsOption = None,
    cases: Annotated[
        bool, typer.Option("--cases", help="Hold the scan to the investigators' verdicts (confirmed, false positive).")
    ] = False,
    as_of: AsOfOption = None,
    window: Annotated[str | None, typer.Option("--window", help="Window the scan looks at.")] = None,
    detector: DetectorOption = None,
    span_option: SpanOption = None,
    engine: EngineOption = None,
    lake: LakeOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Scan and compare the clusters with ground truth (mule precision/recall, rings found, look-alikes
    flagged), with a labels file of known bad accounts (account-level precision, recall, F1), or with
    the case verdicts (--cases: accounts of rings investigators confirmed or found false).

    Example: [bold]fraudkit eval scan --truth demo/world/truth --db demo/fraudkit.duckdb[/]
    """
    from fraudkit.config import backend
    from fraudkit.scan.scan import run_scan
    from fraudkit.store import open_store
    from fraudkit.timeutil import format_duration, parse_duration, store_as_of
    from fraudkit.views import scan_quality_table

    if (truth is not None) + (labels is not None) + cases != 1:
        raise ConfigError("eval scan needs one of --truth DIR, --labels FILE or --cases", hint="pass exactly one")
    span = parse_duration(window)
    params, asked, dense_span = _scan_choice(detector, span_option)
    known = _read_labels(labels)
    _need_store(db)
    truth_frames = None
    if truth is not None:
        from fraudkit.scan.evaluate import read_truth

        truth_frames = read_truth(truth)
    on_lake = _on_lake(engine, lake, "evaluate the scan")
    graph_engine = on_lake or backend(_tree(), engine)  # the graph steps where `fraudkit scan` runs them
    with open_store(db) as con, _tables(con, on_lake, "evaluate the scan"):
        when = store_as_of(con, as_of, window=span)
        result = run_scan(
            con, as_of=when, window=span, params=params, backend=graph_engine, detectors=asked, span=dense_span
        )
        if truth_frames is not None:
            from fraudkit.scan.evaluate import evaluate_scan

            quality = evaluate_scan(con, result, truth_frames)
        if cases:
            from fraudkit.cases.labels import scan_verdict_quality, store_verdicts
            from fraudkit.exposure import store_secret

            verdicts = store_verdicts(con)
            if verdicts is None or verdicts.is_empty():
                raise NotReadyError(
                    "no case verdicts beside the store", hint="mark rings with `fraudkit case mark CASE confirmed`"
                )
            judged = scan_verdict_quality(result, verdicts, store_secret(con))
    title = f"scan as of {when:%Y-%m-%d %H:%M}, window {format_duration(span)}"
    if result.span is not None:
        title += f", dense span {format_duration(result.span)}"
    if truth_frames is not None:
        console.print(scan_quality_table(quality, title=title))
        return
    if cases:
        console.print(_quality_table(judged, f"{title}, against the case verdicts (judged accounts only)"))
        return
    from fraudkit.model.external import scan_quality

    console.print(_quality_table(scan_quality(result, known), f"{title}, against {labels}"))


@eval_app.command("mule")
def eval_mule(
    labels: Annotated[
        Path,
        typer.Option(
            "--labels", help="Known bad accounts: CSV or Parquet with column account_id (or account), optionally group."
        ),
    ],
    as_of: AsOfOption = None,
    model_version: Annotated[
        str | None, typer.Option("--model-version", help="Registered version to evaluate (default: champion).")
    ] = None,
    tracking_uri: TrackingOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Score every account as of a time with the champion mule model and compare with a labels file:
    precision, recall and F1 at the model's flag threshold, and PR-AUC.

    Known bad accounts with no transfer in the model's history count as missed.

    Example: [bold]fraudkit eval mule --labels cases/known_mules.csv --as-of 2026-10-31[/]
    """
    from fraudkit.config import settings as settings_from
    from fraudkit.model.external import scored_quality
    from fraudkit.model.registry import load_model
    from fraudkit.model.scoring import flag_threshold, score_entities
    from fraudkit.store import open_store
    from fraudkit.text import format_probability
    from fraudkit.timeutil import store_as_of
    from fraudkit.views import stage_status

    known = _read_labels(labels)
    tracking_uri = _tracking(tracking_uri)
    _need_store(db)
    settings = settings_from(_tree(), db_path=db, tracking_uri=tracking_uri)
    model = load_model(settings, "mule", model_version)
    with open_store(db, read_only=True) as con, stage_status(console, "scoring accounts") as update:
        when = store_as_of(con, as_of)
        update(f"as of {when:%Y-%m-%d %H:%M}")
        scores = score_entities(con, model, when)
    title = (
        f"fraudkit-mule v{model.version} as of {when:%Y-%m-%d %H:%M}, flagged from "
        f"{format_probability(flag_threshold(model))}, against {labels}"
    )
    console.print(_quality_table(scored_quality(scores, known), title))


def _quality_table(quality: Any, title: str) -> Any:
    from rich.table import Table

    table = Table(title=escape(title), title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in quality.rows():
        table.add_row(name, value)
    return table


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option("--workdir", help="Folder for the world, the database and outputs.")] = Path(
        "demo"
    ),
    subscribers: Annotated[
        int, typer.Option("--subscribers", "-n", min=200, max=MAX_SUBSCRIBERS, help="Size of the world.")
    ] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the world.")] = 7,
    fraud_operations: Annotated[
        float | None,
        typer.Option(
            "--fraud-operations",
            min=0.0,
            max=10_000.0,
            help="Fraud operations per 100,000 subscribers (default: the preset's); raise it for a small world.",
        ),
    ] = None,
    threads: Annotated[
        int | None, typer.Option("--threads", min=1, max=MAX_THREADS, help="CPU threads for LightGBM (default: all).")
    ] = None,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh", help="First delete what an earlier demo left in --workdir (world, store, mlruns, reports)."
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Run the whole chain on a synthetic world: synth, ingest, scan, train, warn, and check it all against the truth.

    Everything goes into --workdir, the MLflow store included (mlruns/mlflow.db there).

    Example: [bold]fraudkit demo --workdir demo --subscribers 20000[/]
    """
    from rich.markup import escape

    from fraudkit.demo import run_demo
    from fraudkit.views import counts_table, paths_table, stage_status

    _out_folder(workdir, "--workdir")
    overrides = {} if fraud_operations is None else {"fraud_operations_per_100k": fraud_operations}
    with stage_status(console, "demo") as update:
        result = run_demo(
            workdir=workdir,
            subscribers=subscribers,
            seed=seed,
            progress=update,
            synth_overrides=overrides,
            threads=threads,
            fresh=fresh,
        )
    console.print(counts_table("loaded into the store", result.table_counts))
    for step in result.steps:
        console.print(f"[bold]{step.name}[/] ({step.seconds:.1f} s): {escape(step.summary)}", highlight=False)
    console.print("[bold]summary[/]")
    for line in result.summary():
        console.print(f"- {line}", highlight=False, markup=False)
    console.print(paths_table("outputs", result.outputs))


# ---- the work queue: `serve` and `operators` (heavy imports inside the commands) ----------

OpsDbOption = Annotated[
    str | None,
    typer.Option(
        "--ops-db",
        envvar="FRAUDKIT_OPS_DB",
        help="Operational store: sqlite:///... or postgresql+psycopg://... \\[default: <db>.ops.sqlite beside --db].",
    ),
]


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on; not loopback needs operator accounts.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    pay_minutes: Annotated[
        float,
        typer.Option(
            "--pay-minutes",
            min=1,
            max=1440,
            help="Typical minutes from the call's end to the victim paying (countdown).",
        ),
    ] = 45.0,
    db: DbOption = None,
    ops_db: OpsDbOption = None,
    config: ConfigOption = None,
) -> None:
    """Serve the warning team's work queue: open alerts in call order, claim, reveal, record the outcome.

    Every page needs a login (create accounts with `fraudkit operators add`).

    Example: [bold]fraudkit serve --db demo/fraudkit.duckdb --port 8000[/]
    """
    from fraudkit.web.serve import run_server

    url = _ops_store_url(db, ops_db, what=", so there is no queue to serve")
    run_server(host=host, port=port, db=db, ops_db=url, pay_minutes=pay_minutes, echo=console.print)


OperatorRole = Literal["warning_operator", "investigator", "supervisor"]  # fraudkit.ops.schema.OPERATOR_ROLES
operators_app = _FraudkitTyper(help="Operator accounts of the work queue: add, list, disable.")
app.add_typer(operators_app, name="operators")


@operators_app.command("add")
def operators_add(
    name: Annotated[str, typer.Argument(help="Login name (letters, digits, . - _).")],
    display_name: Annotated[str | None, typer.Option("--display-name", help="Name shown beside the login.")] = None,
    role: Annotated[
        OperatorRole,
        typer.Option(
            "--role", help="What they work: the alert queue (warning_operator), rings and cases (investigator), both."
        ),
    ] = "warning_operator",
    db: DbOption = None,
    ops_db: OpsDbOption = None,
    config: ConfigOption = None,
) -> None:
    """Add an operator; the password is asked for twice and stored only as an argon2 hash.

    Example: [bold]fraudkit operators add li.wei --role investigator --db demo/fraudkit.duckdb[/]
    """
    from fraudkit.ops.db import ops_engine
    from fraudkit.ops.operators import check_name, check_password, create_operator

    check_name(name)
    url = _ops_store_url(db, ops_db, may_create=True)  # before the password is asked for
    password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    check_password(password)
    create_operator(ops_engine(url), name, password, display_name=display_name, role=role)
    console.print(f"operator [bold]{name}[/] added ({role})", highlight=False)


@operators_app.command("list")
def operators_list(db: DbOption = None, ops_db: OpsDbOption = None, config: ConfigOption = None) -> None:
    """List operators: name, display name, role, active, created.

    Example: [bold]fraudkit operators list --db demo/fraudkit.duckdb[/]
    """
    from rich.table import Table

    from fraudkit.ops.operators import list_operators

    table = Table("operator", "display name", "role", "active", "created")
    for op in list_operators(_reading_ops_engine(db, ops_db)):
        table.add_row(
            op.operator_id,
            op.display_name or "",
            op.role,
            "yes" if op.active else "no",
            f"{op.created_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


@operators_app.command("disable")
def operators_disable(
    name: Annotated[str, typer.Argument(help="Login name to disable.")],
    db: DbOption = None,
    ops_db: OpsDbOption = None,
    config: ConfigOption = None,
) -> None:
    """Disable an operator: no more logins, open sessions end at the next page; their records stay.

    Example: [bold]fraudkit operators disable li.wei --db demo/fraudkit.duckdb[/]
    """
    from fraudkit.ops.operators import set_active

    set_active(_reading_ops_engine(db, ops_db), name, False)
    console.print(f"operator [bold]{name}[/] disabled", highlight=False)


# ---- the live loop: watch, alerts, eval watch ---------------------------------------------


@app.command()
def watch(
    drop: Annotated[Path | None, typer.Option("--drop", help="Folder the operators' and banks' files land in.")] = None,
    every: Annotated[str | None, typer.Option("--every", help="Tick \\[default: 1m live, 5m replay].")] = None,
    config: ConfigOption = None,
    mapping: Annotated[
        list[str] | None, typer.Option("--mapping", help="KIND=FILE: mapping TOML for a kind (repeatable).")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Run one tick and stop.")] = False,
    replay_: Annotated[bool, typer.Option("--replay", help="Replay records already in the store.")] = False,
    from_: Annotated[str | None, typer.Option("--from", help="Replay: first tick's time.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Replay: last tick's time.")] = None,
    delivery_delay: Annotated[
        str | None, typer.Option("--delivery-delay", help="Replay: a record is visible this long after it ended [5m].")
    ] = None,
    tracking_uri: TrackingOption = None,
    ops_db: OpsDbOption = None,
    lock_wait: LockWaitOption = None,
    engine: EngineOption = None,
    lake: LakeOption = None,
    db: DbOption = None,
) -> None:
    """Watch a drop folder: each tick ingests new files, scores the contacts that ended and writes alerts.

    One log line per tick on stderr (records in, alerts out, seconds); SIGINT/SIGTERM stop after the
    current tick; a restarted loop resumes from its watermark in the store. With --replay, the same
    tick runs over stored records on a simulated clock.

    Example: [bold]fraudkit watch --drop /data/drop --every 1m[/]
    """
    import logging
    import sys

    from fraudkit.live.clock import StopFlag

    stop = StopFlag().install()  # first: a signal while the model loads still ends after one tick
    from fraudkit.config import ingest_settings, watch_config
    from fraudkit.config import settings as settings_from
    from fraudkit.live.champion import Champion
    from fraudkit.live.loop import DropSource, replay
    from fraudkit.live.loop import watch as watch_loop
    from fraudkit.model.registry import load_model
    from fraudkit.ops.db import ops_engine, ops_url
    from fraudkit.store import open_store
    from fraudkit.timeutil import parse_duration, store_as_of

    if replay_ and drop is not None:
        raise ConfigError("--replay reads the store, not a drop", hint="leave out --drop, or --replay")
    if not replay_ and drop is None:
        raise ConfigError("watch needs --drop DIR (or --replay --from T0 --to T1)")
    if not replay_ and (from_ or to or delivery_delay):
        raise ConfigError("--from, --to and --delivery-delay go with --replay")
    if replay_ and lake is not None:
        raise ConfigError("--replay replays the store's records; --lake goes with a live --drop")
    if replay_ and not (from_ and to):
        raise ConfigError("--replay needs --from and --to", hint="e.g. --from 2026-10-23 --to 2026-10-26")
    if drop is not None and not drop.is_dir():
        raise ConfigError(f"drop folder {drop} does not exist")
    tracking_uri = _tracking(tracking_uri)  # before the store, as options are checked first
    if replay_:
        _need_store(db)
    tree = _tree()
    cfg = watch_config(tree).with_(
        every=parse_duration(every, option="--every") if every else None,
        delivery_delay=parse_duration(delivery_delay, option="--delivery-delay") if delivery_delay else None,
    )
    if replay_ and every is None and tree.setting("watch.every").source == "default":
        cfg = cfg.with_(every=parse_duration("5m"))  # the replay's default tick
    mappings = {}
    for item in mapping or []:
        kind, sep, file = item.partition("=")
        if not sep:
            raise ConfigError(f"--mapping {item!r} is not KIND=FILE", hint="e.g. --mapping transactions=bank.toml")
        mappings[kind.strip()] = Path(file)
    on_lake = None if replay_ else _on_lake(engine, lake, "watch the drop")
    settings = settings_from(tree, db_path=db, tracking_uri=tracking_uri, lock_wait_s=lock_wait)
    model = load_model(settings, "victim")
    queue = ops_engine(ops_url(db, ops_db))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    if replay_:
        with open_store(db, read_only=True, lock_wait=lock_wait) as con:
            start = store_as_of(con, from_, forward=True, option="--from")
            end = store_as_of(con, to, option="--to")
        if end <= start:
            raise ConfigError("--to must be after --from")
        reports = replay(settings, queue, model, cfg, start=start, end=end, stop=stop)
    else:
        with open_store(db, lock_wait=lock_wait, create=True):  # a watch over a drop loads data: it may make the store
            pass
        live_model = Champion(settings, model)  # reloaded when the champion alias moves, checked each minute
        source = DropSource(drop, mappings, settings=ingest_settings(_tree()), lake=on_lake)
        reports = watch_loop(settings, queue, live_model, cfg, source, once=once, stop=stop)
    total = sum(r.alerts_out for r in reports)
    merged = sum(r.merged for r in reports)
    console.print(
        f"{plural(len(reports), 'tick')}, {plural(total, 'alert')} written, "
        f"{plural(merged, 'later contact')} merged into open alerts, {sum(r.urgent for r in reports)} urgent"
    )


@app.command()
def alerts(
    limit: Annotated[int, typer.Option("--limit", min=1, max=MAX_ROWS, help="Rows to show.")] = 20,
    ops_db: OpsDbOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Show the open alerts in the order they should be worked (masked), and counts by channel and status.

    Example: [bold]fraudkit alerts --limit 50[/]
    """
    from fraudkit.live.alerts import alerts_frame, queue
    from fraudkit.views import alerts_table

    frame = alerts_frame(_reading_ops_engine(db, ops_db, what=", so there are no alerts"))
    open_ = queue(frame)
    counts = open_.group_by("channel").len().sort("channel").rows()
    console.print(
        f"{plural(frame.height, 'alert')}, {open_.height} open: "
        + ", ".join(f"{ch} {n}" for ch, n in counts)
        + f"; {int(open_['urgent'].sum() or 0)} urgent"
    )
    console.print(alerts_table(open_, limit=limit))


@eval_app.command("watch")
def eval_watch(
    truth: Annotated[Path, typer.Option("--truth", help="The truth/ folder of the synthetic world.")],
    calls_per_day: Annotated[
        int | None,
        typer.Option(
            "--calls-per-day",
            min=1,
            max=MAX_ROWS,
            help="Calls the team makes a day, spread over the hours as the config's capacity "
            "(default: the config's own total).",
        ),
    ] = None,
    config: ConfigOption = None,
    midnight: Annotated[
        bool, typer.Option("--midnight/--no-midnight", help="Also measure the daily midnight list, for comparison.")
    ] = True,
    tracking_uri: TrackingOption = None,
    ops_db: OpsDbOption = None,
    lock_wait: LockWaitOption = None,
    db: DbOption = None,
) -> None:
    """Measure the alerts table against the truth: a team working the queue at its configured capacity.

    Example: [bold]fraudkit eval watch --truth demo/world/truth --calls-per-day 100[/]
    """
    from datetime import timedelta

    from rich.table import Table

    from fraudkit.config import watch_config as watch_config_from
    from fraudkit.live.alerts import alerts_frame, contacts_frame
    from fraudkit.live.config import scaled_profile
    from fraudkit.live.evaluate import evaluate_alerts, evaluate_midnight, report_rows
    from fraudkit.model.registry import load_model
    from fraudkit.settings import Settings
    from fraudkit.store import open_store

    if not truth.is_dir():
        raise ConfigError(f"--truth {truth} is not a folder", hint="point it at the truth/ folder of `fraudkit synth`")
    tracking_uri = _tracking(tracking_uri)  # before the store, as options are checked first
    engine = _reading_ops_engine(db, ops_db, what=": the alerts table is empty")
    if midnight:
        _need_store(db)
    frame = alerts_frame(engine)
    settings = Settings.from_env(db_path=db, tracking_uri=tracking_uri)
    champion = load_model(settings, "victim")
    watch_config = watch_config_from(_tree())
    if watch_config.calls_per_hour is None:  # the champion shapes the team's day
        profile = watch_config.with_(calls_per_day=calls_per_day).team(champion.meta)
    else:  # the configured shifts, scaled to --calls-per-day when given
        profile = scaled_profile(watch_config.calls_per_hour, calls_per_day)
    live = evaluate_alerts(frame, truth, profile=profile, contacts=contacts_frame(engine))
    night = None
    if midnight:
        start = frame["created_at"].min().replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + timedelta(days=live["days"])
        with open_store(db, read_only=True, lock_wait=lock_wait) as con:
            night = evaluate_midnight(con, champion, truth, start=start, end=end, profile=profile)
    title = f"interception, {plural(sum(profile), 'call')} a day (by hour: {' '.join(str(n) for n in profile)})"
    table = Table(title=title, title_justify="left")
    for col in ("measure", "live loop (alerts)", "midnight list"):
        table.add_column(col, justify="left" if col == "measure" else "right")
    for row in report_rows(live, night):
        table.add_row(*row)
    console.print(table)


config_app = _FraudkitTyper(help="The configuration: every setting, its value and where it came from.")
app.add_typer(config_app, name="config")


@config_app.command("show")
def config_show(
    starter: Annotated[
        bool,
        typer.Option("--defaults", help="Print a commented starter fraudkit.toml: every setting at its default."),
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write it to this file (refused if the file exists).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Show the effective configuration as TOML: each setting, what it does, and where its value came from.

    Sources, lowest to highest: default, the config file (--config, $FRAUDKIT_CONFIG or ./fraudkit.toml),
    environment variables (FRAUDKIT_DB, MLFLOW_TRACKING_URI, FRAUDKIT_TIMEZONE, FRAUDKIT_LOCK_WAIT),
    then a command's own options.

    Example: [bold]fraudkit config show --defaults --out fraudkit.toml[/]
    """
    from fraudkit.atomic import write_text
    from fraudkit.config import defaults, render, validate

    tree = defaults() if starter else _tree()
    validate(tree)
    text = render(tree, starter=starter)
    if out is None:
        sys.stdout.write(text)
        return
    if out.exists():
        raise ConfigError(f"--out {out} exists", hint="give a new file name, or remove it first")
    write_text(_out_file(out), text)
    console.print(f"written to [bold]{escape(str(out))}[/]", highlight=False)


def main() -> None:
    """Entry point of the `fraudkit` script."""
    app(prog_name="fraudkit")


# At the end: fraudkit.cli_daily takes its option types from this module (see its docstring).
from fraudkit.cli_daily import daily  # noqa: E402

app.command()(daily)

from fraudkit.cli_index import index  # noqa: E402

app.command()(index)

from fraudkit.cli_rings import rings  # noqa: E402

app.command()(rings)

from fraudkit.cli_case import CASE_COMMANDS, CASE_HELP  # noqa: E402

case_app = _FraudkitTyper(help=CASE_HELP)
app.add_typer(case_app, name="case")
for _name, _command in CASE_COMMANDS.items():
    case_app.command(_name)(_command)
