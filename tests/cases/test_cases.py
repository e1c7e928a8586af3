"""Cases over tracked rings: open one per ring, verdicts and notes with their history, labels."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from ring_rows import add_ring, fake_pseudonym, seed_rings
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from fraudkit.cases import CaseError, add_note, case_labels, get_case, list_cases, mark_case, open_case
from fraudkit.errors import ConfigError
from fraudkit.ops.schema import case_events

NOW = datetime(2026, 11, 4, 9, 30)


@pytest.fixture
def members(engine: Engine) -> dict[str, list[str]]:
    return seed_rings(engine)


def test_cases_are_numbered_in_order_of_opening_and_start_open(engine: Engine, members: dict[str, list[str]]) -> None:
    assert open_case(engine, "R000002", "li.wei", "fan-in from many victims", now=NOW) == "C000001"
    assert open_case(engine, "R000001", "zhao", now=NOW + timedelta(minutes=1)) == "C000002"
    case = get_case(engine, "R000002")
    assert (case.case_id, case.status, case.opened_by, case.opened_at) == ("C000001", "open", "li.wei", NOW)
    assert [(e.action, e.status, e.by, e.note) for e in case.events] == [
        ("opened", "open", "li.wei", "fan-in from many victims")
    ]


def test_an_unknown_ring_or_a_second_case_is_refused_in_one_line(engine: Engine, members: dict[str, list[str]]) -> None:
    with pytest.raises(CaseError, match="no ring 'R000009'") as unknown:
        open_case(engine, "R000009", "li.wei")
    assert "fraudkit rings" in unknown.value.one_line()
    open_case(engine, "R000001", "li.wei")
    with pytest.raises(CaseError, match="ring R000001 has a case already: C000001 \\(open\\)") as again:
        open_case(engine, "R000001", "zhao")
    assert "\n" not in again.value.one_line()
    assert [c.case_id for c in list_cases(engine)] == ["C000001"]


def test_verdicts_and_notes_are_kept_with_who_and_when(engine: Engine, members: dict[str, list[str]]) -> None:
    open_case(engine, "R000001", "li.wei", now=NOW)
    add_note(engine, "C000001", "  bank confirms the cash-out card is rented  ", "zhao", now=NOW + timedelta(hours=1))
    marked = mark_case(engine, "R000001", "confirmed", "li.wei", "three victims' reports", now=NOW + timedelta(hours=2))
    assert (marked.status, marked.updated_by, marked.updated_at) == ("confirmed", "li.wei", NOW + timedelta(hours=2))
    assert [(e.action, e.status, e.by, e.note) for e in marked.events] == [
        ("opened", "open", "li.wei", None),
        ("note", "open", "zhao", "bank confirms the cash-out card is rented"),
        ("status", "confirmed", "li.wei", "three victims' reports"),
    ]
    assert [c.case_id for c in list_cases(engine, status="confirmed")] == ["C000001"]
    assert list_cases(engine, status="open") == []


def test_refused_changes_write_no_history(engine: Engine, members: dict[str, list[str]]) -> None:
    open_case(engine, "R000001", "li.wei")
    with pytest.raises(CaseError, match="case C000001 is open already"):
        mark_case(engine, "C000001", "open", "li.wei")
    with pytest.raises(ConfigError, match="unknown case status 'guilty'"):
        mark_case(engine, "C000001", "guilty", "li.wei")
    with pytest.raises(ConfigError, match="note longer than 2000"):
        add_note(engine, "C000001", "x" * 2001, "li.wei")
    with pytest.raises(ConfigError, match="the note is empty"):
        add_note(engine, "C000001", "   ", "li.wei")
    with pytest.raises(CaseError, match="no case 'C000007'"):
        add_note(engine, "C000007", "found it", "li.wei")
    with pytest.raises(ConfigError, match="who acts"):
        mark_case(engine, "C000001", "closed", "a\nb")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(case_events)).scalar_one() == 1


def test_case_labels_cover_every_member_ever_of_rings_with_a_verdict(
    engine: Engine, members: dict[str, list[str]]
) -> None:
    open_case(engine, "R000001", "li.wei")
    open_case(engine, "R000002", "li.wei")
    assert case_labels(engine).is_empty()  # open cases say nothing yet
    mark_case(engine, "R000001", "confirmed", "li.wei")
    mark_case(engine, "R000002", "false_positive", "li.wei")
    labels = case_labels(engine)
    assert labels.columns == ["account", "ring_id", "label"]
    confirmed = labels.filter(labels["label"] == 1)
    assert sorted(confirmed["account"]) == sorted(members["R000001"])  # the one who left is a member ever
    assert set(confirmed["ring_id"]) == {"R000001"}
    assert sorted(labels.filter(labels["label"] == 0)["account"]) == sorted(members["R000002"])
    mark_case(engine, "R000002", "closed", "li.wei")
    assert set(case_labels(engine)["ring_id"]) == {"R000001"}


def test_cases_opened_at_once_get_distinct_ids(engine: Engine) -> None:
    """Operators opening cases together (the web server's threads, or two servers) never share an id."""
    ring_ids = [f"R{i:06d}" for i in range(1, 9)]
    for ring_id in ring_ids:
        add_ring(engine, ring_id, [f"62220000000{i:05d}" for i in range(2)], fake_pseudonym)
    with ThreadPoolExecutor(max_workers=8) as pool:
        opened = list(pool.map(lambda ring_id: open_case(engine, ring_id, "li.wei"), ring_ids))
    assert sorted(opened) == [f"C{i:06d}" for i in range(1, 9)]
    assert {get_case(engine, case_id).ring_id for case_id in opened} == set(ring_ids)
