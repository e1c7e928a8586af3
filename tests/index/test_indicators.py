"""Each indicator on the hand-built store of ``index_world``, worked out by hand."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
from index_world import store  # noqa: F401 (a fixture)

from fraudkit.index.compute import Month
from fraudkit.index.indicators import INDICATORS, indicator_values, month_data, region_map

OCTOBER = Month.parse("2026-10")
NO_WATER_HOUSES = pl.DataFrame(schema={"account": pl.Utf8, "cluster_id": pl.Utf8})


def _values(con: duckdb.DuckDBPyConnection, level: str = "county", members: pl.DataFrame = NO_WATER_HOUSES) -> dict:
    regions = con.sql("SELECT * FROM regions").pl()
    data = month_data(con, OCTOBER.start, OCTOBER.end, members)
    frame = indicator_values(data, regions, level)  # type: ignore[arg-type]
    return {r["region"]: r for r in frame.iter_rows(named=True)}


def test_cases_are_adjusted_by_residents_and_gdp(store: duckdb.DuckDBPyConnection) -> None:  # noqa: F811
    old_town = _values(store)["440103"]  # two reports in October, 4,000 lost; 1 million residents, GDP 1e11
    assert old_town["reports_per_10k"] == pytest.approx(2 / 1_000_000 * 10_000)
    assert old_town["loss_per_resident"] == pytest.approx(4_000 / 1_000_000)
    assert old_town["loss_per_million_gdp"] == pytest.approx(4_000 / 1e11 * 1e6)
    assert _values(store)["440104"]["reports_per_10k"] == 0.0


def test_a_repeat_victim_reported_before_the_month(store: duckdb.DuckDBPyConnection) -> None:  # noqa: F811
    values = _values(store)
    assert values["440304"]["repeat_victims_per_100k"] == pytest.approx(1 / 500_000 * 100_000)
    assert values["440103"]["repeat_victims_per_100k"] == 0.0


def test_warned_before_paying_and_the_lead_time(store: duckdb.DuckDBPyConnection) -> None:  # noqa: F811
    old_town = _values(store)["440103"]  # R1 reached 30 min before paying; R2 paid with no call-back
    assert old_town["warned_before_payment"] == pytest.approx(0.5)
    assert old_town["median_lead_minutes"] == pytest.approx(30.0)
    assert _values(store)["440303"]["warned_before_payment"] is None, "no payment known: the store cannot tell"


def test_loss_stopped_counts_reached_people_who_never_reported(store: duckdb.DuckDBPyConnection) -> None:  # noqa: F811
    values = _values(store)
    assert values["440104"]["loss_stopped_share"] == pytest.approx(1.0)  # reached, no report, no loss
    assert values["440104"]["callbacks_reached"] == pytest.approx(1.0)
    assert values["440303"]["callbacks_reached"] == 0.0 and values["440303"]["loss_stopped_share"] == 0.0
    assert values["440103"]["loss_stopped_share"] == 0.0, "reached, but reported a loss afterwards"
    assert values["440304"]["callbacks_reached"] is None, "no call-back: null, not zero"


def test_water_houses_and_mule_accounts_by_the_accounts_region(store: duckdb.DuckDBPyConnection) -> None:  # noqa: F811
    store.execute(
        "INSERT INTO accounts (account_id, holder_id, region) VALUES"
        " ('6222000000000001', 'H0', '440103'), ('6222999900000001', 'M1', '440103'),"
        " ('6222999900000002', 'M2', '440303'), ('6222000000000003', 'H3', '440303')"
    )
    members = pl.DataFrame({"account": ["6222999900000001", "6222999900000002"], "cluster_id": ["W1", "W1"]})
    values = _values(store, members=members)
    assert values["440103"]["mule_accounts_per_10k"] == pytest.approx(1 / 2 * 10_000)
    assert values["440103"]["water_houses_per_million"] == pytest.approx(1 / 1_000_000 * 1_000_000)
    assert values["440303"]["water_houses_per_million"] == pytest.approx(1 / 500_000 * 1_000_000)
    assert values["440104"]["mule_accounts_per_10k"] is None, "no accounts in the region"
    # Old Town's victim paid 1,000 into the water house (T1); money among its members does not count
    assert values["440103"]["paid_to_water_houses_per_resident"] == pytest.approx(1_000 / 1_000_000)
    assert values["440303"]["paid_to_water_houses_per_resident"] == 0.0


def test_fraud_numbers_activated_in_the_month(store: duckdb.DuckDBPyConnection) -> None:  # noqa: F811
    store.execute(
        "INSERT INTO subscribers (phone, holder_id, activated_at, region) VALUES"
        " ('17000000001', 'F1', TIMESTAMP '2026-10-03 10:00', '440303')"
    )
    store.execute("UPDATE reports SET fraud_phone = '17000000001' WHERE report_id = 'R3'")
    values = _values(store)
    assert values["440303"]["fraud_numbers_per_10k"] == pytest.approx(1 / 3 * 10_000)  # 3 SIMs there now
    assert values["440103"]["fraud_numbers_per_10k"] == 0.0


def test_cities_sum_their_counties(store: duckdb.DuckDBPyConnection) -> None:  # noqa: F811
    cities = _values(store, "city")
    assert set(cities) == {"440100", "440300"}
    assert cities["440100"]["reports_per_10k"] == pytest.approx(2 / 2_000_000 * 10_000)
    assert cities["440300"]["repeat_victims_per_100k"] == pytest.approx(1 / 1_000_000 * 100_000)
    regions = store.sql("SELECT * FROM regions").pl()
    assert dict(region_map(regions, "city").iter_rows())["440304"] == "440300"


def test_every_indicator_has_a_definition() -> None:
    assert len({i.name for i in INDICATORS}) == len(INDICATORS)
    assert {i.heading for i in INDICATORS} == {"cases", "interception", "supply"}
    assert all(i.meaning and i.unit and i.higher_is in ("safer", "riskier") for i in INDICATORS)


def test_the_docs_are_the_catalogue() -> None:
    """docs/index.md is exactly what `python -m fraudkit.index` prints."""
    from pathlib import Path

    from fraudkit.index.catalogue import catalogue_markdown

    docs = Path(__file__).parents[2] / "docs" / "index.md"
    assert docs.read_text(encoding="utf-8") == catalogue_markdown(), "stale: python -m fraudkit.index > docs/index.md"
