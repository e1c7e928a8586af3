"""The work queue in a real browser: headless Chromium (Debian's) driven by Playwright against
`fraudkit serve` started as a user starts it, in its own process on a free localhost port. The
store keeps Asia/Shanghai time, the server runs in UTC and the browser in Los Angeles, so a
countdown read in any zone but the store's would be hours off. An investigator works a ring there
too, and a warning operator is refused it."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from ops_backends import alert_row, seed_alerts
from ring_rows import seed_rings
from sqlalchemy import select
from sqlalchemy.engine import Engine

from fraudkit.ops.operators import create_operator
from fraudkit.ops.schema import alerts, audit_log, case_events, outcomes, reveals
from fraudkit.store import connect
from fraudkit.web.display import countdown

CHROMIUM = "/usr/bin/chromium"
STORE_ZONE = "Asia/Shanghai"
BROWSER_ZONE = "America/Los_Angeles"
PAY_MINUTES = 45
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"no {CHROMIUM}: apt-get install chromium (.ci/system-deps does)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fraudkit_command() -> list[str]:
    """The installed `fraudkit` script beside this Python, else the same entry point through -c."""
    script = Path(sys.executable).with_name("fraudkit")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from fraudkit.cli import main; main()"]


@pytest.fixture
def server(engine: Engine, ops_url: str, tmp_path: Path) -> Iterator[str]:
    """`fraudkit serve` (in UTC) over the test's stores (the DuckDB one in Asia/Shanghai), with two
    operators and two alerts; yields its base URL."""
    create_operator(engine, "ana", "password-a")
    create_operator(engine, "bo", "password-b")
    now = store_now()
    seed_alerts(engine, [alert_row(1, now, score=0.93, tier="red", channel="call_now"), alert_row(2, now)])
    with serving(ops_url, tmp_path) as base:
        yield base


@pytest.fixture
def ring_server(engine: Engine, ops_url: str, tmp_path: Path) -> Iterator[str]:
    """`fraudkit serve` over tracked rings, with an investigator and a warning operator."""
    create_operator(engine, "zhao", "password-z", role="investigator")
    create_operator(engine, "ana", "password-a")
    seed_rings(engine)
    with serving(ops_url, tmp_path) as base:
        yield base


@contextmanager
def serving(ops_url: str, tmp_path: Path) -> Iterator[str]:
    """`fraudkit serve` in its own process until the block ends; yields its base URL."""
    connect(tmp_path / "f.duckdb", timezone=STORE_ZONE).close()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("FRAUDKIT_OPS_DB", "FRAUDKIT_TIMEZONE")}
    env["TZ"] = "UTC"
    command = [*fraudkit_command(), "serve", "--port", str(port), "--db", str(tmp_path / "f.duckdb")]
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([*command, "--ops-db", ops_url], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, proc, tmp_path / "serve.log")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def store_now() -> datetime:
    return datetime.now(ZoneInfo(STORE_ZONE)).replace(tzinfo=None)


def contact_end(engine: Engine, alert_id: str) -> datetime:
    with engine.connect() as conn:
        return conn.execute(select(alerts.c.contact_end).where(alerts.c.alert_id == alert_id)).scalar_one()


def wait_until_up(base: str, proc: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"fraudkit serve exited {proc.returncode}: {log.read_text()}")
        try:
            if httpx.get(base + "/login", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    pytest.fail(f"fraudkit serve did not answer within {seconds} s: {log.read_text()}")


def log_in(browser: Any, base: str, name: str, password: str, *, lands: str = "/") -> Any:
    page = browser.new_context(timezone_id=BROWSER_ZONE).new_page()
    page.goto(base + "/")
    assert page.url.startswith(base + "/login")
    page.fill("input[name=operator]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + lands)
    return page


def test_shift_in_a_browser(server: str, engine: Engine) -> None:
    """Log in, claim, reveal, record; a second operator meanwhile gets the other alert, never this one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            before = store_now()
            ana = log_in(browser, server, "ana", "password-a")
            assert ana.locator("tr[data-alert=A00001] td.num").first.inner_text() == "138****0001"
            assert ana.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == BROWSER_ZONE
            shown = ana.locator("tr[data-alert=A00001] td.countdown").inner_text()  # as the script wrote it
            pays = contact_end(engine, "A00001") + timedelta(minutes=PAY_MINUTES)
            assert shown in {countdown(pays, before), countdown(pays, store_now())}
            assert "13800000001" not in ana.content()
            ana.click("#claim-next")
            ana.wait_for_url(server + "/alerts/A00001")

            bo = log_in(browser, server, "bo", "password-b")
            bo.click("#claim-next")
            bo.wait_for_url(server + "/alerts/A00002")
            bo.goto(server + "/")
            bo.click("#claim-next")
            assert "Nothing waiting to claim" in bo.content()
            bo.goto(server + "/alerts/A00001")
            assert bo.locator("#reveal").count() == 0 and bo.locator("#record").count() == 0

            ana.click("#reveal")
            assert ana.locator("#phone").inner_text() == "13800000001"
            ana.check("input[value=confirmed_victim]")
            ana.fill("textarea[name=note]", "about to transfer; told her to stop")
            ana.click("#record")
            ana.wait_for_url(server + "/?recorded=A00001")
            assert "Outcome recorded for alert A00001" in ana.content()
            assert ana.locator("tr[data-alert=A00001]").count() == 0  # out of the open queue
        finally:
            browser.close()

    with engine.connect() as conn:
        assert conn.execute(select(outcomes.c.alert_id, outcomes.c.result, outcomes.c.operator_id)).all() == [
            ("A00001", "confirmed_victim", "ana")
        ]
        assert conn.execute(select(reveals.c.alert_id, reveals.c.operator_id)).all() == [("A00001", "ana")]
        assert conn.execute(select(audit_log.c.alert_id, audit_log.c.user_name)).all() == [("A00001", "ana")]
        owners = dict(conn.execute(select(alerts.c.alert_id, alerts.c.claimed_by)).all())
    assert owners == {"A00001": "ana", "A00002": "bo"}


