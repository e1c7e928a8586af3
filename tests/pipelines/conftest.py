"""One small synthetic world for the daily batch's tests (library and command line)."""

from __future__ import annotations

import pytest

from fraudkit.synth import SynthConfig, World, generate_world


@pytest.fixture(scope="session")
def world() -> World:
    return generate_world(SynthConfig.preset("default", seed=5, subscribers=3_000))
