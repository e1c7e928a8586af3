"""One step runner behind the demo, the daily batch and each tick of the live loop: steps in order, each a stage.

The chain (ingest, scan, train, warn, ...) is the same job whoever runs it, so running it is
written once: each step is timed, reported as a stage (with its own stages inside), may be
skipped for a stated reason without stopping the others, and Ctrl-C says which step it stopped
in, which ran and which did not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fraudkit.progress import Reporter, stage


@dataclass
class StepResult:
    """One step's outputs (files a person opens), a sentence saying what it found, and the figures behind it.

    ``skipped`` says why a step did nothing (e.g. a world too small to hold a victim to learn from):
    the chain goes on, and the later steps that needed it say so too.
    """

    name: str
    outputs: dict[str, Path] = field(default_factory=dict)
    summary: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    skipped: str | None = None


def skipped(name: str, reason: str) -> StepResult:
    """A step that could not run for a reason a person can act on."""
    return StepResult(name, summary=f"skipped: {reason}", skipped=reason)


Step = tuple[str, Callable[[], StepResult]]
"""A step's name (the stage it is reported as) and the work, taking nothing: bind its inputs."""


class StepsInterrupted(KeyboardInterrupt):
    """Ctrl-C during a step: the step it stopped in, the results of those that ran, the names of those that did not."""

    def __init__(self, step: str, done: list[StepResult], not_run: list[str]) -> None:
        super().__init__(step)
        self.step, self.done, self.not_run = step, done, not_run


def run_steps(steps: Sequence[Step], reporter: Reporter, *, done: list[StepResult] | None = None) -> list[StepResult]:
    """Run ``steps`` in order, each as a stage of ``reporter``; returns their results, named and timed.

    A skipped step ends its stage with its reason. Results are appended to ``done`` as each step
    ends (pass a list to see them after an exception); Ctrl-C raises :class:`StepsInterrupted`.
    """
    results = done if done is not None else []
    for index, (name, work) in enumerate(steps):
        try:
            with stage(reporter, name) as running:
                started = time.perf_counter()
                result = work()
                result.name, result.seconds = name, time.perf_counter() - started
                running.note = result.summary if result.skipped else ""
        except KeyboardInterrupt:
            raise StepsInterrupted(name, results, [later for later, _ in steps[index + 1 :]]) from None
        results.append(result)
    return results
