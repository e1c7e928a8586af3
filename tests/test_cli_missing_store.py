"""A command that reads a store never makes one: a wrong or missing --db is one line, exit 2,
and leaves no file behind (issue 11: `fraudkit scan` from the wrong folder printed "0 of 0
clusters flagged" over a fresh empty store and exited 0)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.errors import NotReadyError
from fraudkit.store import open_store, table_exists

runner = CliRunner()

# Every command that reads the DuckDB store or the operational store beside it, as a user types it.
READERS: dict[str, list[str]] = {
    "status": ["status"],
    "rejects": ["rejects"],
    "scan": ["scan", "--out", "{tmp}/reports"],
    "features": ["features", "--out", "{tmp}/features"],
    "trace": ["trace", "--account", "6222000000000001"],
    "train": ["train", "--target", "victim"],
    "warn": ["warn", "--out", "{tmp}/callbacks.csv"],
    "eval scan": ["eval", "scan", "--truth", "{tmp}"],
    "watch --replay": ["watch", "--replay", "--from", "2026-10-23", "--to", "2026-10-24"],
    "alerts": ["alerts"],
    "operators list": ["operators", "list"],
    "operators disable": ["operators", "disable", "ana"],
    "eval watch": ["eval", "watch", "--truth", "{tmp}"],
    "eval watch --no-midnight": ["eval", "watch", "--truth", "{tmp}", "--no-midnight"],
    "serve": ["serve", "--port", "1"],
    "operators add": ["operators", "add", "ana"],
}


def _files(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*")}


def _env(tmp: Path) -> dict[str, str | None]:
    return {
        "FRAUDKIT_DB": None,
        "FRAUDKIT_OPS_DB": None,
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp / 'mlflow.db'}",
    }


def _assert_refused(result: Result, db: Path) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    text = " ".join(result.output.split())  # Rich may wrap a long path
    assert str(db) in text.replace(" ", "") or db.name in text
    assert "--db demo/fraudkit.duckdb" in text and "FRAUDKIT_DB" in text


@pytest.mark.parametrize("name", list(READERS))
def test_a_typod_db_is_refused_and_nothing_is_made(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    db = work / "typo.duckdb"
    args = [a.replace("{tmp}", str(work)) for a in READERS[name]] + ["--db", str(db)]
    before = _files(work)
    result = runner.invoke(app, args, env=_env(tmp_path))
    _assert_refused(result, db)
    assert _files(work) == before, f"{name} left files behind"


@pytest.mark.parametrize("name", ["status", "scan", "features", "alerts"])
def test_no_db_given_in_a_folder_without_a_store(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's case: the repository root after `make demo`, where the store is demo/fraudkit.duckdb."""
    monkeypatch.chdir(tmp_path)
    args = [a.replace("{tmp}", str(tmp_path)) for a in READERS[name]]
    result = runner.invoke(app, args, env=_env(tmp_path))
    _assert_refused(result, Path("fraudkit.duckdb"))
    assert not (tmp_path / "fraudkit.duckdb").exists()
    assert not list(tmp_path.glob("fraudkit.*"))


def test_fraudkit_db_naming_a_missing_store_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "elsewhere.duckdb"
    result = runner.invoke(app, ["scan", "--out", str(tmp_path / "r")], env={**_env(tmp_path), "FRAUDKIT_DB": str(db)})
    _assert_refused(result, db)
    assert not db.exists() and not (tmp_path / "r").exists()


def test_open_store_creates_only_when_asked(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    with pytest.raises(NotReadyError, match="no database at"), open_store(db):
        pass
    assert not db.exists()
    with open_store(db, create=True) as con:
        assert table_exists(con, "calls")
    with open_store(db) as con:  # an existing store opens for writing without create
        assert table_exists(con, "calls")


def test_ingest_still_makes_a_store(tmp_path: Path) -> None:
    data = tmp_path / "subs.csv"
    data.write_text("msisdn,name\n13800000001,x\n", encoding="utf-8")
    db = tmp_path / "fresh" / "s.duckdb"
    result = runner.invoke(app, ["ingest", str(data), "--kind", "subscribers", "--db", str(db)], env=_env(tmp_path))
    assert db.exists(), result.output


def test_operators_add_starts_the_ops_store_beside_an_existing_store(tmp_path: Path) -> None:
    """A fresh deployment: the store exists (ingest made it), the queue's store does not yet."""
    db = tmp_path / "s.duckdb"
    with open_store(db, create=True):
        pass
    env = _env(tmp_path)
    added = runner.invoke(app, ["operators", "add", "ana", "--db", str(db)], input="password-a\npassword-a\n", env=env)
    assert added.exit_code == 0, added.output
    assert (tmp_path / "s.ops.sqlite").exists()


def test_serve_beside_a_store_without_a_queue_says_what_makes_one(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with open_store(db, create=True):
        pass
    result = runner.invoke(app, ["serve", "--db", str(db)], env=_env(tmp_path))
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
    text = " ".join(result.output.split())
    assert "no operational store at" in text and "`fraudkit operators add` makes one" in text
    assert not (tmp_path / "s.ops.sqlite").exists()


def test_operators_add_asks_no_password_before_refusing_a_missing_store(tmp_path: Path) -> None:
    result = runner.invoke(app, ["operators", "add", "ana", "--db", str(tmp_path / "typo.duckdb")], env=_env(tmp_path))
    assert "password" not in result.output.lower() and "no database at" in result.output
