"""Repeated failed logins are refused (429) for the name and for the client address, before the
password is checked; counts live in the operational store, so a second server process (or a
restart) refuses alike, and a success clears the name's count."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from fraudkit.errors import ConfigError
from fraudkit.ops import operators
from fraudkit.ops.schema import audit_log, login_failures
from fraudkit.web.app import create_app
from fraudkit.web.settings import WebSettings

START = datetime(2026, 11, 3, 14, 0, 0)  # store time (Asia/Shanghai); 06:00 UTC
ZONE = "Asia/Shanghai"


class Clock:
    """A store clock the test moves on."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(engine: Engine, ops_url: str, clock: Clock) -> Iterator[WebSettings]:
    operators.create_operator(engine, "ana", "password-a")
    yield WebSettings(ops_url=ops_url, clock=clock, timezone=ZONE)


@pytest.fixture(autouse=True)
def verified(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names whose password the app checked, by a stand-in for argon2 (tens of hashes would take
    seconds; the real check is tested in tests/ops/test_operators.py)."""
    calls: list[str] = []

    def counting(engine: Engine, name: str, password: str) -> bool:
        calls.append(name)
        return (name, password) == ("ana", "password-a")

    monkeypatch.setattr(operators, "verify", counting)
    return calls


def attempt(client: TestClient, name: str, password: str) -> Response:
    return client.post("/login", data={"operator": name, "password": password}, follow_redirects=False)


def test_five_failures_lock_the_name_without_checking_the_password(settings: WebSettings, verified: list[str]) -> None:
    web = TestClient(create_app(settings))
    for _ in range(5):
        assert attempt(web, "ana", "wrong-password").status_code == 401
    refused = attempt(web, "ana", "password-a")  # right password, still refused
    assert refused.status_code == 429
    assert "Too many failed logins for ana: try again after 14:15 (Asia/Shanghai)" in refused.text
    assert refused.headers["retry-after"] == "900"
    assert "password-a" not in refused.text and "wrong-password" not in refused.text
    assert "fraudkit_session" not in refused.cookies
    assert verified == ["ana"] * 5  # the sixth attempt never reached argon2


def test_the_count_is_shared_by_servers_and_survives_a_restart(settings: WebSettings, clock: Clock) -> None:
    first = TestClient(create_app(settings))
    for _ in range(3):
        attempt(first, "ana", "wrong-password")
    second = TestClient(create_app(settings))  # another process over the same store, or a restart
    for _ in range(2):
        attempt(second, "ana", "wrong-password")
    assert attempt(TestClient(create_app(settings)), "ana", "password-a").status_code == 429


def test_the_lock_ends_when_failures_age_out_of_the_window(settings: WebSettings, clock: Clock) -> None:
    web = TestClient(create_app(settings))
    for minute in range(5):
        clock.now = START + timedelta(minutes=minute)
        attempt(web, "ana", "wrong-password")
    clock.now = START + timedelta(minutes=14, seconds=59)
    assert attempt(web, "ana", "password-a").status_code == 429
    clock.now = START + timedelta(minutes=15)  # the first failure leaves the window: four remain
    assert attempt(web, "ana", "password-a").status_code == 303


def test_a_success_resets_the_name(settings: WebSettings, engine: Engine) -> None:
    web = TestClient(create_app(settings))
    for _ in range(4):
        attempt(web, "ana", "wrong-password")
    assert attempt(web, "ana", "password-a").status_code == 303
    for _ in range(4):
        assert attempt(web, "ana", "wrong-password").status_code == 401  # would be the 8th
    assert attempt(web, "ana", "password-a").status_code == 303
    with engine.connect() as conn:
        by_name = select(func.count()).where(login_failures.c.scope == "name")
        assert conn.execute(by_name).scalar_one() == 0


def test_twenty_failures_from_one_address_lock_it_for_every_name(settings: WebSettings, verified: list[str]) -> None:
    web = TestClient(create_app(settings))
    for i in range(20):  # a different name each time: no name reaches its limit
        assert attempt(web, f"guess{i}", "wrong-password").status_code == 401
    refused = attempt(web, "ana", "password-a")
    assert refused.status_code == 429 and "Too many failed logins from this address" in refused.text
    assert len(verified) == 20
    other = TestClient(create_app(settings), client=("198.51.100.7", 50000))
    assert attempt(other, "ana", "password-a").status_code == 303  # another address still gets in


def test_failures_are_audited_without_the_password(settings: WebSettings, engine: Engine) -> None:
    web = TestClient(create_app(settings))
    attempt(web, "ana", "wrong-password")
    attempt(web, "13800000001", "another-secret")  # a phone number typed as the name
    with engine.connect() as conn:
        rows: list[Any] = conn.execute(
            select(audit_log.c.user_name, audit_log.c.what, audit_log.c.recorded_at, audit_log.c.details)
        ).all()
    assert [(r.user_name, r.what, r.recorded_at, r.details) for r in rows] == [
        ("ana", "login failed", START, "client testclient"),
        ("138****0001", "login failed", START, "client testclient"),
    ]


def test_limits_and_zone_are_checked_settings() -> None:
    with pytest.raises(ConfigError, match="login failures per name"):
        WebSettings(ops_url="sqlite://", login_failures_per_name=0)
    with pytest.raises(ConfigError, match="not a time zone"):
        WebSettings(ops_url="sqlite://", timezone="Mars/Olympus")
