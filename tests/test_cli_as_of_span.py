"""An --as-of (or --since, --from, --to) with nothing to look at is refused naming the span the
store holds, instead of empty results and exit 0 (issue 11). One place checks it:
:func:`fraudkit.timeutil.store_as_of`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.errors import NotReadyError
from fraudkit.store import open_store
from fraudkit.synth import SynthConfig, generate_world, store_world
from fraudkit.timeutil import format_duration, store_as_of

runner = CliRunner()
SPAN = "the store holds transactions from 2026-10-01"


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three days of a small world, 2026-10-01 to 2026-10-03, in a store in UTC."""
    db = tmp_path_factory.mktemp("span") / "s.duckdb"
    with open_store(db, timezone="UTC", create=True):
        pass
    store_world(generate_world(SynthConfig(seed=3, subscribers=300, days=3)), db, db.parent / "truth")
    return db


def _one_line_refusal(result: Result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    text = " ".join(result.output.split())
    assert len(result.output.strip().splitlines()) == 1, result.output
    for needle in needles:
        assert needle in text, text


@pytest.mark.parametrize("command", ["scan", "features"])
def test_as_of_before_the_data_names_the_span(command: str, small_store: Path, tmp_path: Path) -> None:
    args = [command, "--as-of", "2026-09-01", "--out", str(tmp_path / "out"), "--db", str(small_store)]
    result = runner.invoke(app, args)
    _one_line_refusal(result, "no transactions before --as-of 2026-09-01 00:00", SPAN, "to 2026-10-03")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["scan", "features"])
def test_as_of_after_the_window_of_data_names_the_span(command: str, small_store: Path, tmp_path: Path) -> None:
    args = [command, "--as-of", "2026-11-30", "--window", "7d", "--out", str(tmp_path / "o"), "--db", str(small_store)]
    result = runner.invoke(app, args)
    _one_line_refusal(result, "no transactions in the 7 days before --as-of 2026-11-30 00:00", SPAN)


def test_eval_scan_and_train_refuse_an_as_of_before_the_data(small_store: Path, tmp_path: Path) -> None:
    truth = small_store.parent / "truth"
    result = runner.invoke(
        app, ["eval", "scan", "--truth", str(truth), "--as-of", "2020-01-01", "--db", str(small_store)]
    )
    _one_line_refusal(result, "no transactions before --as-of 2020-01-01", SPAN)
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"}
    result = runner.invoke(app, ["train", "--as-of", "2020-01-01", "--db", str(small_store)], env=env)
    _one_line_refusal(result, "no transactions before --as-of 2020-01-01", SPAN)


def test_trace_as_of_after_the_data_names_the_span(small_store: Path) -> None:
    args = ["trace", "--account", "6222000000000001", "--as-of", "2027-01-01", "--db", str(small_store)]
    _one_line_refusal(runner.invoke(app, args), "no transactions at or after --as-of 2027-01-01 00:00", SPAN)


def test_replay_to_before_the_data_names_the_span(small_store: Path, tmp_path: Path) -> None:
    args = ["watch", "--replay", "--from", "2020-01-01", "--to", "2020-01-02", "--db", str(small_store)]
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}", "FRAUDKIT_OPS_DB": None}
    result = runner.invoke(app, args, env=env)
    assert "Traceback" not in result.output
    # the model is looked for before the store is read: either refusal is one line and exit 2
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output


def test_inside_the_span_is_accepted(small_store: Path) -> None:
    with open_store(small_store, read_only=True) as con:
        assert store_as_of(con, "2026-10-03", window=timedelta(days=7)) == datetime(2026, 10, 3)
        assert store_as_of(con, "2026-10-02", forward=True) == datetime(2026, 10, 2)
        assert store_as_of(con, None) == datetime(2026, 10, 4)  # the midnight after the data


def test_the_call_look_back_counts_calls_that_started_before_it(small_store: Path) -> None:
    """warn scores contacts that ended in the look-back; one that started before it is allowed for."""
    with open_store(small_store, read_only=True) as con:
        args = {"table": "calls", "column": "start_time", "window": timedelta(hours=24)}
        with pytest.raises(NotReadyError, match="no calls in the 1 day before"):
            store_as_of(con, "2026-10-06", **args)
        assert store_as_of(con, "2026-10-05", **args, slack=timedelta(days=1)) == datetime(2026, 10, 5)


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(days=7), "7 days"),
        (timedelta(days=1), "1 day"),
        (timedelta(hours=48), "2 days"),
        (timedelta(hours=5), "5 hours"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(seconds=90), "90 seconds"),
    ],
)
def test_format_duration(span: timedelta, text: str) -> None:
    assert format_duration(span) == text


@pytest.mark.parametrize("window", ["1w", "2d", "36h"])
def test_a_window_in_weeks_days_or_hours_scans(window: str, small_store: Path, tmp_path: Path) -> None:
    args = ["eval", "scan", "--truth", str(small_store.parent / "truth"), "--window", window, "--db", str(small_store)]
    result = CliRunner(env={"COLUMNS": "120"}).invoke(app, args)
    assert result.exit_code == 0, result.output
    said = {"1w": "window 7 days", "2d": "window 2 days", "36h": "window 36 hours"}[window]
    assert said in result.output and "day," not in result.output
