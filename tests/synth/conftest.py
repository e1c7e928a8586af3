"""Shared small worlds: generated once per test session, a second or so each.

Fraud is boosted in ``fraud_world`` so a 4,000-person world still holds a dozen
operations and dozens of rings; everything else follows the default preset.
"""

from __future__ import annotations

import pytest

from fraudkit.synth import SynthConfig, World, generate_world

SMALL = 4_000


@pytest.fixture(scope="session")
def fraud_config() -> SynthConfig:
    return SynthConfig(seed=11, subscribers=SMALL, fraud_operations_per_100k=300.0)


@pytest.fixture(scope="session")
def fraud_world(fraud_config: SynthConfig) -> World:
    return generate_world(fraud_config)


@pytest.fixture(scope="session")
def alt_world() -> World:
    return generate_world(SynthConfig.preset("alt", seed=11, subscribers=SMALL, fraud_operations_per_100k=300.0))
