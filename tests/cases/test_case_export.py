"""`fraudkit case export` and `fraudkit case verify` as an investigator types them, over a generated
world scanned day by day: the pack holds the ring's members and every transfer touching them in its
span, shows no full number unless revealed (and then audits it), and proves itself with its manifest."""

from __future__ import annotations

import errno
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import openpyxl
import pytest
from leakscan import folder_leaks, known_identifiers, leaks_in_text
from sqlalchemy import func, select
from typer.testing import CliRunner

import fraudkit.cases.export as pack_module
from fraudkit.cases import open_case
from fraudkit.cli import app
from fraudkit.exposure import pseudonym_series, store_secret
from fraudkit.ops.db import default_ops_url, ops_engine
from fraudkit.ops.schema import case_events, ring_members, ring_snapshots
from fraudkit.rings.params import RingParams
from fraudkit.rings.track import track_scan
from fraudkit.scan.scan import run_scan
from fraudkit.store import connect

sys.path.insert(0, str(Path(__file__).parents[1] / "scan"))
from scan_world import store_world

runner = CliRunner(env={"COLUMNS": "220", "FRAUDKIT_TIMEZONE": "Asia/Shanghai"})
SCANS = [datetime(2026, 10, 22) + timedelta(days=3 * k) for k in range(4)]
"""Four scans three days apart, each over the 7 days before it: rings seen more than once."""


@dataclass(frozen=True)
class Tracked:
    db: Path
    ring_id: str
    case_id: str
    full: set[str]  # every phone, account and holder id of the world


@pytest.fixture(scope="module")
def tracked(tmp_path_factory: pytest.TempPathFactory) -> Tracked:
    """A 3,000-subscriber world, scanned four times and tracked into the store's operational store;
    the ring seen by most scans (most money on a tie) has a case opened."""
    root = tmp_path_factory.mktemp("case_world")
    stored = store_world(root)
    engine = ops_engine(default_ops_url(stored.db))
    con = connect(stored.db)
    try:
        secret = store_secret(con)
        for day in SCANS:
            track_scan(engine, run_scan(con, as_of=day, window=timedelta(days=7)), secret, RingParams())
        full = known_identifiers(con)
    finally:
        con.close()
    with engine.connect() as conn:
        row = conn.execute(
            select(ring_snapshots.c.ring_id)
            .group_by(ring_snapshots.c.ring_id)
            .order_by(func.count().desc(), func.max(ring_snapshots.c.money_in).desc())
        ).first()
    assert row is not None, "the scans found a ring"
    ring_id = row.ring_id
    case_id = open_case(engine, ring_id, "li.wei", "fan-in from several victims", now=SCANS[-1])
    return Tracked(stored.db, ring_id, case_id, full)


def export(tracked: Tracked, out: Path, *extra: str) -> str:
    result = runner.invoke(app, ["case", "export", tracked.ring_id, "--out", str(out), "--db", str(tracked.db), *extra])
    assert result.exit_code == 0, result.output
    return result.output


