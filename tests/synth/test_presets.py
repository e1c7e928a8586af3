"""The alternative preset makes a different world, for generalisation tests."""

from __future__ import annotations

import polars as pl

from fraudkit.synth import World


def _typology_share(world: World) -> dict[str, float]:
    rings = world.truth["rings"]
    counts = rings.group_by("typology").len()
    return {row["typology"]: row["len"] / rings.height for row in counts.iter_rows(named=True)}


def test_alt_preset_shifts_the_typology_mix(fraud_world: World, alt_world: World) -> None:
    default, alt = _typology_share(fraud_world), _typology_share(alt_world)
    hard = ("scatter_gather", "layered_split", "cycle")
    assert sum(alt.get(t, 0.0) for t in hard) > sum(default.get(t, 0.0) for t in hard) + 0.15
    assert alt.get("fan_in", 0.0) < default.get("fan_in", 0.0)


def test_alt_preset_changes_ring_and_report_parameters(fraud_world: World, alt_world: World) -> None:
    assert alt_world.truth["rings"]["n_members"].median() > fraud_world.truth["rings"]["n_members"].median()
    assert alt_world.truth["rings"]["fee"].min() >= 0.01
    assert alt_world.truth["victims"]["reported"].mean() < fraud_world.truth["victims"]["reported"].mean()
    # the alt world is still a complete world with its own ground truth
    assert alt_world.truth["victims"].height > 20
    split = alt_world.truth["fraud_transactions"].join(alt_world.tables["transactions"], on="txn_id")
    assert split.filter(pl.col("stage") == "layering", pl.col("amount").is_between(19_000, 19_999.99)).height > 0
