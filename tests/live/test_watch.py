"""The loop as a user runs it: a real subprocess against a drop folder that receives files while it
runs, killed mid-tick and restarted (nothing alerted twice, nothing lost), stopped by SIGTERM after
its tick; the replay, the queue view and the evaluation through the CLI runner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import LiveWorld
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.live.alerts import alerts_frame, contacts_frame
from fraudkit.live.clock import store_now
from fraudkit.model.contacts import contact_features
from fraudkit.ops.db import ops_engine

c = pl.col
FRAUDKIT = str(Path(sys.executable).parent / "fraudkit")
CONFIG = 'every = "1m"\nlate_within = "2d"\n[tiers]\nyellow = 0.0\n'


def _shifted_calls(world: LiveWorld, now: datetime) -> pl.DataFrame:
    """The world's last two days of calls, moved so that the last one ended two minutes ago."""
    calls = world.world.tables["calls"]
    end = (c("start_time") + pl.duration(seconds=c("duration_s"))).max()
    last = calls.select(end).item()
    recent = calls.filter(c("start_time") >= last - timedelta(days=2))
    return recent.with_columns(c("start_time") + ((now - timedelta(minutes=2)) - last))


def _deliver(frame: pl.DataFrame, path: Path) -> None:
    """Write under a hidden name, then rename: the loop never reads half a file."""
    hidden = path.with_name("." + path.name)
    frame.write_parquet(hidden)
    hidden.rename(path)


def _run(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([FRAUDKIT, *args], env=env, stderr=subprocess.PIPE, text=True)


def _alerts(url: str) -> pl.DataFrame:
    return alerts_frame(ops_engine(url))


def _contact_ids(url: str) -> list[str]:
    from sqlalchemy import select

    from fraudkit.ops.schema import alert_contacts

    with ops_engine(url).connect() as conn:
        return list(conn.execute(select(alert_contacts.c.contact_id)).scalars())


def _count(url: str) -> int:
    try:
        return _alerts(url).height
    except Exception:  # the ops store may be being created
        return 0


def _tick_lines(proc: subprocess.Popen, seen: list[str], until) -> None:
    """Read the loop's log into ``seen`` until a tick line satisfies ``until``."""
    assert proc.stderr is not None
    while True:
        line = proc.stderr.readline()
        if not line:
            raise AssertionError("loop ended early:\n" + "".join(seen))
        seen.append(line)
        if "tick " in line and until(line):
            return


@pytest.mark.slow
def test_watch_subprocess_kill_and_restart(live_world: LiveWorld, tmp_path: Path) -> None:
    drop, db = tmp_path / "drop", tmp_path / "fraudkit.duckdb"
    drop.mkdir()
    url = f"sqlite:///{tmp_path / 'ops.sqlite'}"
    (tmp_path / "watch.toml").write_text(CONFIG, encoding="utf-8")
    for kind in ("subscribers", "accounts"):
        _deliver(live_world.world.tables[kind], drop / f"{kind}.parquet")
    now = store_now("UTC")
    calls = _shifted_calls(live_world, now)
    parts = [calls[i::3] for i in range(3)]
    env = {**os.environ, "FRAUDKIT_TIMEZONE": "UTC", "MLFLOW_TRACKING_URI": live_world.settings.resolved_tracking_uri}
    args = ["watch", "--drop", str(drop), "--config", str(tmp_path / "watch.toml"), "--db", str(db), "--ops-db", url]
    args += ["--every", "0.02m"]
    first = _run(args, env)
    _deliver(parts[0], drop / "calls_1.parquet")  # while it starts: files land whenever they land
    _wait(lambda: _count(url) > 0, first)
    before = _count(url)
    _deliver(parts[1], drop / "calls_2.parquet")
    # the tick that takes calls_2 writes its alerts before it moves the watermark: kill it there
    _wait(lambda: _count(url) > before, first, step=0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    second = _run(args, env)
    seen: list[str] = []
    _tick_lines(second, seen, lambda line: True)  # it resumed (and redid the killed tick)
    _deliver(parts[2], drop / "calls_3.parquet")
    _tick_lines(second, seen, lambda line: "records_in=0 " not in line)  # calls_3 arrived while it ran
    second.send_signal(signal.SIGTERM)
    _, rest = second.communicate(timeout=60)
    err = "".join(seen) + rest
    assert second.returncode == 0, err
    assert "records_in=" in err and "alerts_out=" in err
    got = _alerts(url)
    assert got["contact_id"].n_unique() == got.height  # nothing twice
    assert got["phone"].n_unique() == got.height  # nobody called them: one open alert per person
    scored = contacts_frame(ops_engine(url))
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = con.sql("SELECT * FROM calls").pl()
        assert stored.height == calls.height
        subs, accs = con.sql("SELECT * FROM subscribers").pl(), con.sql("SELECT * FROM accounts").pl()
    finally:
        con.close()
    ends = stored.select((c("start_time") + pl.duration(seconds=c("duration_s"))).max()).item()
    expected = contact_features(
        stored, subs, accs, None, since=now - timedelta(days=3), until=ends + timedelta(seconds=1)
    )
    assert scored.height == expected.height  # each contact once, made or merged into its person's alert
    assert set(_contact_ids(url)) == set(expected["contact_id"])  # none lost
    assert expected.height > 0
    phones = set(calls["caller"].to_list()) | set(calls["callee"].to_list())
    assert not [p for p in phones if p in err]  # no personal data logged


def _wait(ready, proc: subprocess.Popen, timeout: float = 120, step: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"loop ended early: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if ready():
                return
        except Exception:  # the ops store may be created meanwhile
            pass
        time.sleep(step)
    raise AssertionError("loop produced no alert in time")


def test_watch_refuses_conflicting_flags(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["watch", "--replay", "--drop", str(tmp_path), "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 2 and "--replay reads the store" in result.output
    result = runner.invoke(app, ["watch", "--replay", "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 2 and "--from and --to" in result.output
