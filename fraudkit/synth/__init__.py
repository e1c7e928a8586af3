"""Synthetic telecom-fraud world with ground truth: the demo data, the test fixture and
the yardstick for detection quality.

    from fraudkit.synth import SynthConfig, generate_world, write_world
    world = generate_world(SynthConfig(seed=7, subscribers=20_000))
    write_world(world, "out/")
"""

from fraudkit.synth.config import TYPOLOGIES, SynthConfig
from fraudkit.synth.world import STAGE_NAMES, TABLE_NAMES, TRUTH_NAMES, World, generate_world
from fraudkit.synth.writer import store_world, write_world

__all__ = [
    "STAGE_NAMES",
    "TABLE_NAMES",
    "TRUTH_NAMES",
    "TYPOLOGIES",
    "SynthConfig",
    "World",
    "generate_world",
    "store_world",
    "write_world",
]
