"""The step runner behind the demo and the daily batch: order, stages, skips and Ctrl-C."""

from __future__ import annotations

import pytest

from fraudkit.progress import EventLog, as_reporter, stage
from fraudkit.runner import StepResult, StepsInterrupted, run_steps, skipped


def test_steps_run_in_order_each_a_timed_stage_with_its_own_stages_inside() -> None:
    log = EventLog()
    reporter = as_reporter(log)
    ran: list[str] = []

    def scan() -> StepResult:
        ran.append("scan")
        with stage(reporter, "flows"):
            pass
        return StepResult("ignored", summary="3 clusters flagged", facts={"clusters": 3})

    results = run_steps([("ingest", lambda: ran.append("ingest") or StepResult("")), ("scan", scan)], reporter)
    assert ran == ["ingest", "scan"]
    assert [r.name for r in results] == ["ingest", "scan"], "a result is named after its step"
    assert results[1].facts == {"clusters": 3} and all(r.seconds >= 0 for r in results)
    starts = [e.path for e in log.events if e.kind == "start"]
    assert starts == ["ingest", "scan", "scan: flows"]


def test_a_skipped_step_says_why_at_its_end_and_the_next_step_still_runs() -> None:
    log = EventLog()
    results = run_steps(
        [("train", lambda: skipped("train", "no victim in the world")), ("warn", lambda: StepResult(""))],
        as_reporter(log),
    )
    assert results[0].skipped == "no victim in the world" and results[1].skipped is None
    ends = [(e.path, e.note) for e in log.events if e.kind == "finish"]
    assert ends[0] == ("train", "skipped: no victim in the world")


def test_ctrl_c_names_the_step_it_stopped_in_what_ran_and_what_did_not() -> None:
    def interrupted() -> StepResult:
        raise KeyboardInterrupt

    done: list[StepResult] = []
    steps = [("ingest", lambda: StepResult("")), ("scan", interrupted), ("warn", lambda: StepResult(""))]
    with pytest.raises(StepsInterrupted) as stopped:
        run_steps(steps, as_reporter(EventLog()), done=done)
    assert stopped.value.step == "scan" and stopped.value.not_run == ["warn"]
    assert [r.name for r in stopped.value.done] == ["ingest"] and done == stopped.value.done
    assert isinstance(stopped.value, KeyboardInterrupt), "callers that only know Ctrl-C still see one"
