"""The work-queue app through HTTP (FastAPI's test client): logins, masking, claim, reveal, outcome."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from ops_backends import alert_row, seed_alerts
from sqlalchemy import select
from sqlalchemy.engine import Engine

from fraudkit.ops.operators import create_operator, set_active
from fraudkit.ops.schema import audit_log, outcomes, reveals
from fraudkit.web.app import create_app
from fraudkit.web.display import countdown
from fraudkit.web.settings import WebSettings

NOW = datetime(2026, 11, 3, 14, 0, 0)
PAGES = [("get", "/"), ("post", "/claim"), ("get", "/alerts/A00001"), ("post", "/alerts/A00001/reveal")]


@pytest.fixture
def site(engine: Engine, ops_url: str) -> Iterator[tuple[Engine, WebSettings]]:
    create_operator(engine, "ana", "password-a")
    create_operator(engine, "bo", "password-b")
    seed_alerts(
        engine,
        [
            alert_row(1, NOW, score=0.93, tier="red", channel="call_now", contact_end=NOW - timedelta(minutes=15)),
            alert_row(2, NOW, score=0.71),
        ],
    )
    yield engine, WebSettings(ops_url=ops_url, clock=lambda: NOW, pay_minutes=45)


def client(settings: WebSettings, name: str | None = None) -> TestClient:
    made = TestClient(create_app(settings), follow_redirects=True)
    if name:
        made.post("/login", data={"operator": name, "password": f"password-{name[0]}"})
    return made


def full_numbers(html: str) -> list[str]:
    return re.findall(r"(?<!\d)1[39]\d{9}(?!\d)", html)


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_every_page_needs_a_login(site: tuple[Engine, WebSettings], method: str, path: str) -> None:
    response = getattr(client(site[1]), method)(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_wrong_password_is_refused(site: tuple[Engine, WebSettings]) -> None:
    anon = client(site[1])
    response = anon.post("/login", data={"operator": "ana", "password": "nope-nope"})
    assert response.status_code == 401 and "wrong name or password" in response.text
    assert anon.get("/", follow_redirects=False).status_code == 303


def test_forged_or_disabled_session_is_sent_to_login(site: tuple[Engine, WebSettings]) -> None:
    engine, settings = site
    ana = client(settings, "ana")
    assert ana.get("/", follow_redirects=False).status_code == 200
    forged = TestClient(create_app(settings))
    forged.cookies.set("fraudkit_session", ana.cookies["fraudkit_session"].replace("YW5h", "Ym8"))
    assert forged.get("/", follow_redirects=False).status_code == 303
    set_active(engine, "ana", False)
    assert ana.get("/", follow_redirects=False).status_code == 303


def test_queue_page_shows_call_order_masked_with_countdown(site: tuple[Engine, WebSettings]) -> None:
    page = client(site[1], "ana").get("/")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert page.text.index("A00001") < page.text.index("A00002")
    assert "138****0001" in page.text and "191****0001" in page.text  # phone and suspect, masked
    assert full_numbers(page.text) == []
    assert "30 min left" in page.text  # contact ended 15 min ago; such victims pay ~45 min after
    assert 'class="chip red"' in page.text


def test_claim_reveal_record_in_one_pass(site: tuple[Engine, WebSettings]) -> None:
    engine, settings = site
    ana = client(settings, "ana")
    claimed = ana.post("/claim")
    assert claimed.url.path == "/alerts/A00001"
    assert full_numbers(claimed.text) == [] and "Reveal number" in claimed.text
    shown = ana.post("/alerts/A00001/reveal")
    assert "13800000001" in shown.text and shown.headers["cache-control"] == "no-store"
    done = ana.post("/alerts/A00001/outcome", data={"result": "confirmed_victim", "note": "was about to pay"})
    assert done.url.path == "/" and "Outcome recorded for alert A00001" in done.text
    with engine.connect() as conn:
        assert conn.execute(select(reveals.c.alert_id, reveals.c.operator_id)).all() == [("A00001", "ana")]
        assert conn.execute(select(audit_log.c.user_name, audit_log.c.alert_id)).all() == [("ana", "A00001")]
        assert conn.execute(select(outcomes.c.result, outcomes.c.note)).all() == [
            ("confirmed_victim", "was about to pay")
        ]


def test_a_second_operator_gets_another_alert_and_cannot_touch_the_first(site: tuple[Engine, WebSettings]) -> None:
    settings = site[1]
    ana, bo = client(settings, "ana"), client(settings, "bo")
    assert ana.post("/claim").url.path == "/alerts/A00001"
    assert bo.post("/claim").url.path == "/alerts/A00002"
    assert "Nothing waiting to claim" in bo.post("/claim").text
    assert bo.post("/alerts/A00001/reveal").status_code == 409
    refused = bo.post("/alerts/A00001/outcome", data={"result": "reached"})
    assert refused.status_code == 409 and "claimed by ana, not bo" in refused.text
    assert "Reveal number" not in bo.get("/alerts/A00001").text


def test_release_and_logout(site: tuple[Engine, WebSettings]) -> None:
    ana = client(site[1], "ana")
    ana.post("/claim")
    assert ana.post("/alerts/A00001/release").url.path == "/"
    assert ana.post("/claim").url.path == "/alerts/A00001"
    assert ana.post("/logout").url.path == "/login"
    assert ana.get("/", follow_redirects=False).status_code == 303


def test_login_redirects_only_within_the_site(site: tuple[Engine, WebSettings]) -> None:
    anon = client(site[1])
    for target, expected in [("/alerts/A00002", "/alerts/A00002"), ("//evil.example/", "/"), ("http://x/", "/")]:
        response = anon.post(
            "/login", data={"operator": "ana", "password": "password-a", "next": target}, follow_redirects=False
        )
        assert response.headers["location"] == expected


def test_static_files_come_from_the_package(site: tuple[Engine, WebSettings]) -> None:
    anon = client(site[1])
    assert anon.get("/static/style.css").status_code == 200
    assert "http" not in anon.get("/login").text.split("<main>")[0]  # no CDN in the head


@pytest.mark.parametrize(
    ("minutes", "shown"), [(30, "30 min left"), (0, "0 min left"), (-5, "5 min past"), (150, "2 h 30 min left")]
)
def test_countdown_text(minutes: int, shown: str) -> None:
    assert countdown(NOW + timedelta(minutes=minutes), NOW) == shown
