"""One Spark session (local[2]) for every Spark case of the run: starting a JVM costs 10-60 s.

Spark cases carry ``engine_cases.ON_SPARK`` (the ``spark`` marker and one xdist group), so with
``pytest -n`` they all run on one worker and the session starts once; ``-m "not spark"`` leaves them out.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fraudkit.backend import Backend, DuckDBBackend
from fraudkit.engine.spark import SparkBackend, SparkSettings, check_spark_available, stop_spark_session
from fraudkit.errors import ConfigError


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