def test_an_investigator_works_a_ring_in_a_browser(ring_server: str, engine: Engine) -> None:
    """Log in to the ring list, open a ring (timeline, members, drawing, all masked), open its case and
    mark it; a warning operator meanwhile sees no ring link and is refused the ring pages."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            zhao = log_in(browser, ring_server, "zhao", "password-z", lands="/rings")
            assert zhao.locator("tr[data-ring=R000001] td.changed").inner_text() == "1 left, 10,000 more in"
            assert zhao.locator("#nav-queue").count() == 0
            zhao.click("a[href='/rings/R000001']")
            zhao.wait_for_url(ring_server + "/rings/R000001")
            assert zhao.locator("#drawing svg").count() == 1
            assert zhao.locator("#members tbody tr").count() == 3
            assert "6222********0003" in zhao.locator("#timeline").inner_text()  # the member who left
            assert "6222000000" not in zhao.content()
            zhao.fill("#open-case textarea[name=note]", "money of three victims passes in hours")
            zhao.click("#open")
            zhao.wait_for_url(re.compile(r".*/rings/R000001\?done=.*"))
            assert zhao.locator("#case-status").inner_text() == "C000001 · open"
            zhao.check("#mark-case input[value=confirmed]")
            zhao.click("#mark")
            zhao.wait_for_url(re.compile(r".*done=confirmed$"))
            assert zhao.locator("#case-status").inner_text() == "C000001 · confirmed"

            ana = log_in(browser, ring_server, "ana", "password-a")
            assert ana.locator("#nav-rings").count() == 0
            refused = ana.goto(ring_server + "/rings/R000001")
            assert refused is not None and refused.status == 403
            assert "Not for your role" in ana.content() and "6222" not in ana.content()
        finally:
            browser.close()

    with engine.connect() as conn:
        history = conn.execute(select(case_events.c.by, case_events.c.action, case_events.c.status)).all()
    assert history == [("zhao", "opened", "open"), ("zhao", "status", "confirmed")]


def test_chromium_is_debians() -> None:
    """Guards the skip above: CI installs the package, so the browser test runs there."""
    assert shutil.which("chromium") == CHROMIUM or Path(CHROMIUM).exists()
