"""Typology guessing: each shape on a hand-built cluster, and the one-pass version equal to the
per-cluster one on real scans."""

from __future__ import annotations

import polars as pl
import pytest
from pytest import TempPathFactory
from scan_world import CLI_WORLD_AS_OF, store_world

from fraudkit.scan.clusters import guess_typologies, guess_typology
from fraudkit.scan.scan import ScanResult, run_scan
from fraudkit.store import connect

# cluster id -> (internal edges, roles, just-under share, expected typology)
SHAPES: dict[str, tuple[list[tuple[str, str]], dict[str, str], float, str]] = {
    "C1": ([("a", "b"), ("b", "c"), ("c", "d")], {"a": "collector", "b": "layer", "c": "layer", "d": "cashout"}, 0.0,
           "chain"),
    "C2": ([("a", "b"), ("b", "c"), ("c", "a")], {"a": "collector", "b": "layer", "c": "cashout"}, 0.0, "cycle"),
    "C3": ([("a", "b"), ("a", "c"), ("a", "d")], {"a": "collector", "b": "cashout", "c": "cashout", "d": "cashout"},
           0.0, "fan_out"),
    "C4": ([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")],
           {"a": "collector", "b": "layer", "c": "layer", "d": "cashout"}, 0.0, "scatter_gather"),
    "C5": ([("b", "a"), ("c", "a"), ("d", "a")], {"a": "cashout", "b": "collector", "c": "collector", "d": "collector"},
           0.0, "fan_in"),
    "C6": ([("a", "b"), ("b", "c"), ("c", "d")], {"a": "collector", "b": "layer", "c": "layer", "d": "cashout"}, 0.6,
           "layered_split"),
    "C7": ([], {"a": "collector", "b": "layer", "c": "cashout"}, None, "unknown"),
}  # fmt: skip


def shape_frames() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    edges = pl.DataFrame(
        [(cid, f"{cid}{s}", f"{cid}{d}") for cid, (pairs, *_) in SHAPES.items() for s, d in pairs],
        schema={"cluster_id": pl.Utf8, "src": pl.Utf8, "dst": pl.Utf8},
        orient="row",
    )
    members = pl.DataFrame(
        [(cid, f"{cid}{a}", role) for cid, (_, roles, *_) in SHAPES.items() for a, role in roles.items()],
        schema={"cluster_id": pl.Utf8, "account": pl.Utf8, "role": pl.Utf8},
        orient="row",
    )
    evidence = pl.DataFrame(
        [(cid, share) for cid, (_, _, share, _) in SHAPES.items()],
        schema={"cluster_id": pl.Utf8, "just_under_share": pl.Float64},
        orient="row",
    )
    return edges, members, evidence


def one_by_one(edges: pl.DataFrame, members: pl.DataFrame, evidence: pl.DataFrame) -> dict[str, str]:
    """The per-cluster filter loop the one-pass version replaces: the oracle."""
    out = {}
    for cluster_id, share in evidence.select("cluster_id", "just_under_share").iter_rows():
        roles = dict(members.filter(pl.col("cluster_id") == cluster_id).select("account", "role").iter_rows())
        out[cluster_id] = guess_typology(edges.filter(pl.col("cluster_id") == cluster_id), roles, share or 0.0)
    return out


def test_each_shape_gets_its_typology_both_ways() -> None:
    edges, members, evidence = shape_frames()
    expected = {cid: shape[3] for cid, shape in SHAPES.items()}
    assert one_by_one(edges, members, evidence) == expected
    together = guess_typologies(edges, members, evidence)
    assert together["cluster_id"].to_list() == list(SHAPES)
    assert dict(together.iter_rows()) == expected


@pytest.fixture(scope="module", params=[("default", 5, 8000), ("alt", 11, 12000)], ids=["default-seed5", "alt-seed11"])
def scanned(request: pytest.FixtureRequest, tmp_path_factory: TempPathFactory) -> ScanResult:
    """Scans of worlds of both typology mixes, sized to give about ten clusters each."""
    preset, seed, subscribers = request.param
    db = store_world(tmp_path_factory.mktemp(preset), preset=preset, seed=seed, subscribers=subscribers).db
    con = connect(db)
    try:
        return run_scan(con, as_of=CLI_WORLD_AS_OF)
    finally:
        con.close()


def test_one_pass_equals_the_loop_on_real_scans(scanned: ScanResult) -> None:
    result = scanned
    assert result.clusters.height >= 5 and result.clusters["typology"].n_unique() >= 2
    evidence = result.clusters.sort("cluster_id")
    together = guess_typologies(result.edges, result.members, evidence)
    assert dict(together.iter_rows()) == one_by_one(result.edges, result.members, evidence)
    assert dict(together.iter_rows()) == dict(result.clusters.select("cluster_id", "typology").iter_rows())
