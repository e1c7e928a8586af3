"""Mapping files: every key checked, typos fail loudly naming the culprit."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import write

from fraudkit.errors import ConfigError
from fraudkit.ingest import Mapping, ingest_paths, load_mapping, parse_mapping, shipped_mappings, with_encoding
from fraudkit.schema import TABLES


def test_shipped_examples_load_and_fit_their_tables() -> None:
    assert {"bank_cn", "cdr_cn"} <= set(shipped_mappings())
    for name in shipped_mappings():
        mapping = load_mapping(name)
        assert mapping.kind in TABLES
        mapping.check_for(TABLES[mapping.kind])


def test_full_mapping_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(
        """
        kind = "transactions"
        encoding = "GBK"
        delimiter = "tab"
        skip_rows = 2
        amount_unit = "fen"
        optional = ["status"]
        [columns]
        ts = ["交易时间", "交易日期"]
        amount = "交易金额"
        [timestamps]
        ts = "%Y%m%d%H%M%S"
        [defaults]
        currency = "CNY"
        [values.channel]
        " 手机银行 " = "Mobile"
        """,
        encoding="utf-8",
    )
    m = load_mapping(path)
    assert m.columns == {"ts": ("交易时间", "交易日期"), "amount": ("交易金额",)}
    assert (m.delimiter, m.skip_rows, m.amount_scale, m.optional) == ("\t", 2, Decimal("0.01"), ("status",))
    assert m.timestamps == {"ts": ("%Y%m%d%H%M%S",)}
    assert m.values == {"channel": {"手机银行": "Mobile"}}
    assert m.source == str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('delimeter = ","', "unknown key 'delimeter'"),
        ('kind = "transactions"\n[columns]\nsrc_acount = "付款账号"', "unknown transactions column 'src_acount'"),
        ('[columns]\nnot_a_column = "x"', "unknown canonical column 'not_a_column'"),
        ('kind = "transfers"', "unknown kind 'transfers'"),
        ('encoding = "klingon"', "unknown encoding 'klingon'"),
        ('delimiter = ",,"', "delimiter must be one character"),
        ('amount_unit = "li"', "unknown amount_unit 'li'"),
        ("skip_rows = -1", "skip_rows must be >= 0"),
        ('skip_rows = "2"', "skip_rows must be an integer"),
        ('[timestamps]\nts = "%Q"', "[timestamps] ts = '%Q'"),
        ('[timestamps]\nts = "yyyy-mm-dd"', "is not a strptime format"),
        ('kind = "transactions"\n[timestamps]\namount = "%Y"', "'amount' is not a timestamp column"),
        ('kind = "transactions"\n[values.channel]\n"手机" = "phone"', "unknown value 'phone'"),
        ('kind = "transactions"\n[values.amount]\n"x" = "1"', "maps values of a amount column"),
        ('kind = "transactions"\n[defaults]\nchannel = "bike"', "channel = 'bike' is not a valid channel"),
        ("[columns]\nts = 5", "must be a non-empty string or list of strings"),
        ("columns = 3", "[columns] must be a table"),
        ("kind = [", "not valid TOML"),
    ],
)
def test_invalid_mappings_are_config_errors_naming_the_problem(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_mapping(text, source="bad.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("bad.toml")


def test_mapping_without_kind_is_checked_against_the_table_at_ingest(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    mapping = parse_mapping('[columns]\ncaller = "主叫"', source="m.toml")  # a calls column
    path = write(tmp_path / "t.csv", ["txn_id,ts,src_account,dst_account,amount,channel"])
    with pytest.raises(ConfigError, match="unknown transactions column"):
        ingest_paths(con, path, "transactions", mapping)
    with pytest.raises(ConfigError, match="mapping is for 'calls'"):
        ingest_paths(con, path, "transactions", Mapping(kind="calls", source="m2.toml"))


def test_missing_mapping_file_lists_shipped_ones() -> None:
    with pytest.raises(ConfigError) as info:
        load_mapping("no_such_bank")
    assert "bank_cn" in (info.value.hint or "")


def test_amount_unit_fen_scales_amounts(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    mapping = parse_mapping('amount_unit = "fen"')
    path = write(
        tmp_path / "t.csv",
        [
            "txn_id,ts,src_account,dst_account,amount,channel",
            "T1,2024-03-01 10:00:00,A,B,123456,mobile",
            "T2,2024-03-01 10:00:00,A,B,0.4,mobile",
        ],
    )
    summary = ingest_paths(con, path, "transactions", mapping)
    assert (summary.loaded, summary.rejected) == (1, 1)
    assert con.execute("SELECT amount FROM transactions").fetchall() == [(Decimal("1234.56"),)]


def test_epoch_timestamps(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    mapping = parse_mapping('[timestamps]\nstart_time = ["epoch_ms"]')
    path = write(
        tmp_path / "c.csv",
        [
            "call_id,caller,callee,start_time,duration_s,kind",
            "C1,13800001111,13900002222,1709287200000,5,voice",
            "C2,13800001111,13900002222,2024-03-01 10:00:00,5,voice",
        ],
    )
    assert ingest_paths(con, path, "calls", mapping).loaded == 2
    assert {str(t) for (t,) in con.execute("SELECT start_time FROM calls").fetchall()} == {"2024-03-01 10:00:00"}


def test_with_encoding_overrides_and_validates() -> None:
    assert with_encoding(None, "gbk").encoding == "gbk"
    assert with_encoding(load_mapping("bank_cn.toml"), "gb18030").columns["ts"][0] == "交易时间"
    with pytest.raises(ConfigError, match="unknown encoding"):
        with_encoding(None, "latin-99")


def test_top_level_key_written_inside_a_table_gets_a_hint() -> None:
    with pytest.raises(ConfigError) as info:
        parse_mapping('kind = "calls"\n[columns]\ncaller = "主叫"\noptional = ["cell_id"]')
    assert "move optional above the first [table] header" in (info.value.hint or "")
    with pytest.raises(ConfigError) as info:
        parse_mapping('[defaults]\ncurrency = "CNY"\nencoding = "gbk"')
    assert "move encoding above" in (info.value.hint or "")
