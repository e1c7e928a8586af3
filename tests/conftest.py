"""Suite-wide: with ``pytest -n`` (as ``make test`` runs it), tests sharing an expensive world run
on one worker, so each world is generated once rather than once per worker; and
``@pytest.mark.engines`` runs a test once per engine, with its ``backend`` fixture on DuckDB and on
Spark in local mode (one session for the whole run)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from fraudkit.backend import Backend, DuckDBBackend
from fraudkit.engine.spark import SparkBackend, SparkSettings, check_spark_available, stop_spark_session
from fraudkit.errors import ConfigError

# The CLI's Rich consoles are made when fraudkit.cli is imported and fix their width then if
# COLUMNS is set (xdist workers set 80): unset, each CliRunner invocation's COLUMNS applies.
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)

ON_SPARK = (pytest.mark.spark, pytest.mark.xdist_group("spark"))
"""A Spark case: the ``spark`` marker (``-m "not spark"`` leaves it out) and one xdist group, so that
with ``pytest -n`` every Spark case runs on the same worker and the JVM starts once."""

ENGINE_PARAMS = (pytest.param("duckdb", id="duckdb"), pytest.param("spark", id="spark", marks=ON_SPARK))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``@pytest.mark.engines`` on a test taking ``engine`` (or ``backend``): one run per engine."""
    if metafunc.definition.get_closest_marker("engines") is not None and "engine" in metafunc.fixturenames:
        metafunc.parametrize("engine", ENGINE_PARAMS)


@pytest.fixture(scope="session")
def spark_backend() -> Iterator[SparkBackend]:
    """The Spark backend on a started local[2] session, stopped at the end of the run."""
    try:
        check_spark_available()
    except ConfigError as error:  # make test installs both: say what is missing rather than skip
        pytest.fail(f"the Spark cases need Spark: {error.one_line()}", pytrace=False)
    backend = SparkBackend(SparkSettings(master="local[2]", shuffle_partitions=2))  # tiny data: fewer tasks
    backend.session  # noqa: B018 - start the JVM here, not inside the first test's timing
    yield backend
    stop_spark_session()


@pytest.fixture
def backend(engine: str, request: pytest.FixtureRequest) -> Backend:
    """The backend for the ``engine`` parameter; the Spark session only when a Spark case asks for it."""
    if engine == "spark":
        return request.getfixturevalue("spark_backend")
    return DuckDBBackend()


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
