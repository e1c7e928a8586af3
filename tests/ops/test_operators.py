"""Operator accounts: argon2 hashes, verification, disabling; the CLI commands; serve's refusal."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.errors import ConfigError
from fraudkit.ops import operators
from fraudkit.ops.db import ops_engine, ops_url
from fraudkit.ops.schema import operators as operators_table
from fraudkit.store import connect
from fraudkit.web.serve import check_listen, is_loopback

runner = CliRunner(env={"COLUMNS": "200"})


def test_password_is_stored_as_an_argon2_hash_and_verified(engine: Engine) -> None:
    operators.create_operator(engine, "li.wei", "correct horse", display_name="Li Wei")
    with engine.connect() as conn:
        stored = conn.execute(select(operators_table.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert operators.verify(engine, "li.wei", "correct horse")
    assert not operators.verify(engine, "li.wei", "wrong horse")
    assert not operators.verify(engine, "nobody", "correct horse")
    assert [(o.operator_id, o.display_name, o.active) for o in operators.list_operators(engine)] == [
        ("li.wei", "Li Wei", True)
    ]


def test_disabled_operator_cannot_log_in(engine: Engine) -> None:
    operators.create_operator(engine, "ana", "password-a")
    assert operators.active_count(engine) == 1
    operators.set_active(engine, "ana", False)
    assert not operators.verify(engine, "ana", "password-a")
    assert not operators.is_active(engine, "ana")
    assert operators.active_count(engine) == 0
    with pytest.raises(ConfigError, match="no operator 'bo'"):
        operators.set_active(engine, "bo", False)


@pytest.mark.parametrize(("name", "password"), [("", "password-a"), ("a b", "password-a"), ("../x", "password-a")])
def test_bad_names_are_refused(engine: Engine, name: str, password: str) -> None:
    with pytest.raises(ConfigError, match="operator name"):
        operators.create_operator(engine, name, password)


def test_short_password_and_duplicate_name_are_refused(engine: Engine) -> None:
    with pytest.raises(ConfigError, match="8 to 1024 characters"):
        operators.create_operator(engine, "ana", "short")
    operators.create_operator(engine, "ana", "password-a")
    with pytest.raises(ConfigError, match="exists already"):
        operators.create_operator(engine, "ana", "password-b")


def _store(tmp_path: Path) -> str:
    """An empty store, as ingest leaves it: operators are added beside a store that exists."""
    connect(tmp_path / "f.duckdb").close()
    return str(tmp_path / "f.duckdb")


def test_cli_add_list_disable(tmp_path: Path) -> None:
    db = _store(tmp_path)
    added = runner.invoke(app, ["operators", "add", "ana", "--db", db], input="password-a\npassword-a\n")
    assert added.exit_code == 0, added.output
    assert "password-a" not in added.output
    listed = runner.invoke(app, ["operators", "list", "--db", db])
    assert "ana" in listed.output and "yes" in listed.output
    assert runner.invoke(app, ["operators", "disable", "ana", "--db", db]).exit_code == 0
    assert "no" in runner.invoke(app, ["operators", "list", "--db", db]).output
    engine = ops_engine(ops_url(tmp_path / "f.duckdb"))
    assert not operators.verify(engine, "ana", "password-a")
    again = runner.invoke(app, ["operators", "add", "ana", "--db", db], input="password-a\npassword-a\n")
    assert again.exit_code == 2 and "exists already" in again.output and "Traceback" not in again.output


def test_roles_default_to_warning_operator_and_are_checked(engine: Engine) -> None:
    operators.create_operator(engine, "ana", "password-a")
    operators.create_operator(engine, "zhao", "password-z", role="investigator")
    assert {o.operator_id: o.role for o in operators.list_operators(engine)} == {
        "ana": "warning_operator",
        "zhao": "investigator",
    }
    assert operators.active_role(engine, "zhao") == "investigator"
    operators.set_active(engine, "zhao", False)
    assert operators.active_role(engine, "zhao") is None and operators.active_role(engine, "nobody") is None
    with pytest.raises(ConfigError, match="unknown operator role 'admin'"):
        operators.create_operator(engine, "bo", "password-b", role="admin")


def test_cli_add_with_a_role(tmp_path: Path) -> None:
    db = _store(tmp_path)
    args = ["operators", "add", "zhao", "--role", "investigator", "--db", db]
    added = runner.invoke(app, args, input="password-z\npassword-z\n")
    assert added.exit_code == 0 and "added (investigator)" in added.output
    assert "investigator" in runner.invoke(app, ["operators", "list", "--db", db]).output
    wrong = runner.invoke(app, ["operators", "add", "bo", "--role", "boss", "--db", db])
    assert wrong.exit_code == 2 and "supervisor" in wrong.output


def test_cli_add_refuses_a_short_password_in_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["operators", "add", "ana", "--db", _store(tmp_path)], input="short\nshort\n")
    assert result.exit_code == 2 and "8 to 1024 characters" in result.output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("10.1.2.3", False),
        ("queue.example", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_serve_refuses_a_public_host_without_operators(tmp_path: Path) -> None:
    check_listen("127.0.0.1", 0)  # local with no accounts: allowed (pages still need a login)
    check_listen("0.0.0.0", 1)
    db = _store(tmp_path)
    ops_engine(ops_url(tmp_path / "f.duckdb")).dispose()  # an ops store with no operators in it
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--db", db])
    assert result.exit_code == 2
    assert "refusing to listen on 0.0.0.0: no operator accounts exist" in result.output
    assert len(result.output.strip().splitlines()) == 1
