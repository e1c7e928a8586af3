"""Normalisation, weights, the index, the colours and the spike rule."""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl
import pytest
from index_world import build, store  # noqa: F401 (a fixture)

from fraudkit.errors import ConfigError
from fraudkit.index import runs
from fraudkit.index.compute import Month, compute_index
from fraudkit.index.indicators import INDICATORS
from fraudkit.index.scoring import IndexParams, normalised, scored, spikes, tiers

NAMES = [i.name for i in INDICATORS]
NO_WATER_HOUSES = pl.DataFrame(schema={"account": pl.Utf8, "cluster_id": pl.Utf8})


def _frame(**columns: list[float | None]) -> pl.DataFrame:
    """Regions a, b, c, ... with the given indicator columns, the rest null."""
    n = len(next(iter(columns.values())))
    data: dict[str, list] = {"region": [chr(97 + i) for i in range(n)]}
    for name in NAMES:
        data[name] = columns.get(name, [None] * n)
    return pl.DataFrame(data, schema={"region": pl.Utf8, **{name: pl.Float64 for name in NAMES}})


def test_higher_is_always_safer_after_normalisation() -> None:
    frame = normalised(_frame(reports_per_10k=[1.0, 2.0, 3.0], warned_before_payment=[0.1, 0.5, 0.9]), IndexParams())
    riskier = frame["s_reports_per_10k"].to_list()
    safer = frame["s_warned_before_payment"].to_list()
    assert riskier[0] > riskier[1] > riskier[2], "fewer reports: safer"
    assert safer[0] < safer[1] < safer[2], "more victims warned: safer"
    assert frame["s_callbacks_reached"].to_list() == [0.0, 0.0, 0.0], "no value anywhere: average"


def test_winsorising_keeps_one_extreme_region_from_flattening_the_rest() -> None:
    values = [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6, 2.7, 2.8, 2.9, 100.0]
    plain = normalised(_frame(reports_per_10k=values), IndexParams(winsor=0.0))["s_reports_per_10k"]
    kept = normalised(_frame(reports_per_10k=values), IndexParams(winsor=0.05))["s_reports_per_10k"]
    assert kept[0] - kept[19] > 3 * (plain[0] - plain[19]), "the ordinary regions stay apart"


def test_minmax_maps_the_range_to_plus_minus_two_and_a_half() -> None:
    frame = normalised(_frame(reports_per_10k=[0.0, 5.0, 10.0]), IndexParams(method="minmax", winsor=0.0))
    assert frame["s_reports_per_10k"].to_list() == pytest.approx([2.5, 0.0, -2.5])


def test_contributions_add_up_to_the_index_and_follow_the_weights() -> None:
    frame = _frame(reports_per_10k=[1.0, 2.0, 3.0], mule_accounts_per_10k=[3.0, 1.0, 2.0])
    out = scored(frame, IndexParams(winsor=0.0))
    for row in out.iter_rows(named=True):
        assert sum(row[f"contribution_{n}"] for n in NAMES) == pytest.approx(row["index"] - 50.0)
    heavy = scored(frame, IndexParams(winsor=0.0, heading_weights=(1.0, 0.0, 0.0)))
    assert heavy["index"].to_list()[0] > out["index"].to_list()[0], "cases alone: a looks safer still"
    assert heavy["score_supply"].to_list() == out["score_supply"].to_list(), "a heading's own score keeps its scale"


def test_colours_from_the_index_and_its_fall() -> None:
    frame = pl.DataFrame(
        {
            "index": [35.0, 45.0, 60.0, 55.0, 60.0],
            "change": [None, None, -12.0, -6.0, 1.0],
            "spike_reason": [
                None,
                None,
                None,
                None,
                "reports jumped to 9 from an average of 2.0 over the previous 3 months",
            ],
        }
    )
    out = tiers(frame, IndexParams())
    assert out["tier"].to_list() == ["red", "yellow", "red", "yellow", "red"]
    assert "fell 12.0 points" in out["tier_reason"][2] and "jumped to 9" in out["tier_reason"][4]


def test_a_spike_needs_a_jump_against_the_regions_own_months() -> None:
    history = pl.DataFrame(
        {
            "region": ["a"] * 4 + ["b"] * 4 + ["c"] * 4,
            "month": ["2026-07", "2026-08", "2026-09", "2026-10"] * 3,
            "cases": [2, 3, 1, 9, 20, 22, 18, 25, 0, 0, 0, 2],
        }
    )
    found = spikes(history, "2026-10", IndexParams())
    assert found["region"].to_list() == ["a"], "b rose little for its size, c by too few reports"
    assert found["spike_reason"][0] == "reports jumped to 9 from an average of 2.0 over the previous 3 months"


def test_bad_settings_are_one_line_errors() -> None:
    with pytest.raises(ConfigError, match="cases_weights needs 5"):
        IndexParams(cases_weights=(1.0, 1.0))
    with pytest.raises(ConfigError, match="red_below <= yellow_below"):
        IndexParams(red_below=60.0, yellow_below=50.0)
    with pytest.raises(ConfigError, match="zscore or minmax"):
        IndexParams(method="rank")  # type: ignore[arg-type]


def test_a_jump_in_a_countys_reports_turns_it_red(tmp_path) -> None:
    con = build(tmp_path / "spike.duckdb", october_reports=4)
    result = compute_index(con, Month.parse("2026-10"), "county", IndexParams(), members=NO_WATER_HOUSES)
    hills = result.table.filter(pl.col("region") == "440304").row(0, named=True)
    assert hills["tier"] == "red" and "reports jumped to 5 from an average of 1.0" in hills["tier_reason"]


def test_a_published_month_is_what_the_next_change_is_measured_against(store: duckdb.DuckDBPyConnection) -> None:  # noqa: F811
    september, october = Month.parse("2026-09"), Month.parse("2026-10")
    first = compute_index(store, september, "county", IndexParams(), members=NO_WATER_HOUSES)
    runs.publish(store, first.month, "county", first.table, first.notes, IndexParams(), datetime(2026, 10, 15))
    again = compute_index(store, september, "county", IndexParams(red_below=0.0), members=NO_WATER_HOUSES)
    assert again.table.equals(first.table), "published: read back as it was, whatever the settings now"
    store.execute(
        "INSERT INTO reports (report_id, reported_at, victim_phone, loss_amount) VALUES"
        " ('LATE', TIMESTAMP '2026-09-20 10:00', '13800000005', 50000)"
    )
    late = compute_index(store, september, "county", IndexParams(), members=NO_WATER_HOUSES)
    assert late.table.equals(first.table), "a late report does not rewrite a published month"
    nxt = compute_index(store, october, "county", IndexParams(), members=NO_WATER_HOUSES)
    before = dict(first.table.select("region", "index").iter_rows())
    for row in nxt.table.iter_rows(named=True):
        assert row["change"] == pytest.approx(row["index"] - before[row["region"]])
    assert nxt.trend.filter(pl.col("region") == "440304")["month"].to_list() == ["2026-09", "2026-10"]
    runs.publish(store, first.month, "county", nxt.table, [], IndexParams(), datetime(2026, 11, 1))
    assert compute_index(store, september, "county", IndexParams()).table.equals(first.table), (
        "publishing twice: no change"
    )
