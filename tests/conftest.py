"""Suite-wide: with ``pytest -n`` (as ``make test`` runs it), tests sharing an expensive world run
on one worker, so each world is generated once rather than once per worker."""

from __future__ import annotations

import os

import pytest

# The CLI's Rich consoles are made when fraudkit.cli is imported and fix their width then if
# COLUMNS is set (xdist workers set 80): unset, each CliRunner invocation's COLUMNS applies.
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)

SHARED_SCOPES = ("session", "package", "module")
"""Fixtures of these scopes are built once per worker that runs a test needing them."""


def _root(parent: dict[str, str], key: str) -> str:
    while parent.setdefault(key, key) != key:
        parent[key] = parent[parent[key]]
        key = parent[key]
    return key


def _shared_fixtures(item: pytest.Item) -> list[str]:
    """The fixtures ``item`` needs that outlive it, named by where they are defined."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return []
    names = []
    for name in item.fixturenames:  # type: ignore[attr-defined]
        defs = info.name2fixturedefs.get(name)
        # plugins' fixtures (tmp_path_factory, ...) have no baseid: cheap, and shared by all
        if defs and defs[-1].scope in SHARED_SCOPES and defs[-1].baseid:
            names.append(f"{defs[-1].baseid}::{name}")
    return names


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test with an ``xdist_group``: the tests that share a world (directly or through a
    test that needs two) form one group; a test needing none stays free to go to any worker."""
    parent: dict[str, str] = {}
    needs = {item.nodeid: _shared_fixtures(item) for item in items}
    for shared in needs.values():
        for other in shared[1:]:
            parent[_root(parent, shared[0])] = _root(parent, other)
    for item in items:
        if needs[item.nodeid] and not item.get_closest_marker("xdist_group"):
            group = _root(parent, needs[item.nodeid][0]).replace("/", ".").replace(":", "_")
            item.add_marker(pytest.mark.xdist_group(name=group))
