"""Progress of long work, reported one way and shown in the way the output can take.

Library functions (``generate_world``, ``write_world``, ``ingest_paths``, ``build_training_set``,
``run_demo``) take an optional ``progress`` argument and report named stages through it:
:func:`stage` opens one (with a total and a unit when the work can be counted), ``advance``
counts what is done, and leaving the block closes it. Stages nest; a name is shown with the
names of the stages around it ("train victim: features"). Nothing is reported unless the
caller passes a reporter: the default is :data:`SILENT`, and no state outside the reporter
object is kept.

The command line chooses how to show it once, at the edge, with :func:`reporting`: on a
terminal, a Rich bar per open stage with counts, rate and time left, and a line for each
finished stage; otherwise (a pipe, a log file, a test's runner) one plain line when a stage
starts and one when it ends, with counts and elapsed time, written at once, so
``fraudkit demo | cat`` prints as it goes. A plain callable (``list.append``, a spinner's
``update``) is accepted too, and is told each stage's name as it starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from rich.filesize import decimal

from fraudkit.text import singular_of

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress as RichProgress
    from rich.progress import Task, TaskID
    from rich.text import Text

HEARTBEAT_SECONDS = 30.0
"""Plain lines: a counted stage still running says how far it is at most this often."""
STEP_UNITS = frozenset({"stages", "steps"})
"""Units that count the parts of a piece of work, not its amount: no rate is shown for them."""
BAR_REFRESHES_PER_SECOND = 4
"""Redraws of the bars between reports (each report redraws at once): Rich's 10 a second cost 2.8% of
a core on these machines, 4 cost about 1%, and the elapsed time still moves every second."""
MIN_RATE_SECONDS = 0.1
"""A stage quicker than this ends without a rate (a rate over milliseconds says nothing)."""


@runtime_checkable
class Reporter(Protocol):
    """Receives stages as they start, what is done of them, and their end (innermost stage first)."""

    def start(self, name: str, *, total: float | None = None, unit: str = "") -> None: ...

    def advance(self, amount: float = 1) -> None: ...

    def finish(self, note: str = "", *, failed: bool = False) -> None: ...


StageNames = Callable[[str], None]
"""The older form of progress: told each stage's name (with the names around it) as it starts."""
ProgressArg = Reporter | StageNames | None


class _Silent:
    """What a library caller who passes nothing gets: every report is dropped."""

    def start(self, name: str, *, total: float | None = None, unit: str = "") -> None:
        pass

    def advance(self, amount: float = 1) -> None:
        pass

    def finish(self, note: str = "", *, failed: bool = False) -> None:
        pass


SILENT: Reporter = _Silent()


@dataclass
class _Open:
    """A stage that has started and not finished."""

    name: str
    path: str
    total: float | None
    unit: str
    started: float
    done: float = 0.0
    said_at: float = 0.0


@dataclass
class _Stack:
    """The open stages, innermost last, and the names they are shown with."""

    clock: Callable[[], float] = time.perf_counter
    open: list[_Open] = field(default_factory=list)

    def push(self, name: str, total: float | None, unit: str) -> _Open:
        path = f"{self.open[-1].path}: {name}" if self.open else name
        now = self.clock()
        entry = _Open(name, path, total, unit, now, said_at=now)
        self.open.append(entry)
        return entry

    def top(self) -> _Open | None:
        return self.open[-1] if self.open else None

    def pop(self) -> _Open | None:
        return self.open.pop() if self.open else None


class StageNamesReporter:
    """Adapts a callable taking a string: the stage's full name at its start, and "name 3/20 days" as it counts."""

    def __init__(self, say: StageNames) -> None:
        self.say = say
        self.stack = _Stack()

    def start(self, name: str, *, total: float | None = None, unit: str = "") -> None:
        self.say(self.stack.push(name, total, unit).path)

    def advance(self, amount: float = 1) -> None:
        entry = self.stack.top()
        if entry is None:
            return
        entry.done += amount
        if entry.total is not None:
            self.say(f"{entry.path} {count(entry.done, entry.total, entry.unit)}")

    def finish(self, note: str = "", *, failed: bool = False) -> None:
        self.stack.pop()


