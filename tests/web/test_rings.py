"""The investigators' ring pages through HTTP: roles, the ring list and one ring (masked), case actions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from ops_backends import alert_row, seed_alerts
from ring_rows import seed_rings
from sqlalchemy.engine import Engine
from test_app import client

from fraudkit.cases import get_case, list_cases
from fraudkit.ops.operators import create_operator
from fraudkit.web.app import create_app
from fraudkit.web.settings import WebSettings

NOW = datetime(2026, 11, 4, 10, 0, 0)
RING_PAGES = [("get", "/rings"), ("get", "/rings/R000001"), ("post", "/rings/R000001/case")]
QUEUE_PAGES = [("get", "/"), ("post", "/claim"), ("get", "/alerts/A00001")]


@pytest.fixture
def site(engine: Engine, ops_url: str) -> Iterator[tuple[Engine, WebSettings]]:
    create_operator(engine, "ana", "password-a")  # a warning operator
    create_operator(engine, "zhao", "password-z", role="investigator")
    create_operator(engine, "sun", "password-s", role="supervisor")
    seed_alerts(engine, [alert_row(1, NOW)])
    seed_rings(engine)
    yield engine, WebSettings(ops_url=ops_url, clock=lambda: NOW)


def full_accounts(html: str) -> list[str]:
    return re.findall(r"6222\d{12}", html)


@pytest.mark.parametrize(("method", "path"), RING_PAGES)
def test_ring_pages_need_a_login(site: tuple[Engine, WebSettings], method: str, path: str) -> None:
    anon = TestClient(create_app(site[1]))
    response = getattr(anon, method)(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


@pytest.mark.parametrize(("method", "path"), RING_PAGES)
def test_a_warning_operator_is_refused_the_rings_and_sees_no_link(
    site: tuple[Engine, WebSettings], method: str, path: str
) -> None:
    ana = client(site[1], "ana")
    assert 'href="/rings"' not in ana.get("/").text
    refused = getattr(ana, method)(path)
    assert refused.status_code == 403 and "Not for your role" in refused.text
    assert list_cases(site[0]) == []


@pytest.mark.parametrize(("method", "path"), QUEUE_PAGES)
def test_an_investigator_is_refused_the_alert_queue(site: tuple[Engine, WebSettings], method: str, path: str) -> None:
    zhao = client(site[1], "zhao")
    refused = getattr(zhao, method)(path)
    assert refused.status_code == 403 and "zhao works rings, not alerts" in refused.text
    assert 'id="nav-queue"' not in refused.text and "138****0001" not in refused.text


def test_an_investigator_starts_on_the_ring_list(site: tuple[Engine, WebSettings]) -> None:
    landed = TestClient(create_app(site[1])).post("/login", data={"operator": "zhao", "password": "password-z"})
    assert landed.url.path == "/rings" and landed.headers["cache-control"] == "no-store"
    text = landed.text
    assert text.index('data-ring="R000001"') < text.index('data-ring="R000002"')  # latest seen first
    row = text[text.index('data-ring="R000001"') :].split("</tr>")[0]
    assert "3 / 4" in row and "30,000" in row and "26,400" in row and "1 left" in row
    assert full_accounts(text) == []


def test_a_supervisor_works_both(site: tuple[Engine, WebSettings]) -> None:
    sun = client(site[1], "sun")
    queue = sun.get("/")
    assert queue.status_code == 200 and 'id="nav-rings"' in queue.text and 'id="nav-queue"' in queue.text
    assert sun.get("/rings/R000002").status_code == 200


def test_ring_page_shows_timeline_members_and_drawing_masked(site: tuple[Engine, WebSettings]) -> None:
    page = client(site[1], "zhao").get("/rings/R000001")
    assert page.status_code == 200
    text = page.text
    timeline = text[text.index('id="timeline"') :]
    assert timeline.index("2026-11-03 06:00") < timeline.index("2026-11-01 06:00")  # newest scan first
    assert "left 6222********0003" in timeline and "joined 6222********0004" in timeline
    members = text[text.index('id="members"') : text.index('id="timeline"')]
    assert "6222********0004" in members and "cashout" in members and "6222********0003" not in members
    drawing = text[text.index('id="drawing"') : text.index('id="members"')]
    assert "<svg" in drawing and "6222********0099" in drawing  # the victim paying in
    assert full_accounts(text) == [] and re.findall(r"p:[0-9a-f]{16}", text) == []  # no pseudonym either


def test_open_mark_and_note_a_case_as_the_logged_in_operator(site: tuple[Engine, WebSettings]) -> None:
    engine, settings = site
    zhao = client(settings, "zhao")
    opened = zhao.post("/rings/R000001/case", data={"note": "fan-in from three victims"})
    assert opened.url.path == "/rings/R000001" and "Case opened C000001" in opened.text
    assert 'id="open-case"' not in opened.text and 'id="mark-case"' in opened.text
    zhao.post("/rings/R000001/case/note", data={"note": "bank confirms the rented card"})
    marked = zhao.post("/rings/R000001/case/mark", data={"status": "confirmed", "note": "reports match"})
    assert "C000001 · confirmed" in marked.text
    case = get_case(engine, "C000001")
    assert [(e.by, e.action, e.status, e.at) for e in case.events] == [
        ("zhao", "opened", "open", NOW),
        ("zhao", "note", "open", NOW),
        ("zhao", "status", "confirmed", NOW),
    ]
    assert "C000001 confirmed" in zhao.get("/rings").text


def test_refused_case_actions_say_why(site: tuple[Engine, WebSettings]) -> None:
    zhao = client(site[1], "zhao")
    zhao.post("/rings/R000002/case")
    again = zhao.post("/rings/R000002/case")
    assert again.status_code == 409 and "has a case already: C000001" in again.text
    long = zhao.post("/rings/R000002/case/note", data={"note": "x" * 2001})
    assert long.status_code == 409 and "note longer than 2000" in long.text
    assert zhao.post("/rings/R000002/case/mark", data={"status": "guilty"}).status_code == 409
    assert zhao.get("/rings/R000404").status_code == 404
