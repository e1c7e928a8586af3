"""Clean inputs of every kind and format load completely, normalised to the canonical form."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import GOOD_ROWS, HEADERS, count, rejects, write

from fraudkit.ingest import ProgressEvent, ingest_paths, load_mapping, parse_mapping
from fraudkit.schema import TABLES


@pytest.mark.parametrize("kind", list(TABLES))
def test_clean_file_of_every_kind_loads_every_row(con: duckdb.DuckDBPyConnection, tmp_path: Path, kind: str) -> None:
    path = write(tmp_path / f"{kind}.csv", [HEADERS[kind], *GOOD_ROWS[kind]])
    summary = ingest_paths(con, path, kind)
    assert (summary.rows_read, summary.loaded, summary.rejected, summary.duplicates) == (2, 2, 0, 0)
    assert count(con, kind) == 2
    assert rejects(con) == []
    assert con.execute("SELECT kind, rows_read, loaded FROM ingest_log").fetchall() == [(kind, 2, 2)]


def test_values_are_normalised(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    write(tmp_path / "calls.csv", [HEADERS["calls"], *GOOD_ROWS["calls"]])
    write(tmp_path / "txns.csv", [HEADERS["transactions"], *GOOD_ROWS["transactions"]])
    ingest_paths(con, tmp_path / "calls.csv", "calls")
    ingest_paths(con, tmp_path / "txns.csv", "transactions")
    calls = con.execute("SELECT caller, kind, caller_imei, roaming FROM calls ORDER BY call_id").fetchall()
    assert calls == [("13800001111", "voice", "860000000000001", False), ("13800001111", "sms", None, None)]
    txns = con.execute("SELECT amount, currency, status FROM transactions ORDER BY txn_id").fetchall()
    assert txns == [(Decimal("5000.00"), "CNY", "success"), (Decimal("4990.50"), "CNY", "success")]


def test_padding_thousands_separators_and_case_are_tolerated(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.csv",
        [HEADERS["transactions"], 'T1 , 2024-03-01 10:00:00 ,\u3000A1\u3000, B1 ,"1,234.50", cny , ATM ,Success'],
    )
    summary = ingest_paths(con, path, "transactions")
    assert summary.loaded == 1, rejects(con)
    row = con.execute("SELECT * FROM transactions").fetchall()[0]
    assert row == ("T1", datetime(2024, 3, 1, 10), "A1", "B1", Decimal("1234.50"), "CNY", "atm", "success")


def test_headers_match_case_insensitively_in_any_order_and_extras_are_reported(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "t.csv",
        [" Amount ,TXN_ID,Memo,ts,Src_Account,dst_account,channel", "12.5,T1,rent,2024-03-01 10:00:00,A,B,online"],
    )
    summary = ingest_paths(con, path, "transactions")
    assert summary.loaded == 1
    assert summary.files[0].ignored_columns == ("Memo",)
    assert con.execute("SELECT txn_id, amount FROM transactions").fetchall() == [("T1", Decimal("12.50"))]


def test_utf8_bom_and_crlf(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write(
        tmp_path / "bom.csv",
        [HEADERS["transactions"], *GOOD_ROWS["transactions"]],
        encoding="utf-8-sig",
        newline="\r\n",
    )
    summary = ingest_paths(con, path, "transactions")
    assert summary.loaded == 2
    assert summary.files[0].encoding == "utf-8"


def test_tab_delimited_utf16_excel_export(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    lines = [h.replace(",", "\t") for h in [HEADERS["subscribers"], *GOOD_ROWS["subscribers"]]]
    path = write(tmp_path / "subs.txt", lines, encoding="utf-16")
    summary = ingest_paths(con, path, "subscribers")
    assert summary.loaded == 2
    assert summary.files[0].encoding == "utf-16"


CHINESE_BANK_ROWS = [
    "交易流水号,交易时间,付款账号,收款账号,交易金额,币种,交易渠道,交易状态,摘要",
    "B0001,20240301 101500,6222000011112222,6228000033334444,50000.00,人民币,手机银行,成功,安全账户",
    "B0002,2024/03/01 10:20:00,6228000033334444,6217000055556666,49900.00,人民币,网上银行,成功,转账",
    "B0003,2024-03-01 10:21:00,6217000055556666,6212000077778888,20000.00,,第三方支付,冲正,",
    "B0004,20240301 102500,6217000055556666,6212000077778888,-5.00,人民币,柜面,成功,",
]


def test_gbk_file_with_chinese_headers_loads_through_a_mapping(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    mapping = parse_mapping(
        """
        kind = "transactions"
        encoding = "gbk"
        [columns]
        txn_id = "交易流水号"
        ts = "交易时间"
        src_account = "付款账号"
        dst_account = "收款账号"
        amount = "交易金额"
        currency = "币种"
        channel = "交易渠道"
        status = "交易状态"
        [timestamps]
        ts = ["%Y%m%d %H%M%S", "%Y/%m/%d %H:%M:%S"]
        [values.channel]
        "手机银行" = "mobile"
        "网上银行" = "online"
        "第三方支付" = "third_party"
        "柜面" = "counter"
        [values.status]
        "成功" = "success"
        "冲正" = "reversed"
        [values.currency]
        "人民币" = "CNY"
        """,
        source="test-mapping",
    )
    path = write(tmp_path / "export.csv", CHINESE_BANK_ROWS, encoding="gbk")
    summary = ingest_paths(con, path, "transactions", mapping)
    assert (summary.loaded, summary.rejected) == (3, 1)
    assert summary.files[0].ignored_columns == ("摘要",)
    rows = con.execute("SELECT txn_id, ts, currency, channel, status FROM transactions ORDER BY 1").fetchall()
    assert rows == [
        ("B0001", datetime(2024, 3, 1, 10, 15), "CNY", "mobile", "success"),
        ("B0002", datetime(2024, 3, 1, 10, 20), "CNY", "online", "success"),
        ("B0003", datetime(2024, 3, 1, 10, 21), "CNY", "third_party", "reversed"),
    ]
    assert rejects(con) == [(5, "交易金额", "amount: must be positive", CHINESE_BANK_ROWS[4])]


def test_shipped_bank_mapping_reads_gb18030_by_sniffing(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write(tmp_path / "export.csv", CHINESE_BANK_ROWS, encoding="gb18030")
    summary = ingest_paths(con, path, "transactions", load_mapping("bank_cn"))
    assert (summary.loaded, summary.rejected, summary.files[0].encoding) == (3, 1, "gb18030")
    assert con.execute("SELECT count(*) FROM transactions WHERE currency = 'CNY'").fetchall() == [(3,)]


def test_shipped_cdr_mapping_derives_call_ids(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write(
        tmp_path / "cdr.csv",
        [
            "主叫号码,被叫号码,开始时间,通话时长,呼叫类型,是否漫游",
            "13800001111,13900002222,20240301095500,320,语音,漫游",
            "13800001111,13900002222,20240301095800,0,短信,本地",
        ],
        encoding="gbk",
    )
    summary = ingest_paths(con, path, "calls", "cdr_cn")
    assert summary.loaded == 2 and summary.files[0].derived_key
    rows = con.execute("SELECT call_id, kind, roaming FROM calls ORDER BY start_time").fetchall()
    assert [r[1:] for r in rows] == [("voice", True), ("sms", False)]
    assert all(r[0].startswith("md5:") and len(r[0]) == 36 for r in rows)


def test_title_rows_above_the_header_are_skipped(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    mapping = parse_mapping('skip_rows = 2\ndelimiter = ";"')
    table = [HEADERS["outcomes"], *GOOD_ROWS["outcomes"]]
    lines = ["账户交易明细", "查询日期: 2024-03-05", *(r.replace(",", ";") for r in table)]
    lines.append("bad;2024-03-01 11:00:00;reached;")  # 6th line: a malformed phone
    path = write(tmp_path / "o.csv", lines)
    summary = ingest_paths(con, path, "outcomes", mapping)
    assert (summary.loaded, summary.rejected) == (2, 1)
    assert rejects(con)[0][:2] == (6, "phone")


def test_parquet_input_with_typed_columns(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    con.execute(
        """COPY (SELECT 'T' || i AS txn_id, TIMESTAMP '2024-03-01' + INTERVAL (i) MINUTE AS ts,
                        'A' || (i % 7) AS src_account, 'B' || (i % 5) AS dst_account,
                        CASE WHEN i = 3 THEN -1 ELSE 10.5 + i END AS amount, 'mobile' AS channel
                 FROM range(50) r(i)) TO $path (FORMAT parquet, ROW_GROUP_SIZE 8)""",
        {"path": str(path)},
    )
    summary = ingest_paths(con, path, "transactions")
    assert (summary.rows_read, summary.loaded, summary.rejected) == (50, 49, 1)
    assert summary.files[0].encoding == "parquet"
    line, column, reason, _ = rejects(con)[0]
    assert (line, column, reason) == (4, "amount", "amount: must be positive")  # 1-based row number


def test_folder_and_glob_inputs_and_progress_events(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    rows = GOOD_ROWS["transactions"]
    write(folder / "a.csv", [HEADERS["transactions"], rows[0]])
    write(folder / "b.csv", [HEADERS["transactions"], rows[1]])
    events: list[ProgressEvent] = []
    summary = ingest_paths(con, [folder, str(folder / "*.csv")], "transactions", progress=events.append)
    assert [f.path.name for f in summary.files] == ["a.csv", "b.csv"]  # each file once
    assert summary.loaded == 2
    assert [(e.stage, e.index) for e in events] == [
        ("check", 1),
        ("check", 2),
        ("start", 1),
        ("finish", 1),
        ("start", 2),
        ("finish", 2),
    ]
    assert events[-1].result is summary.files[1]
    assert [str(e) for e in events[:3]] == ["checking 1/2 a.csv", "checking 2/2 b.csv", "loading 1/2 a.csv"]
    assert re.fullmatch(r"loaded 2/2 b\.csv: 1 row, 0 rejected in \d+\.\d s", str(events[-1]))
    assert "2 loaded" in summary.describe()


def test_trailing_delimiter_on_data_rows_is_tolerated(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    lines = [HEADERS["transactions"], *(row + "," for row in GOOD_ROWS["transactions"])]
    summary = ingest_paths(con, write(tmp_path / "t.csv", lines), "transactions")
    assert (summary.loaded, summary.rejected, summary.files[0].ignored_columns) == (2, 0, ())
