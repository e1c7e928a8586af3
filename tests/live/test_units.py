"""The live loop's parts one at a time: routing by the team's capacity, the config file, and
``watch --replay``, ``alerts`` and ``eval watch`` through the CLI runner on the small world
(one replay per module, shared by the tests that read its alerts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import LiveWorld
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.errors import ConfigError
from fraudkit.live.config import WatchConfig, config_from_dict, load_config
from fraudkit.live.routing import call_slots, route
from fraudkit.model import frames

c = pl.col


# ---- routing -------------------------------------------------------------------------------


def _alerts(tiers: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"tier": tiers, "score": [0.9 - 0.01 * i for i in range(len(tiers))]})


OFFICE = tuple(10 if 8 <= h < 18 else 0 for h in range(24))


def test_call_slots_follow_the_hour_of_day() -> None:
    per_hour = OFFICE
    assert call_slots(datetime(2026, 10, 1, 9, 0), timedelta(minutes=30), per_hour) == pytest.approx(5.0)
    # 17:45-18:15: a quarter hour of office time, then none
    assert call_slots(datetime(2026, 10, 1, 17, 45), timedelta(minutes=30), per_hour) == pytest.approx(2.5)
    assert call_slots(datetime(2026, 10, 1, 22, 0), timedelta(hours=2), per_hour) == 0.0


def test_orange_beyond_the_team_capacity_overflows_to_sms() -> None:
    config = WatchConfig(call_within=timedelta(minutes=30))  # 10 calls/h in office hours: 5 slots
    routed = route(
        _alerts(["orange"] * 8 + ["red", "yellow"]),
        now=datetime(2026, 10, 1, 9),
        waiting_calls=2,
        config=config,
        team=OFFICE,
    )
    channels = routed.group_by("channel").len().sort("channel").rows()
    # 5 slots in the next half hour, 2 calls waiting, the red one goes first: room for 2 oranges
    assert dict(channels) == {"call_now": 1, "call_queue": 2, "sms": 7}
    queued = routed.filter(c("channel") == "call_queue")["score"]
    assert queued.min() > routed.filter((c("tier") == "orange") & (c("channel") == "sms"))["score"].max()
    night = route(
        _alerts(["orange", "red"]), now=datetime(2026, 10, 1, 23), waiting_calls=0, config=config, team=OFFICE
    )
    assert dict(night.select("tier", "channel").rows()) == {"red": "call_now", "orange": "sms"}  # nobody to call


# ---- config --------------------------------------------------------------------------------


def test_config_file_overrides_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "watch.toml"
    path.write_text('every = "2m"\n[tiers]\nred = 0.7\n[capacity]\ncall_within = "1h"\n', encoding="utf-8")
    config = load_config(path)
    assert config.every == timedelta(minutes=2) and config.call_within == timedelta(hours=1)
    assert config.tiers.red == 0.7 and config.delivery_delay == WatchConfig().delivery_delay


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"evry": "1m"}, "unknown key evry"),
        ({"tiers": {"amber": 0.3}}, "unknown key [tiers] amber"),
        ({"tiers": "red"}, "[tiers] must be a table"),
        ({"every": "2d"}, "every must be between"),
        ({"every": "soon"}, "is not a duration"),
        ({"tiers": {"red": "high"}}, "tiers.red must be a number"),
        ({"capacity": {"calls_per_hour": [10] * 23}}, "24 numbers"),
        ({"capacity": {"calls_per_hour": [1.5] * 24}}, "whole numbers"),
        ({"escalation": {"large_amount": -1}}, "large_amount must be > 0"),
        ({"capacity": {"attempts": 0}}, "attempts must be at least 1"),
        ({"capacity": {"attempts": 1.5}}, "attempts must be a whole number"),
        ({"capacity": {"retry_after": "-5m"}}, "retry_after"),
    ],
)
def test_config_mistakes_are_one_line_errors(data: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_from_dict(data)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_tiers_out_of_order_are_refused() -> None:
    with pytest.raises(ConfigError, match="yellow <= orange <= red"):
        config_from_dict({"tiers": {"red": 0.2, "orange": 0.5}}).tiers.resolve({})


def test_config_file_that_is_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "watch.toml"
    path.write_text("every = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")


# ---- the CLI over a replay -----------------------------------------------------------------


@dataclass(frozen=True)
class Replayed:
    db: Path
    ops: str
    output: str
    env: dict[str, str]


@pytest.fixture(scope="module")
def replayed(live_world: LiveWorld, tmp_path_factory: pytest.TempPathFactory) -> Replayed:
    """Six hours of the small world replayed once: 15-minute ticks, 5-minute delivery delay."""
    folder = tmp_path_factory.mktemp("replayed")
    db = live_world.copy_store(folder)
    ops = f"sqlite:///{folder / 'ops.sqlite'}"
    con = duckdb.connect(str(db), read_only=True)
    try:
        _, last = frames.data_span(con)
    finally:
        con.close()
    day = last.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    env = {"MLFLOW_TRACKING_URI": live_world.settings.resolved_tracking_uri}
    args = ["watch", "--replay", "--from", f"{day:%Y-%m-%d} 08:00", "--to", f"{day:%Y-%m-%d} 14:00"]
    args += ["--every", "15m", "--db", str(db), "--ops-db", ops]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    return Replayed(db=db, ops=ops, output=result.output, env=env)


def _ops_alerts(replayed: Replayed) -> pl.DataFrame:
    from fraudkit.live.alerts import alerts_frame
    from fraudkit.ops.db import ops_engine

    return alerts_frame(ops_engine(replayed.ops))


def test_replay_writes_alerts_at_tick_times(replayed: Replayed) -> None:
    assert "24 ticks" in replayed.output
    got = _ops_alerts(replayed)
    assert got.height > 0 and got["contact_id"].n_unique() == got.height
    assert (got["created_at"].dt.minute() % 15 == 0).all()  # the simulated tick, not the wall clock
    # never before the system could know: the contact's end plus the 5-minute delivery delay
    assert (got["created_at"] >= got["contact_end"] + timedelta(minutes=5)).all()
    assert set(got["channel"]) <= {"call_now", "call_queue", "sms", "bank"}


def test_replay_again_adds_nothing(replayed: Replayed) -> None:
    before = _ops_alerts(replayed).height
    con = duckdb.connect(str(replayed.db), read_only=True)
    try:
        _, last = frames.data_span(con)
    finally:
        con.close()
    day = last.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    args = ["watch", "--replay", "--from", f"{day:%Y-%m-%d} 08:00", "--to", f"{day:%Y-%m-%d} 10:00"]
    args += ["--every", "15m", "--db", str(replayed.db), "--ops-db", replayed.ops]
    result = CliRunner().invoke(app, args, env=replayed.env)
    assert result.exit_code == 0, result.output
    assert "0 alerts written" in result.output and _ops_alerts(replayed).height == before


def test_alerts_view_is_masked_and_counts_the_queue(replayed: Replayed) -> None:
    result = CliRunner().invoke(app, ["alerts", "--db", str(replayed.db), "--ops-db", replayed.ops, "--limit", "5"])
    assert result.exit_code == 0, result.output
    got = _ops_alerts(replayed)
    assert f"{got.height} alerts, {got.height} open" in result.output  # nobody worked them
    assert not [p for p in got["phone"].to_list() if p in result.output]  # masked
    assert "open alerts, most urgent first" in result.output


def test_eval_watch_reports_interception(replayed: Replayed, live_world: LiveWorld) -> None:
    args = ["eval", "watch", "--truth", str(live_world.truth), "--no-midnight"]
    args += ["--db", str(replayed.db), "--ops-db", replayed.ops, "--calls-per-day", "100"]
    result = CliRunner().invoke(app, args, env=replayed.env)
    assert result.exit_code == 0, result.output
    for measure in ("share warned before first transfer", "median lead time (min)", "alerts per day"):
        assert measure in result.output
    assert "interception, 100 calls a day" in result.output


def test_eval_watch_without_alerts_says_what_to_run(tmp_path: Path, live_world: LiveWorld) -> None:
    args = ["eval", "watch", "--truth", str(live_world.truth), "--no-midnight", "--db", str(tmp_path / "x.duckdb")]
    result = CliRunner().invoke(app, args, env={"MLFLOW_TRACKING_URI": live_world.settings.resolved_tracking_uri})
    assert result.exit_code != 0 and "alerts table is empty" in result.output
