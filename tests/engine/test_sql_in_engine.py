"""Only the engine modules hold SQL: a second engine has one place to differ, and a reviewer one
place to check that no user text is pasted into a query."""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import fraudkit

PACKAGE = Path(fraudkit.__file__).parent
ENGINE = PACKAGE / "engine"

SQL = re.compile(
    r"\bSELECT\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b|\bDELETE\s+FROM\b|\bUPDATE\s+\S+\s+SET\b|\bMERGE\s+INTO\b"
    r"|\bCREATE\s+(OR\s+REPLACE\s+)?(TEMP\s+|TEMPORARY\s+|UNIQUE\s+)?(TABLE|VIEW|INDEX|SEQUENCE|MACRO|TYPE|SCHEMA)\b"
    r"|\bDROP\s+(TABLE|VIEW|INDEX|SEQUENCE|MACRO|TYPE|SCHEMA)\b|\bALTER\s+TABLE\b|\bCOPY\s+\S+.*\bTO\b"
    r"|\bATTACH\b|\bDETACH\b|\bPRAGMA\b|\bINSTALL\s+\w+|\bLOAD\s+\w+;|\bBEGIN\s+TRANSACTION\b|\bCHECKPOINT\b"
    r"|\bSUMMARIZE\b|\bDESCRIBE\b"
)
"""SQL statements as this code base writes them: keywords in capitals."""


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the string nodes that are docstrings (module, class, function): prose, not queries."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
        # an attribute docstring: a bare string right after an assignment
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for before, after in itertools.pairwise(body):
                if (
                    isinstance(before, (ast.Assign, ast.AnnAssign))
                    and isinstance(after, ast.Expr)
                    and isinstance(after.value, ast.Constant)
                    and isinstance(after.value.value, str)
                ):
                    found.add(id(after.value))
    return found


def _strings(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, text) of every string literal outside docstrings; an f-string as its literal parts joined."""
    skip = _docstrings(tree)
    inside_fstring: set[int] = set()
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                inside_fstring.add(id(value))
                parts.append(value.value if isinstance(value, ast.Constant) else " x ")
            out.append((node.lineno, "".join(parts)))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip
            and id(node) not in inside_fstring
        ):
            out.append((node.lineno, node.value))
    return out


def sql_outside_engine() -> list[str]:
    """``path:line: text`` for each string literal outside fraudkit/engine that reads as SQL."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if ENGINE in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, text in _strings(tree):
            if SQL.search(text):
                snippet = " ".join(text.split())[:80]
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {snippet}")
    return found


def test_only_the_engine_modules_hold_sql() -> None:
    found = sql_outside_engine()
    assert not found, f"{len(found)} SQL strings outside fraudkit/engine:\n" + "\n".join(found)


def test_the_grep_finds_sql_where_it_is(tmp_path: Path) -> None:
    """The check itself: it sees queries in plain, concatenated and f-strings, and not in prose."""
    tree = ast.parse(
        '"""Module prose: SELECT nothing here."""\n'
        'Q = "SELECT a FROM t"\n'
        'R = ("INSERT INTO t " "VALUES (?)")\n'
        'S = f"CREATE TEMP TABLE {name} AS {body}"\n'
        'M = "select a model to promote"\n'
    )
    hits = [text for _, text in _strings(tree) if SQL.search(text)]
    assert hits == ["CREATE TEMP TABLE  x  AS  x ", "SELECT a FROM t", "INSERT INTO t VALUES (?)"]
    assert SQL.search("SELECT count(*) FROM calls")
    assert not SQL.search("Select the model to promote; the update set is small")