def sheet(path: Path, name: str) -> list[dict[str, object]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(book[name].iter_rows(values_only=True))
    finally:
        book.close()
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def independent_members_and_count(tracked: Tracked) -> tuple[set[str], int]:
    """The ring's members' full accounts (the `accounts` table pseudonymised, not the span's
    transfers) and the number of transfers touching them in the span, counted in DuckDB."""
    engine = ops_engine(default_ops_url(tracked.db))
    with engine.connect() as conn:
        pseudonyms = set(
            conn.execute(select(ring_members.c.account).where(ring_members.c.ring_id == tracked.ring_id)).scalars()
        )
        snaps = conn.execute(
            select(ring_snapshots.c.as_of, ring_snapshots.c.window_hours).where(
                ring_snapshots.c.ring_id == tracked.ring_id
            )
        ).all()
    start = min(a - timedelta(hours=h) for a, h in snaps)
    end = max(a for a, _ in snaps)
    con = duckdb.connect(str(tracked.db), read_only=True)
    try:
        accounts = con.sql("SELECT account_id FROM accounts").pl()["account_id"]
        secret = store_secret(con)
        matched = {a for a, p in zip(accounts, pseudonym_series(accounts, secret), strict=True) if p in pseudonyms}
        count = con.execute(
            "SELECT count(*) FROM transactions WHERE ts >= $start AND ts < $end "
            "AND (list_contains($m, src_account) OR list_contains($m, dst_account))",
            {"start": start, "end": end, "m": sorted(matched)},
        ).fetchone()
    finally:
        con.close()
    assert len(matched) == len(pseudonyms), "every member is an account of the store"
    return matched, int(count[0]) if count else 0


def test_the_pack_holds_the_members_and_every_transfer_touching_them(tracked: Tracked, tmp_path: Path) -> None:
    out = tmp_path / "case"
    said = export(tracked, out, "--by", "zhao")
    assert f"ring {tracked.ring_id}" in said and "(masked)" in said and f"case {tracked.case_id}" in said
    assert sorted(p.name for p in out.iterdir()) == ["case.xlsx", "manifest.json", "ring.html"]
    members, count = independent_members_and_count(tracked)
    assert count > 0
    transfers = sheet(out / "case.xlsx", "transfers")
    assert len(transfers) == count
    assert {r["kind"] for r in transfers} <= {"entry", "internal", "exit"} and "entry" in {r["kind"] for r in transfers}
    listed = sheet(out / "case.xlsx", "members")
    assert len(listed) == len(members)
    assert all(r["first seen"] <= r["last seen"] for r in listed)  # type: ignore[operator]
    victims = sheet(out / "case.xlsx", "victims")
    entries = {r["src account"] for r in transfers if r["kind"] == "entry" and r["status"] in (None, "success")}
    assert len(victims) == len(entries) > 0
    assert sheet(out / "case.xlsx", "snapshots") and sheet(out / "case.xlsx", "events")
    history = sheet(out / "case.xlsx", "case")
    assert [r["action"] for r in history] == ["opened"]


def test_nothing_is_unmasked_without_reveal(tracked: Tracked, tmp_path: Path) -> None:
    out = tmp_path / "masked"
    said = export(tracked, out)
    assert folder_leaks(out, tracked.full) == []
    assert leaks_in_text(said, tracked.full, "output") == []
    page = (out / "ring.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 2, "a drawing per snapshot and the money over time"
    assert "<script" not in page and 'src="http' not in page and 'href="http' not in page, "opens offline"
    assert json.loads((out / "manifest.json").read_text())["revealed"] is False


def test_reveal_shows_the_full_numbers_and_is_audited(tracked: Tracked, tmp_path: Path) -> None:
    out = tmp_path / "revealed"
    said = export(tracked, out, "--reveal")
    assert "unmasked; recorded in audit_log" in said
    members, _ = independent_members_and_count(tracked)
    shown = {str(r["account"]) for r in sheet(out / "case.xlsx", "members")}
    assert shown == members
    assert members <= {leak.identifier for leak in folder_leaks(out, tracked.full)}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["revealed"] is True and manifest["audit_id"]
    con = duckdb.connect(str(tracked.db), read_only=True)
    try:
        audit = con.execute(
            "SELECT command, completed, details FROM audit_log WHERE audit_id = $id", {"id": manifest["audit_id"]}
        ).fetchall()
    finally:
        con.close()
    assert len(audit) == 1 and audit[0][0] == "case export" and audit[0][1] is True
    assert tracked.ring_id in audit[0][2]


def test_the_export_is_in_the_case_history(tracked: Tracked, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["case", "export", tracked.case_id, "--out", str(tmp_path / "h"), "--db", str(tracked.db), "--by", "chen.jing"],
    )
    assert result.exit_code == 0 and f"ring {tracked.ring_id}" in result.output, "a case names its ring"
    engine = ops_engine(default_ops_url(tracked.db))
    with engine.connect() as conn:
        rows = conn.execute(
            select(case_events.c.by, case_events.c.action, case_events.c.note).where(
                case_events.c.case_id == tracked.case_id, case_events.c.by == "chen.jing"
            )
        ).all()
    assert [(by, action) for by, action, _ in rows] == [("chen.jing", "export")]
    assert "masked" in rows[0][2]


def test_the_manifest_verifies_and_a_changed_or_deleted_file_fails(tracked: Tracked, tmp_path: Path) -> None:
    out = tmp_path / "pack"
    export(tracked, out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["ring_id"] == tracked.ring_id and manifest["fraudkit_version"] and manifest["store"]
    assert {f["name"] for f in manifest["files"]} == {"case.xlsx", "ring.html"}
    ok = runner.invoke(app, ["case", "verify", str(out)])
    assert ok.exit_code == 0, ok.output
    assert "ok       case.xlsx" in ok.output and "ok       ring.html" in ok.output and "verifies" in ok.output

    with (out / "case.xlsx").open("ab") as f:
        f.write(b"\0")
    (out / "ring.html").unlink()
    (out / "notes.txt").write_text("added later")
    failed = runner.invoke(app, ["case", "verify", str(out)])
    assert failed.exit_code == 2
    assert "changed  case.xlsx" in failed.output and "missing  ring.html" in failed.output
    assert "extra    notes.txt" in failed.output
    last = failed.output.strip().splitlines()[-1]
    assert "does not verify: case.xlsx changed, ring.html missing, notes.txt extra" in last
    assert "Traceback" not in failed.output

    again = runner.invoke(app, ["case", "verify", str(tmp_path)])
    assert again.exit_code == 2 and "no manifest.json" in again.output
    (out / "manifest.json").write_text("{not json")
    spoilt = runner.invoke(app, ["case", "verify", str(out)])
    assert spoilt.exit_code == 2 and "is not a case pack's manifest" in spoilt.output
    assert len(spoilt.output.strip().splitlines()) == 1


def test_a_new_export_replaces_a_pack_but_never_other_files(tracked: Tracked, tmp_path: Path) -> None:
    out = tmp_path / "again"
    export(tracked, out)
    (out / "case.xlsx").write_bytes(b"spoilt")
    export(tracked, out)
    assert runner.invoke(app, ["case", "verify", str(out)]).exit_code == 0
    other = tmp_path / "papers"
    other.mkdir()
    (other / "letter.docx").write_text("keep me")
    refused = runner.invoke(app, ["case", "export", tracked.ring_id, "--out", str(other), "--db", str(tracked.db)])
    assert refused.exit_code == 2 and "not a case pack to replace" in refused.output
    assert (other / "letter.docx").read_text() == "keep me" and len(list(other.iterdir())) == 1
    missing = runner.invoke(app, ["case", "export", "R999999", "--out", str(tmp_path / "x"), "--db", str(tracked.db)])
    assert missing.exit_code == 2 and "no ring 'R999999'" in missing.output
    assert not (tmp_path / "x").exists()


def test_a_failed_export_leaves_the_previous_pack_whole(
    tracked: Tracked, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "kept"
    export(tracked, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = pack_module.write_file

    def disk_full_at_the_page(final: Path, write: Callable[[Path], object]) -> Path:
        if final.name == "ring.html":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(final, write)

    monkeypatch.setattr(pack_module, "write_file", disk_full_at_the_page)
    failed = runner.invoke(app, ["case", "export", tracked.ring_id, "--out", str(out), "--db", str(tracked.db)])
    assert failed.exit_code == 2 and "No space left on device writing" in failed.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before, "the previous pack as it was"
    assert [p.name for p in tmp_path.iterdir()] == ["kept"], "no half-written folder left beside it"
