"""From the DuckDB store: load_frames cuts the time range in SQL, build_features matches the pure functions."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from feature_builders import HISTORY, WINDOW, T
from feature_world import world
from polars.testing import assert_frame_equal

from fraudkit.backend import DuckDBBackend
from fraudkit.errors import StoreError
from fraudkit.features import (
    FEATURE_SETS,
    account_features,
    build_features,
    load_frames,
    phone_features,
    subscriber_money_features,
)
from fraudkit.store import connect


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("features") / "f.duckdb")
    for name, frame in world().items():
        DuckDBBackend(con=con).write(name, frame.collect())
    yield con
    con.close()


def test_load_frames_pulls_only_the_point_in_time_range(store) -> None:
    frames = {k: v.collect() for k, v in load_frames(store, as_of=T, window=WINDOW, history=HISTORY).items()}
    tx = frames["transactions"]
    assert tx.schema["amount"] == pl.Float64
    assert tx["ts"].min() >= T - HISTORY and tx["ts"].max() < T
    assert set(tx["status"].unique()) <= {"success"}
    assert frames["calls"]["start_time"].max() < T
    assert frames["reports"]["reported_at"].max() < T
    assert frames["reports"].height == world()["reports"].filter(pl.col("reported_at") < T).collect().height


def test_build_features_matches_the_pure_functions(store) -> None:
    built = build_features(store, as_of=T, window=WINDOW, history=HISTORY)
    w = world()
    common = {"as_of": T, "window": WINDOW, "history": HISTORY, "reports": w["reports"]}
    assert_frame_equal(built["account"], account_features(w["transactions"], w["accounts"], **common))
    phone = phone_features(w["calls"], w["subscribers"], **common)
    money = subscriber_money_features(w["transactions"], w["accounts"], w["subscribers"], w["calls"], **common)
    got = built["phone"]
    names = {fs.producer: fs.names for fs in FEATURE_SETS}
    assert got.columns == ["phone", *names["phone_features"], *names["subscriber_money_features"]]
    assert got["phone"].to_list() == sorted(set(phone["phone"]) | set(money["phone"]))
    assert got.null_count().sum_horizontal()[0] == 0
    # Each side's values survive the join; the missing side takes the catalogue's fill.
    assert_frame_equal(got.join(phone.select("phone"), on="phone", how="semi").select(phone.columns), phone)
    assert_frame_equal(got.join(money.select("phone"), on="phone", how="semi").select(money.columns), money)
    pn = got.row(got["phone"].to_list().index("PN"), named=True)  # money but no calls
    assert pn["sim_age_days"] == -1.0 and pn["calls_in"] == 0 and pn["first_new_payee_large_amount"] == 5_000.0


def test_phones_alone_are_the_same_phones_without_the_account_work(store) -> None:
    """The fraud-number model builds its rows once per training day and needs the phones only."""
    both = build_features(store, as_of=T, window=WINDOW, history=HISTORY)
    phones = build_features(store, as_of=T, window=WINDOW, history=HISTORY, entities=("phone",))
    assert list(phones) == ["phone"] and phones["phone"].equals(both["phone"])
    with pytest.raises(ValueError, match="no feature frame"):
        build_features(store, as_of=T, entities=("subscriber",))


@pytest.mark.parametrize("pick", [slice(0, 3), slice(1, None, 2), slice(0, 0)])
def test_some_phones_get_exactly_their_rows_of_the_whole_frame(store, pick: slice) -> None:
    """The fraud-number rows are one day's callers: built alone, each row is what the whole frame has."""
    whole = build_features(store, as_of=T, window=WINDOW, history=HISTORY, entities=("phone",))["phone"]
    wanted = pl.Series("phone", whole["phone"].to_list()[pick] + ["NOT-A-PHONE"])
    some = build_features(store, as_of=T, window=WINDOW, history=HISTORY, entities=("phone",), phones=wanted)
    assert_frame_equal(some["phone"], whole.filter(pl.col("phone").is_in(wanted.implode())))


def test_build_features_on_an_empty_store_gives_empty_frames(tmp_path) -> None:
    con = connect(tmp_path / "empty.duckdb")
    built = build_features(con, as_of=T)
    assert built["account"].height == 0 and built["phone"].height == 0


def test_store_errors_name_the_table(tmp_path) -> None:
    con = connect(tmp_path / "broken.duckdb")
    con.execute("DROP TABLE calls")
    with pytest.raises(StoreError, match="calls"):
        load_frames(con, as_of=T, window=WINDOW, history=timedelta(days=30))
