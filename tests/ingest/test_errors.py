"""Unusable files stop the run up front with one clear line naming the file; nothing loads."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from ingest_helpers import GOOD_ROWS, HEADERS, count, write

from fraudkit.errors import ConfigError, InputFileError
from fraudkit.ingest import ingest_paths, parse_mapping


def good_file(tmp_path: Path) -> Path:
    return write(tmp_path / "good.csv", [HEADERS["transactions"], *GOOD_ROWS["transactions"]])


def assert_nothing_loaded(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("transactions", "rejects", "ingest_log"):
        assert count(con, table) == 0, table


def bad_inputs(tmp_path: Path) -> dict[str, tuple[Path | str, str]]:
    """name -> (path, text the error message must contain)."""
    gbk = write(
        tmp_path / "gbk.csv", [HEADERS["transactions"], "T1,2024-03-01 10:00:00,张三,B,1,CNY,mobile,"], encoding="gbk"
    )
    (tmp_path / "book.xlsx").write_bytes(b"PK\x03\x04rest-of-a-zip")
    (tmp_path / "data.json").write_text('{"a": 1}')
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "fake.parquet").write_bytes(b"PAR1 not really parquet PAR1")
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\xfd\xff\n\xff\xff")
    (tmp_path / "nofolder").mkdir()
    return {
        "missing": (tmp_path / "nope.csv", "no such file"),
        "empty glob": (str(tmp_path / "*.tsv"), "matches no files"),
        "empty folder": (tmp_path / "nofolder", "no CSV or Parquet"),
        "xlsx": (tmp_path / "book.xlsx", "not a CSV or Parquet file"),
        "json": (tmp_path / "data.json", "unsupported file type"),
        "empty": (tmp_path / "empty.csv", "empty"),
        "corrupt parquet": (tmp_path / "fake.parquet", "Parquet"),
        "undecodable": (tmp_path / "binary.csv", "not valid"),
        "missing columns": (
            write(tmp_path / "cols.csv", ["txn_id,when,amount", "T1,x,1"]),
            "missing required columns 'ts', 'src_account', 'dst_account', 'channel'",
        ),
        "gbk read as utf-8": (gbk, "not valid UTF-8"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "empty glob",
        "empty folder",
        "xlsx",
        "json",
        "empty",
        "corrupt parquet",
        "undecodable",
        "missing columns",
    ],
)
def test_unusable_file_raises_naming_it_and_nothing_loads(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, case: str
) -> None:
    path, expected = bad_inputs(tmp_path)[case]
    with pytest.raises(InputFileError) as info:
        ingest_paths(con, [good_file(tmp_path), path], "transactions")
    message = info.value.one_line()
    assert str(Path(path).name) in message and expected in message
    assert "\n" not in message
    assert_nothing_loaded(con)


def test_wrong_encoding_names_the_line_and_suggests_gbk(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path, _ = bad_inputs(tmp_path)["gbk read as utf-8"]
    with pytest.raises(InputFileError) as info:
        ingest_paths(con, path, "transactions", encoding="utf-8")
    assert info.value.line == 2
    assert "--encoding gb18030" in info.value.one_line()
    assert ingest_paths(con, path, "transactions", encoding="gbk").loaded == 1


def test_missing_column_hint_points_at_the_mapping(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write(tmp_path / "cn.csv", ["交易时间,付款账号,收款账号,交易金额,渠道", "2024-03-01 10:00:00,A,B,1,mobile"])
    with pytest.raises(InputFileError) as info:
        ingest_paths(con, path, "transactions")
    hint = info.value.hint or ""
    assert "'交易时间'" in hint and "[columns]" in hint
    mapping = parse_mapping('[columns]\nts = "交易时间"\nsrc_account = "付款账号"', source="m.toml")
    with pytest.raises(InputFileError) as info:
        ingest_paths(con, path, "transactions", mapping)
    assert "add a [columns] entry for 'dst_account'" in (info.value.hint or "")
    assert "'收款账号'" in (info.value.hint or "")


def test_mapped_header_absent_from_file_is_an_error(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    mapping = parse_mapping('[columns]\nts = "交易日期"', source="m.toml")
    with pytest.raises(InputFileError, match="'交易日期' \\(for ts\\)"):
        ingest_paths(con, good_file(tmp_path), "transactions", mapping)
    optional = parse_mapping('optional = ["status"]\n[columns]\nstatus = "交易状态"')
    assert ingest_paths(con, good_file(tmp_path), "transactions", optional).loaded == 2


def test_unknown_kind_and_no_files_are_config_errors(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown kind 'transfers'"):
        ingest_paths(con, good_file(tmp_path), "transfers")
    with pytest.raises(ConfigError, match="no input files"):
        ingest_paths(con, [], "transactions")


def test_header_only_file_loads_nothing_without_error(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    summary = ingest_paths(con, write(tmp_path / "h.csv", [HEADERS["transactions"]]), "transactions")
    assert (summary.rows_read, summary.loaded) == (0, 0)
    assert count(con, "ingest_log") == 1
