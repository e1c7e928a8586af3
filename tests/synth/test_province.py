"""The synthetic province: a regions table whose numbers add up, people living in counties as the
counties' residents do, and fraud that falls harder on some counties than on others (and twice as
hard in the month of a spike), all of it in the truth table ``regions``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from fraudkit.cli import app
from fraudkit.errors import ConfigError
from fraudkit.ingest import ingest_paths
from fraudkit.store import ensure_schema
from fraudkit.synth import SynthConfig, World, generate_world, store_world, write_world
from fraudkit.synth.frames import regions_table
from fraudkit.synth.registry import HOME_REGIONS

runner = CliRunner(env={"COLUMNS": "200"})
c = pl.col
AWAY_CODES = {"450100", "530100", "350200", "430100", "460100", "520100"}
BUSY = {"fraud_operations_per_100k": 300.0}
"""Five times the default fraud, so that every county has victims enough to count."""


@pytest.fixture(scope="module")
def world() -> World:
    """20,000 people, the default world: under a second."""
    return generate_world(SynthConfig(seed=7, subscribers=20_000))


@pytest.fixture(scope="module")
def busy() -> World:
    """50,000 people and five times the fraud: a few thousand victims over the counties."""
    return generate_world(SynthConfig(seed=3, subscribers=50_000, **BUSY))


def test_the_regions_table_is_one_province_of_eight_cities_whose_counties_add_up(world: World) -> None:
    regions = world.tables["regions"]
    assert regions["code"].str.contains(r"^\d{6}$").all() and regions["code"].is_unique().all()
    province = regions.filter(c("level") == "province")
    cities = regions.filter(c("level") == "city")
    counties = regions.filter(c("level") == "county")
    assert province["code"].to_list() == ["440000"] and province["parent_code"].to_list() == [None]
    assert cities["name"].str.to_lowercase().to_list() == list(HOME_REGIONS)
    assert (cities["parent_code"] == "440000").all()
    assert 40 <= counties.height <= 60
    assert counties["parent_code"].is_in(cities["code"].implode()).all()
    assert (counties["population"] > 0).all() and (counties["gdp"] > 0).all()
    sums = counties.group_by("parent_code").agg(c("population").sum(), c("gdp").sum())
    joined = cities.join(sums, left_on="code", right_on="parent_code", suffix="_of_counties")
    assert joined.height == 8
    assert (joined["population"] == joined["population_of_counties"]).all()
    assert np.allclose(joined["gdp"], joined["gdp_of_counties"])
    assert province["population"].item() == cities["population"].sum()
    shenzhen = cities.filter(c("code") == "440300").row(0, named=True)
    assert 17e6 < shenzhen["population"] < 18.5e6 and 3.2e12 < shenzhen["gdp"] < 3.7e12
    assert counties.filter(c("code") == "440305")["name"].item() == "Nanshan"


def test_every_person_lives_in_a_county_of_the_regions_table(world: World) -> None:
    counties = world.tables["regions"].filter(c("level") == "county")["code"]
    for name in ("subscribers", "accounts"):
        region = world.tables[name]["region"]
        assert region.null_count() == 0, name
        assert region.is_in(counties.implode()).mean() > 0.9, name  # the rest: SIMs and accounts from away
        assert region.filter(~region.is_in(counties.implode())).is_in(list(AWAY_CODES)).all(), name
    # a victim's account, and phone when on this operator, are in the county the truth counts them in
    victims = world.truth["victims"]
    accounts = world.tables["accounts"].select("account_id", c("region").alias("account_region"))
    phones = world.tables["subscribers"].select("phone", c("region").alias("phone_region"))
    placed = victims.join(accounts, on="account_id", how="left").join(phones, on="phone", how="left")
    assert placed["account_region"].null_count() == 0 and placed["phone_region"].null_count() < 0.2 * placed.height
    on_net = placed.filter(c("phone_region").is_not_null())
    assert (on_net["phone_region"] == on_net["account_region"]).all()
    counted = world.truth["regions"].group_by("code").agg(c("victims").sum()).filter(c("victims") > 0)
    assert dict(placed.group_by("account_region").len().iter_rows()) == dict(counted.iter_rows())


def test_subscribers_per_county_follow_its_residents(world: World) -> None:
    counties = world.tables["regions"].filter(c("level") == "county")
    people = world.tables["subscribers"].group_by("region").len()
    joined = counties.join(people, left_on="code", right_on="region", how="left").fill_null(0)
    assert np.corrcoef(joined["population"], joined["len"])[0, 1] > 0.95
    truth = world.truth["regions"].group_by("code").agg(c("residents").first())
    assert truth["residents"].sum() == world.config.subscribers
    residents = counties.join(truth, on="code")
    share = residents["residents"] / world.config.subscribers
    expected = residents["population"] / counties["population"].sum()
    assert float((share - expected).abs().max()) < 0.01


def test_fraud_falls_harder_where_the_truth_says_it_does(busy: World) -> None:
    truth = busy.truth["regions"]
    assert truth.height == 55 and truth["month"].unique().to_list() == ["2026-10"]
    assert truth["intensity"].std() > 0.3 and truth["intensity"].min() > 0
    mean_over_people = (truth["intensity"] * truth["residents"]).sum() / truth["residents"].sum()
    assert mean_over_people == pytest.approx(1.0)
    lived = truth.filter(c("residents") >= 100)
    rate = lived["victims"] / lived["residents"]
    assert np.corrcoef(lived["intensity"], rate)[0, 1] > 0.7
    victims = busy.truth["victims"]
    assert truth["victims"].sum() == victims.height
    assert truth["loss_at_risk"].sum() == pytest.approx(victims["total_loss"].sum(), rel=1e-9)


def test_a_spike_doubles_one_countys_victims_in_its_month(busy: World) -> None:
    cfg = busy.config.replace(intensity_spikes=[["440306", "2026-10", 2.0]])
    spiked = generate_world(cfg)
    before = busy.truth["regions"].filter(c("code") == "440306").row(0, named=True)
    after = spiked.truth["regions"].filter(c("code") == "440306").row(0, named=True)
    assert after["intensity"] == pytest.approx(2 * before["intensity"])
    assert before["victims"] > 100
    assert 1.6 < after["victims"] / before["victims"] < 2.4
    # the rest of the world is the same world: the same people where they were, about as many victims
    assert spiked.truth["regions"]["residents"].equals(busy.truth["regions"]["residents"])
    others = spiked.truth["victims"].height - after["victims"]
    assert others == pytest.approx(busy.truth["victims"].height - before["victims"], rel=0.15)


def test_a_spike_falls_in_its_own_month_of_a_longer_world() -> None:
    cfg = SynthConfig(seed=5, subscribers=20_000, start=datetime(2026, 9, 16), days=45, **BUSY)
    spiked = cfg.replace(intensity_spikes=[["440106", "2026-10", 3.0]])
    plain, wave = generate_world(cfg).truth["regions"], generate_world(spiked).truth["regions"]
    assert plain["month"].unique().sort().to_list() == ["2026-09", "2026-10"]
    assert plain.height == 2 * 55

    def tianhe(truth: pl.DataFrame, month: str) -> dict:
        return truth.filter((c("code") == "440106") & (c("month") == month)).row(0, named=True)

    assert tianhe(wave, "2026-10")["intensity"] == pytest.approx(3 * tianhe(plain, "2026-10")["intensity"])
    assert tianhe(wave, "2026-09")["intensity"] == pytest.approx(tianhe(plain, "2026-09")["intensity"])
    october = tianhe(wave, "2026-10")["victims"] / max(tianhe(plain, "2026-10")["victims"], 1)
    september = tianhe(wave, "2026-09")["victims"] / max(tianhe(plain, "2026-09")["victims"], 1)
    assert october > 2 and october > 1.5 * september


def test_every_county_alike_when_the_spread_is_zero() -> None:
    truth = generate_world(SynthConfig(seed=2, subscribers=2_000, county_intensity_sigma=0.0)).truth["regions"]
    assert truth["intensity"].to_list() == pytest.approx([1.0] * truth.height)


@pytest.mark.parametrize(
    ("spike", "needle"),
    [
        (["440399", "2026-10", 2.0], "'440399' is not a county of the synthetic province"),
        (["440300", "2026-10", 2.0], "'440300' is a city, not a county"),
        (["440306", "2026-12", 2.0], "month '2026-12' of 440306 is not in the world's span"),
        (["440306", "2026-10", -1.0], "factor of 440306 in 2026-10 must be a number"),
        (["440306", "2026-10"], "each spike is"),
    ],
)
def test_a_bad_spike_is_a_one_line_config_error(spike: list, needle: str) -> None:
    with pytest.raises(ConfigError) as error:
        SynthConfig(intensity_spikes=[spike])
    assert needle in error.value.one_line() and "\n" not in error.value.one_line()


def test_a_user_writes_a_spike_in_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "fraudkit.toml"
    config.write_text('[synth]\nintensity_spikes = [[440306, "2026-11", 2.0]]\n', encoding="utf-8")
    out = tmp_path / "world"
    bad = runner.invoke(app, ["synth", "--subscribers", "2000", "--config", str(config), "--out", str(out)])
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    assert "month '2026-11' of 440306 is not in the world's span (2026-10)" in bad.output
    config.write_text('[synth]\nintensity_spikes = [[440306, "2026-10", 2.0]]\n', encoding="utf-8")
    made = runner.invoke(app, ["synth", "--subscribers", "2000", "--config", str(config), "--out", str(out)])
    assert made.exit_code == 0, made.output
    truth = pl.read_parquet(out / "truth" / "regions.parquet")
    assert truth.filter(c("code") == "440306")["intensity"].item() > 0
    db = tmp_path / "fraudkit.duckdb"
    loaded = runner.invoke(app, ["ingest", str(out / "regions.parquet"), "--kind", "regions", "--db", str(db)])
    assert loaded.exit_code == 0, loaded.output
    assert "64" in loaded.output


def test_the_store_and_the_files_hold_the_regions(world: World, tmp_path: Path) -> None:
    paths = write_world(world, tmp_path / "csv", fmt="csv")
    assert pl.read_csv(paths["regions"], schema_overrides={"code": pl.String, "parent_code": pl.String}).equals(
        world.tables["regions"]
    )
    assert paths["truth/regions"].exists()
    db = tmp_path / "fraudkit.duckdb"
    store_world(world, db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = con.execute("SELECT count(*), sum(population) FILTER (WHERE level = 'county') FROM regions")
        assert stored.fetchall() == [(64, world.tables["regions"]["population"][0])]
    finally:
        con.close()


def test_the_synthetic_provinces_regions_file_loads_whole(tmp_path: Path) -> None:
    table = regions_table()
    table.write_parquet(tmp_path / "regions.parquet")
    con = duckdb.connect()
    try:
        ensure_schema(con)
        summary = ingest_paths(con, tmp_path / "regions.parquet", "regions")
        assert (summary.loaded, summary.rejected) == (table.height, 0)
        stored = con.execute("SELECT level, count(*), sum(population) FROM regions GROUP BY level ORDER BY level")
        province = table.filter(c("level") == "province")["population"].item()
        counties = table.height - 9
        assert stored.fetchall() == [("city", 8, province), ("county", counties, province), ("province", 1, province)]
    finally:
        con.close()
