"""Progress of long work (issue 11): one way to report it, shown as bars on a terminal and as one
line per stage start and end otherwise, written as the work goes; silent for a library caller who
passes nothing.

Worlds are tiny (a few hundred subscribers over a couple of weeks); clocks are fakes where a test
needs times, so nothing here waits.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from rich.console import Console
from rich.markup import escape
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.demo import DEMO_STEPS, DemoRun, StepResult, run_demo, synth_step
from fraudkit.model.dataset import build_training_set
from fraudkit.progress import (
    SILENT,
    EventLog,
    PlainLines,
    Reporter,
    RichBars,
    StageNamesReporter,
    as_reporter,
    count,
    duration,
    rate,
    reporting,
    stage,
)
from fraudkit.synth import SynthConfig, generate_world, store_world, write_world
from fraudkit.synth.world import STAGE_NAMES
from fraudkit.views import stage_status

TINY = SynthConfig(seed=5, subscribers=300, days=12)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Flushes(io.StringIO):
    """A stream that remembers what it held each time it was flushed."""

    def __init__(self) -> None:
        super().__init__()
        self.flushed: list[str] = []

    def flush(self) -> None:
        self.flushed.append(self.getvalue())
        super().flush()


# ---- the reporter and its stages --------------------------------------------------------------


def test_plain_lines_say_each_stage_start_and_end_with_counts_and_elapsed_time() -> None:
    clock, lines = Clock(), []
    reporter = PlainLines(lines.append, clock=clock)
    with stage(reporter, "train fraud_number"):
        with stage(reporter, "features", total=4, unit="days") as days:
            for _ in range(4):
                clock.now += 2.5
                days.advance()
            days.note = "1,234 rows"
        clock.now += 0.5
    assert lines == [
        "train fraud_number ...",
        "train fraud_number: features (4 days) ...",
        "train fraud_number: features done in 10 s: 4 days, 2.5 s a day, 1,234 rows",
        "train fraud_number done in 10 s",
    ]


def test_a_long_counted_stage_says_how_far_it_is_every_heartbeat_and_no_more() -> None:
    clock, lines = Clock(), []
    reporter = PlainLines(lines.append, heartbeat=30.0, clock=clock)
    with stage(reporter, "load", total=100_000_000, unit="bytes") as loading:
        for _ in range(10):
            clock.now += 10.0
            loading.advance(10_000_000)
    assert lines[0] == "load (100.0 MB) ..."
    assert lines[1:-1] == [
        "load: 30.0 MB/100.0 MB, 1.0 MB/s, about 1 min 10 s left",
        "load: 60.0 MB/100.0 MB, 1.0 MB/s, about 40 s left",
        "load: 90.0 MB/100.0 MB, 1.0 MB/s, about 10 s left",
    ]
    assert lines[-1] == "load done in 1 min 40 s: 100.0 MB, 1.0 MB/s"
    assert not any("\r" in line for line in lines)


def test_a_stage_left_by_an_exception_ends_as_stopped_and_the_exception_goes_on() -> None:
    clock, lines = Clock(), []
    reporter = PlainLines(lines.append, clock=clock)
    with pytest.raises(KeyboardInterrupt), stage(reporter, "ingest"), stage(reporter, "calls", total=3, unit="files"):
        clock.now += 1.0
        reporter.advance()
        raise KeyboardInterrupt
    assert lines[-2:] == ["ingest: calls stopped after 1.0 s: 1/3 files, 1.0 files/s", "ingest stopped after 1.0 s"]


def test_nothing_is_reported_unless_asked_and_a_plain_callable_is_told_stage_names() -> None:
    assert as_reporter(None) is SILENT
    log = EventLog()
    assert as_reporter(log) is log
    names: list[str] = []
    reporter = as_reporter(names.append)
    assert isinstance(reporter, StageNamesReporter)
    with stage(reporter, "synth"), stage(reporter, "features", total=2, unit="days") as days:
        days.advance()
    assert names == ["synth", "synth: features", "synth: features 1/2 days"]


@pytest.mark.parametrize(
    ("figure", "expected"),
    [
        (count(3, 20, "days"), "3/20 days"),
        (count(1_500_000, 3_000_000, "bytes"), "1.5 MB/3.0 MB"),
        (count(1234, None, "rows"), "1,234 rows"),
        (rate(50, 2.0, "rows"), "25.0 rows/s"),
        (rate(3, 6.0, "days"), "2.0 s a day"),
        (rate(12_000_000, 4.0, "bytes"), "3.0 MB/s"),
        (rate(7, 2.0, "stages"), ""),  # parts of the work, not an amount of it
        (duration(0.44), "0.4 s"),
        (duration(185), "3 min 05 s"),
        (duration(3725), "1 h 02 min"),
    ],
)
def test_counts_rates_and_times_read_as_a_person_writes_them(figure: str, expected: str) -> None:
    assert figure == expected


# ---- shown on the console: plain lines when not a terminal, bars on one ------------------------------


def test_a_command_refused_before_any_work_prints_no_progress_line() -> None:
    out = io.StringIO()
    with pytest.raises(ValueError), reporting(Console(file=out, force_terminal=False), "scanning"):
        raise ValueError("no transactions before --as-of")
    assert out.getvalue() == ""


def test_not_a_terminal_gets_plain_lines_written_and_flushed_as_each_happens() -> None:
    out = Flushes()
    console = Console(file=out, force_terminal=False, width=60)
    with reporting(console, f"ingesting {escape('drop[1]')}") as progress:  # titles are Rich markup
        assert isinstance(progress, PlainLines)
        assert out.getvalue() == ""  # nothing is said before there is something to report
        with stage(progress, "synth"):
            assert out.flushed[-1].endswith("synth ...\n")  # on the stream before the work starts
            progress("writing [bold]files[/]")  # a spinner's text: markup, read as plain text
            assert out.flushed[-1].endswith("ingesting drop[1]: writing files\n")
    text = out.getvalue()
    assert "\r" not in text and "\x1b" not in text
    lines = text.splitlines()
    assert [re.sub(r"[\d.]+ s$", "N s", line) for line in lines] == [
        "ingesting drop[1] ...",
        "synth ...",
        "ingesting drop[1]: writing files",
        "synth done in N s",
        "ingesting drop[1] done in N s",
    ]


def test_a_terminal_gets_bars_with_counts_and_a_line_per_finished_stage() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, record=True, width=120)
    with reporting(console, "training fraud_number") as progress:
        assert isinstance(progress, RichBars)
        progress("as of 2026-10-31")
        with stage(progress, "features", total=3, unit="days") as days:
            for _ in range(3):
                days.advance()
            days.note = "90 rows"
    shown = console.export_text()
    for figure in ("0/3 days", "1/3 days", "2/3 days", "3/3 days"):
        assert figure in shown
    assert "training fraud_number: as of 2026-10-31" in shown
    assert re.search(r"features done in [\d.]+ s: 3 days, .*90 rows", shown)


# ---- the library functions report their stages as they go -----------------------------------------


def test_generate_and_write_world_report_each_stage_in_order(tmp_path: Path) -> None:
    log = EventLog()
    world = generate_world(TINY, progress=log)
    write_world(world, tmp_path, progress=log)
    assert log.of("start") == ["world", *[f"world: {name}" for name in STAGE_NAMES], "write"]
    finished = {e.path: e for e in log.events if e.kind == "finish"}
    assert finished["world"].amount == len(STAGE_NAMES) and finished["world"].unit == "stages"
    assert finished["world: population"].note.startswith(f"{TINY.subscribers:,} people")
    assert finished["world: calls"].note == f"{world.tables['calls'].height:,} calls"
    rows = sum(t.height for t in (*world.tables.values(), *world.truth.values()))
    assert (finished["write"].total, finished["write"].amount, finished["write"].unit) == (rows, rows, "rows")
    starts = [e.at for e in log.events if e.kind == "start"]
    assert starts == sorted(starts)


def test_training_set_counts_the_days_it_builds(tmp_path: Path) -> None:
    store_world(generate_world(TINY), tmp_path / "fraudkit.duckdb")
    log = EventLog()
    con = duckdb.connect(str(tmp_path / "fraudkit.duckdb"), read_only=True)
    try:
        training = build_training_set(con, "fraud_number", progress=log)
    finally:
        con.close()
    days = len(training.split.all_days)
    assert days >= 3
    assert [(e.kind, e.amount) for e in log.events] == [
        ("start", 0.0),
        *[("advance", 1.0)] * days,
        ("finish", float(days)),
    ]
    assert log.events[0].path == "features" and log.events[0].total == days
    assert log.events[-1].note == f"{training.frame.height:,} rows"


def test_a_demo_step_has_ended_on_the_reporter_before_the_next_one_starts(tmp_path: Path) -> None:
    log = EventLog()
    seen_before: list[list[str]] = []

    def look(run: DemoRun) -> StepResult:
        seen_before.append(log.of("finish"))
        return StepResult("look", summary="looked")

    steps = [("synth", synth_step), ("look", look)]
    result = run_demo(workdir=tmp_path, subscribers=300, seed=5, steps=steps, progress=log)
    assert [s.name for s in result.steps] == ["synth", "look"]
    (finished,) = seen_before
    assert finished[-1] == "synth" and "synth: world: tables" in finished and "synth: write" in finished
    assert log.of("start")[-1] == "look" and log.of("finish")[-1] == "look"


# ---- the commands: the same lines through the CLI ---------------------------------------------


def test_the_commands_status_is_a_reporter_they_pass_down() -> None:
    with stage_status(Console(file=io.StringIO(), force_terminal=False), "scanning") as progress:
        assert isinstance(progress, Reporter) and callable(progress)


@pytest.fixture
def runner() -> Iterator[CliRunner]:
    yield CliRunner(env={"COLUMNS": "200"})


def _shape(output: str) -> list[str]:
    """The lines, with times and rates (which vary) replaced by N."""
    return [re.sub(r"\d[\d.,]* (s|min|h)\b", "N s", line) for line in output.splitlines()]


def test_cli_synth_prints_a_line_per_stage_in_order(tmp_path: Path, runner: CliRunner) -> None:
    out = runner.invoke(app, ["synth", "-n", "300", "--days", "12", "--seed", "5", "--out", str(tmp_path / "w")])
    assert out.exit_code == 0, out.output
    lines = _shape(out.output)
    title = "synthesising 300 subscribers over 12 days"
    expected = [
        f"{title} ...",
        "world (7 stages) ...",
        *[line for name in STAGE_NAMES for line in (f"world: {name} ...", f"world: {name} done in")],
        "world done in",
        f"{title}: writing files",
        f"{title} done in",
    ]
    progress = [line for line in lines if any(line.startswith(e) for e in expected)]
    assert len(progress) == len(expected)
    assert all(line.startswith(e) for line, e in zip(progress, expected, strict=True))
    assert lines.index(progress[-1]) < next(i for i, line in enumerate(lines) if "written to" in line)


def test_cli_demo_prints_each_step_as_it_starts_and_ends(tmp_path: Path, runner: CliRunner) -> None:
    args = ["demo", "--workdir", str(tmp_path), "-n", "300", "--seed", "5", "--threads", "1"]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    names = [name for name, _ in DEMO_STEPS]
    marks = [line for line in lines if any(line == f"{n} ..." or line.startswith(f"{n} done in ") for n in names)]
    assert [line.split(" ...")[0].split(" done in ")[0] for line in marks] == [n for n in names for _ in (0, 1)]
    assert [line.endswith(" ...") for line in marks] == [True, False] * len(names)
    # the step lines come before the summary the command prints at the end
    assert lines.index(marks[-1]) < lines.index("summary")
