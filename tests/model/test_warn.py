"""The call-back list: ranking, reasons from contributions, masking, the audited reveal, outcomes left out."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import duckdb
import numpy as np
import openpyxl
import polars as pl
import pytest
from model_world import ModelWorld

from fraudkit.errors import ConfigError
from fraudkit.model import frames
from fraudkit.model.params import ContactParams
from fraudkit.model.registry import LoadedModel, RegisteredModel, load_model
from fraudkit.settings import Settings
from fraudkit.store import connect
from fraudkit.warn.export import write_warning_list
from fraudkit.warn.listing import LIST_COLUMNS, Tiers, WarningList, warning_list
from fraudkit.warn.reasons import contributions, render_reason, top_reasons

AS_OF = datetime(2026, 10, 27, 15)
FULL_PHONE = re.compile(r"(?<![\d.])1\d{10}(?!\d)")  # an 11-digit mobile number, not digits of a score


@pytest.fixture(scope="module")
def model(registered: RegisteredModel, settings: Settings) -> LoadedModel:
    return load_model(settings, "victim", registered.version)


@pytest.fixture(scope="module")
def listed(model_world: ModelWorld, model: LoadedModel) -> WarningList:
    con = duckdb.connect(str(model_world.db), read_only=True)
    try:
        return warning_list(con, model, as_of=AS_OF, top=40)
    finally:
        con.close()


def test_the_list_ranks_people_once_most_urgent_first(listed: WarningList, model_world: ModelWorld) -> None:
    frame = listed.frame
    assert tuple(frame.columns) == LIST_COLUMNS
    assert frame.height == 40 and frame["phone"].n_unique() == 40
    assert frame["rank"].to_list() == list(range(1, 41))
    scores = frame["score"].to_list()
    assert scores == sorted(scores, reverse=True)
    # a later call with the suspect keeps the start of the long call it follows
    earliest = AS_OF - timedelta(hours=24) - ContactParams().follow_up_within - timedelta(hours=2)
    assert frame["contact_began"].max() < AS_OF and frame["contact_began"].min() >= earliest
    truth = model_world.world.truth
    top = frame.head(10)
    assert top["suspect_number"].is_in(truth["fraud_numbers"]["phone"].implode()).mean() >= 0.8
    assert set(frame["tier"].unique().to_list()) <= {"red", "orange", "yellow"}


def test_reasons_are_the_largest_positive_contributions(
    listed: WarningList, model: LoadedModel, model_world: ModelWorld
) -> None:
    con = duckdb.connect(str(model_world.db), read_only=True)
    try:
        contacts = frames.contacts_from_store(con, since=AS_OF - timedelta(hours=24), until=AS_OF)
    finally:
        con.close()
    first = listed.frame.row(0, named=True)
    mine = contacts.filter(pl.col("callee") == first["phone"], pl.col("contact_start") == first["contact_began"])
    row = (  # the subscriber's most urgent contact, as the list picks it
        mine.with_columns(model.score(mine))
        .sort(["score", "scored_at", "contact_id"], descending=[True, True, False])
        .head(1)
    )
    contrib = contributions(model.booster, row, model.features)[0]
    order = np.argsort(-contrib, kind="stable")[:3]
    expected = [render_reason(model.features[j], row[model.features[j]][0]) for j in order if contrib[j] > 0]
    assert [first["reason_1"], first["reason_2"], first["reason_3"]][: len(expected)] == expected
    # contributions add up to the raw score, so the reasons explain the score itself
    raw = model.booster.predict(row.select(model.features).to_numpy(), raw_score=True)[0]
    full = model.booster.predict(row.select(model.features).to_numpy(), pred_contrib=True)[0]
    assert full.sum() == pytest.approx(raw)


def test_top_reasons_skip_negative_contributions_and_break_ties_by_feature_order() -> None:
    contrib = np.array([[0.5, -1.0, 0.5, 2.0], [-0.1, -0.2, -0.3, -0.4]])
    assert top_reasons(contrib, ["a", "b", "c", "d"]) == [["d", "a", "c"], []]


def test_reason_sentences_read_like_plain_english() -> None:
    assert render_reason("contact_minutes", 23.4) == "Long call (23 min) from a number new to the subscriber"
    assert render_reason("caller_hours_active", 0.5) == "Caller's number first seen only 30 min before"
    assert render_reason("caller_sim_age_days", 3.0) == "Caller's SIM activated only 3.0 days before"
    assert render_reason("caller_sim_age_days", -1.0) == "Caller's SIM is unknown to the operator (off-network number)"
    assert render_reason("distinct_strangers_called", 412.0).endswith(": 412")
    assert render_reason("caller_reported", 1.0) == "Caller named in 1 fraud report"
    assert render_reason("caller_reported", 3.0) == "Caller named in 3 fraud reports"
    assert render_reason("callee_accounts", 1.0) == "Subscriber holds 1 bank account"


def test_the_masked_xlsx_holds_no_full_phone_number(listed: WarningList, tmp_path) -> None:
    out = write_warning_list(listed, tmp_path / "calls.xlsx")
    book = openpyxl.load_workbook(out)
    sheet = book["call-back list"]
    assert sheet.freeze_panes == "C2"
    assert sheet.column_dimensions["E"].width > 40
    cells = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    frame = listed.frame
    secrets = {*frame["phone"].to_list(), *frame["suspect_number"].to_list(), *frame["account"].drop_nulls().to_list()}
    assert not [c for c in cells if FULL_PHONE.search(c) or any(p in c for p in secrets)]
    assert any(c.startswith("Long call") or c.startswith("Caller") for c in cells)
    tiers = {r[3] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert tiers <= {"red", "orange", "yellow"}
    fill = sheet.cell(row=2, column=1).fill.fgColor.rgb
    assert fill.endswith(("F4B6B6", "FAD7A0", "FCF3CF"))
    for suffix in (".csv", ".parquet"):
        path = write_warning_list(listed, tmp_path / f"calls{suffix}")
        data = path.read_bytes()
        assert not [p for p in secrets if p.encode() in data]


def test_a_revealing_export_is_audited(listed: WarningList, model_world: ModelWorld, tmp_path) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(model_world.db.read_bytes())
    with pytest.raises(ConfigError, match="must be recorded"):
        write_warning_list(listed, tmp_path / "x.csv", reveal=True)
    con = connect(db)
    try:
        out = write_warning_list(listed, tmp_path / "revealed.csv", reveal=True, con=con)
        audit = con.execute("SELECT command, what, row_count, details FROM audit_log").fetchall()
    finally:
        con.close()
    assert listed.frame["phone"][0] in out.read_text()
    assert len(audit) == 1 and audit[0][0] == "warn" and audit[0][2] == listed.frame.height
    assert "revealed.csv" in audit[0][3]


def test_people_called_back_recently_are_left_out_unless_unreachable(
    listed: WarningList, model: LoadedModel, model_world: ModelWorld, tmp_path
) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(model_world.db.read_bytes())
    first, second = listed.frame["phone"][0], listed.frame["phone"][1]
    con = connect(db)
    try:
        con.executemany(
            "INSERT INTO outcomes VALUES (?, ?, ?, ?)",
            [
                [first, AS_OF - timedelta(hours=1), "reached", None],
                [second, AS_OF - timedelta(hours=1), "unreachable", None],
            ],
        )
        again = warning_list(con, model, as_of=AS_OF, top=40)
    finally:
        con.close()
    assert first not in again.frame["phone"].to_list()
    assert second in again.frame["phone"].to_list()
    assert again.left_out_called == 1


def test_bad_output_and_tiers_are_refused_up_front(listed: WarningList, tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"\.xlsx, \.csv or \.parquet"):
        write_warning_list(listed, tmp_path / "calls.pdf")
    with pytest.raises(ConfigError, match="orange <= red"):
        Tiers.parse("0.2,0.9")
    with pytest.raises(ConfigError, match="not two probabilities"):
        Tiers.parse("high")
    assert Tiers.parse("0.9,0.5") == Tiers.parse("90%, 50%") == Tiers(red=0.9, orange=0.5)
    with pytest.raises(ConfigError, match="orange <= red <= 1"):
        Tiers.parse("90,50")  # percentages without the sign are not probabilities


def test_the_list_shows_the_models_probabilities_and_tiers(listed: WarningList, model: LoadedModel) -> None:
    """The model is calibrated, so the tiers are the same probabilities for every model: red from 50%."""
    assert listed.tiers == Tiers(red=0.5, orange=0.2) == Tiers.of_model(model)
    frame = listed.frame
    assert (frame.filter(pl.col("tier") == "red")["score"] >= 0.5).all()
    assert (frame.filter(pl.col("tier") == "yellow")["score"] < 0.2).all()
    assert frame["score"].is_between(0.0, 1.0).all()
