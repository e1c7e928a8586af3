"""A scan that reads the data it is given: thresholds resolved from the window, evidence the data does not
carry left out of the score (and said so) instead of counted as 0."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from fraudkit.backend import DuckDBBackend
from fraudkit.scan.evaluate import evaluate_scan
from fraudkit.scan.evidence import score_clusters
from fraudkit.scan.flows import DataProfile, FlowParams, resolve_flow_params
from fraudkit.scan.outputs import html_report
from fraudkit.scan.scan import ScanParams, run_scan
from fraudkit.store import connect
from fraudkit.synth import SynthConfig, generate_world

AS_OF = datetime(2026, 10, 31)
WINDOW = timedelta(days=7)


@pytest.fixture(scope="module")
def world():
    return generate_world(SynthConfig.preset("default", seed=3, subscribers=6000))


def _store(world, path: Path, *changes: str) -> duckdb.DuckDBPyConnection:
    """The world in a store at ``path``, then changed the way another data source would differ."""
    con = connect(path)
    for name, frame in world.tables.items():
        DuckDBBackend(con=con).write(name, frame)
    for change in changes:  # test set-up on a throwaway store, not library SQL
        con.execute(change)
    return con


def _profile(**overrides: object) -> DataProfile:
    values: dict[str, object] = {
        "resolution": "second",
        "transfers": 10_000,
        "channels": 5,
        "cash_out_transfers": 500,
        "median_dwell_hours": 30.0,
        "inflow_quantile": 400.0,
        "accounts_with_opening": 100,
        "reports": 10,
    } | overrides
    return DataProfile(**values)  # type: ignore[arg-type]


def test_auto_thresholds_follow_the_clock_the_dwell_and_the_amounts() -> None:
    fine = resolve_flow_params(FlowParams(), _profile())
    assert (fine.pass_through_hours, fine.edge_dwell_hours, fine.min_inflow) == (24.0, 6.0, 400.0)
    brisk = resolve_flow_params(FlowParams(), _profile(median_dwell_hours=10.0))
    assert brisk.pass_through_hours == 10.0, "faster than the typical account, when that is under a day"
    daily = resolve_flow_params(FlowParams(), _profile(resolution="day", median_dwell_hours=0.0))
    assert (daily.pass_through_hours, daily.edge_dwell_hours) == (24.0, 24.0), "same or next day is the fastest"
    given = resolve_flow_params(FlowParams(pass_through_hours=12.0, min_inflow=50.0), _profile(resolution="day"))
    assert (given.pass_through_hours, given.min_inflow) == (12.0, 50.0), "a number set is used as it is"


def test_the_scan_resolves_auto_once_and_keeps_its_quality(world, tmp_path: Path) -> None:
    con = _store(world, tmp_path / "s.duckdb")
    result = run_scan(con, as_of=AS_OF, window=WINDOW)
    flow = result.params.flow if result.params else None
    assert flow is not None and None not in (flow.pass_through_hours, flow.edge_dwell_hours, flow.min_inflow)
    assert result.profile is not None and result.profile.resolution in {"second", "minute"}
    assert result.absent == {}, "the generator's world carries every kind of evidence"
    quality = evaluate_scan(con, result, world.truth)
    assert quality.mule_precision >= 0.9 and quality.mule_recall >= 0.8


def test_daily_times_make_a_day_the_fastest_hop_and_speed_absent(world, tmp_path: Path) -> None:
    con = _store(world, tmp_path / "d.duckdb", "UPDATE transactions SET ts = date_trunc('day', ts)")
    assert run_scan(con, as_of=AS_OF, window=WINDOW).detectors == ("fast", "dense"), "auto: shape, not speed"
    result = run_scan(con, as_of=AS_OF, window=WINDOW, detectors=("fast",))
    assert result.params is not None and result.params.flow.edge_dwell_hours == 24.0
    assert "speed" in result.absent
    assert result.clusters["score_speed"].is_null().all()
    quality = evaluate_scan(con, result, world.truth)
    assert quality.mule_recall >= 0.7 and quality.mule_precision >= 0.9


def test_without_channels_reports_or_opening_dates_rings_still_reach_the_flag(world, tmp_path: Path) -> None:
    bare = (
        "UPDATE transactions SET channel = 'transfer'",
        "DELETE FROM reports",
        "UPDATE accounts SET opened_at = NULL",
    )
    con = _store(world, tmp_path / "b.duckdb", *bare)
    result = run_scan(con, as_of=AS_OF, window=WINDOW)
    assert set(result.absent) == {"cash_out", "reports", "account_age"}
    assert result.clusters["evidence_absent"].unique().to_list() == ["account_age,cash_out,reports"]
    assert result.clusters["score_exit"].is_null().all() and result.clusters["score_reports"].is_null().all()
    quality = evaluate_scan(con, result, world.truth)
    assert quality.mule_recall >= 0.8 and quality.mule_precision >= 0.9
    assert not quality.lookalike_false_positives
    report = html_report(result)
    assert "not in the data" in report and "cash-out" in report


def _ring(**overrides: object) -> pl.DataFrame:
    row: dict[str, object] = {
        "cluster_id": "c",
        "victims": 6,
        "reports": 0,
        "money_in": 10_000.0,
        "cash_out": 0.0,
        "other_out": 9_700.0,
        "onward_out": 0.0,
        "median_dwell_minutes": 2880.0,
        "pass_through_ratio": 0.95,
        "young_share": 0.0,
    } | overrides
    return pl.DataFrame([row])


def test_absent_evidence_is_left_out_not_counted_as_zero() -> None:
    """A ring on transfers alone: nothing cashed out that the data can show, no reports, no opening dates."""
    counted_as_zero = score_clusters(_ring()).row(0, named=True)
    left_out = score_clusters(_ring(), absent=("cash_out", "reports", "account_age")).row(0, named=True)
    assert not counted_as_zero["flagged"] and left_out["flagged"]
    blind = score_clusters(_ring(), absent=("cash_out", "speed")).row(0, named=True)
    assert blind["score"] >= 0.5 and not blind["flagged"], "neither speed nor cash-out: ranked, never flagged"
    assert left_out["score_behaviour"] > 0.9 and left_out["score_exit"] is None
    every = score_clusters(_ring(cash_out=9_700.0, other_out=0.0, reports=3, young_share=1.0)).row(0, named=True)
    assert every["evidence_absent"] == ""
    doubt = 1.0
    for part in ("score_victims", "score_reports", "score_speed", "score_young"):
        doubt *= 1.0 - every[part]
    assert every["score_corroboration"] == pytest.approx(1.0 - doubt), "with all evidence, 'any of' as before"


def test_a_shop_that_keeps_nothing_back_is_still_not_flagged_on_its_speed_alone() -> None:
    """Renormalising lifts corroboration, not behaviour: a cluster that keeps what it is paid stays low."""
    shop = _ring(other_out=1_000.0, pass_through_ratio=0.1, victims=40)
    assert not score_clusters(shop, absent=("cash_out", "reports", "account_age"))["flagged"].item()


def test_unknown_evidence_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown evidence"):
        score_clusters(_ring(), absent=("phones",))


def test_scan_params_default_to_auto() -> None:
    flow = ScanParams().flow
    assert (flow.pass_through_hours, flow.edge_dwell_hours, flow.min_inflow) == (None, None, None)
    assert flow.concrete().pass_through_hours == 24.0


def test_detectors_auto_adds_dense_only_when_speed_is_absent_and_unknown_ones_are_refused() -> None:
    from fraudkit.errors import ConfigError
    from fraudkit.scan.scan import chosen_detectors

    assert chosen_detectors(("auto",), {}) == ("fast",)
    assert chosen_detectors(("auto",), {"speed": "daily"}) == ("fast", "dense")
    assert chosen_detectors(("dense",), {}) == ("dense",)
    with pytest.raises(ConfigError, match="unknown detector"):
        ScanParams(detectors=("slow",))
