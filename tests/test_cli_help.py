"""Help and usage errors follow the conventions of well-loved CLIs (issue 11): `-h` as well as
`--help` on every command and group, `--version`, no `<bool>` on a flag, no Python type such as
`<list[str]>`, closed sets (--kind, --target, --format, --preset) listed as choices, and a usage
mistake answered in one line with the nearest name and exit 2."""

from __future__ import annotations

import typing
from typing import Any

import pytest
import typer
from click.testing import Result
from typer.testing import CliRunner

from fraudkit import __version__
from fraudkit.cli import TableKind, TargetName, app
from fraudkit.schema import TABLES

runner = CliRunner(env={"COLUMNS": "200"})
ROOT = typer.main.get_command(app)


def every_command(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every command and group as the words typed after `fraudkit`, the root included (as ())."""
    found = [(prefix, group)]
    for name, command in sorted(getattr(group, "commands", {}).items()):
        words = (*prefix, name)
        found += every_command(command, words) if hasattr(command, "commands") else [(words, command)]
    return found


COMMANDS = every_command(ROOT)
IDS = [" ".join(words) or "fraudkit" for words, _ in COMMANDS]
CLOSED_SETS = {"--kind", "--target", "--format", "--preset"}


def _help(words: tuple[str, ...], flag: str = "--help") -> str:
    result = runner.invoke(app, [*words, flag])
    assert result.exit_code == 0, result.output
    return result.output


def _choices(param: Any) -> list[str]:
    return [str(c) for c in getattr(getattr(param, "type_descriptor", None), "choices", None) or ()]


def test_the_walk_sees_groups_commands_and_closed_sets() -> None:
    """Guards the walk: every group and the commands the issue names, and each closed set a choice."""
    words = {w for w, _ in COMMANDS}
    assert {(), ("models",), ("eval",), ("operators",), ("serve",), ("operators", "add"), ("eval", "watch")} <= words
    assert ("daily",) in words, "fraudkit daily (fraudkit/cli_daily.py) is registered"
    closed = {opt for _, cmd in COMMANDS for p in cmd.params if _choices(p) for opt in p.opts}
    assert closed >= CLOSED_SETS


@pytest.mark.parametrize(("words", "command"), COMMANDS, ids=IDS)
def test_help_conventions(words: tuple[str, ...], command: Any) -> None:
    shown = _help(words)
    assert _help(words, "-h") == shown, "-h and --help differ"
    assert "<bool>" not in shown and "<list[" not in shown
    flat = " ".join(shown.split())
    for param in command.params:
        for choice in _choices(param):
            assert choice in flat, f"{param.opts[0]} does not list {choice}"


# daily's --format (xlsx, csv or parquet) is still a plain string in fraudkit/cli_daily.py: it can
# take fraudkit.cli.CallbackListFormat (named in the lead's report); its help lists the three.
NOT_YET_CHOICES = {(("daily",), "--format")}


def test_every_closed_set_option_is_a_choice() -> None:
    for words, command in COMMANDS:
        for param in command.params:
            for name in set(param.opts) & CLOSED_SETS:
                assert _choices(param) or (words, name) in NOT_YET_CHOICES, f"{' '.join(words)} {name}"


def test_a_long_closed_set_is_listed_in_the_help_and_a_short_one_as_the_type() -> None:
    ingest = " ".join(_help(("ingest",)).split())
    kinds = "One of calls, transactions, accounts, subscribers, reports, outcomes or regions."
    assert "<kind>" in ingest and kinds in ingest
    assert "<victim|fraud_number|mule>" in _help(("train",))
    assert "<parquet|csv>" in _help(("synth",)) and "<default|alt|transfers>" in _help(("synth",))


def test_the_choices_are_the_domain_s() -> None:
    """cli.py cannot import the model or the generator (too slow for --help): its copies must match."""
    from fraudkit.model.params import TARGETS
    from fraudkit.synth.config import PRESETS
    from fraudkit.synth.writer import Format

    assert typing.get_args(TargetName) == TARGETS
    assert set(typing.get_args(TableKind)) == set(TABLES)
    from fraudkit.cli import SynthFormat, SynthPreset

    assert typing.get_args(SynthFormat) == typing.get_args(Format)
    assert set(typing.get_args(SynthPreset)) == set(PRESETS)
    from fraudkit.cli import CallbackListFormat
    from fraudkit.warn.export import SUFFIXES

    assert tuple(f".{f}" for f in typing.get_args(CallbackListFormat)) == SUFFIXES


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"fraudkit {__version__}"


def _one_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "╭" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    return " ".join(result.output.split())


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["scna"], "error: unknown command 'scna'; did you mean scan? (hint: `fraudkit --help` lists the commands)"),
        (["models", "lst"], "unknown command 'lst'; did you mean list? (hint: `fraudkit models --help`"),
        (["eval", "scna"], "unknown command 'scna'; did you mean scan?"),
        (["scan", "--windw", "2d"], "unknown option --windw for fraudkit scan; did you mean --window?"),
        (["--versoin"], "unknown option --versoin for fraudkit; did you mean --version?"),
        (["operators", "add", "ana", "--dsplay-name", "x"], "did you mean --display-name?"),
        (["ingest", "x.csv", "--kind", "cals"], "unknown --kind 'cals'; did you mean calls? (hint: one of calls,"),
        (["rejects", "--kind", "trans"], "unknown --kind 'trans'; did you mean transactions?"),
        (["models", "list", "--target", "vic"], "unknown --target 'vic'; did you mean victim?"),
        (["synth", "--format", "xls"], "unknown --format 'xls' (hint: parquet or csv)"),
        (["eval", "scan"], "eval scan needs one of --truth DIR, --labels FILE or --cases"),
        (["ingest", "--kind", "calls"], "fraudkit ingest needs argument PATH"),
        (["scan", "one", "two"], "unexpected arguments for fraudkit scan: one two"),
        (["status", "one"], "unexpected argument for fraudkit status: one"),
        (["scan", "--top", "0"], "Invalid value for '--top'"),
    ],
)
def test_a_usage_mistake_is_one_line_with_the_nearest_name(args: list[str], says: str) -> None:
    assert says in _one_line(runner.invoke(app, args))


def test_bare_groups_still_show_their_help() -> None:
    for words in ((), ("models",), ("eval",), ("operators",)):
        result = runner.invoke(app, list(words))
        assert "Usage: fraudkit" in result.output and "Commands" in result.output, words


# Every option that takes a duration, as a user types it; each is read before the store is opened.
DURATION_OPTIONS = [
    (["scan", "--out", "{tmp}/r"], "--window", "1w"),
    (["features", "--out", "{tmp}/f"], "--window", "2d"),
    (["features", "--out", "{tmp}/f"], "--history", "1w"),
    (["trace", "--account", "6222000000000001"], "--within", "12h"),
    (["warn", "--out", "{tmp}/calls.csv"], "--lookback", "1w"),
    (["warn", "--out", "{tmp}/calls.csv"], "--skip-called", "2d"),
    (["eval", "scan", "--truth", "{tmp}"], "--window", "1w"),
    (["watch", "--drop", "{tmp}"], "--every", "30m"),
    (["daily", "--drop", "{tmp}"], "--window", "1w"),
    (["daily", "--drop", "{tmp}"], "--lookback", "12h"),
]


@pytest.mark.parametrize(("args", "option", "value"), DURATION_OPTIONS, ids=lambda v: str(v))
def test_every_duration_option_takes_weeks_days_hours_and_minutes(
    args: list[str], option: str, value: str, tmp_path: Any
) -> None:
    words = [a.replace("{tmp}", str(tmp_path)) for a in args] + ["--db", str(tmp_path / "none.duckdb")]
    env = {"FRAUDKIT_DB": None, "FRAUDKIT_OPS_DB": None, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'm.db'}"}
    refused = _one_line(runner.invoke(app, [*words, option, "1y"], env=env))
    assert f"{option} '1y' is not a duration" in refused and "1w, 2d, 12h or 30m" in refused
    accepted = _one_line(runner.invoke(app, [*words, option, value], env=env))  # refused later: no store, no model
    assert "is not a duration" not in accepted


def test_python_dash_m_fraudkit_is_the_same_cli() -> None:
    """A venv whose scripts are not on PATH still reaches the CLI: ``python -m fraudkit``."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "fraudkit", "ingest", "--help"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Usage: fraudkit ingest" in done.stdout
