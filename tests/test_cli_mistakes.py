"""Every command answers a user's mistake in one line with exit 2, and Ctrl-C in one line with
exit 130, never a traceback (issue 11): a file where a folder is expected, a folder that does not
exist, a --db that is no store, a plain folder as --tracking-uri, Rich markup in a file name."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.store import open_store

runner = CliRunner()


def _env(tmp: Path) -> dict[str, str | None]:
    return {"FRAUDKIT_DB": None, "FRAUDKIT_OPS_DB": None, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp / 'mlflow.db'}"}


def _one_line(result: Result, code: int = 2) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    return " ".join(result.output.split())


# --out (or --workdir) naming a file where a folder is expected, or a folder that does not exist
BAD_OUT = {
    "synth": (["synth", "--out", "{file}"], "is a file, not a folder"),
    "scan": (["scan", "--out", "{file}"], "is a file, not a folder"),
    "features": (["features", "--out", "{file}"], "is a file, not a folder"),
    "features under a file": (["features", "--out", "{file}/sub"], "is a file, not a folder"),
    "demo": (["demo", "--workdir", "{file}"], "is a file, not a folder"),
    "trace": (["trace", "--account", "6222000000000001", "--out", "/nonexistent/dir/t.html"], "does not exist"),
    "warn": (["warn", "--out", "/nonexistent/dir/calls.csv"], "does not exist"),
}


@pytest.mark.parametrize("name", list(BAD_OUT))
def test_a_bad_out_is_one_line(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    file = tmp_path / "README.md"
    file.write_text("# a file\n", encoding="utf-8")
    args, message = BAD_OUT[name]
    result = runner.invoke(app, [a.replace("{file}", str(file)) for a in args], env=_env(tmp_path))
    assert message in _one_line(result)


# every command with a --db, given a text file and a folder
DB_COMMANDS = {
    "ingest": ["ingest", "{tmp}/none.csv", "--kind", "calls"],
    "status": ["status"],
    "rejects": ["rejects"],
    "scan": ["scan", "--out", "{tmp}/r"],
    "features": ["features", "--out", "{tmp}/f"],
    "trace": ["trace", "--account", "6222000000000001"],
    "train": ["train"],
    "warn": ["warn", "--out", "{tmp}/calls.csv"],
    "eval scan": ["eval", "scan", "--truth", "{tmp}"],
    "watch --replay": ["watch", "--replay", "--from", "2026-10-23", "--to", "2026-10-24"],
    "eval watch": ["eval", "watch", "--truth", "{tmp}"],
}


@pytest.mark.parametrize("bad", ["text", "folder"])
@pytest.mark.parametrize("name", list(DB_COMMANDS))
def test_a_bad_db_is_one_line(name: str, bad: str, tmp_path: Path) -> None:
    db = tmp_path / "calls.csv"
    if bad == "text":
        db.write_text("phone,start_time\n1,2\n", encoding="utf-8")
    else:
        db.mkdir()
    args = [a.replace("{tmp}", str(tmp_path)) for a in DB_COMMANDS[name]] + ["--db", str(db)]
    text = _one_line(runner.invoke(app, args, env=_env(tmp_path)))
    assert "--db" in text


TRACKING_COMMANDS = {
    "train": ["train"],
    "models list": ["models", "list"],
    "models promote": ["models", "promote"],
    "warn": ["warn", "--out", "{tmp}/calls.csv"],
    "watch --replay": ["watch", "--replay", "--from", "2026-10-23", "--to", "2026-10-24"],
    "eval watch": ["eval", "watch", "--truth", "{tmp}"],
}


@pytest.mark.parametrize("name", list(TRACKING_COMMANDS))
def test_a_plain_folder_as_tracking_uri_is_one_line(name: str, tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    db = tmp_path / "s.duckdb"
    with open_store(db, create=True):
        pass
    args = [a.replace("{tmp}", str(tmp_path)) for a in TRACKING_COMMANDS[name]]
    args += ["--tracking-uri", str(folder)] + (
        ["--db", str(db)] if name not in ("models list", "models promote") else []
    )
    text = _one_line(runner.invoke(app, args, env=_env(tmp_path)))
    assert "is a plain folder" in text and f"sqlite:///{folder}/mlflow.db" in text
    assert not any(folder.iterdir()), "nothing is written into the folder"


def test_markup_in_a_file_name_is_shown_not_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["ingest", "x[/].csv", "--kind", "calls", "--db", str(tmp_path / "s.duckdb")])
    assert "x[/].csv" in _one_line(result)


def test_an_os_error_inside_a_command_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fraudkit.store

    def refuse(_con: object) -> dict[str, int]:
        raise PermissionError(13, "Permission denied", str(tmp_path / "locked"))

    db = tmp_path / "s.duckdb"
    with open_store(db, create=True):
        pass
    monkeypatch.setattr(fraudkit.store, "table_counts", refuse)
    text = _one_line(runner.invoke(app, ["status", "--db", str(db)]))
    assert "Permission denied" in text and "locked" in text


def test_ctrl_c_in_ingest_exits_130_saying_nothing_was_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fraudkit.ingest

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    data = tmp_path / "calls.csv"
    data.write_text("a,b\n1,2\n", encoding="utf-8")
    monkeypatch.setattr(fraudkit.ingest, "ingest_paths", interrupted)
    result = runner.invoke(app, ["ingest", str(data), "--kind", "calls", "--db", str(tmp_path / "s.duckdb")])
    text = _one_line(result, 130)
    assert "interrupted" in text and "nothing was loaded" in text


def test_ctrl_c_in_any_command_exits_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fraudkit.store

    def interrupted(_con: object) -> dict[str, int]:
        raise KeyboardInterrupt

    db = tmp_path / "s.duckdb"
    with open_store(db, create=True):
        pass
    monkeypatch.setattr(fraudkit.store, "table_counts", interrupted)
    assert "interrupted" in _one_line(runner.invoke(app, ["status", "--db", str(db)]), 130)


def test_ctrl_c_in_the_daily_pipeline_exits_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import pipelines.daily

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipelines.daily, "run_daily", interrupted)
    assert pipelines.daily.main(["--drop", str(tmp_path), "--db", str(tmp_path / "s.duckdb")]) == 130
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "interrupted" in err