@dataclass(frozen=True)
class Event:
    """One report as :class:`EventLog` keeps it: ``kind`` start, advance or finish, of the stage ``path``."""

    kind: str
    path: str
    total: float | None = None
    unit: str = ""
    amount: float = 0.0
    note: str = ""
    failed: bool = False
    at: float = 0.0


class EventLog:
    """A reporter that keeps every report in order with its time: for tests, and for timing stages in a notebook."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.events: list[Event] = []
        self.stack = _Stack(clock)
        self.clock = clock

    def start(self, name: str, *, total: float | None = None, unit: str = "") -> None:
        entry = self.stack.push(name, total, unit)
        self.events.append(Event("start", entry.path, total, unit, at=entry.started))

    def advance(self, amount: float = 1) -> None:
        entry = self.stack.top()
        if entry is not None:
            entry.done += amount
            self.events.append(Event("advance", entry.path, entry.total, entry.unit, amount, at=self.clock()))

    def finish(self, note: str = "", *, failed: bool = False) -> None:
        entry = self.stack.pop()
        if entry is not None:
            event = Event("finish", entry.path, entry.total, entry.unit, entry.done, note, failed, self.clock())
            self.events.append(event)

    def of(self, kind: str) -> list[str]:
        """The paths of the stages with events of ``kind``, in order."""
        return [e.path for e in self.events if e.kind == kind]


def as_reporter(progress: ProgressArg) -> Reporter:
    """The reporter behind a ``progress`` argument: itself, a plain callable adapted, or SILENT for None."""
    if progress is None:
        return SILENT
    if isinstance(progress, Reporter):
        return progress
    return StageNamesReporter(progress)


class Stage:
    """The handle :func:`stage` yields: count what is done, and leave a note for the end line."""

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter
        self.note = ""

    def advance(self, amount: float = 1) -> None:
        self.reporter.advance(amount)


@contextmanager
def stage(reporter: Reporter, name: str, *, total: float | None = None, unit: str = "") -> Iterator[Stage]:
    """Report the work in the block as the stage ``name``; an exception ends it as stopped, and is raised on.

    Take ``reporter`` from :func:`as_reporter` once per call of a library function, so that
    the stages it opens nest in one another.
    """
    reporter.start(name, total=total, unit=unit)
    handle = Stage(reporter)
    try:
        yield handle
    except BaseException:
        reporter.finish(handle.note, failed=True)
        raise
    reporter.finish(handle.note)


# ---- how counts, rates and times read -------------------------------------------------------


def amount(value: float, unit: str) -> str:
    """'12.3 MB' for bytes, '1,234 rows' or '1 row' otherwise (``unit`` is given as a plural)."""
    if unit == "bytes":
        return decimal(int(value))
    return f"{value:,.0f} {singular_of(unit) if value == 1 else unit}".rstrip()


def count(done: float, total: float | None, unit: str) -> str:
    """'3/20 days', '12.3 MB/45.0 MB', or '1,234 rows' without a total."""
    if total is None:
        return amount(done, unit)
    if unit == "bytes":
        return f"{decimal(int(done))}/{decimal(int(total))}"
    return f"{done:,.0f}/{total:,.0f} {unit}".rstrip()


def rate(done: float, seconds: float, unit: str) -> str:
    """'35.2 MB/s', '1,200 rows/s', or '2.5 s a day' when one takes longer than a second."""
    if seconds <= 0 or done <= 0 or unit in STEP_UNITS:
        return ""
    per_second = done / seconds
    if unit == "bytes":
        return f"{decimal(int(per_second))}/s"
    if per_second >= 1:
        return f"{per_second:,.1f} {unit}/s" if per_second < 100 else f"{per_second:,.0f} {unit}/s"
    return f"{seconds / done:.1f} s a {singular_of(unit) or 'step'}"


def duration(seconds: float) -> str:
    """'0.4 s', '12 s', '3 min 05 s', '1 h 02 min'."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _end_line(entry: _Open, seconds: float, note: str, failed: bool) -> str:
    """'ingest: calls done in 1.2 s: 3.0 MB, 2.5 MB/s, 207,321 rows loaded, 0 rejected' (what was counted,
    its rate when the stage took long enough for one to mean something, then the stage's note)."""
    figures = []
    if entry.total is not None or entry.done:
        whole = entry.total is None or entry.done == entry.total
        figures.append(amount(entry.done, entry.unit) if whole else count(entry.done, entry.total, entry.unit))
        if entry.done and seconds >= MIN_RATE_SECONDS:
            figures.append(rate(entry.done, seconds, entry.unit))
    if note:
        figures.append(note)
    said = ", ".join(f for f in figures if f)
    verb = "stopped after" if failed else "done in"
    return f"{entry.path} {verb} {duration(seconds)}" + (f": {said}" if said else "")


