"""Dirty files: every row either loads or lands in ``rejects`` at its own line; none is lost."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ingest_helpers import HEADERS, count, rejects, write

from fraudkit.errors import InputFileError
from fraudkit.ingest import ingest_paths
from fraudkit.store import ensure_schema

GOOD_TS = "2024-03-01 10:00:00"


@dataclass(frozen=True)
class Row:
    """One generated line and what must become of it."""

    text: str
    outcome: str  # "load", "duplicate", "reject", "blank"
    column: str | None = None  # expected column at fault (semantic rejects)
    structural: bool = False


def txn(
    i: int,
    *,
    ts: str = GOOD_TS,
    src: str = "6222000011112222",
    amount: str = "100.00",
    channel: str = "mobile",
    txn_id: str | None = None,
) -> str:
    return f"{txn_id or f'T{i}'},{ts},{src},6228000033334444,{amount},CNY,{channel},success"


BAD_AMOUNTS = ["-5", "0", "0.001", "abc", "1e11", "12.5.5", "NaN", "9999999999999999999999"]
BAD_TIMESTAMPS = ["2024-13-45 10:00:00", "1980-01-01 00:00:00", "2999-01-01 00:00:00", "yesterday", "2024-02-30"]
JUNK = st.text(alphabet=st.characters(blacklist_characters=',"\r\n', blacklist_categories=("Cs",)), max_size=30).filter(
    lambda s: s != ""
)


@st.composite
def transaction_rows(draw: st.DrawFn) -> list[Row]:
    kinds = draw(
        st.lists(
            st.sampled_from(
                [
                    "good",
                    "good",
                    "good",
                    "padded",
                    "dup",
                    "conflict",
                    "bad_amount",
                    "missing_amount",
                    "bad_ts",
                    "missing_ts",
                    "missing_src",
                    "excel_src",
                    "bad_channel",
                    "extra_col",
                    "missing_col",
                    "broken_quote",
                    "junk",
                    "blank",
                ]
            ),
            min_size=1,
            max_size=40,
        )
    )
    rows: list[Row] = []
    good: dict[str, str] = {}  # txn_id -> the line that loaded it
    for i, kind in enumerate(kinds):
        if kind == "good" or (kind in ("dup", "conflict") and not good):
            rows.append(Row(txn(i), "load"))
            good[f"T{i}"] = txn(i)
        elif kind == "padded":
            text = txn(i, src=" 6222 0000 1111 2222 ", channel=" Online ", amount=" 100 ")
            rows.append(Row(text, "load"))
            good[f"T{i}"] = text
        elif kind == "dup":  # an exact repeat
            rows.append(Row(good[draw(st.sampled_from(sorted(good)))], "duplicate"))
        elif kind == "conflict":  # the key again with other content: a reject, never silence
            rows.append(
                Row(txn(i, txn_id=draw(st.sampled_from(sorted(good))), amount="1.00"), "reject", structural=True)
            )
        elif kind == "bad_amount":
            rows.append(Row(txn(i, amount=draw(st.sampled_from(BAD_AMOUNTS))), "reject", "amount"))
        elif kind == "missing_amount":
            rows.append(Row(txn(i, amount=draw(st.sampled_from(["", "  "]))), "reject", "amount"))
        elif kind == "bad_ts":
            rows.append(Row(txn(i, ts=draw(st.sampled_from(BAD_TIMESTAMPS))), "reject", "ts"))
        elif kind == "missing_ts":
            rows.append(Row(txn(i, ts=""), "reject", "ts"))
        elif kind == "missing_src":
            rows.append(Row(txn(i, src=""), "reject", "src_account"))
        elif kind == "excel_src":
            rows.append(Row(txn(i, src="6.22202E+15"), "reject", "src_account"))
        elif kind == "bad_channel":
            rows.append(
                Row(txn(i, channel=draw(st.sampled_from(["bike", "手机银行", "mobile banking"]))), "reject", "channel")
            )
        elif kind == "extra_col":
            rows.append(Row(txn(i) + ",extra", "reject", structural=True))
        elif kind == "missing_col":
            rows.append(Row(txn(i).rsplit(",", 1)[0], "reject", structural=True))
        elif kind == "broken_quote":
            rows.append(Row(f'T{i},"{GOOD_TS}"x,A,B,1,CNY,mobile,success', "reject", structural=True))
        elif kind == "junk":
            rows.append(Row(draw(JUNK), "reject", structural=True))
        else:
            rows.append(Row("", "blank"))
    return rows


def check_every_row_accounted_for(con: duckdb.DuckDBPyConnection, path: Path, rows: list[Row], kind: str) -> None:
    summary = ingest_paths(con, path, kind)
    result = summary.files[0]
    expected = {o: sum(r.outcome == o for r in rows) for o in ("load", "duplicate", "reject")}
    assert result.rows_read == len(rows) - sum(r.outcome == "blank" for r in rows)
    assert result.rows_read == result.loaded + result.rejected + result.duplicates
    assert (result.loaded, result.duplicates, result.rejected) == (
        expected["load"],
        expected["duplicate"],
        expected["reject"],
    )
    assert count(con, kind) == expected["load"]
    got = {line: (column, reason, raw) for line, column, reason, raw in rejects(con)}
    want = {n: r for n, r in enumerate(rows, start=2) if r.outcome == "reject"}
    assert sorted(got) == sorted(want), "reject line numbers must point at the offending lines"
    for line, row in want.items():
        column, reason, raw = got[line]
        assert reason
        if not row.structural:
            assert column == row.column and reason.startswith(f"{row.column}:"), (line, row, got[line])
            assert raw == row.text.strip()
        else:
            assert raw is not None


@settings(max_examples=30, deadline=None)
@given(rows=transaction_rows())
def test_dirty_transactions_every_row_loads_or_is_rejected_at_its_line(rows: list[Row]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp) / "dirty.csv", [HEADERS["transactions"], *(r.text for r in rows)])
        con = duckdb.connect()
        ensure_schema(con)
        check_every_row_accounted_for(con, path, rows, "transactions")
        con.close()


GOOD_PHONES = ["13800001111", "+86 138 0000 1111", "0086-138-0000-1111", "(010) 6552-1234", "12345", "+44 20 7946 0958"]
BAD_PHONES = ["12ab5678", "1234", "1234567890123456", "+86", "☎13800001111", "138.0000.1111x"]


@st.composite
def call_rows(draw: st.DrawFn) -> list[Row]:
    rows: list[Row] = []
    for i in range(draw(st.integers(min_value=1, max_value=30))):
        caller, callee = draw(st.sampled_from(GOOD_PHONES)), draw(st.sampled_from(GOOD_PHONES))
        duration, call_kind, roaming = "60", "voice", "false"
        fault = draw(st.sampled_from([None, None, "caller", "callee", "duration_s", "kind", "roaming", "blank"]))
        if fault == "blank":
            rows.append(Row("", "blank"))
            continue
        if fault == "caller":
            caller = draw(st.sampled_from(BAD_PHONES))
        elif fault == "callee":
            callee = draw(st.sampled_from(BAD_PHONES))
        elif fault == "duration_s":
            duration = draw(st.sampled_from(["-1", "1.5", "x", "90000"]))
        elif fault == "kind":
            call_kind = draw(st.sampled_from(["fax", "video"]))
        elif fault == "roaming":
            roaming = "maybe"
        text = f"C{i},{caller},{callee},{GOOD_TS},{duration},{call_kind},,,{roaming}"
        rows.append(Row(text, "reject" if fault else "load", fault))
    return rows


@settings(max_examples=30, deadline=None)
@given(rows=call_rows())
def test_dirty_calls_phones_durations_enums(rows: list[Row]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp) / "calls.csv", [HEADERS["calls"], *(r.text for r in rows)])
        con = duckdb.connect()
        ensure_schema(con)
        check_every_row_accounted_for(con, path, rows, "calls")
        bad = con.execute("SELECT count(*) FROM calls WHERE NOT regexp_full_match(caller, '[0-9]{5,15}')")
        assert bad.fetchall() == [(0,)], "phones are stored normalised"
        con.close()


def test_phone_normalisation_strips_separators_and_china_prefix(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    phones = ["+86 138 0000 1111", "0086-139-0000-2222", "(010) 6552-1234", "+44 20 7946 0958"]
    lines = [HEADERS["subscribers"], *(f'"{p}",H{i},,,' for i, p in enumerate(phones))]
    ingest_paths(con, write(tmp_path / "s.csv", lines), "subscribers")
    got = [r[0] for r in con.execute("SELECT phone FROM subscribers ORDER BY holder_id").fetchall()]
    assert got == ["13800001111", "13900002222", "01065521234", "442079460958"]


def test_unterminated_quote_costs_its_line_only(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    lines = [HEADERS["transactions"], txn(1), f'T2,"{GOOD_TS},A,B,1,CNY,mobile,success', txn(3)]
    summary = ingest_paths(con, write(tmp_path / "q.csv", lines), "transactions")
    assert (summary.rows_read, summary.loaded, summary.rejected) == (3, 2, 1)
    line, _, reason, raw = rejects(con)[0]
    assert line == 3 and reason.startswith("broken quoting") and raw.startswith("T2,")


def test_stray_quote_in_twenty_rows_loses_nothing_else(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [txn(i) for i in range(1, 21)]
    rows[5] = rows[5].replace(",6222", ',"6222')  # the 6th data row opens a quote it never closes
    summary = ingest_paths(con, write(tmp_path / "q.csv", [HEADERS["transactions"], *rows]), "transactions")
    assert (summary.rows_read, summary.loaded, summary.rejected) == (20, 19, 1)
    assert [r[0] for r in rejects(con)] == [7]


def test_stray_quote_in_the_header_stops_the_file_instead_of_reading_zero_rows(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    header = HEADERS["transactions"].replace("ts,", '"ts,', 1)
    path = write(tmp_path / "h.csv", [header, txn(1), txn(2)])
    with pytest.raises(InputFileError, match=r"h\.csv"):
        ingest_paths(con, path, "transactions")
    assert count(con, "ingest_log") == 0  # so a rerun does not skip it as ingested


def test_quoted_field_with_line_break_loads_and_earlier_lines_stay_exact(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    lines = [
        HEADERS["outcomes"],
        "13800001111,2024-03-01 11:00:00,reached,x",
        "bad,2024-03-01 11:00:00,reached,x",
        '13800002222,2024-03-01 11:00:00,refused,"two\nlines"',
    ]
    summary = ingest_paths(con, write(tmp_path / "o.csv", lines), "outcomes")
    assert (summary.loaded, summary.rejected) == (2, 1)
    assert rejects(con)[0][:2] == (3, "phone")
    assert con.execute("SELECT note FROM outcomes WHERE result = 'refused'").fetchall() == [("two\nlines",)]


def test_timestamps_in_the_future_and_custom_bounds(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    from datetime import datetime, timedelta

    from fraudkit.ingest import IngestSettings

    soon = (datetime.now() + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S")
    later = (datetime.now() + timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
    lines = [HEADERS["transactions"], txn(1, ts=soon), txn(2, ts=later), txn(3, ts="1995-01-01 00:00:00")]
    path = write(tmp_path / "t.csv", lines)
    summary = ingest_paths(
        con, path, "transactions", settings=IngestSettings(earliest=datetime(2000, 1, 1), max_amount=50)
    )
    assert summary.loaded == 0
    reasons = [r[2] for r in rejects(con)]
    assert reasons[0].startswith("amount: absurdly large")
    assert reasons[1].startswith("ts: in the future") and reasons[2] == "ts: before 2000-01-01"