# ---- plain lines: not a terminal ------------------------------------------------------------


def _plain(text: str) -> str:
    """A message as read: the commands' spinner texts are Rich markup (file names escaped in them)."""
    from rich.text import Text

    return Text.from_markup(text).plain


class PlainLines:
    """One line as a stage starts and one as it ends, printed and flushed at once (no carriage returns).

    Called with a text (what a spinner showed), it writes that as a line under ``title``. The
    title's own line comes just before the first report, so a command refused before it did any
    work prints its one-line error alone. A counted stage that runs on says how far it is every
    ``heartbeat`` seconds, so a log under load is never silent for minutes.
    """

    def __init__(
        self,
        write: Callable[[str], None],
        *,
        title: str | None = None,
        heartbeat: float = HEARTBEAT_SECONDS,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.write = write
        self.title = _plain(title) if title else None
        self.heartbeat = heartbeat
        self.clock = clock
        self.stack = _Stack(clock)
        self.began = clock()
        self.title_said = False

    def say(self, line: str) -> None:
        """Write ``line``, after the title's line if this is the first."""
        if self.title and not self.title_said:
            self.title_said = True
            self.write(f"{self.title} ...")
        self.write(line)

    def __call__(self, text: str) -> None:
        self.say(f"{self.title}: {_plain(text)}" if self.title else _plain(text))

    def start(self, name: str, *, total: float | None = None, unit: str = "") -> None:
        entry = self.stack.push(name, total, unit)
        of = f" ({amount(total, unit)})" if total is not None and unit else ""
        self.say(f"{entry.path}{of} ...")

    def advance(self, amount: float = 1) -> None:
        entry = self.stack.top()
        if entry is None:
            return
        entry.done += amount
        now = self.clock()
        if now - entry.said_at >= self.heartbeat:
            entry.said_at = now
            elapsed = now - entry.started
            figures = [count(entry.done, entry.total, entry.unit), rate(entry.done, elapsed, entry.unit)]
            if entry.total is not None and entry.done and entry.total > entry.done:
                figures.append(f"about {duration(elapsed * (entry.total - entry.done) / entry.done)} left")
            self.say(f"{entry.path}: " + ", ".join(f for f in figures if f))

    def finish(self, note: str = "", *, failed: bool = False) -> None:
        entry = self.stack.pop()
        if entry is not None:
            self.say(_end_line(entry, self.clock() - entry.started, note, failed))

    @contextmanager
    def running(self) -> Iterator[PlainLines]:
        """The title's end line after the command's work, when its start line was written."""
        self.began = self.clock()
        try:
            yield self
        except BaseException:
            if self.title_said:
                self.write(f"{self.title} stopped after {duration(self.clock() - self.began)}")
            raise
        if self.title_said:
            self.write(f"{self.title} done in {duration(self.clock() - self.began)}")


def console_writer(console: Console) -> Callable[[str], None]:
    """Print a line as it is (no markup, no highlighting, no wrapping); Rich writes and flushes it at once."""

    def write(line: str) -> None:
        console.print(line, markup=False, highlight=False, soft_wrap=True)

    return write


# ---- Rich bars: a terminal ------------------------------------------------------------------


def _count_column() -> type:
    from rich.progress import ProgressColumn
    from rich.text import Text

    class CountColumn(ProgressColumn):
        """'3/20 days' or '12.3/45.0 MB' (only what is counted so far without a total)."""

        def render(self, task: Task) -> Text:
            unit = str(task.fields.get("unit", ""))
            if task.total is None and not task.completed:
                return Text("")
            return Text(count(task.completed, task.total, unit), style="progress.download")

    return CountColumn


def _rate_column() -> type:
    from rich.progress import ProgressColumn
    from rich.text import Text

    class RateColumn(ProgressColumn):
        """'2.1 days/s' or '35 MB/s', from Rich's estimate over the last half minute."""

        def render(self, task: Task) -> Text:
            unit = str(task.fields.get("unit", ""))
            speed = task.finished_speed or task.speed
            if task.total is None or not speed:
                return Text("")
            return Text(rate(speed, 1.0, unit), style="progress.data.speed")

    return RateColumn


class RichBars:
    """A row for the title (what a spinner showed), a bar per open stage below it (count, rate and
    time left when the stage is counted, elapsed time always), and a line above them for each
    stage as it ends."""

    def __init__(self, progress: RichProgress, *, title: str | None = None) -> None:
        self.progress = progress
        self.title = title
        self.stack = _Stack()
        self.tasks: list[TaskID] = []
        self.title_task = progress.add_task(f"{title}…", total=None, unit="") if title else None

    def __call__(self, text: str) -> None:
        if self.title_task is not None:
            self.progress.update(self.title_task, description=f"{self.title}: {text}…", refresh=True)

    def start(self, name: str, *, total: float | None = None, unit: str = "") -> None:
        from rich.markup import escape

        entry = self.stack.push(name, total, unit)
        indent = "  " * (len(self.stack.open) - (0 if self.title_task is not None else 1))
        self.tasks.append(self.progress.add_task(indent + escape(entry.name), total=total, unit=unit))
        self.progress.refresh()

    def advance(self, amount: float = 1) -> None:
        entry = self.stack.top()
        if entry is None:
            return
        entry.done += amount
        self.progress.advance(self.tasks[-1], amount)
        self.progress.refresh()

    def finish(self, note: str = "", *, failed: bool = False) -> None:
        from rich.text import Text

        entry = self.stack.pop()
        if entry is None:
            return
        self.progress.remove_task(self.tasks.pop())
        line = _end_line(entry, time.perf_counter() - entry.started, note, failed)
        self.progress.console.print(Text(line, style="red" if failed else ""), highlight=False, soft_wrap=True)
        self.progress.refresh()


def rich_progress(console: Console) -> RichProgress:
    """The bar layout: name, bar, count, rate, time left, elapsed."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        _count_column()(),
        _rate_column()(),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        refresh_per_second=BAR_REFRESHES_PER_SECOND,
    )


ConsoleReporter = PlainLines | RichBars
"""What :func:`reporting` yields: a Reporter, and callable with a text as a spinner's update was."""


@contextmanager
def reporting(
    console: Console, title: str | None = None, *, heartbeat: float = HEARTBEAT_SECONDS
) -> Iterator[ConsoleReporter]:
    """The reporter a command passes down, chosen once from ``console``: bars on a terminal, plain lines otherwise.

    ``title`` (Rich markup, as a spinner's) names the command's work: its first and last line
    when not on a terminal, the top row of the bars on one.
    """
    if not console.is_terminal or console.is_dumb_terminal:
        with PlainLines(console_writer(console), title=title, heartbeat=heartbeat).running() as lines:
            yield lines
        return
    with rich_progress(console) as bars:
        yield RichBars(bars, title=title)
